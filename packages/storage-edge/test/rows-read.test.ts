// What sorted and limited queries read, from the backend's own counters: D1's `meta.rows_read`
// and the SQLite cursor's `rowsRead` in a Durable Object. Each query is also run as the SQL a
// developer would write by hand against a plain index, and its result checked against core's
// evaluator.
import { env } from 'cloudflare:test';
import { Database, type FindQuery, type StorageAdapter, type StoredDocument } from '@pocket/core';
import { evaluate } from '@pocket/core/adapter';
import { expectEvaluatorResult } from '@pocket/core/testing';
import { describe, expect, it } from 'vitest';
import { createD1Storage, createDurableObjectSqlStorage, d1SchemaSql, type D1Indexes } from '../src/index.js';
import type { D1DatabaseLike, D1ResultLike, D1StatementLike } from '../src/d1/d1-binding.js';
import { inObject } from './do-helpers.js';

interface Todo {
  _id: string;
  userId: string;
  createdAt?: number | string | null;
  title: string;
  priority: number;
}

const USERS = 50;
/** 5,000 todos of 50 users, created a second apart, inserted in no particular order. */
function todos(): Todo[] {
  const docs: Todo[] = Array.from({ length: 5000 }, (_, i) => {
    const n = (i * 7919) % 5000;
    return { _id: `t${String(n).padStart(4, '0')}`, userId: `u${n % USERS}`, createdAt: 1_700_000_000 + n, title: `todo ${n}`, priority: n % 5 };
  });
  // A few values of other types, which the type order puts before or after every number.
  docs[10]!.createdAt = 'yesterday';
  docs[11]!.createdAt = null;
  delete docs[12]!.createdAt;
  return docs;
}

/** The documents as stored, each at its first revision: what the evaluator's answers are made of. */
const asStored = (docs: Todo[]): StoredDocument[] => docs.map((doc) => ({ ...doc, _rev: 1 }) as unknown as StoredDocument);

/** The declared indexes' DDL from d1SchemaSql(), without the table's and the change feed's. */
const declaredIndexSql = (indexes: D1Indexes, prefix: string): string[] =>
  d1SchemaSql({ collections: ['todos'], tablePrefix: prefix, indexes })
    .split(';\n')
    .filter((sql) => sql.startsWith('CREATE INDEX') && !sql.includes(':seq"') && !sql.includes(':deleted"'));

/** A backend: Pocket's storage over it, and a way to run SQL by hand and read what it read. */
interface Backend {
  storage(indexes: D1Indexes): StorageAdapter;
  /** Runs SQL by hand, as a developer would. */
  raw(sql: string, ...params: unknown[]): Promise<{ rows: unknown[]; rowsRead: number }>;
  /** Rows read by the statements Pocket sent since the last call. */
  takeRowsRead(): number;
}

interface Case {
  name: string;
  query: FindQuery;
  /** The statement a developer would write, with the index it needs. */
  raw: { sql: string; params: unknown[]; index: string };
  /** The sort goes against the declared index's direction. */
  against?: true;
}

const field = (path: string) => `json_extract(data, '$.${path}')`;
const limit20 = (query: Partial<FindQuery>): FindQuery => ({ filter: null, sort: [], skip: 0, limit: 20, ...query });
const cases = (table: string): Case[] => [
  {
    name: 'newest 20 by one field',
    query: limit20({ sort: [{ path: 'createdAt', direction: 'desc' }] }),
    raw: { sql: `SELECT data FROM ${table} ORDER BY ${field('createdAt')} DESC LIMIT 20`, params: [], index: `(${field('createdAt')})` },
  },
  {
    name: "one user's newest 20, on a compound index",
    query: limit20({ filter: { kind: 'condition', op: 'eq', path: 'userId', value: 'u7' }, sort: [{ path: 'createdAt', direction: 'desc' }] }),
    raw: {
      sql: `SELECT data FROM ${table} WHERE ${field('userId')} = ? ORDER BY ${field('createdAt')} DESC LIMIT 20`,
      params: ['u7'],
      index: `(${field('userId')}, ${field('createdAt')})`,
    },
  },
  {
    name: 'a range and a sort on the same field, against the index',
    against: true,
    query: limit20({ filter: { kind: 'condition', op: 'gt', path: 'createdAt', value: 1_700_002_000 }, sort: [{ path: 'createdAt', direction: 'asc' }] }),
    raw: {
      sql: `SELECT data FROM ${table} WHERE ${field('createdAt')} > ? ORDER BY ${field('createdAt')} LIMIT 20`,
      params: [1_700_002_000],
      index: `(${field('createdAt')})`,
    },
  },
  {
    name: 'the same range, newest first',
    query: limit20({ filter: { kind: 'condition', op: 'gt', path: 'createdAt', value: 1_700_002_000 }, sort: [{ path: 'createdAt', direction: 'desc' }] }),
    raw: {
      sql: `SELECT data FROM ${table} WHERE ${field('createdAt')} > ? ORDER BY ${field('createdAt')} DESC LIMIT 20`,
      params: [1_700_002_000],
      index: `(${field('createdAt')})`,
    },
  },
];

/** Pocket's declared indexes for the cases above: what docs/d1.md tells users to declare. */
const DECLARED: D1Indexes = { todos: [{ path: 'createdAt', direction: 'desc' }, ['userId', { path: 'createdAt', direction: 'desc' }]] };

async function checkReads(backend: Backend, prefix: string): Promise<void> {
  const docs = todos();
  const stored = asStored(docs);
  const c = (await Database.create({ name: 'reads', storage: backend.storage(DECLARED) })).collection<Todo>('todos');
  await c.bulkInsert(docs);
  const store = backend.storage(DECLARED).collection('todos', { database: 'reads' });
  const table = `${prefix}todos`;
  for (const { name, query, raw, against } of cases(table)) {
    backend.takeRowsRead();
    const found = await store.find(query);
    const pocket = backend.takeRowsRead();
    expectEvaluatorResult(found, query, stored, name);
    expect(found).toHaveLength(20);
    // By hand, on a table with just the plain index the statement needs.
    const plain = `plain_${name.replace(/\W+/g, '_')}`;
    await backend.raw(`CREATE INDEX ${plain} ON ${table} ${raw.index}`);
    const byHand = await backend.raw(raw.sql, ...raw.params);
    await backend.raw(`DROP INDEX ${plain}`);
    expect(byHand.rows).toHaveLength(20);
    // Where the index holds ties in order (by _id ascending), Pocket reads what it returns, as
    // the SQL by hand does. Against the index's direction SQLite sorts each run of ties, and
    // counts the rows its sorter hands back too: about twice what it returns (and the range,
    // entered at its bound value itself, may read one row more).
    const message = `${name}: Pocket read ${pocket} rows, the SQL by hand ${byHand.rowsRead}`;
    if (against) expect(pocket, message).toBeLessThanOrEqual(2 * byHand.rowsRead + 2);
    else expect(pocket, message).toBe(byHand.rowsRead);
  }

  // Cursor pages: each page seeks to where the last one ended, so page 10 reads what page 1 does
  // (its 20 rows, the one that tells whether another page follows, and the one that ends the range).
  const c2 = (await Database.create({ name: 'reads', storage: backend.storage(DECLARED) })).collection<Todo>('todos');
  for (const base of [c2.find().sort('createdAt', 'desc'), c2.find().where('userId').equals('u7').sort('createdAt', 'desc'), c2.find()]) {
    const pageQuery = base.limit(20);
    let page = await pageQuery.page();
    const seen = [...page.docs];
    for (let n = 2; n <= 4 && page.next !== null; n++) {
      backend.takeRowsRead();
      page = await pageQuery.after(page.next).page();
      const read = backend.takeRowsRead();
      expect(read, `page ${n} of ${JSON.stringify(base.toQuery())}`).toBeLessThanOrEqual(23);
      seen.push(...page.docs);
    }
    const query = {
      ...base.toQuery(),
      sort: base.toQuery().sort.length > 0 ? base.toQuery().sort : [{ path: '_id', direction: 'asc' as const }],
      limit: seen.length,
    };
    expectEvaluatorResult(seen, query, stored, `pages of ${JSON.stringify(base.toQuery())}`);
  }

  // An index serves a sort in its own direction exactly, and the other direction with SQLite
  // sorting the ties (ties go by _id ascending either way): about twice the rows returned, still
  // not the table.
  const [ascendingIndex] = declaredIndexSql({ todos: ['createdAt'] }, prefix);
  await backend.raw(ascendingIndex!);
  const dropped = declaredIndexSql(DECLARED, prefix);
  expect(dropped).toHaveLength(2);
  for (const sql of dropped) {
    await backend.raw(sql.replace('CREATE INDEX IF NOT EXISTS', 'DROP INDEX').replace(/ ON .*/s, ''));
  }
  const ascending = backend.storage({}).collection('todos', { database: 'reads' });
  for (const direction of ['asc', 'desc'] as const) {
    const query = limit20({ sort: [{ path: 'createdAt', direction }] });
    backend.takeRowsRead();
    expectEvaluatorResult(await ascending.find(query), query, stored, `asc index, ${direction} sort`);
    expect(backend.takeRowsRead(), `asc index, ${direction} sort`).toBeLessThanOrEqual(direction === 'asc' ? 20 : 41);
  }

  // A query no index serves reads the table once, as it always has.
  const unserved = limit20({ filter: { kind: 'condition', op: 'eq', path: 'priority', value: 3 }, sort: [{ path: 'title', direction: 'desc' }] });
  backend.takeRowsRead();
  expectEvaluatorResult(await store.find(unserved), unserved, stored, 'unserved');
  const matches = evaluate({ ...unserved, limit: null }, docs).length;
  const read = backend.takeRowsRead();
  expect(read).toBeGreaterThanOrEqual(docs.length);
  expect(read, 'a scan, plus the sorter handing back what it kept').toBeLessThanOrEqual(docs.length + matches);
}

/** The seed page's own query, `where('userId').equals(…).limit(20)`, with its own plain index. */
async function checkSeedQuery(backend: Backend, prefix: string): Promise<void> {
  const docs = todos();
  const stored = asStored(docs);
  const storage = backend.storage({});
  const c = (await Database.create({ name: 'seed', storage })).collection<Todo>('todos');
  await c.bulkInsert(docs);
  await backend.raw(`CREATE INDEX idx_todos_user ON ${prefix}todos(json_extract(data, '$.userId'))`);
  const query = c.find().where('userId').equals('u1').limit(20);
  backend.takeRowsRead();
  expectEvaluatorResult(await query.exec(), query.toQuery(), stored, 'seed query');
  expect(backend.takeRowsRead()).toBe(20);
  // And `find().limit(100)`, the guide's "always limit at the edge", reads 100 rows, not the table.
  expect(await c.find().limit(100).exec()).toHaveLength(100);
  expect(backend.takeRowsRead()).toBe(100);
}

/**
 * The change feed and tombstones, by rows read: 2,000 documents, 1,800 of them deleted and 100
 * of the rest updated. A pull of 100 changes reads about 100 rows, wherever it starts; a query a
 * declared index serves never reads a tombstone (the index holds live rows only).
 */
async function checkFeedAndTombstones(backend: Backend): Promise<void> {
  const c = (await Database.create({ name: 'feed', storage: backend.storage({ todos: [['userId', 'createdAt']] }) })).collection<Todo>('todos');
  const docs = Array.from({ length: 2000 }, (_, i) => ({ _id: `t${String(i).padStart(4, '0')}`, userId: `u${i % 7}`, createdAt: i, title: `todo ${i}` }));
  await c.bulkInsert(docs as unknown as Todo[]);
  const afterInserts = (await c.changes({ limit: 10_000 })).checkpoint;
  await c.bulkDelete(docs.filter((_, i) => i % 10 !== 0).map((d) => d._id));
  const afterDeletes = (await c.changes({ since: afterInserts, limit: 10_000 })).checkpoint;
  await c.bulkUpdate(
    docs
      .filter((_, i) => i % 10 === 0)
      .slice(0, 100)
      .map((d) => ({ id: d._id, changes: { title: 'changed' } })),
  );
  backend.takeRowsRead();

  const pull = await c.changes({ since: afterDeletes, limit: 100 });
  expect(pull.changes).toHaveLength(100);
  expect(pull.changes.every((ch) => !ch.deleted && ch.doc?.title === 'changed')).toBe(true);
  const pullRows = backend.takeRowsRead();
  expect(pullRows, `a pull of 100 changes read ${pullRows} rows`).toBeLessThanOrEqual(101);

  const tombstones = await c.changes({ since: afterInserts, limit: 100 });
  expect(tombstones.changes.every((ch) => ch.deleted && ch.doc === null)).toBe(true);
  expect(backend.takeRowsRead()).toBeLessThanOrEqual(101);

  // 1,800 tombstones are in the table, nine in ten of u0's rows among them; a query the declared
  // index serves skips them unread.
  const oldest = await c.find().where('userId').equals('u0').sort('createdAt').limit(20).exec();
  expect(oldest.map((d) => d.createdAt)).toEqual(Array.from({ length: 20 }, (_, k) => k * 70));
  expect(backend.takeRowsRead()).toBe(20);
}

/** Passes every statement to the real binding and adds up the rows each one read. */
function countingD1(real: D1Database): { database: D1DatabaseLike; take(): number } {
  let rowsRead = 0;
  const count = (result: D1ResultLike): D1ResultLike => {
    rowsRead += (result.meta as { rows_read?: number } | undefined)?.rows_read ?? 0;
    return result;
  };
  const wrapped = new WeakMap<D1StatementLike, D1PreparedStatement>();
  const wrap = (statement: D1PreparedStatement): D1StatementLike => {
    const outer: D1StatementLike = {
      bind: (...values) => wrap(statement.bind(...values)),
      all: async () => count(await statement.all()),
    };
    wrapped.set(outer, statement);
    return outer;
  };
  return {
    database: {
      prepare: (sql) => wrap(real.prepare(sql)),
      batch: async (statements) => (await real.batch(statements.map((s) => wrapped.get(s)!))).map(count),
    },
    take() {
      const n = rowsRead;
      rowsRead = 0;
      return n;
    },
  };
}

describe('rows read on D1', () => {
  const d1Backend = (prefix: string): Backend => {
    const counted = countingD1(env.DB);
    return {
      storage: (indexes) => createD1Storage({ database: counted.database, tablePrefix: prefix, indexes }),
      async raw(sql, ...params) {
        const result = await env.DB.prepare(sql)
          .bind(...params)
          .all();
        return { rows: result.results, rowsRead: result.meta.rows_read };
      },
      takeRowsRead: () => counted.take(),
    };
  };

  it('a limited query an index serves reads what it returns, and one no index serves reads the table once', async () => {
    await checkReads(d1Backend('reads_'), 'reads_');
  });

  it("the seed page's query with the seed page's index reads what it returns", async () => {
    await checkSeedQuery(d1Backend('seed_'), 'seed_');
  });

  it('a pull of the change feed reads about what it returns, and indexed queries never read tombstones', async () => {
    await checkFeedAndTombstones(d1Backend('feed_'));
  });
});

describe('rows read on SQLite-backed Durable Objects', () => {
  const doBackend = (storage: DurableObjectStorage): Backend => {
    let rowsRead = 0;
    const cursors: Array<{ readonly rowsRead: number }> = [];
    const settle = () => {
      for (const cursor of cursors.splice(0)) rowsRead += cursor.rowsRead;
    };
    const counted = {
      sql: {
        exec: (query: string, ...bindings: unknown[]) => {
          const cursor = storage.sql.exec(query, ...bindings);
          cursors.push(cursor);
          return cursor;
        },
      },
      transactionSync: <T>(fn: () => T): T => storage.transactionSync(fn),
    };
    return {
      storage: (indexes) => createDurableObjectSqlStorage({ storage: counted, indexes }),
      async raw(sql, ...params) {
        const cursor = storage.sql.exec(sql, ...params);
        const rows = cursor.toArray();
        return { rows, rowsRead: cursor.rowsRead };
      },
      takeRowsRead() {
        settle();
        const n = rowsRead;
        rowsRead = 0;
        return n;
      },
    };
  };

  it('a limited query an index serves reads what it returns, and one no index serves reads the table once', async () => {
    await inObject('SQL_OBJECT', 'rows-read', (storage) => checkReads(doBackend(storage), 'pocket_'));
  });

  it("the seed page's query with the seed page's index reads what it returns", async () => {
    await inObject('SQL_OBJECT', 'rows-read-seed', (storage) => checkSeedQuery(doBackend(storage), 'pocket_'));
  });

  it('a pull of the change feed reads about what it returns, and indexed queries never read tombstones', async () => {
    await inObject('SQL_OBJECT', 'rows-read-feed', (storage) => checkFeedAndTombstones(doBackend(storage)));
  });
});
