import { env } from 'cloudflare:test';
import { createMemoryStorage, Database, FullScanError, requireIndexes, ValidationError } from '@pocket/core';
import { describe, expect, it } from 'vitest';
import { createD1Storage, createDurableObjectSqlStorage } from '../src/index.js';
import { inObject } from './do-helpers.js';

interface Todo {
  _id: string;
  userId: string;
  createdAt: number;
  priority: number;
}

const indexes = { todos: [['userId', { path: 'createdAt', direction: 'desc' as const }]] };

async function check(db: Database): Promise<void> {
  const todos = db.collection<Todo>('todos');
  await todos.bulkInsert(Array.from({ length: 20 }, (_, i) => ({ _id: `t${i}`, userId: `u${i % 2}`, createdAt: i, priority: i % 5 })));
  // What the index serves, and what reads only what it returns, pass.
  expect(await todos.find().where('userId').equals('u1').sort('createdAt', 'desc').limit(3).exec()).toHaveLength(3);
  expect(await todos.find().limit(5).exec()).toHaveLength(5);
  expect(await todos.count()).toBe(20);
  expect(await todos.get('t1')).not.toBeNull();
  // A filter no index serves fails, with the plan and the index to declare.
  const error = await todos
    .find()
    .where('priority')
    .gte(3)
    .exec()
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(FullScanError);
  expect((error as FullScanError).message).toMatch(/A query on collection "todos" reads every document of the collection\.\n {2}plan: SCAN/);
  expect((error as FullScanError).message).toContain(`indexes: { todos: [["priority"]] }`);
  expect((error as FullScanError).message).toMatch(/CREATE INDEX IF NOT EXISTS "\w+todos_priority_\w+"/);
  await expect(todos.count({ priority: 1 })).rejects.toBeInstanceOf(FullScanError);
  // A sort no index serves, after an indexed filter: every match sorted first.
  await expect(todos.find().where('userId').equals('u1').sort('priority').limit(3).exec()).rejects.toThrow(/sorts every match before the first result/);
}

describe('requireIndexes()', () => {
  it('on D1 fails queries no index serves, naming the index to declare', async () => {
    await check(Database.open({ name: 'x', storage: requireIndexes(createD1Storage({ database: env.DB, tablePrefix: 'require_', indexes })) }));
  });

  it('on SQLite-backed Durable Objects does the same', async () => {
    await inObject('SQL_OBJECT', 'require-indexes', (storage) =>
      check(Database.open({ name: 'x', storage: requireIndexes(createDurableObjectSqlStorage({ storage, indexes })) })),
    );
  });

  it('lets through what `allow` accepts, and sorts when told to', async () => {
    const storage = requireIndexes(createD1Storage({ database: env.DB, tablePrefix: 'require_allow_', indexes }), {
      sorts: false,
      allow: (query, collection) => collection === 'todos' && query.filter?.kind === 'condition' && query.filter.path === 'priority',
    });
    const todos = Database.open({ name: 'x', storage }).collection<Todo>('todos');
    await todos.insert({ _id: 'a', userId: 'u', createdAt: 1, priority: 1 });
    expect(await todos.find().where('priority').equals(1).exec()).toHaveLength(1);
    expect(await todos.find().where('userId').equals('u').sort('priority').exec()).toHaveLength(1);
  });

  it('refuses storage that cannot explain', () => {
    const db = Database.open({ name: 'x', storage: requireIndexes(createMemoryStorage()) });
    expect(() => db.collection('todos')).toThrow(ValidationError);
    expect(() => requireIndexes(null as never)).toThrow(/takes a storage adapter/);
  });
});
