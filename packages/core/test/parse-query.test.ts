import { describe, expect, it } from 'vitest';
import { createMemoryStorage, Database, DuplicateKeyError, parseQuery, QueryError } from '../src/index.js';

interface Todo {
  _id: string;
  title: string;
  priority: number;
  tags: string[];
}

async function todos() {
  const c = (await Database.create({ name: 'p', storage: createMemoryStorage() })).collection<Todo>('todos');
  await c.bulkInsert([
    { _id: 'a', title: 'Alpha', priority: 1, tags: ['x'] },
    { _id: 'b', title: 'Beta', priority: 5, tags: ['y'] },
    { _id: 'c', title: 'Gamma', priority: 9, tags: ['x', 'y'] },
  ]);
  return c;
}

describe('parseQuery and collection.query', () => {
  it('runs a query AST that travelled as JSON, and it can be extended', async () => {
    const c = await todos();
    const built = c
      .find()
      .where('tags')
      .contains('x')
      .or(
        (q) => q.where('priority').gte(5),
        (q) => q.where('title').matches(/^al/i),
      )
      .sort('priority', 'desc')
      .limit(5);
    const wire = JSON.parse(JSON.stringify(built.toQuery()));
    expect(parseQuery(wire)).toEqual(built.toQuery());
    expect(Object.isFrozen(parseQuery(wire).sort)).toBe(true);
    expect((await c.query(wire).exec()).map((t) => t._id)).toEqual(['c', 'a']);
    expect((await c.query(wire).where('priority').lt(5).exec()).map((t) => t._id)).toEqual(['a']);
    expect(await c.query({}).count()).toBe(3);
  });

  it.each([
    ['not an object', 'find all'],
    ['an unknown node kind', { filter: { kind: 'not', filters: [] } }],
    ['an and node without filters', { filter: { kind: 'and' } }],
    ['an unknown operator', { filter: { kind: 'condition', op: '$where', path: 'a', value: 1 } }],
    ['a bad path', { filter: { kind: 'condition', op: 'eq', path: 'a"b', value: 1 } }],
    ['a non-JSON value', { filter: { kind: 'condition', op: 'gt', path: 'a', value: { $gt: 1 } } }],
    ['a bad regex', { filter: { kind: 'condition', op: 'regex', path: 'a', source: '(', flags: '' } }],
    ['a negative limit', { limit: -1 }],
    ['a fractional skip', { skip: 1.5 }],
    ['a bad sort', { sort: [{ path: 'a', direction: 'up' }] }],
  ])('refuses %s with a QueryError', async (_what, ast) => {
    expect(() => parseQuery(ast)).toThrow(QueryError);
    await expect(async () => (await todos()).query(ast).exec()).rejects.toThrow(QueryError);
  });

  it('refuses a filter nested past 32 levels', () => {
    let filter: unknown = { kind: 'condition', op: 'eq', path: 'a', value: 1 };
    for (let i = 0; i < 40; i++) filter = { kind: 'or', filters: [filter, { kind: 'condition', op: 'eq', path: 'b', value: i }] };
    expect(() => parseQuery({ filter })).toThrow(/deeper than 32/);
  });
});

describe('bulk writes and change events', () => {
  it('says when an id repeats within one bulkInsert, rather than claiming it is stored', async () => {
    const c = await todos();
    const error = await c
      .bulkInsert([
        { _id: 'z', title: 'z', priority: 0, tags: [] },
        { _id: 'z', title: 'z2', priority: 0, tags: [] },
      ])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DuplicateKeyError);
    expect(error).toMatchObject({ repeatedInBatch: true, id: 'z', status: 409 });
    expect((error as Error).message).toMatch(/appears more than once/);
    expect(await c.get('z')).toBeNull();
  });

  it('hands listeners their own copy of each document', async () => {
    const db = await Database.create({ name: 'copy', storage: createMemoryStorage() });
    const c = db.collection<Todo>('todos');
    db.onChange((changes) => {
      for (const change of changes) if (change.type !== 'delete') (change.doc.tags as string[]).push('from-listener');
    });
    const inserted = await c.insert({ _id: 'a', title: 'A', priority: 1, tags: [] });
    expect(inserted.tags).toEqual([]);
    expect((await c.get('a'))!.tags).toEqual([]);
  });
});
