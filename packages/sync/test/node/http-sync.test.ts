import { afterEach, describe, expect, it } from 'vitest';
import { FilterBuilder, increment } from '@pocket/core';
import type { SyncClient } from '@pocket/sync/client';
import { contents, ownerRules, startClient, startServer, within, type Todo } from './support.js';

const clients: SyncClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.stop()));
});

async function client(...args: Parameters<typeof startClient>) {
  const started = await startClient(...args);
  clients.push(started.client);
  return started;
}

describe('sync over HTTP', () => {
  it('pulls what the server has and pushes what the client writes', async () => {
    const server = await startServer();
    await server.database.collection<Todo>('todos').bulkInsert([
      { _id: 'a', listId: 'l1', title: 'from the server' },
      { _id: 'b', listId: 'l1', title: 'second' },
    ]);
    const { db, client: c } = await client(server, 'u1');
    await within(c.synced());
    expect(await contents(db)).toEqual([
      { _id: 'a', listId: 'l1', title: 'from the server' },
      { _id: 'b', listId: 'l1', title: 'second' },
    ]);
    await db.collection<Todo>('todos').insert({ _id: 'c', listId: 'l1', title: 'from the client' });
    await db.collection<Todo>('todos').update('a', { done: true });
    await db.collection<Todo>('todos').delete('b');
    await within(c.synced());
    expect(await contents(server.database)).toEqual(await contents(db));
    expect(await server.database.collection('todos').get('a')).toMatchObject({ done: true, _rev: 2 });
  });

  it('two clients converge, and a conflict takes the server version by default and is reported', async () => {
    const server = await startServer();
    const one = await client(server, 'u1');
    const two = await client(server, 'u2');
    await one.db.collection<Todo>('todos').insert({ _id: 'x', listId: 'l', title: 'v1', n: 0 });
    await within(one.client.synced());
    await within(two.client.synced());
    expect(await contents(two.db)).toEqual([{ _id: 'x', listId: 'l', title: 'v1', n: 0 }]);
    server.network.online = false;
    await one.db.collection<Todo>('todos').update('x', { title: 'one' });
    await two.db.collection<Todo>('todos').update('x', { title: 'two' });
    const conflicts: Array<{ local: any; server: any; resolution: unknown }> = [];
    one.client.on('conflict', (c) => conflicts.push(c));
    two.client.on('conflict', (c) => conflicts.push(c));
    server.network.online = true;
    await within(one.client.synced());
    await within(two.client.synced());
    await within(one.client.synced());
    const final = await contents(server.database);
    expect(await contents(one.db)).toEqual(final);
    expect(await contents(two.db)).toEqual(final);
    // The second push met the first one's revision: reported once, with both versions, and the server's kept.
    expect(conflicts).toHaveLength(1);
    const winner = (final[0] as Todo).title;
    expect(conflicts[0]!.server.title).toBe(winner);
    expect(conflicts[0]!.local.title).toBe(winner === 'one' ? 'two' : 'one');
    expect(conflicts[0]!.resolution).toBeUndefined();
  });

  it('a custom resolver merges: concurrent increments both count', async () => {
    const server = await startServer();
    // Both increment while offline; the second push conflicts and its resolver adds its own +1 to the server's count.
    const addOne = ({ local, server: remote }: { local: any; server: any }) => (local && remote ? { ...remote, n: remote.n + 1 } : undefined);
    const one = await client(server, 'u1', { resolve: addOne });
    const two = await client(server, 'u2', { resolve: addOne });
    await server.database.collection<Todo>('todos').insert({ _id: 'counter', listId: 'l', title: 'c', n: 0 });
    await within(one.client.synced());
    await within(two.client.synced());
    server.network.online = false;
    await one.db.collection<Todo>('todos').update('counter', { n: increment(1) });
    await two.db.collection<Todo>('todos').update('counter', { n: increment(1) });
    server.network.online = true;
    await within(one.client.synced());
    await within(two.client.synced());
    await within(one.client.synced());
    expect(await server.database.collection<Todo>('todos').get('counter')).toMatchObject({ n: 2 });
    expect(await one.db.collection<Todo>('todos').get('counter')).toMatchObject({ n: 2 });
    expect(await two.db.collection<Todo>('todos').get('counter')).toMatchObject({ n: 2 });
  });

  it('partial sync: only documents matching subscription and rules arrive, and one that moves out is removed', async () => {
    const server = await startServer(ownerRules);
    const todos = server.database.collection<Todo>('todos');
    await todos.bulkInsert([
      { _id: 'mine-l1', owner: 'u1', listId: 'l1', title: 'a' },
      { _id: 'mine-l2', owner: 'u1', listId: 'l2', title: 'b' },
      { _id: 'theirs-l1', owner: 'u2', listId: 'l1', title: 'c' },
    ]);
    const { db, client: c } = await client(server, 'u1', { filter: new FilterBuilder<Todo>().where('listId').equals('l1').filter });
    await within(c.synced());
    expect((await contents(db)).map((d: any) => d._id)).toEqual(['mine-l1']);
    await todos.update('mine-l1', { listId: 'l2' });
    await todos.update('mine-l2', { listId: 'l1' });
    await new Promise((r) => setTimeout(r, 60));
    await within(c.synced());
    expect((await contents(db)).map((d: any) => d._id)).toEqual(['mine-l2']);
  });

  it('a write outside the rules is rejected, reported, and undone locally', async () => {
    const server = await startServer(ownerRules);
    const { db, client: c } = await client(server, 'u1');
    const rejected: Array<{ code: string }> = [];
    c.on('rejected', (r) => rejected.push(r));
    await db.collection<Todo>('todos').insert({ _id: 'forged', owner: 'u2', listId: 'l', title: 'not mine' });
    await within(c.synced());
    expect(rejected.map((r) => r.code)).toEqual(['FORBIDDEN']);
    expect(await server.database.collection('todos').get('forged')).toBeNull();
    expect(await db.collection('todos').get('forged')).toBeNull();
  });

  it('resumes after a restart from the checkpoint and pending writes in local storage', async () => {
    const server = await startServer();
    const first = await client(server, 'u1');
    await server.database.collection<Todo>('todos').insert({ _id: 'a', listId: 'l', title: 'a' });
    await within(first.client.synced());
    server.network.online = false;
    await first.db.collection<Todo>('todos').insert({ _id: 'offline', listId: 'l', title: 'written offline' });
    await first.client.stop();
    clients.splice(clients.indexOf(first.client), 1);
    server.network.online = true;
    const before = server.network.requests;
    // The same local database (the same storage), a new client: as after a page reload.
    const second = await client(server, 'u1', { database: first.db });
    expect(second.client.clientId).toBe(first.client.clientId);
    await within(second.client.synced());
    expect(await server.database.collection('todos').get('offline')).toMatchObject({ title: 'written offline' });
    expect(await contents(second.db)).toEqual(await contents(server.database));
    expect(server.network.requests - before).toBeLessThan(10);
  });

  it('pushes 10,000 local writes at once', async () => {
    const server = await startServer();
    const { db, client: c } = await client(server, 'u1');
    await db
      .collection<Todo>('todos')
      .bulkInsert(Array.from({ length: 10_000 }, (_, i) => ({ _id: `t${String(i).padStart(5, '0')}`, listId: 'l', title: `todo ${i}` })));
    await within(c.synced(), 60_000);
    expect(await server.database.collection('todos').count()).toBe(10_000);
  });
});
