// query.explain() on SQL storage: the statement, SQLite's plan, whether it scans or sorts every
// match, and the index to declare; on D1 and on SQLite-backed Durable Objects.
import { env } from 'cloudflare:test';
import { Database, type Collection, type StorageAdapter } from '@pocket/core';
import { describe, expect, it } from 'vitest';
import { createD1Storage, createDurableObjectSqlStorage, type D1Indexes } from '../src/index.js';
import { inObject } from './do-helpers.js';

interface Todo {
  _id: string;
  userId: string;
  title: string;
  createdAt: number;
  priority: number;
}

const INDEXES: D1Indexes = { todos: ['userId', { path: 'createdAt', direction: 'desc' }] };

async function checkExplain(storage: (indexes: D1Indexes) => StorageAdapter): Promise<void> {
  const todos: Collection<Todo> = (await Database.create({ name: 'explain', storage: storage(INDEXES) })).collection<Todo>('todos');
  await todos.bulkInsert(Array.from({ length: 50 }, (_, i) => ({ _id: `t${i}`, userId: `u${i % 5}`, title: `todo ${i}`, createdAt: i, priority: i % 3 })));

  const equality = await todos.find().where('userId').equals('u1').explain();
  expect(equality.sql).toMatch(/^SELECT data FROM "\w+todos" WHERE _deleted IS NULL AND \(\(json_extract\(data, '\$\.userId'\) = \?\)/);
  expect(equality.params).toEqual(['u1', 'u1']);
  expect(equality.plan.join('\n')).toMatch(/^SEARCH \w+todos USING INDEX \w+todos_userId_\w+ \(<expr>=\?\)$/);
  expect(equality).toMatchObject({ fullScan: false, sortsAllMatches: false, suggestedIndex: null });

  const newest = await todos.find().where('createdAt').lt(40).sort('createdAt', 'desc').limit(10).explain();
  expect(newest.plan.join('\n')).toMatch(/^SEARCH \w+todos USING INDEX \w+todos_createdAt_desc_\w+ \(<expr>>\? AND <expr><\?\)$/);
  expect(newest).toMatchObject({ fullScan: false, sortsAllMatches: false, suggestedIndex: null });

  // No index serves a sort by priority after a user's todos: the suggestion is the one that would.
  const sorted = await todos.find().where('userId').equals('u2').sort('priority', 'desc').limit(5).explain();
  expect(sorted).toMatchObject({ fullScan: false, sortsAllMatches: true });
  expect(sorted.suggestedIndex?.fields).toEqual(['userId', { path: 'priority', direction: 'desc' }]);
  expect(sorted.suggestedIndex?.sql).toMatch(
    /^CREATE INDEX IF NOT EXISTS "\w+todos_userId__priority_desc_\w+" ON "\w+todos" \(CASE json_type\(data, '\$\.userId'\) .+ END, CASE json_type\(data, '\$\.priority'\) .+ END DESC, _id\) WHERE _deleted IS NULL$/,
  );

  // Without a sort, a range (and a count's) uses a declared index on its field.
  const unsorted = await todos.find().where('createdAt').gt(45).explain();
  expect(unsorted.plan.join('\n')).toMatch(/^SEARCH \w+todos USING INDEX \w+todos_createdAt_desc_\w+ \(<expr>>\? AND <expr><\?\)$/);
  expect(await todos.find().where('createdAt').gt(45).count()).toBe(4);

  const range = await todos.find().where('priority').gte(1).explain();
  expect(range).toMatchObject({ fullScan: true, sortsAllMatches: false });
  expect(range.suggestedIndex?.fields).toEqual(['priority']);

  const either = await todos
    .find()
    .or(
      (q) => q.where('userId').equals('u1'),
      (q) => q.where('title').startsWith('todo 4'),
    )
    .explain();
  expect(either.fullScan).toBe(true);
  expect(either.suggestedIndex).toBeNull(); // an or has no single index to suggest

  // With a regular expression the statement fetches the candidates the rest of the filter allows.
  const regex = await todos
    .find()
    .where('userId')
    .equals('u3')
    .where('title')
    .matches(/^todo 1/)
    .explain();
  expect(regex.sql).not.toContain('REGEXP');
  expect(regex).toMatchObject({ fullScan: false, suggestedIndex: null });

  // The index it suggests is the one that serves the query.
  await (
    await Database.create({ name: 'explain', storage: storage({ todos: [['userId', { path: 'priority', direction: 'desc' }]] }) })
  )
    .collection('todos')
    .count();
  const served = await todos.find().where('userId').equals('u2').sort('priority', 'desc').limit(5).explain();
  expect(served).toMatchObject({ fullScan: false, sortsAllMatches: false, suggestedIndex: null });
}

describe('explain()', () => {
  it('on D1', async () => {
    await checkExplain((indexes) => createD1Storage({ database: env.DB, tablePrefix: 'explain_', indexes }));
  });

  it('on SQLite-backed Durable Objects', async () => {
    await inObject('SQL_OBJECT', 'explain', (storage) => checkExplain((indexes) => createDurableObjectSqlStorage({ storage, indexes })));
  });
});
