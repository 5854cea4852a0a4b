import { env } from 'cloudflare:test';
import { Database, DocumentNotFoundError, DuplicateKeyError } from '@pocket/core';
import { describe, expect, it } from 'vitest';
import { createD1Storage } from '../src/index.js';

interface Todo {
  _id: string;
  title: string;
  completed: boolean;
  userId: string;
  tags?: string[];
  profile?: { age: number };
}

describe('D1 basics', () => {
  it('inserts, queries, updates and deletes', async () => {
    const db = await Database.create({ name: 'app', storage: createD1Storage({ database: env.DB, tablePrefix: 'basics_' }) });
    const todos = db.collection<Todo>('todos');
    await todos.insert({ _id: 'a', title: 'one', completed: false, userId: 'u1', tags: ['x'], profile: { age: 3 } });
    await todos.bulkInsert([
      { _id: 'b', title: 'two', completed: true, userId: 'u1' },
      { _id: 'c', title: 'three', completed: false, userId: 'u2', tags: ['x', 'y'] },
    ]);
    await expect(todos.insert({ _id: 'a', title: 'dup', completed: false, userId: 'u1' })).rejects.toBeInstanceOf(DuplicateKeyError);
    await expect(
      todos.bulkInsert([
        { _id: 'z', title: 'z', completed: false, userId: 'u1' },
        { _id: 'b', title: 'dup', completed: false, userId: 'u1' },
      ]),
    ).rejects.toBeInstanceOf(DuplicateKeyError);
    expect(await todos.get('z')).toBeNull();
    expect((await todos.find().where('userId').equals('u1').exec()).map((t) => t._id)).toEqual(['a', 'b']);
    expect((await todos.find().where('completed').equals(false).sort('title', 'desc').exec()).map((t) => t._id)).toEqual(['c', 'a']);
    expect((await todos.find().where('tags').contains('y').exec()).map((t) => t._id)).toEqual(['c']);
    expect((await todos.find().where('title').matches(/^t/).skip(1).limit(1).exec()).map((t) => t._id)).toEqual(['c']);
    expect(await todos.find().where('profile.age').gte(3).count()).toBe(1);
    expect(await todos.update('a', { completed: true, tags: ['q'] })).toMatchObject({ _id: 'a', completed: true, tags: ['q'], title: 'one' });
    await expect(todos.update('nope', { completed: true })).rejects.toBeInstanceOf(DocumentNotFoundError);
    await expect(
      todos.bulkUpdate([
        { id: 'a', changes: { title: 'A' } },
        { id: 'nope', changes: { title: 'N' } },
      ]),
    ).rejects.toBeInstanceOf(DocumentNotFoundError);
    expect((await todos.get('a'))?.title).toBe('one');
    expect(
      await todos.bulkUpdate([
        { id: 'a', changes: { title: 'A' } },
        { id: 'b', changes: { title: 'B' } },
      ]),
    ).toMatchObject([{ title: 'A' }, { title: 'B' }]);
    expect(await todos.upsert({ _id: 'a', title: 'again', completed: false, userId: 'u3' })).toMatchObject({ title: 'again' });
    // Revision 4: the insert, the update, the bulkUpdate (the failed one wrote nothing), the upsert.
    const again = await todos.get('a');
    expect(again).toEqual({ _id: 'a', title: 'again', completed: false, userId: 'u3', _rev: 4 });
    expect(Object.keys(again!).at(-1)).toBe('_rev');
    expect(await todos.delete('a')).toBe(true);
    expect(await todos.delete('a')).toBe(false);
    expect(await todos.bulkDelete(['b', 'c', 'x'])).toBe(2);
    expect(await todos.count()).toBe(0);
  });

  it('uses an expression index for equality', async () => {
    const db = await Database.create({ name: 'app', storage: createD1Storage({ database: env.DB, tablePrefix: 'plan_', indexes: { todos: ['userId'] } }) });
    await db.collection<Todo>('todos').insert({ title: 't', completed: false, userId: 'u1' });
    const q = db.collection<Todo>('todos').find().where('userId').equals('u1').limit(100).toQuery();
    const { compileFind } = await import('../src/sql-compiler.js');
    const c = compileFind('"plan_todos"', q);
    const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${c.sql}`)
      .bind(...c.params)
      .all();
    const inList = compileFind('"plan_todos"', db.collection<Todo>('todos').find().where('userId').in(['u1', 'u2']).toQuery());
    const plan2 = await env.DB.prepare(`EXPLAIN QUERY PLAN ${inList.sql}`)
      .bind(...inList.params)
      .all();
    console.log(c.sql, JSON.stringify(plan.results), JSON.stringify(plan2.results));
    expect(JSON.stringify(plan.results)).toContain('USING INDEX plan_todos_userId');
  });
});
