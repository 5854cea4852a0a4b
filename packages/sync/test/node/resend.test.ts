import { describe, expect, it } from 'vitest';
import { Database, createMemoryStorage } from '@pocket/core';
import { SyncServer } from '@pocket/sync/server';
import { openRules } from './support.js';

// Found by the convergence fuzz: the server kept only the answers of the last push, so after two
// lost answers in a row a mutation resent a third time was refused as STALE though it was accepted.
describe('a push resent after several lost answers', () => {
  it('is answered as first applied, however many pushes came in between', async () => {
    const database = await Database.create({ name: 'server', storage: createMemoryStorage() });
    const server = new SyncServer({ database, rules: openRules });
    const user = { id: 'u1' };
    const insert = (mid: number, id: string) => ({ mid, collection: 'todos', id, baseRev: 0, doc: { _id: id, listId: 'l', title: id } });
    // First push: applied, its answer lost. Second push: the unanswered one again plus a new one, answer lost again.
    await server.push(user, { clientId: 'c1', mutations: [insert(1, 'a')] });
    await server.push(user, { clientId: 'c1', mutations: [insert(1, 'a'), insert(2, 'b')] });
    const third = await server.push(user, { clientId: 'c1', mutations: [insert(1, 'a'), insert(2, 'b'), insert(3, 'c')] });
    expect(third.results).toEqual([
      { mid: 1, status: 'accepted', rev: 1 },
      { mid: 2, status: 'accepted', rev: 1 },
      { mid: 3, status: 'accepted', rev: 1 },
    ]);
    // Once a push starts at mid 3, the answers below it were received and may be forgotten.
    const fourth = await server.push(user, { clientId: 'c1', mutations: [insert(3, 'c'), insert(4, 'd')] });
    expect(fourth.results.map((r) => r.status)).toEqual(['accepted', 'accepted']);
    const late = await server.push(user, { clientId: 'c1', mutations: [insert(1, 'a')] });
    expect(late.results[0]).toMatchObject({ mid: 1, status: 'rejected', code: 'STALE' });
    expect(await database.collection('todos').count()).toBe(4);
  });
});
