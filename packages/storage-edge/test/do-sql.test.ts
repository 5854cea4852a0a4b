import { abortAllDurableObjects } from 'cloudflare:test';
import { Database, DocumentNotFoundError, DuplicateKeyError, StorageError, ValidationError, type FilterBuilder } from '@pocket/core';
import { describe, expect, it } from 'vitest';
import { createDurableObjectSqlStorage, DurableObjectStorageError } from '../src/index.js';
import { compileFind } from '../src/sql-compiler.js';
import { inObject, padded, range } from './do-helpers.js';

interface Todo {
  _id: string;
  title: string;
  completed: boolean;
  userId: string;
  tags?: string[];
}

describe('Durable Object SQL storage', () => {
  it('answers an OR of 1,000 conditions, past the 100 values a statement may bind', async () => {
    await inObject('SQL_OBJECT', 'sql-wide-or', async (storage) => {
      const items = (await Database.create({ name: 'app', storage: createDurableObjectSqlStorage({ storage }) })).collection<{ _id: string; n: number }>(
        'items',
      );
      const docs = Array.from({ length: 300 }, (_, i) => ({ _id: `i${String(i).padStart(3, '0')}`, n: i }));
      await items.bulkInsert(docs);
      const query = items.find().or(...Array.from({ length: 1000 }, (_, i) => (q: FilterBuilder<{ _id: string; n: number }>) => q.where('n').equals(i * 3)));
      expect(await query.exec()).toEqual(docs.filter((d) => d.n % 3 === 0).map((d) => ({ ...d, _rev: 1 })));
      expect(await query.count()).toBe(100);
    });
  });

  it('inserts, queries, updates and deletes through storage.sql', async () => {
    await inObject('SQL_OBJECT', 'sql-crud', async (storage) => {
      const db = await Database.create({ name: 'app', storage: createDurableObjectSqlStorage({ storage }) });
      const todos = db.collection<Todo>('todos');
      await todos.insert({ _id: 'a', title: 'one', completed: false, userId: 'u1', tags: ['x'] });
      await todos.bulkInsert([
        { _id: 'b', title: 'two', completed: true, userId: 'u1' },
        { _id: 'c', title: 'three', completed: false, userId: 'u2', tags: ['x', 'y'] },
      ]);
      expect(storage.sql.exec(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'pocket_todos'`).toArray()).toEqual([{ name: 'pocket_todos' }]);
      await expect(todos.insert({ _id: 'a', title: 'dup', completed: false, userId: 'u1' })).rejects.toBeInstanceOf(DuplicateKeyError);
      expect((await todos.find().where('completed').equals(false).sort('title', 'desc').exec()).map((t) => t._id)).toEqual(['c', 'a']);
      expect((await todos.find().where('title').matches(/^t/).skip(1).limit(1).exec()).map((t) => t._id)).toEqual(['c']);
      expect(await todos.find().where('tags').contains('x').count()).toBe(2);
      // A single update binds ?1 (the patch) and ?2 (the id) and reads values with `->`, so true stays true.
      expect(await todos.update('a', { completed: true })).toEqual({ _id: 'a', title: 'one', completed: true, userId: 'u1', tags: ['x'], _rev: 2 });
      expect(await todos.find().where('completed').equals(true).count()).toBe(2);
      await expect(todos.update('nope', { completed: true })).rejects.toBeInstanceOf(DocumentNotFoundError);
      // A bulk update is one UPDATE … FROM json_each(?) … RETURNING.
      expect(
        await todos.bulkUpdate([
          { id: 'a', changes: { title: 'A' } },
          { id: 'b', changes: { title: 'B' } },
        ]),
      ).toMatchObject([
        { _id: 'a', title: 'A', _rev: 3 },
        { _id: 'b', title: 'B', _rev: 2 },
      ]);
      expect(await todos.upsert({ _id: 'a', title: 'again', completed: false, userId: 'u3' })).toEqual({
        _id: 'a',
        title: 'again',
        completed: false,
        userId: 'u3',
        _rev: 4,
      });
      // A delete leaves a tombstone and says, from the rows its RETURNING gives back, whether it removed a document.
      expect(await todos.delete('a')).toBe(true);
      expect(await todos.delete('a')).toBe(false);
      expect(await todos.bulkDelete(['b', 'c', 'x'])).toBe(2);
      expect(await todos.count()).toBe(0);
      // What is left are the tombstones the change feed reads, each at its last revision.
      expect(storage.sql.exec(`SELECT _id, data, _deleted FROM pocket_todos ORDER BY _id`).toArray()).toEqual([
        { _id: 'a', data: '{"_id":"a","_rev":5}', _deleted: 1 },
        { _id: 'b', data: '{"_id":"b","_rev":3}', _deleted: 1 },
        { _id: 'c', data: '{"_id":"c","_rev":2}', _deleted: 1 },
      ]);
    });
  });

  it('is all-or-nothing for bulk writes, inside transactionSync', async () => {
    await inObject('SQL_OBJECT', 'sql-atomic', async (storage) => {
      const items = (await Database.create({ name: 'app', storage: createDurableObjectSqlStorage({ storage }) })).collection('items');
      await items.bulkInsert(range(1000).map((i) => ({ _id: padded(i), n: i })));
      const dup = [...range(500).map((i) => ({ _id: padded(i + 1000), n: i })), { _id: padded(999), n: -1 }];
      const error = await items.bulkInsert(dup).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DuplicateKeyError);
      expect((error as DuplicateKeyError).id).toBe(padded(999));
      expect(await items.count()).toBe(1000);
      const updates = [...range(300).map((i) => ({ id: padded(i), changes: { n: -i } })), { id: 'missing', changes: { n: 0 } }];
      await expect(items.bulkUpdate(updates)).rejects.toBeInstanceOf(DocumentNotFoundError);
      expect(await items.find().where('n').lt(0).count()).toBe(0);
    });
  });

  it('keeps data for a new instance of the object', async () => {
    await inObject('SQL_OBJECT', 'sql-persist', async (storage) => {
      await (
        await Database.create({ name: 'app', storage: createDurableObjectSqlStorage({ storage, tablePrefix: 'app_' }) })
      )
        .collection('todos')
        .insert({ _id: 'a', n: 1 });
    });
    await abortAllDurableObjects();
    await inObject('SQL_OBJECT', 'sql-persist', async (storage) => {
      const todos = (await Database.create({ name: 'app', storage: createDurableObjectSqlStorage({ storage, tablePrefix: 'app_' }) })).collection('todos');
      expect(await todos.find().exec()).toEqual([{ _id: 'a', n: 1, _rev: 1 }]);
    });
  });

  it('creates declared indexes with the table, and SQLite uses them', async () => {
    await inObject('SQL_OBJECT', 'sql-indexes', async (storage) => {
      const db = await Database.create({
        name: 'app',
        storage: createDurableObjectSqlStorage({ storage, indexes: { todos: ['userId', ['userId', 'createdAt']] } }),
      });
      await db.collection('todos').insert({ userId: 'u1', createdAt: 1 });
      const indexes = storage.sql
        .exec(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'pocket_todos' AND sql IS NOT NULL ORDER BY name`)
        .toArray();
      // The two declared, and the change feed's on _seq and on the tombstones.
      expect(indexes).toHaveLength(4);
      expect(indexes).toEqual(
        expect.arrayContaining([
          { name: 'pocket_todos:deleted' },
          { name: 'pocket_todos:seq' },
          { name: expect.stringMatching(/^pocket_todos_userId_[0-9a-z]+$/) },
          { name: expect.stringMatching(/^pocket_todos_userId__createdAt_[0-9a-z]+$/) },
        ]),
      );
      const q = compileFind('"pocket_todos"', db.collection('todos').find().where('userId').equals('u1').toQuery());
      const plan = storage.sql.exec(`EXPLAIN QUERY PLAN ${q.sql}`, ...q.params).toArray();
      expect(JSON.stringify(plan)).toMatch(/USING INDEX pocket_todos_userId/);
    });
  });

  it('reads of a collection without a table find nothing and create nothing', async () => {
    await inObject('SQL_OBJECT', 'sql-reads-create-nothing', async (storage) => {
      const c = Database.open({ name: 'app', storage: createDurableObjectSqlStorage({ storage }) }).collection('ghost');
      expect(await c.find().exec()).toEqual([]);
      expect(await c.count()).toBe(0);
      expect(await c.get('x')).toBeNull();
      expect((await c.find().explain()).plan).toEqual(['no table pocket_ghost yet: the collection is empty, and its first write creates it']);
      expect(storage.sql.exec(`SELECT name FROM sqlite_master WHERE name = 'pocket_ghost'`).toArray()).toEqual([]);
      await c.insert({ _id: 'x' });
      expect(await c.count()).toBe(1);
    });
  });

  it("creates declared indexes, and the change feed's columns and index, on a table that already exists", async () => {
    await inObject('SQL_OBJECT', 'sql-ensure-indexes', async (storage) => {
      storage.sql.exec(
        `CREATE TABLE pocket_notes (_id TEXT PRIMARY KEY, data TEXT NOT NULL, created_at INTEGER DEFAULT (unixepoch()), updated_at INTEGER DEFAULT (unixepoch()))`,
      );
      storage.sql.exec(`INSERT INTO pocket_notes (_id, data) VALUES ('n', '{"_id":"n","at":5}')`);
      const notes = Database.open({
        name: 'app',
        storage: createDurableObjectSqlStorage({ storage, indexes: { notes: [{ path: 'at', direction: 'desc' }] } }),
      }).collection('notes');
      // A row written without a revision reads as revision 1.
      expect(await notes.find().sort('at', 'desc').limit(1).exec()).toEqual([{ _id: 'n', at: 5, _rev: 1 }]);
      const names = storage.sql
        .exec(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'pocket_notes' AND sql IS NOT NULL ORDER BY name`)
        .toArray();
      expect(names).toEqual([{ name: 'pocket_notes:deleted' }, { name: 'pocket_notes:seq' }, { name: expect.stringMatching(/^pocket_notes_at_desc_/) }]);
      const columns = storage.sql.exec(`SELECT name FROM pragma_table_info('pocket_notes')`).toArray();
      expect(columns.map((c) => c.name)).toEqual(['_id', 'data', 'created_at', 'updated_at', '_seq', '_deleted']);
    });
  });

  it('checks an update statement against each adapter’s own limit, even when another adapter built it first', async () => {
    await inObject('SQL_OBJECT', 'sql-statement-limit', async (storage) => {
      const roomy = Database.open({ name: 'app', storage: createDurableObjectSqlStorage({ storage }) }).collection('notes');
      await roomy.insert({ _id: 'n', text: 'a' });
      expect(await roomy.update('n', { text: 'b' })).toEqual({ _id: 'n', text: 'b', _rev: 2 });
      const tight = Database.open({ name: 'app', storage: createDurableObjectSqlStorage({ storage, limits: { maxStatementBytes: 100 } }) }).collection('notes');
      await expect(tight.update('n', { text: 'c' })).rejects.toBeInstanceOf(ValidationError);
      expect(await roomy.get('n')).toEqual({ _id: 'n', text: 'b', _rev: 2 });
    });
  });

  it('keeps the update statements of a patch with no fields and of a field named "[]" apart', async () => {
    await inObject('SQL_OBJECT', 'sql-update-cache-keys', async (storage) => {
      const notes = Database.open({ name: 'app', storage: createDurableObjectSqlStorage({ storage }) }).collection('notes');
      await notes.bulkInsert([
        { _id: 'a', n: 1 },
        { _id: 'b', n: 2 },
      ]);
      // Both orders: whichever statement is cached first must not serve the other patch.
      // Every update is a write, one with no fields too: each raises the revision.
      expect(await notes.update('a', { '[]': 5 })).toEqual({ _id: 'a', n: 1, '[]': 5, _rev: 2 });
      expect(await notes.update('b', {})).toEqual({ _id: 'b', n: 2, _rev: 2 });
      const fresh = Database.open({ name: 'app', storage: createDurableObjectSqlStorage({ storage }) }).collection('notes');
      expect(await fresh.update('b', { _id: 'b' })).toEqual({ _id: 'b', n: 2, _rev: 3 });
      expect(await fresh.update('a', { '[]': 6 })).toEqual({ _id: 'a', n: 1, '[]': 6, _rev: 3 });
      expect(await notes.find().exec()).toEqual([
        { _id: 'a', n: 1, '[]': 6, _rev: 3 },
        { _id: 'b', n: 2, _rev: 3 },
      ]);
    });
  });

  it('checks a storage object for SQLite once, however many adapters are made on it', async () => {
    await inObject('SQL_OBJECT', 'sql-check-once', async (real) => {
      // Forwards to the real storage, counting statements.
      const statements: string[] = [];
      const storage = {
        sql: { exec: (query: string, ...bindings: unknown[]) => (statements.push(query), real.sql.exec(query, ...bindings)) },
        transactionSync: <T>(closure: () => T): T => real.transactionSync(closure),
      };
      for (let i = 0; i < 3; i++) createDurableObjectSqlStorage({ storage });
      expect(statements).toEqual(['SELECT 1']);
    });
  });

  it('tells whether a delete removed its document, with indexes and before the table exists', async () => {
    await inObject('SQL_OBJECT', 'sql-delete-count', async (storage) => {
      const db = await Database.create({
        name: 'app',
        storage: createDurableObjectSqlStorage({ storage, indexes: { todos: ['userId', ['userId', 'createdAt']] } }),
      });
      const todos = db.collection('todos');
      // No table yet: the delete creates it and finds nothing.
      expect(await todos.delete('a')).toBe(false);
      await todos.bulkInsert([
        { _id: 'a', userId: 'u1', createdAt: 1 },
        { _id: 'b', userId: 'u1', createdAt: 2 },
      ]);
      // The tombstone's UPDATE rewrites the row and its index entries; delete() still says true, once.
      expect(await todos.delete('a')).toBe(true);
      expect(await todos.delete('a')).toBe(false);
      expect(await todos.find().exec()).toEqual([{ _id: 'b', userId: 'u1', createdAt: 2, _rev: 1 }]);
    });
  });

  it('turns SQLite failures into a DurableObjectStorageError that keeps the cause', async () => {
    await inObject('SQL_OBJECT', 'sql-errors', async (storage) => {
      // A table of that name made by other code, without Pocket's columns.
      storage.sql.exec('CREATE TABLE pocket_broken (id INTEGER)');
      const broken = (await Database.create({ name: 'app', storage: createDurableObjectSqlStorage({ storage }) })).collection('broken');
      const error = await broken
        .find()
        .exec()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DurableObjectStorageError);
      expect(error).toBeInstanceOf(StorageError);
      expect((error as DurableObjectStorageError).message).toMatch(/^Durable Object storage: find failed: no such column: data/);
      expect((error as DurableObjectStorageError).operation).toBe('find');
      expect((error as DurableObjectStorageError).status).toBe(503);
      expect((error as DurableObjectStorageError).retryable).toBe(false);
      expect((error as DurableObjectStorageError).cause).toBeInstanceOf(Error);
    });
  });

  it('answers every store call with a promise, though SQLite storage runs statements synchronously', async () => {
    await inObject('SQL_OBJECT', 'sql-sync-driver', async (storage) => {
      storage.sql.exec('CREATE TABLE pocket_broken (id INTEGER)');
      storage.sql.exec(`CREATE TABLE pocket_garbled (_id TEXT PRIMARY KEY, data TEXT NOT NULL)`);
      storage.sql.exec(`INSERT INTO pocket_garbled (_id, data) VALUES ('g', 'not json')`);
      const adapter = createDurableObjectSqlStorage({ storage });
      const broken = adapter.collection('broken', { database: 'app' });
      const garbled = adapter.collection('garbled', { database: 'app' });
      // Each call returns a promise; a failure, whether SQLite's or in reading its rows, rejects it.
      const calls: Array<[string, () => Promise<unknown>, new (...args: never[]) => Error]> = [
        ['getMany', () => broken.getMany(['a']), DurableObjectStorageError],
        ['getMany of no array at all', () => broken.getMany(undefined as never), TypeError],
        ['find', () => broken.find({ filter: null, sort: [], skip: 0, limit: null }), DurableObjectStorageError],
        ['count', () => broken.count({ kind: 'condition', op: 'eq', path: 'n', value: 1 }), DurableObjectStorageError],
        ['write', () => broken.write([{ type: 'delete', id: 'a' }]), DurableObjectStorageError],
        ['find of an unknown filter', () => broken.find({ filter: { kind: 'nonsense' } as never, sort: [], skip: 0, limit: null }), Error],
        ['getMany of a garbled row', () => garbled.getMany(['g']), SyntaxError],
        ['update returning a garbled row', () => garbled.write([{ type: 'update', id: 'g', patch: { n: 1 } }]), DurableObjectStorageError],
      ];
      for (const [label, call, type] of calls) {
        let answer: unknown;
        expect(() => (answer = call()), label).not.toThrow();
        expect(answer, label).toBeInstanceOf(Promise);
        await expect(answer, label).rejects.toBeInstanceOf(type);
      }
      // A write to a table that does not exist yet creates it, then reads see it at once.
      const fresh = adapter.collection('fresh', { database: 'app' });
      // Core hands a store each new document with `_rev: 1` last; the store writes it as it is.
      expect(await fresh.write([{ type: 'insert', doc: { _id: 'x', n: 1, _rev: 1 } }])).toEqual([{ type: 'insert', doc: { _id: 'x', n: 1, _rev: 1 } }]);
      expect(await fresh.getMany(['x', 'y'])).toEqual([{ _id: 'x', n: 1, _rev: 1 }, null]);
      expect(await fresh.count(null)).toBe(1);
    });
  });

  it('refuses a KV-backed class up front, saying to declare it under new_sqlite_classes', async () => {
    await inObject('KV_OBJECT', 'sql-on-kv', async (storage) => {
      const error = (() => {
        try {
          createDurableObjectSqlStorage({ storage });
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as Error).message).toMatch(/^This Durable Object class has no SQLite storage.*"new_sqlite_classes".*createDurableObjectStorage\(\)/);
      expect((error as Error).cause).toBeInstanceOf(Error);
    });
  });

  it('validates its options', async () => {
    await inObject('SQL_OBJECT', 'sql-options', async (storage) => {
      expect(() => createDurableObjectSqlStorage({ storage: {} as never })).toThrow(/Pass this\.ctx\.storage/);
      expect(() => createDurableObjectSqlStorage(null as never)).toThrow(ValidationError);
      expect(() => createDurableObjectSqlStorage({ storage, tablePrefix: 'x"; DROP TABLE y; --' })).toThrow(ValidationError);
      expect(() => createDurableObjectSqlStorage({ storage, tablePrefix: '_cf_' })).toThrow(/reserves/);
      expect(createDurableObjectSqlStorage({ storage }).capabilities.atomicWrites).toBe(true);
    });
  });
});
