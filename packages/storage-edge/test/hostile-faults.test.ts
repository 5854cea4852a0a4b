// Faults, on the real backends: a bulk write with one bad document writes nothing on any edge
// adapter; a statement that fails part-way through a D1 batch (a trigger, a table with the
// wrong schema) becomes a D1Error with nothing half-written; a table dropped between writes is
// re-created empty; a Durable Object transaction that throws leaves storage as it was.
import {
  Database,
  DocumentNotFoundError,
  DuplicateKeyError,
  PocketError,
  ValidationError,
  type AnyDocument,
  type Collection,
  type JsonObject,
  type StorageAdapter,
  type StoredDocument,
} from '@pocket/core';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createD1Storage, createDurableObjectSqlStorage, createDurableObjectStorage, D1Error, DurableObjectStorageError } from '../src/index.js';
import { inObject } from './do-helpers.js';

const doc = (i: number, extra: JsonObject = {}): StoredDocument => ({ _id: `doc-${String(i).padStart(4, '0')}`, n: i, ...extra });
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

async function unchanged(
  c: Collection<AnyDocument>,
  run: () => Promise<unknown>,
  type: abstract new (...args: never[]) => Error,
  label: string,
): Promise<Error> {
  const before = await c.find().exec();
  const error = await run().then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, label).toBeInstanceOf(type);
  expect(await c.find().exec(), label).toEqual(before);
  return error as Error;
}

/** One failing document anywhere in a 300-document bulk write: nothing of it is written. */
async function bulkAllOrNothing(storage: StorageAdapter, tooLarge: number): Promise<number> {
  const c = (await Database.create({ name: 'faults', storage })).collection('items');
  await c.bulkInsert(range(20).map((i) => doc(1000 + i)));
  let tried = 0;
  for (const at of [0, 1, 150, 299]) {
    const docs = range(300).map((i) => doc(i));
    await unchanged(c, () => c.bulkInsert(docs.map((d, i) => (i === at ? doc(1005) : d))), DuplicateKeyError, `existing id at ${at}`);
    await unchanged(c, () => c.bulkInsert(docs.map((d, i) => (i === at ? doc((at + 1) % 300) : d))), DuplicateKeyError, `repeated id at ${at}`);
    await unchanged(c, () => c.bulkInsert(docs.map((d, i) => (i === at ? doc(i, { blob: 'x'.repeat(tooLarge) }) : d))), ValidationError, `too large at ${at}`);
    await unchanged(
      c,
      () => c.bulkUpdate(range(300).map((i) => ({ id: i === at ? 'missing' : doc(1000 + (i % 20))._id, changes: { n: -i } }))),
      DocumentNotFoundError,
      `missing id at ${at}`,
    );
    await unchanged(
      c,
      () => c.bulkUpdate(range(20).map((i) => ({ id: doc(1000 + i)._id, changes: i === at % 20 ? { blob: 'x'.repeat(tooLarge) } : { n: -i } }))),
      ValidationError,
      `update too large at ${at}`,
    );
    tried += 5;
  }
  expect(await c.count()).toBe(20);
  return tried;
}

describe('a bulk write with one failing document writes nothing', () => {
  it('on D1 with useBatch: true, across several statements of one batch', async () => {
    const storage = createD1Storage({ database: env.DB, tablePrefix: 'faults_', limits: { maxPackedBytes: 2_000, maxDocumentBytes: 50_000 } });
    expect(await bulkAllOrNothing(storage, 60_000)).toBe(20);
  });

  it('on Durable Object KV storage, across several 128-key calls of one transaction', async () => {
    await inObject('KV_OBJECT', 'faults-bulk-kv', async (storage) => {
      expect(await bulkAllOrNothing(createDurableObjectStorage({ storage }), 140_000)).toBe(20);
    });
  });

  it('on SQLite-backed Durable Objects, across several statements of one transactionSync', async () => {
    await inObject('SQL_OBJECT', 'faults-bulk-sql', async (storage) => {
      expect(await bulkAllOrNothing(createDurableObjectSqlStorage({ storage, limits: { maxPackedBytes: 2_000, maxDocumentBytes: 50_000 } }), 60_000)).toBe(20);
    });
  });
});

describe('D1 statements that fail part-way through a batch', () => {
  const POISON = `CREATE TRIGGER IF NOT EXISTS poison_%T BEFORE INSERT ON %T WHEN json_extract(NEW.data, '$.poison') = 1 BEGIN SELECT RAISE(ABORT, 'poisoned row refused by a trigger'); END`;
  // A delete is an UPDATE that leaves a tombstone (`_deleted`), so that is what the trigger refuses.
  const KEEP = `CREATE TRIGGER IF NOT EXISTS keep_%T BEFORE UPDATE ON %T WHEN OLD._id = 'keep' AND NEW._deleted IS NOT NULL BEGIN SELECT RAISE(ABORT, 'this row may not be deleted'); END`;

  it('a trigger refusing row 250 of 300: a D1Error, and none of the 300 rows', async () => {
    const table = 'trig_items';
    await env.DB.prepare(
      `CREATE TABLE ${table} (_id TEXT PRIMARY KEY, data TEXT NOT NULL, created_at INTEGER DEFAULT (unixepoch()), updated_at INTEGER DEFAULT (unixepoch()))`,
    ).run();
    await env.DB.prepare(POISON.replaceAll('%T', table)).run();
    await env.DB.prepare(KEEP.replaceAll('%T', table)).run();
    const storage = createD1Storage({ database: env.DB, tablePrefix: 'trig_', limits: { maxPackedBytes: 1_500 } });
    const c = (await Database.create({ name: 'trig', storage })).collection('items');
    await c.bulkInsert([doc(900), { _id: 'keep', n: 0 }]);
    const error = await unchanged(c, () => c.bulkInsert(range(300).map((i) => doc(i, i === 250 ? { poison: 1 } : {}))), D1Error, 'poisoned insert');
    const d1 = error as D1Error;
    expect(d1).toBeInstanceOf(PocketError);
    expect([d1.operation, d1.status, d1.retryable, d1.code]).toEqual(['write', 503, false, 'STORAGE_ERROR']);
    expect(d1.d1Message).toContain('poisoned row refused by a trigger');
    expect(d1.cause).toBeInstanceOf(Error);

    // A mixed batch given to the store: insert, update and upsert are undone when its last statement fails.
    const store = storage.collection('items', { database: 'trig' });
    await unchanged(
      c,
      () =>
        store.write([
          { type: 'insert', doc: { _id: 'new', n: 1 } },
          { type: 'update', id: doc(900)._id, patch: { n: -1 } },
          { type: 'upsert', doc: { _id: 'up', n: 2 } },
          { type: 'delete', id: doc(900)._id },
          { type: 'delete', id: 'keep' },
        ]),
      D1Error,
      'mixed batch with a refused delete',
    );
  });

  it('a table with the wrong schema: a D1Error naming the problem, nothing half-written', async () => {
    // No created_at or updated_at column. Every Pocket write sets updated_at (an insert in its
    // ON CONFLICT clause), so each is refused; reads work (and give the table the change feed's
    // columns, which it lacks too).
    await env.DB.prepare(`CREATE TABLE wrong_items (_id TEXT PRIMARY KEY, data TEXT NOT NULL)`).run();
    await env.DB.prepare(`INSERT INTO wrong_items (_id, data) VALUES (?, ?)`)
      .bind(doc(1)._id, JSON.stringify(doc(1)))
      .run();
    const storage = createD1Storage({ database: env.DB, tablePrefix: 'wrong_' });
    const c = (await Database.create({ name: 'wrong', storage })).collection('items');
    expect(await c.find().exec()).toEqual([{ ...doc(1), _rev: 1 }]);
    const store = storage.collection('items', { database: 'wrong' });
    const error = await unchanged(
      c,
      () =>
        store.write([
          { type: 'insert', doc: doc(2) },
          { type: 'update', id: doc(1)._id, patch: { n: 10 } },
        ]),
      D1Error,
      'insert and update without updated_at',
    );
    expect((error as D1Error).d1Message).toMatch(/no such column: (created|updated)_at/);
    const single = await unchanged(c, () => c.update(doc(1)._id, { n: 10 }), D1Error, 'single update');
    expect((single as D1Error).d1Message).toMatch(/no such column: updated_at/);

    // An INTEGER primary key: no string id fits.
    await env.DB.prepare(`CREATE TABLE intkey_items (_id INTEGER PRIMARY KEY, data TEXT NOT NULL, created_at INTEGER, updated_at INTEGER)`).run();
    const ints = (await Database.create({ name: 'intkey', storage: createD1Storage({ database: env.DB, tablePrefix: 'intkey_' }) })).collection('items');
    const mismatch = await unchanged(ints, () => ints.bulkInsert([doc(1), doc(2)]), D1Error, 'string ids in an INTEGER key');
    expect((mismatch as D1Error).d1Message).toMatch(/datatype mismatch/);
  });

  it('a table dropped between writes: reads, updates and deletes find nothing and create nothing; an insert re-creates it empty', async () => {
    const storage = createD1Storage({ database: env.DB, tablePrefix: 'dropped_', indexes: { items: ['n'] } });
    const c = (await Database.create({ name: 'dropped', storage })).collection('items');
    await c.bulkInsert(range(10).map((i) => doc(i)));
    await env.DB.prepare(`DROP TABLE dropped_items`).run();
    // Reads find nothing and create nothing.
    expect(await c.get(doc(1)._id)).toBeNull();
    expect(await c.getMany([doc(1)._id, doc(2)._id])).toEqual([null, null]);
    expect(await c.find().where('n').gte(0).exec()).toEqual([]);
    expect(await c.find().where('n').gte(0).where('_id').matches(/doc/).exec()).toEqual([]);
    expect(await c.count()).toBe(0);
    expect(await c.find().where('_id').matches(/doc/).count()).toBe(0);
    expect((await env.DB.prepare(`SELECT name FROM sqlite_master WHERE name = 'dropped_items'`).all()).results).toEqual([]);
    // Updates and deletes find no document and create nothing either.
    await expect(c.update(doc(1)._id, { n: 1 })).rejects.toBeInstanceOf(DocumentNotFoundError);
    await expect(
      c.bulkUpdate([
        { id: doc(1)._id, changes: { n: 1 } },
        { id: doc(2)._id, changes: { n: 2 } },
      ]),
    ).rejects.toBeInstanceOf(DocumentNotFoundError);
    expect(await c.delete(doc(1)._id)).toBe(false);
    expect(await c.bulkDelete([doc(1)._id, doc(2)._id])).toBe(0);
    expect((await env.DB.prepare(`SELECT name FROM sqlite_master WHERE name = 'dropped_items'`).all()).results).toEqual([]);
    // A write that adds documents creates the table (with its declared index) and runs again.
    expect(await c.bulkInsert([doc(20), doc(21)])).toEqual([
      { ...doc(20), _rev: 1 },
      { ...doc(21), _rev: 1 },
    ]);
    expect(await c.find().exec()).toEqual([
      { ...doc(20), _rev: 1 },
      { ...doc(21), _rev: 1 },
    ]);
    const { results } = await env.DB.prepare(
      `SELECT name FROM sqlite_master WHERE tbl_name = 'dropped_items' AND type = 'index' AND substr(name, 1, 16) = 'dropped_items_n_'`,
    ).all();
    expect(results).toHaveLength(1);

    // Replaced by a table Pocket cannot use: a D1Error, not a silent success.
    await env.DB.prepare(`DROP TABLE dropped_items`).run();
    await env.DB.prepare(`CREATE TABLE dropped_items (id TEXT)`).run();
    await expect(c.insert(doc(30))).rejects.toBeInstanceOf(D1Error);
    await expect(c.find().exec()).rejects.toBeInstanceOf(D1Error);
    const { results: rows } = await env.DB.prepare(`SELECT * FROM dropped_items`).all();
    expect(rows).toEqual([]);
  });
});

describe('a Durable Object transaction that throws leaves storage as it was', () => {
  async function kvSnapshot(storage: DurableObjectStorage): Promise<Array<[string, unknown]>> {
    return [...(await storage.list()).entries()];
  }

  it('KV: a user transaction around Pocket writes that throws', async () => {
    await inObject('KV_OBJECT', 'faults-kv-user-txn', async (storage) => {
      const c = (await Database.create({ name: 'app', storage: createDurableObjectStorage({ storage }) })).collection('items');
      await c.bulkInsert(range(5).map((i) => doc(i)));
      const before = await kvSnapshot(storage);
      const error = await storage
        .transaction(async () => {
          await c.bulkInsert(range(300).map((i) => doc(100 + i)));
          await c.update(doc(1)._id, { n: -1 });
          await c.bulkDelete([doc(2)._id, doc(3)._id]);
          throw new Error('handler failed after writing');
        })
        .catch((e: unknown) => e);
      expect((error as Error).message).toBe('handler failed after writing');
      expect(await kvSnapshot(storage)).toEqual(before);
    });
  });

  it('SQL: a trigger failing a statement inside Pocket’s transactionSync', async () => {
    await inObject('SQL_OBJECT', 'faults-sql-trigger', async (storage) => {
      const c = (await Database.create({ name: 'app', storage: createDurableObjectSqlStorage({ storage, limits: { maxPackedBytes: 1_500 } }) })).collection(
        'items',
      );
      await c.bulkInsert([doc(900), { _id: 'keep', n: 0 }]);
      storage.sql.exec(
        `CREATE TRIGGER poison BEFORE INSERT ON pocket_items WHEN json_extract(NEW.data, '$.poison') = 1 BEGIN SELECT RAISE(ABORT, 'poisoned row'); END`,
      );
      // A delete is an UPDATE that leaves a tombstone (`_deleted`), so that is what the trigger refuses.
      storage.sql.exec(
        `CREATE TRIGGER keep BEFORE UPDATE ON pocket_items WHEN OLD._id = 'keep' AND NEW._deleted IS NOT NULL BEGIN SELECT RAISE(ABORT, 'kept'); END`,
      );
      const error = await unchanged(
        c,
        () => c.bulkInsert(range(300).map((i) => doc(i, i === 250 ? { poison: 1 } : {}))),
        DurableObjectStorageError,
        'poisoned insert',
      );
      expect((error as DurableObjectStorageError).storageMessage).toContain('poisoned row');
      await unchanged(c, () => c.bulkDelete([doc(900)._id, 'keep']), DurableObjectStorageError, 'refused delete');
      // No updated_at column, as in a hand-made table with the wrong schema (its row written by hand:
      // every Pocket write sets updated_at).
      storage.sql.exec(`CREATE TABLE pocket_wrong (_id TEXT PRIMARY KEY, data TEXT NOT NULL)`);
      storage.sql.exec(`INSERT INTO pocket_wrong (_id, data) VALUES (?, ?)`, doc(1)._id, JSON.stringify(doc(1)));
      const wrong = (await Database.create({ name: 'app', storage: createDurableObjectSqlStorage({ storage }) })).collection('wrong');
      expect(await wrong.find().exec()).toEqual([{ ...doc(1), _rev: 1 }]);
      await unchanged(
        wrong,
        () =>
          wrong.bulkUpdate([
            { id: doc(1)._id, changes: { n: 5 } },
            { id: doc(1)._id, changes: { m: 5 } },
          ]),
        DurableObjectStorageError,
        'update without updated_at',
      );
    });
  });

  it('SQL: a user transaction around Pocket writes that throws', async () => {
    await inObject('SQL_OBJECT', 'faults-sql-user-txn', async (storage) => {
      const c = (await Database.create({ name: 'app', storage: createDurableObjectSqlStorage({ storage }) })).collection('items');
      await c.bulkInsert(range(5).map((i) => doc(i)));
      const before = await c.find().exec();
      const error = await storage
        .transaction(async () => {
          await c.bulkInsert(range(300).map((i) => doc(100 + i)));
          await c.update(doc(1)._id, { n: -1 });
          await c.delete(doc(2)._id);
          expect(await c.count()).toBe(304);
          throw new Error('handler failed after writing');
        })
        .catch((e: unknown) => e);
      expect((error as Error).message).toBe('handler failed after writing');
      expect(await c.find().exec()).toEqual(before);
    });
  });
});
