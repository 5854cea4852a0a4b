// When the SQL adapters create tables and indexes, on D1 and SQLite-backed Durable Objects:
// - a read never creates a table: any caller able to name a collection (a tenant prefix from a
//   header) could otherwise make tables without limit. Every read of a collection without a
//   table answers as for an empty one, and sqlite_master stays as it was;
// - the first write creates the table and its declared indexes, and two first writes at once
//   (two isolates, two requests to one object) both succeed;
// - declared indexes reach a table made without them (by a migration, or before they were
//   declared), and SQLite uses them;
// - initializeDurableObjectSqlSchema does for an object what initializeD1Schema does for D1.
import { Database, DocumentNotFoundError, type AnyDocument, type Collection, type StorageAdapter } from '@pocket/core';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createD1Storage, createDurableObjectSqlStorage, initializeDurableObjectSqlSchema, type D1DatabaseLike, type SqlIndexes } from '../src/index.js';
import { inObject } from './do-helpers.js';

interface Backend {
  /** An adapter over the backend; `isolate` stands for another isolate (no shared memory of indexes). */
  storage(prefix: string, indexes?: SqlIndexes, isolate?: number): StorageAdapter;
  /** Names in sqlite_master of `type` whose table is `table`. */
  names(type: 'table' | 'index', table: string): Promise<string[]>;
  exec(sql: string): Promise<void>;
}

const open = (storage: StorageAdapter, name = 'todos'): Collection<AnyDocument> => Database.open({ name: 'x', storage }).collection(name);

async function readsCreateNothing(backend: Backend): Promise<void> {
  for (const indexes of [undefined, { todos: ['userId', ['userId', { path: 'at', direction: 'desc' as const }]] }]) {
    const prefix = indexes === undefined ? 'ghost_' : 'ghostidx_';
    const todos = open(backend.storage(prefix, indexes));
    expect(await todos.find().exec()).toEqual([]);
    expect(await todos.find().where('userId').equals('u1').sort('at', 'desc').limit(5).first()).toBeNull();
    expect(await todos.find().sort('at', 'desc').limit(2).page()).toEqual({ docs: [], next: null });
    expect(await todos.get('a')).toBeNull();
    expect(await todos.getMany(['a', 'b'])).toEqual([null, null]);
    expect(await todos.count()).toBe(0);
    expect(await todos.find().where('done').equals(true).count()).toBe(0);
    expect((await todos.changes()).changes).toEqual([]);
    expect((await todos.find().where('userId').equals('u1').explain()).plan).toEqual([
      `no table ${prefix}todos yet: the collection is empty, and its first write creates it`,
    ]);
    const observed = await new Promise<unknown>((resolve, reject) => {
      const stop = todos.find().observe((results) => (stop(), resolve(results)), reject);
    });
    expect(observed).toEqual([]);
    // Writes that cannot add a document create nothing either.
    await expect(todos.update('a', { done: true })).rejects.toBeInstanceOf(DocumentNotFoundError);
    expect(await todos.delete('a')).toBe(false);
    expect(await todos.bulkDelete(['a', 'b'])).toBe(0);
    expect(await todos.purgeTombstones()).toBe(0);
    expect(await backend.names('table', `${prefix}todos`)).toEqual([]);
    expect(await backend.names('index', `${prefix}todos`)).toEqual([]);

    // The first write creates the table and its indexes; the reads see it at once.
    expect(await todos.insert({ _id: 'a', userId: 'u1', at: 1 })).toEqual({ _id: 'a', userId: 'u1', at: 1, _rev: 1 });
    expect(await backend.names('table', `${prefix}todos`)).toEqual([`${prefix}todos`]);
    expect(await backend.names('index', `${prefix}todos`)).toHaveLength(indexes === undefined ? 2 : 4);
    expect(await todos.find().where('userId').equals('u1').exec()).toEqual([{ _id: 'a', userId: 'u1', at: 1, _rev: 1 }]);
  }
}

const RACE_INDEXES = { todos: [['userId', { path: 'at', direction: 'desc' as const }]] };
const firstWrite = (storage: StorageAdapter) => open(storage).bulkInsert(Array.from({ length: 5 }, () => ({ userId: 'u1', at: Math.random() })));

/** Two first writes to `race_todos` at once (`both`), each through its own adapter: both succeed. */
async function concurrentFirstWrites(backend: Backend, both: () => Promise<unknown[]>): Promise<void> {
  expect(await backend.names('table', 'race_todos')).toEqual([]);
  expect((await both()).flat()).toHaveLength(10);
  expect(await open(backend.storage('race_', RACE_INDEXES)).count()).toBe(10);
  expect((await backend.names('index', 'race_todos')).filter((name) => name.includes('userId'))).toHaveLength(1);
}

async function indexesReachExistingTables(backend: Backend): Promise<void> {
  // A table made by an earlier first write, before any index was declared.
  const plain = open(backend.storage('late_'));
  await plain.bulkInsert(Array.from({ length: 40 }, (_, i) => ({ _id: `t${i}`, userId: `u${i % 4}`, at: i })));
  expect((await backend.names('index', 'late_todos')).some((name) => name.includes('userId'))).toBe(false);
  const query = (c: Collection<AnyDocument>) => c.find().where('userId').equals('u1').sort('at', 'desc').limit(3);
  expect((await query(plain).explain()).plan.join('\n')).not.toMatch(/USING INDEX late_todos_userId/);

  // The same table, now with the index declared: the first query creates it, and uses it.
  const indexed = open(backend.storage('late_', { todos: [['userId', { path: 'at', direction: 'desc' }]] }, 2));
  expect((await query(indexed).exec()).map((t) => t._id)).toEqual(['t37', 't33', 't29']);
  expect((await backend.names('index', 'late_todos')).filter((name) => name.startsWith('late_todos_userId__at_desc_'))).toHaveLength(1);
  const explained = await query(indexed).explain();
  expect(explained.plan.join('\n')).toMatch(/USING INDEX late_todos_userId__at_desc_/);
  expect(explained.fullScan).toBe(false);
  expect(explained.sortsAllMatches).toBe(false);
}

/** D1: another isolate is another binding object, as each isolate has its own. */
function d1Backend(): Backend {
  const bindings = new Map<number, D1DatabaseLike>();
  const binding = (isolate: number): D1DatabaseLike => {
    if (isolate === 0) return env.DB;
    let other = bindings.get(isolate);
    if (other === undefined)
      bindings.set(isolate, (other = { prepare: (sql) => env.DB.prepare(sql), batch: (batch) => env.DB.batch(batch as D1PreparedStatement[]) }));
    return other;
  };
  return {
    storage: (prefix, indexes, isolate = 0) =>
      createD1Storage({ database: binding(isolate), tablePrefix: prefix, ...(indexes === undefined ? {} : { indexes }) }),
    names: async (type, table) =>
      (
        await env.DB.prepare(`SELECT name FROM sqlite_master WHERE type = ? AND tbl_name = ? AND sql IS NOT NULL ORDER BY name`)
          .bind(type, table)
          .all<{ name: string }>()
      ).results.map((r) => r.name),
    exec: async (sql) => void (await env.DB.exec(sql)),
  };
}

/** A Durable Object's storage, wrapped per "isolate" so the index memory is not shared. */
function objectBackend(storage: DurableObjectStorage): Backend {
  const views = new Map<number, DurableObjectStorage>();
  const view = (isolate: number): DurableObjectStorage => {
    if (isolate === 0) return storage;
    let other = views.get(isolate);
    if (other === undefined)
      views.set(
        isolate,
        (other = { sql: storage.sql, transactionSync: (fn: () => unknown) => storage.transactionSync(fn) } as unknown as DurableObjectStorage),
      );
    return other;
  };
  return {
    storage: (prefix, indexes, isolate = 0) =>
      createDurableObjectSqlStorage({ storage: view(isolate), tablePrefix: prefix, ...(indexes === undefined ? {} : { indexes }) }),
    names: async (type, table) =>
      storage.sql
        .exec(`SELECT name FROM sqlite_master WHERE type = ? AND tbl_name = ? AND sql IS NOT NULL ORDER BY name`, type, table)
        .toArray()
        .map((r) => r.name as string),
    exec: async (sql) => void storage.sql.exec(sql),
  };
}

describe('D1: tables and indexes', () => {
  it('a read of a collection without a table answers as for an empty one and creates nothing; the first write creates it', async () => {
    await readsCreateNothing(d1Backend());
  });

  it('two isolates writing first at once both succeed, and the table and index are made once', async () => {
    const backend = d1Backend();
    await concurrentFirstWrites(backend, () =>
      Promise.all([firstWrite(backend.storage('race_', RACE_INDEXES, 1)), firstWrite(backend.storage('race_', RACE_INDEXES, 2))]),
    );
  });

  it('declared indexes reach a table made without them, and SQLite uses them', async () => {
    await indexesReachExistingTables(d1Backend());
  });
});

describe('DO SQL: tables and indexes', () => {
  it('a read of a collection without a table answers as for an empty one and creates nothing; the first write creates it', async () => {
    await inObject('SQL_OBJECT', 'tables-reads', (storage) => readsCreateNothing(objectBackend(storage)));
  });

  it('two requests to one object writing first at once both succeed, and the table and index are made once', async () => {
    const request = (isolate: number) =>
      inObject('SQL_OBJECT', 'tables-race', (storage) => firstWrite(objectBackend(storage).storage('race_', RACE_INDEXES, isolate)));
    await inObject('SQL_OBJECT', 'tables-race', async (storage) => {
      await concurrentFirstWrites(objectBackend(storage), () => Promise.all([request(1), request(2)]));
    });
  });

  it('declared indexes reach a table made without them, and SQLite uses them', async () => {
    await inObject('SQL_OBJECT', 'tables-late-indexes', (storage) => indexesReachExistingTables(objectBackend(storage)));
  });

  it('initializeDurableObjectSqlSchema creates tables and indexes up front, idempotently, and upgrades a first-release table', async () => {
    await inObject('SQL_OBJECT', 'tables-schema', async (storage) => {
      const backend = objectBackend(storage);
      // A table of the first release: no change feed columns.
      await backend.exec(
        `CREATE TABLE app_notes (_id TEXT PRIMARY KEY, data TEXT NOT NULL, created_at INTEGER DEFAULT (unixepoch()), updated_at INTEGER DEFAULT (unixepoch()))`,
      );
      await backend.exec(`INSERT INTO app_notes (_id, data) VALUES ('n', '{"_id":"n","at":5}')`);
      const options = {
        collections: ['todos', 'notes'],
        tablePrefix: 'app_',
        indexes: { todos: ['userId'], notes: [{ path: 'at', direction: 'desc' as const }] },
      };
      initializeDurableObjectSqlSchema(storage, options);
      initializeDurableObjectSqlSchema(storage, options);
      expect(await backend.names('table', 'app_todos')).toEqual(['app_todos']);
      expect(await backend.names('index', 'app_todos')).toEqual(['app_todos:deleted', 'app_todos:seq', expect.stringMatching(/^app_todos_userId_/)]);
      expect(await backend.names('index', 'app_notes')).toEqual(['app_notes:deleted', 'app_notes:seq', expect.stringMatching(/^app_notes_at_desc_/)]);
      const notes = open(createDurableObjectSqlStorage({ storage, tablePrefix: 'app_' }), 'notes');
      expect(await notes.find().sort('at', 'desc').exec()).toEqual([{ _id: 'n', at: 5, _rev: 1 }]);
      expect((await notes.find().sort('at', 'desc').limit(1).explain()).plan.join('\n')).toMatch(/USING INDEX app_notes_at_desc_/);
      // Refused before anything runs: a collection the indexes name but the list lacks; not a storage.
      expect(() => initializeDurableObjectSqlSchema(storage, { collections: ['todos'], indexes: { notes: ['at'] } })).toThrow(/not in collections/);
      expect(() => initializeDurableObjectSqlSchema({} as never, { collections: ['todos'] })).toThrow(
        /initializeDurableObjectSqlSchema\(\) needs a Durable Object's storage/,
      );
    });
  });
});
