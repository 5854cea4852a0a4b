import { env } from 'cloudflare:test';
import {
  and,
  condition,
  Database,
  DuplicateKeyError,
  or,
  PocketError,
  QueryError,
  ValidationError,
  type Filter,
  type FilterBuilder,
  type FindQuery,
} from '@pocket/core';
import { evaluate } from '@pocket/core/adapter';
import { describe, expect, it, vi } from 'vitest';
import { expectEvaluatorResult } from '@pocket/core/testing';
import { createD1Storage, D1Error, d1SchemaSql, DEFAULT_SQL_LIMITS, initializeD1Schema } from '../src/index.js';
import { compileFind } from '../src/sql-compiler.js';
import type { D1DatabaseLike } from '../src/d1/d1-binding.js';

interface Todo {
  _id: string;
  title: string;
  completed: boolean;
  userId: string;
  priority?: number;
}

const todo = (i: number): Todo => ({
  _id: `t${String(i).padStart(5, '0')}`,
  title: `todo ${i}`,
  completed: i % 3 === 0,
  userId: `u${i % 100}`,
  priority: i % 10,
});

async function planOf(sql: string, params: unknown[]): Promise<string> {
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<{ detail: string }>();
  return results.map((r) => r.detail).join('\n');
}

async function tables(): Promise<string[]> {
  const { results } = await env.DB.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all<{ name: string }>();
  return results.map((r) => r.name);
}

describe('tables made from the documented migration', () => {
  it("are used as they are, given the change feed's columns and index on first use, and a hand-made expression index serves equality queries", async () => {
    await env.DB.batch([
      env.DB.prepare(`CREATE TABLE IF NOT EXISTS pocket_todos (
  _id TEXT PRIMARY KEY,
  data TEXT NOT NULL,
  created_at INTEGER DEFAULT (unixepoch()),
  updated_at INTEGER DEFAULT (unixepoch())
)`),
      env.DB.prepare(`CREATE INDEX IF NOT EXISTS idx_todos_created ON pocket_todos(json_extract(data, '$._id'))`),
      env.DB.prepare(`CREATE INDEX idx_todos_user ON pocket_todos(json_extract(data, '$.userId'))`),
      env.DB.prepare(`INSERT INTO pocket_todos (_id, data) VALUES ('pre', '{"_id":"pre","title":"made by hand","completed":false,"userId":"u1"}')`),
    ]);
    const db = await Database.create({ name: 'my-app', storage: createD1Storage({ database: env.DB }) });
    const todos = db.collection<Todo>('todos');
    // The first statement on the table is an insert: it must find the feed's columns missing and add them.
    await todos.insert({ _id: 'new', title: 'made by pocket', completed: false, userId: 'u1' });
    const columns = await env.DB.prepare(`SELECT name FROM pragma_table_info('pocket_todos')`).all<{ name: string }>();
    expect(columns.results.map((c) => c.name)).toEqual(['_id', 'data', 'created_at', 'updated_at', '_seq', '_deleted']);
    const feedIndex = await env.DB.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'pocket_todos:seq'`).all();
    expect(feedIndex.results).toHaveLength(1);
    const query = todos.find().where('userId').equals('u1').limit(100);
    expect((await query.exec()).map((t) => t._id).sort()).toEqual(['new', 'pre']);
    // A row written without a revision reads as revision 1.
    expect(await todos.get('pre')).toEqual({ _id: 'pre', title: 'made by hand', completed: false, userId: 'u1', _rev: 1 });
    const compiled = compileFind('"pocket_todos"', query.toQuery());
    expect(compiled.sql).toContain(`json_extract(data, '$.userId') = ?`);
    expect(await planOf(compiled.sql, compiled.params)).toContain('USING INDEX idx_todos_user');
    const row = await env.DB.prepare(`SELECT created_at, updated_at FROM pocket_todos WHERE _id = 'new'`).first<{ created_at: number }>();
    expect(row?.created_at).toBeGreaterThan(1_700_000_000);
  });
});

describe('filters with a regular expression', () => {
  const titles = ['Buy milk', 'buy bread', 'Call mum', 'Pay rent', 'BUY eggs'];
  const docs = titles.map((title, i) => ({ _id: `r${i}`, title, completed: i % 2 === 0, userId: `u${i % 2}`, priority: i }));
  // The documents as stored, each at its first revision: what the evaluator's answers are made of.
  const stored = docs.map((doc) => ({ ...doc, _rev: 1 }));
  const regex = condition.regex('title', '^buy', 'i');
  const query = (filter: FindQuery['filter'], limit: number | null = null): FindQuery => ({
    filter,
    sort: [{ path: 'priority', direction: 'desc' }],
    skip: 1,
    limit,
  });

  it('keeps the rest of an AND in the WHERE, where its index serves it', async () => {
    await initializeD1Schema(env.DB, { collections: ['todos'], tablePrefix: 're_', indexes: { todos: ['userId'] } });
    const compiled = compileFind('"re_todos"', query(and(regex, condition.eq('userId', 'u0'))));
    expect(compiled.sql).toMatch(
      /^SELECT data FROM "re_todos" WHERE _deleted IS NULL AND \(\(json_extract\(data, '\$\.userId'\) = \?\) AND CASE json_type\(data, '\$\.userId'\) .+ END = \?\) ORDER BY /,
    );
    expect(compiled.residual?.columns).toEqual([]);
    expect(await planOf(compiled.sql, compiled.params)).toContain('USING INDEX');
  });

  it('runs the parts of an OR that SQL can run as flags beside each row, and skips and limits after the regex', async () => {
    const storage = createD1Storage({ database: env.DB, tablePrefix: 're_' });
    const todos = (await Database.create({ name: 'regex', storage })).collection<Todo>('todos');
    await todos.bulkInsert(docs);
    const filters = [
      or(regex, condition.gte('priority', 3)),
      or(and(regex, condition.eq('completed', true))!, condition.eq('userId', 'u1')),
      and(or(regex, condition.eq('title', 'Pay rent')), condition.lt('priority', 4)),
      and(regex, or(condition.eq('userId', 'u1'), condition.exists('missing')))!,
      or(regex, condition.in('title', [])),
    ];
    const store = storage.collection('todos', { database: 'regex' });
    for (const filter of filters) {
      for (const limit of [null, 1]) {
        expect(await store.find(query(filter, limit)), JSON.stringify(filter)).toEqual(evaluate(query(filter, limit), stored));
      }
      expect(await store.count(filter), JSON.stringify(filter)).toBe(evaluate({ ...query(filter), skip: 0 }, stored).length);
    }
    const compiled = compileFind('"re_todos"', query(filters[0]!));
    expect(compiled.sql).toMatch(/^SELECT data, \(\(.+\) IS TRUE\) AS pocket_residual FROM "re_todos" WHERE _deleted IS NULL ORDER BY /);
    expect(compiled.sql).not.toContain('LIMIT');
  });

  it('runs 150 conditions beside a regex in one column (a result may have at most 100)', async () => {
    const storage = createD1Storage({ database: env.DB, tablePrefix: 're150_' });
    await (await Database.create({ name: 'regex', storage })).collection<Todo>('todos').bulkInsert(docs);
    const store = storage.collection('todos', { database: 'regex' });
    const filter = or(
      ...Array.from({ length: 150 }, (_, i) => and(condition.regex('title', `^${'BCP'[i % 3]}`, i % 2 ? 'i' : ''), condition.eq('priority', i % 5))!),
    );
    expect(await store.find(query(filter))).toEqual(evaluate(query(filter), stored));
    expect(await store.count(filter)).toBe(evaluate({ ...query(filter), skip: 0 }, stored).length);
    expect(await store.count(filter)).toBeGreaterThan(1);
  });

  it('refuses a hand-made regex node the builder would have refused, before any SQL runs', async () => {
    const store = createD1Storage({ database: env.DB, tablePrefix: 're_' }).collection('todos', { database: 'regex' });
    const nested = { kind: 'condition', op: 'regex', path: 'title', source: '(a+)+$', flags: '' } as const;
    await expect(store.find(query(nested))).rejects.toThrow(QueryError);
    await expect(store.count(or(nested, condition.eq('userId', 'u1')))).rejects.toThrow(/catastrophic backtracking/);
  });
});

describe("queries past D1's per-statement limits", () => {
  const items = (n: number) => Array.from({ length: n }, (_, i) => ({ _id: `i${i}`, n: i, tag: `t${i % 7}` }));
  // The documents as stored, each at its first revision.
  const asStored = <T extends object>(docs: T[]) => docs.map((doc) => ({ ...doc, _rev: 1 }));

  it('answers an OR of 1,000 conditions: values bound as one JSON array, the terms grouped', async () => {
    const storage = createD1Storage({ database: env.DB, tablePrefix: 'wide_' });
    const c = (await Database.create({ name: 'wide', storage })).collection<{ _id: string; n: number; tag: string }>('items');
    const docs = items(300);
    await c.bulkInsert(docs);
    // Each term binds one or two values, and SQLite would parse 1,000 ORs as an expression 1,000 deep.
    for (const [terms, both] of [
      [100, true],
      [101, true],
      [400, true],
      [1000, false],
    ] as const) {
      const term = (i: number) => (q: FilterBuilder<{ _id: string; n: number; tag: string }>) =>
        both
          ? q
              .where('n')
              .equals(i * 3)
              .where('tag')
              .notEquals('t1')
          : q.where('n').equals(i * 3);
      const query = c.find().or(...Array.from({ length: terms }, (_, i) => term(i)));
      const expected = evaluate(query.toQuery(), docs);
      expect(expected.length).toBeGreaterThan(25);
      expectEvaluatorResult(await query.exec(), query.toQuery(), asStored(docs), `${terms} terms`);
      expect(await query.count()).toBe(expected.length);
    }
  });

  it('answers and/or groups nested 8 deep with 16 conditions at each level', async () => {
    const storage = createD1Storage({ database: env.DB, tablePrefix: 'deep_' });
    const c = (await Database.create({ name: 'deep', storage })).collection<{ _id: string; n: number; tag: string }>('items');
    const docs = items(300);
    await c.bulkInsert(docs);
    // Each level: the level below, then 15 conditions; levels alternate between or and and.
    let filter: Filter = condition.eq('tag', 't3');
    for (let level = 0; level < 8; level++) {
      const leaves = Array.from({ length: 15 }, (_, i) => (level % 2 === 0 ? condition.eq('n', level * 15 + i) : condition.ne('n', level * 15 + i)));
      filter = level % 2 === 0 ? or(filter, ...leaves) : and(filter, ...leaves)!;
    }
    const store = storage.collection('items', { database: 'deep' });
    const query: FindQuery = { filter, sort: [], skip: 0, limit: null };
    expectEvaluatorResult(await store.find(query), query, asStored(docs), 'nested groups');
    expect(evaluate(query, docs).length).toBeGreaterThan(10);
  });

  it('answers in() over 200 objects, each compared on its own', async () => {
    type Pair = { _id: string; at: { x: number; y: number } };
    const c = (await Database.create({ name: 'pairs', storage: createD1Storage({ database: env.DB, tablePrefix: 'pairs_' }) })).collection<Pair>('items');
    const docs = Array.from({ length: 100 }, (_, i) => ({ _id: `p${String(i).padStart(3, '0')}`, at: { x: i, y: i % 4 } }));
    await c.bulkInsert(docs);
    const wanted = Array.from({ length: 200 }, (_, i) => ({ x: i, y: i % 4 === 0 ? 0 : 9 }));
    expect((await c.find().where('at').in(wanted).sort('_id').exec()).map((d) => d._id)).toEqual(docs.filter((d) => d.at.y === 0).map((d) => d._id));
  });

  it('keeps using an index when the values are packed', async () => {
    await initializeD1Schema(env.DB, { collections: ['todos'], tablePrefix: 'packplan_', indexes: { todos: ['userId'] } });
    const compiled = compileFind(
      '"packplan_todos"',
      { filter: condition.eq('userId', 'u1'), sort: [], skip: 0, limit: 10 },
      { ...DEFAULT_SQL_LIMITS, maxBoundParameters: 0 },
    );
    expect(compiled.sql).toContain(`json_extract(data, '$.userId') = json_extract(?1, '$[0]')`);
    expect(compiled.params).toEqual(['["u1","u1"]']); // the condition's value, and its sort key's
    expect(await planOf(compiled.sql, compiled.params)).toContain('USING INDEX packplan_todos_userId');
  });

  it('refuses a query whose SQL is longer than a statement may be, with a QueryError', async () => {
    const c = (await Database.create({ name: 'long', storage: createD1Storage({ database: env.DB, tablePrefix: 'long_' }) })).collection<{
      _id: string;
      n: number;
    }>('items');
    const query = c.find().or(...Array.from({ length: 3000 }, (_, i) => (q: FilterBuilder<{ _id: string; n: number }>) => q.where('n').equals(i)));
    const error = await query.exec().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueryError);
    expect((error as QueryError).message).toMatch(
      /^This query's SQL is \d+ bytes, over the 100000 a statement may have: match lists of values with in\(\[\.\.\.\]\), or split the query\.$/,
    );
    // The same values as a list are one parameter.
    expect(
      await c
        .find()
        .where('n')
        .in(Array.from({ length: 3000 }, (_, i) => i))
        .exec(),
    ).toEqual([]);
  });
});

describe('projections', () => {
  it('selects the fields in SQL, as JSON text, and leaves out the missing ones', async () => {
    const c = (await Database.create({ name: 'proj', storage: createD1Storage({ database: env.DB, tablePrefix: 'proj_' }) })).collection('items');
    await c.bulkInsert([
      { _id: 'a', title: 'A', big: 'x'.repeat(5000), nested: { n: 1.5, s: [true, null] }, nothing: null },
      { _id: 'b', big: 'y' },
    ]);
    const query = c.find().sort('_id').select('title', 'nested', 'nothing');
    const compiled = compileFind('"proj_items"', query.toQuery());
    expect(compiled.sql).toMatch(
      /^SELECT _id, coalesce\(data ->> '\$\._rev', 1\) AS _rev, data -> '\$\.title' AS p0, data -> '\$\.nested' AS p1, data -> '\$\.nothing' AS p2 FROM "proj_items" WHERE _deleted IS NULL ORDER BY _id$/,
    );
    expect(await query.exec()).toStrictEqual([
      { _id: 'a', _rev: 1, title: 'A', nested: { n: 1.5, s: [true, null] }, nothing: null },
      { _id: 'b', _rev: 1 },
    ]);
    const { results } = await env.DB.prepare(compiled.sql)
      .bind(...compiled.params)
      .all<Record<string, unknown>>();
    expect(JSON.stringify(results).length).toBeLessThan(200); // the 5,000-character field stayed in D1
  });
});

describe('schema', () => {
  it('creates tables lazily, and initializeD1Schema declares indexes up front', async () => {
    const db = await Database.create({ name: 'x', storage: createD1Storage({ database: env.DB, tablePrefix: 'lazy_' }) });
    expect(await tables()).not.toContain('lazy_notes');
    // A read of a collection without a table finds nothing and creates nothing; the first write creates it.
    expect(await db.collection('notes').count()).toBe(0);
    expect(await db.collection('notes').find().exec()).toEqual([]);
    expect(await db.collection('notes').get('n')).toBeNull();
    expect(await tables()).not.toContain('lazy_notes');
    await db.collection('notes').insert({ _id: 'n' });
    expect(await tables()).toContain('lazy_notes');

    await initializeD1Schema(env.DB, { collections: ['todos', 'users'], tablePrefix: 'init_', indexes: { todos: ['userId', ['completed', 'priority']] } });
    await initializeD1Schema(env.DB, { collections: ['todos', 'users'], tablePrefix: 'init_', indexes: { todos: ['userId'] } }); // idempotent
    expect(await tables()).toEqual(expect.arrayContaining(['init_todos', 'init_users']));
    const todos = (await Database.create({ name: 'x', storage: createD1Storage({ database: env.DB, tablePrefix: 'init_' }) })).collection<Todo>('todos');
    await todos.bulkInsert(Array.from({ length: 50 }, (_, i) => todo(i)));
    const compound = compileFind('"init_todos"', todos.find().where('completed').equals(true).where('priority').gt(5).toQuery());
    expect(await planOf(compound.sql, compound.params)).toContain('USING INDEX init_todos_completed__priority');
    expect(await todos.find().where('completed').equals(true).where('priority').gt(5).count()).toBe(
      Array.from({ length: 50 }, (_, i) => todo(i)).filter((t) => t.completed && t.priority! > 5).length,
    );
  });

  it('creates declared indexes on a table that already exists, once per binding in the isolate', async () => {
    await env.DB.exec(
      `CREATE TABLE ensure_todos (_id TEXT PRIMARY KEY, data TEXT NOT NULL, created_at INTEGER DEFAULT (unixepoch()), updated_at INTEGER DEFAULT (unixepoch()))`,
    );
    await env.DB.prepare(`INSERT INTO ensure_todos (_id, data) VALUES ('a', '{"_id":"a","userId":"u1","createdAt":1}')`).run();
    const statements: string[] = [];
    const binding: D1DatabaseLike = {
      prepare: (sql) => (statements.push(sql), env.DB.prepare(sql)),
      batch: (batch) => env.DB.batch(batch as D1PreparedStatement[]),
    };
    const indexes = { todos: [['userId', { path: 'createdAt', direction: 'desc' as const }]] };
    const open = async () =>
      (await Database.create({ name: 'x', storage: createD1Storage({ database: binding, tablePrefix: 'ensure_', indexes }) })).collection('todos');
    expect(await (await open()).find().where('userId').equals('u1').exec()).toEqual([{ _id: 'a', userId: 'u1', createdAt: 1, _rev: 1 }]);
    const { results } = await env.DB.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ensure_todos' AND sql IS NOT NULL`).all<{
      name: string;
    }>();
    expect(results.map((r) => r.name).sort()).toEqual([
      'ensure_todos:deleted',
      'ensure_todos:seq',
      expect.stringMatching(/^ensure_todos_userId__createdAt_desc_/),
    ]);
    // The declared index twice: it holds live rows only, so on a table that predates the change
    // feed its first try names a column the table lacks; then the columns and feed index once, and
    // the declared index again. Never again in this isolate.
    expect(statements.filter((sql) => sql.startsWith('CREATE INDEX') && !sql.includes(':seq') && !sql.includes(':deleted'))).toHaveLength(2);
    expect(statements.filter((sql) => sql.startsWith('ALTER') || sql.includes(':seq"') || sql.includes(':deleted"'))).toEqual([
      'ALTER TABLE "ensure_todos" ADD COLUMN _seq INTEGER',
      'ALTER TABLE "ensure_todos" ADD COLUMN _deleted INTEGER',
      'CREATE INDEX IF NOT EXISTS "ensure_todos:seq" ON "ensure_todos" (_seq)',
      'CREATE INDEX IF NOT EXISTS "ensure_todos:deleted" ON "ensure_todos" (_deleted) WHERE _deleted IS NOT NULL',
    ]);
    // A new adapter on the same binding, as a Worker makes per request: no DDL again.
    statements.length = 0;
    await (await open()).insert({ _id: 'b', userId: 'u2', createdAt: 2 });
    expect(await (await open()).count()).toBe(2);
    expect(statements.some((sql) => sql.startsWith('CREATE') || sql.startsWith('ALTER'))).toBe(false);
  });

  it('sends declared indexes once for a collection without a table, and works on when one cannot be built', async () => {
    const statements: string[] = [];
    const binding: D1DatabaseLike = {
      prepare: (sql) => (statements.push(sql), env.DB.prepare(sql)),
      batch: (batch) => env.DB.batch(batch as D1PreparedStatement[]),
    };
    const open = async (prefix: string) =>
      (
        await Database.create({
          name: 'x',
          storage: createD1Storage({ database: binding, tablePrefix: prefix, indexes: { todos: [{ path: 'at', direction: 'desc' }] } }),
        })
      ).collection('todos');
    for (let i = 0; i < 3; i++) expect(await (await open('ghost_')).find().sort('at', 'desc').limit(5).exec()).toEqual([]);
    expect(statements.filter((sql) => sql.startsWith('CREATE'))).toHaveLength(1);
    // Made meanwhile by someone else (a migration of the first release): the next write adds the
    // declared index, and the change feed's columns and index.
    await env.DB.exec(
      `CREATE TABLE ghost_todos (_id TEXT PRIMARY KEY, data TEXT NOT NULL, created_at INTEGER DEFAULT (unixepoch()), updated_at INTEGER DEFAULT (unixepoch()))`,
    );
    await (await open('ghost_')).insert({ _id: 'g', at: 1 });
    const ghostIndexes = await env.DB.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ghost_todos' AND sql IS NOT NULL`).all<{
      name: string;
    }>();
    expect(ghostIndexes.results.map((r) => r.name).sort()).toEqual(['ghost_todos:deleted', 'ghost_todos:seq', expect.stringMatching(/^ghost_todos_at_desc_/)]);

    // A row that is not JSON (written by other code) makes the index fail to build: every
    // operation still runs, and the reason is logged.
    await env.DB.exec(
      `CREATE TABLE notjson_todos (_id TEXT PRIMARY KEY, data TEXT NOT NULL, created_at INTEGER DEFAULT (unixepoch()), updated_at INTEGER DEFAULT (unixepoch()))`,
    );
    await env.DB.prepare(`INSERT INTO notjson_todos (_id, data) VALUES ('bad', 'not json'), ('good', '{"_id":"good","at":1}')`).run();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const todos = await open('notjson_');
    expect(await todos.get('good')).toEqual({ _id: 'good', at: 1, _rev: 1 });
    expect(await todos.insert({ _id: 'new', at: 2 })).toEqual({ _id: 'new', at: 2, _rev: 1 });
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('the declared indexes of notjson_todos could not be created'), expect.stringMatching(/JSON/i));
    warn.mockRestore();
  });

  it('gives the DDL as SQL text for a migration file', () => {
    const sql = d1SchemaSql({ collections: ['todos'], indexes: { todos: ['userId'] } });
    expect(sql).toBe(
      `CREATE TABLE IF NOT EXISTS "pocket_todos" (_id TEXT PRIMARY KEY, data TEXT NOT NULL, created_at INTEGER DEFAULT (unixepoch()), updated_at INTEGER DEFAULT (unixepoch()), _seq INTEGER, _deleted INTEGER);\n` +
        `CREATE INDEX IF NOT EXISTS "pocket_todos:seq" ON "pocket_todos" (_seq);\n` +
        `CREATE INDEX IF NOT EXISTS "pocket_todos:deleted" ON "pocket_todos" (_deleted) WHERE _deleted IS NOT NULL;\n` +
        `CREATE INDEX IF NOT EXISTS "pocket_todos_userId_24bbjo" ON "pocket_todos" (CASE json_type(data, '$.userId') WHEN 'object' THEN CAST(x'01' || json_extract(data, '$.userId') AS BLOB) WHEN 'array' THEN CAST(x'02' || json_extract(data, '$.userId') AS BLOB) WHEN 'true' THEN x'0301' WHEN 'false' THEN x'0300' ELSE ifnull(json_extract(data, '$.userId'), -9e999) END, _id) WHERE _deleted IS NULL;\n`,
    );
    expect(d1SchemaSql({ collections: ['todos'], indexes: { todos: [['userId', { path: 'createdAt', direction: 'desc' }]] } })).toMatch(
      /"pocket_todos_userId__createdAt_desc_[0-9a-z]+" ON "pocket_todos" \(CASE json_type\(data, '\$\.userId'\) .+ END, CASE json_type\(data, '\$\.createdAt'\) .+ END DESC, _id\) WHERE _deleted IS NULL;\n$/,
    );
    for (const bad of [[[]], [42], [{ path: 'a', direction: 'down' }], [['a', { path: 'b"c' }]], ['a\u0000b']]) {
      expect(() => d1SchemaSql({ collections: ['todos'], indexes: { todos: bad as never } }), JSON.stringify(bad)).toThrow(ValidationError);
    }
    expect(() => d1SchemaSql({ collections: ['todos'], indexes: { users: ['x'] } })).toThrow(/not in collections/);
  });
});

describe('multi-tenant prefixes', () => {
  it('keeps tenants apart', async () => {
    const forTenant = (id: string) => Database.create({ name: `tenant-${id}`, storage: createD1Storage({ database: env.DB, tablePrefix: `tenant_${id}_` }) });
    const a = (await forTenant('acme')).collection<Todo>('todos');
    const b = (await forTenant('globex')).collection<Todo>('todos');
    await a.insert(todo(1));
    await b.insert({ ...todo(2), _id: todo(1)._id });
    expect((await a.find().exec()).map((t) => t.title)).toEqual(['todo 1']);
    expect((await b.find().exec()).map((t) => t.title)).toEqual(['todo 2']);
    expect(await tables()).toEqual(expect.arrayContaining(['tenant_acme_todos', 'tenant_globex_todos']));
  });

  it.each([`x"; DROP TABLE pocket_todos; --`, `a b`, `o'brien_`, `../`, `é_`, 'x'.repeat(65), 'sqlite_', '_cf_KV', 42, null])(
    'rejects the table prefix %j before any SQL runs',
    (prefix) => {
      expect(() => createD1Storage({ database: env.DB, tablePrefix: prefix as string })).toThrow(ValidationError);
    },
  );
});

describe('hostile input', () => {
  it('binds values and quotes field paths, so nothing reaches SQL as code', async () => {
    const db = await Database.create({ name: 'h', storage: createD1Storage({ database: env.DB, tablePrefix: 'hostile_' }) });
    const docs = db.collection('docs');
    const evil = `'); DROP TABLE hostile_docs; --`;
    await docs.insert({ _id: evil, [evil]: evil, note: `" OR 1=1 --` });
    expect(await docs.find().where(evil).equals(evil).count()).toBe(1);
    expect(await docs.find().where('note').equals(`' OR 1=1 --`).count()).toBe(0);
    expect(await docs.find().where('note').startsWith(`"`).count()).toBe(1);
    expect(await docs.get(evil)).toMatchObject({ note: `" OR 1=1 --` });
    expect(await tables()).toContain('hostile_docs');
    expect(() => docs.find().where('a"b').equals(1)).toThrow(QueryError);
    expect(() => docs.find().where('a\\b').equals(1)).toThrow(QueryError);
    expect(() => db.collection('todos; DROP TABLE x')).toThrow(ValidationError);
  });
});

describe('limits', () => {
  it('inserts 5,000 documents in one call and matches a 1,000-value in()', async () => {
    const db = await Database.create({ name: 'l', storage: createD1Storage({ database: env.DB, tablePrefix: 'limits_' }) });
    const todos = db.collection<Todo>('todos');
    const all = Array.from({ length: 5000 }, (_, i) => todo(i));
    await todos.bulkInsert(all);
    expect(await todos.count()).toBe(5000);
    const ids = all.filter((_, i) => i % 5 === 0).map((t) => t._id);
    expect(ids).toHaveLength(1000);
    expect(await todos.find().where('_id').in(ids).count()).toBe(1000);
    expect(await todos.find().where('_id').notIn(ids).count()).toBe(4000);
    expect(await todos.bulkDelete(ids)).toBe(1000);
    const updated = await todos.bulkUpdate(
      all
        .slice(1, 1001)
        .filter((_, i) => i % 5 !== 4)
        .map((t) => ({ id: t._id, changes: { completed: true } })),
    );
    expect(updated.every((t) => t.completed)).toBe(true);
  });

  it('splits a large bulk insert into several statements that still commit together', async () => {
    const todos = (
      await Database.create({ name: 'l', storage: createD1Storage({ database: env.DB, tablePrefix: 'chunks_', limits: { maxPackedBytes: 2_000 } }) })
    ).collection<Todo>('todos');
    await todos.insert(todo(999));
    const batch = Array.from({ length: 200 }, (_, i) => todo(i)).concat(todo(999));
    await expect(todos.bulkInsert(batch)).rejects.toBeInstanceOf(DuplicateKeyError);
    expect(await todos.count()).toBe(1);
    await todos.bulkInsert(batch.slice(0, 200));
    expect(await todos.count()).toBe(201);
  });

  it('rejects an oversized document before anything of its batch is written', async () => {
    const todos = (await Database.create({ name: 'l', storage: createD1Storage({ database: env.DB, tablePrefix: 'big_' }) })).collection('todos');
    const big = { _id: 'big', blob: 'x'.repeat(2_000_001) };
    await expect(todos.bulkInsert([{ _id: 'small' }, big])).rejects.toThrow(/bytes as JSON; the limit/);
    await expect(todos.insert(big)).rejects.toBeInstanceOf(ValidationError);
    expect(await todos.count()).toBe(0);
    await todos.insert({ _id: 'fits', blob: 'x'.repeat(1_900_000) });
    expect(((await todos.get('fits'))!.blob as string).length).toBe(1_900_000);
  });
});

describe('writes', () => {
  it('applies parallel patches to one document without losing any field', async () => {
    const docs = (await Database.create({ name: 'c', storage: createD1Storage({ database: env.DB, tablePrefix: 'conc_' }) })).collection('counters');
    await docs.insert({ _id: 'one' });
    await Promise.all(Array.from({ length: 20 }, (_, i) => docs.update('one', { [`f${i}`]: i })));
    const doc = await docs.get('one');
    expect(Object.keys(doc!).length).toBe(22); // _id, the 20 fields and _rev
    for (let i = 0; i < 20; i++) expect(doc![`f${i}`]).toBe(i);
    // The insert and 20 updates: revision 21, no raise lost.
    expect(doc!._rev).toBe(21);
  });

  it('keeps JSON types through patches (true stays true, strings stay strings, nested objects stay objects)', async () => {
    const docs = (await Database.create({ name: 'c', storage: createD1Storage({ database: env.DB, tablePrefix: 'types_' }) })).collection('docs');
    await docs.insert({ _id: 'a', keep: { deep: [1, 'two', null] } });
    const patch = { t: true, f: false, n: null, s: '{"looks":"like json"}', num: 1.5, obj: { x: [true] }, 'odd key.with dot': 1, "it's": 2 };
    expect(await docs.update('a', patch)).toEqual({ _id: 'a', keep: { deep: [1, 'two', null] }, ...patch, _rev: 2 });
    expect(await docs.get('a')).toEqual({ _id: 'a', keep: { deep: [1, 'two', null] }, ...patch, _rev: 2 });
  });

  it('with useBatch: false runs statements one by one, so a failure leaves earlier ones applied', async () => {
    const storage = createD1Storage({ database: env.DB, tablePrefix: 'nobatch_', useBatch: false, limits: { maxPackedBytes: 500 } });
    expect(storage.capabilities.atomicWrites).toBe(false);
    const todos = (await Database.create({ name: 'n', storage })).collection<Todo>('todos');
    await todos.insert(todo(50));
    await expect(todos.bulkInsert(Array.from({ length: 51 }, (_, i) => todo(i)))).rejects.toBeInstanceOf(DuplicateKeyError);
    const written = await todos.count();
    expect(written).toBeGreaterThan(1);
    expect(written).toBeLessThan(51);
  });
});

describe('errors', () => {
  it('wraps failures of the binding in D1Error with the operation, message and cause', async () => {
    await env.DB.prepare(`CREATE TABLE broken_todos (x TEXT)`).run();
    const todos = (await Database.create({ name: 'e', storage: createD1Storage({ database: env.DB, tablePrefix: 'broken_' }) })).collection('todos');
    const error = await todos
      .find()
      .exec()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(D1Error);
    expect(error).toBeInstanceOf(PocketError);
    const d1 = error as D1Error;
    expect(d1.operation).toBe('find');
    expect(d1.d1Message).toMatch(/no such column: data/);
    expect(d1.message).toMatch(/^D1: find failed: .*no such column: data/);
    expect(d1.retryable).toBe(false);
    expect(d1.status).toBe(503);
    expect(d1.cause).toBeInstanceOf(Error);
  });

  it('rejects a missing or wrong binding with a message that says what to pass', () => {
    expect(() => createD1Storage({ database: undefined as never })).toThrow(/Pass env\.DB/);
    expect(() => createD1Storage({ database: {} as never })).toThrow(ValidationError);
  });

  it('rejects limits that are not whole numbers, or not limits at all', () => {
    const limits = (value: unknown) => () => createD1Storage({ database: env.DB, limits: value as never });
    expect(limits({ maxDocumentBytes: 0 })).toThrow('createD1Storage(): limits.maxDocumentBytes must be a whole number of 1 or more, got number 0.');
    expect(limits({ maxBoundParameters: -1 })).toThrow('createD1Storage(): limits.maxBoundParameters must be a whole number of 0 or more, got number -1.');
    expect(limits(null)).not.toThrow();
    expect(limits({ maxBoundParameters: 1.5 })).toThrow(/limits\.maxBoundParameters must be a whole number/);
    expect(limits({ maxPackedBytes: '1000' })).toThrow(/got a string/);
    expect(limits({ maxRowBytes: 10 })).toThrow(
      'createD1Storage(): unknown limit "maxRowBytes"; the limits are maxDocumentBytes, maxPackedBytes, maxStatementBytes, maxBoundParameters.',
    );
    expect(limits(5)).toThrow('createD1Storage(): limits must be an object, got number 5.');
    expect(limits({ maxDocumentBytes: 10_000 })).not.toThrow();
  });
});

describe('declared indexes', () => {
  it('gets distinct names for fields that would read alike', async () => {
    await initializeD1Schema(env.DB, { collections: ['docs'], tablePrefix: 'names_', indexes: { docs: ['a.b', 'a_b', 'userId', 'userid'] } });
    const { results } = await env.DB.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'names_docs' AND sql IS NOT NULL`).all<{
      name: string;
    }>();
    // The change feed's index, and the four declared ones, none taken for another.
    const names = results.map((r) => r.name);
    expect(names).toContain('names_docs:seq');
    expect(names).toContain('names_docs:deleted');
    expect(names.filter((name) => name !== 'names_docs:seq' && name !== 'names_docs:deleted')).toHaveLength(4);
  });
});
