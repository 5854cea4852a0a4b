import { abortAllDurableObjects } from 'cloudflare:test';
import { Database, DocumentNotFoundError, DuplicateKeyError, ValidationError } from '@pocket/core';
import { describe, expect, it } from 'vitest';
import { createDurableObjectStorage, DurableObjectStorageError } from '../src/index.js';
import { inObject, type ObjectKind } from './do-helpers.js';

interface Todo {
  _id: string;
  title: string;
  completed: boolean;
  userId: string;
  tags?: string[];
  profile?: { age: number };
}

const kinds: ObjectKind[] = ['KV_OBJECT', 'SQL_OBJECT'];

describe.each(kinds)('Durable Object KV storage on %s', (kind) => {
  it('inserts, queries, updates and deletes', async () => {
    await inObject(kind, 'kv-basics-crud', async (storage) => {
      const db = await Database.create({ name: 'app', storage: createDurableObjectStorage({ storage }) });
      const todos = db.collection<Todo>('todos');
      await todos.insert({ _id: 'a', title: 'one', completed: false, userId: 'u1', tags: ['x'], profile: { age: 3 } });
      await todos.bulkInsert([
        { _id: 'b', title: 'two', completed: true, userId: 'u1' },
        { _id: 'c', title: 'three', completed: false, userId: 'u2', tags: ['x', 'y'] },
      ]);
      await expect(todos.insert({ _id: 'a', title: 'dup', completed: false, userId: 'u1' })).rejects.toBeInstanceOf(DuplicateKeyError);
      expect((await todos.find().where('userId').equals('u1').exec()).map((t) => t._id)).toEqual(['a', 'b']);
      expect((await todos.find().where('completed').equals(false).sort('title', 'desc').exec()).map((t) => t._id)).toEqual(['c', 'a']);
      expect((await todos.find().where('tags').contains('y').exec()).map((t) => t._id)).toEqual(['c']);
      expect((await todos.find().where('title').matches(/^t/).skip(1).limit(1).exec()).map((t) => t._id)).toEqual(['c']);
      expect(await todos.find().where('profile.age').gte(3).count()).toBe(1);
      expect(await todos.update('a', { completed: true, tags: ['q'] })).toEqual({
        _id: 'a',
        title: 'one',
        completed: true,
        userId: 'u1',
        tags: ['q'],
        profile: { age: 3 },
        _rev: 2,
      });
      await expect(todos.update('nope', { completed: true })).rejects.toBeInstanceOf(DocumentNotFoundError);
      expect(
        await todos.bulkUpdate([
          { id: 'a', changes: { title: 'A' } },
          { id: 'b', changes: { title: 'B' } },
        ]),
      ).toMatchObject([
        { title: 'A', _rev: 3 },
        { title: 'B', _rev: 2 },
      ]);
      expect(await todos.upsert({ _id: 'a', title: 'again', completed: false, userId: 'u3' })).toEqual({
        _id: 'a',
        title: 'again',
        completed: false,
        userId: 'u3',
        _rev: 4,
      });
      expect(await todos.get('a')).toEqual({ _id: 'a', title: 'again', completed: false, userId: 'u3', _rev: 4 });
      expect(await todos.delete('a')).toBe(true);
      expect(await todos.delete('a')).toBe(false);
      expect(await todos.bulkDelete(['b', 'c', 'x'])).toBe(2);
      expect(await todos.count()).toBe(0);
      // No document keys are left; each id keeps its revision record, a tombstone at its last
      // revision, and one feed entry, at its last write (sequence numbers 8 to 10 of 10 writes).
      expect([...(await storage.list({ prefix: 'pocket:todos' })).entries()]).toEqual([
        ['pocket:todos!seq', 10],
        ['pocket:todos#0000000000000008', ['a', 5, 1]],
        ['pocket:todos#0000000000000009', ['b', 3, 1]],
        ['pocket:todos#0000000000000010', ['c', 2, 1]],
        ['pocket:todos~a', [5, 8, 1]],
        ['pocket:todos~b', [3, 9, 1]],
        ['pocket:todos~c', [2, 10, 1]],
      ]);
    });
  });

  it("keeps one key per document, `<keyPrefix><collection>:<id>`, holding its JSON text, beside the change feed's keys", async () => {
    await inObject(kind, 'kv-basics-layout', async (storage) => {
      const db = await Database.create({ name: 'app', storage: createDurableObjectStorage({ storage }) });
      await db.collection('todos').insert({ _id: 'a:1', title: 'colon in id' });
      await db.collection('notes').insert({ _id: 'n', text: 'hi' });
      // Per collection: its last sequence number (`!seq`), a feed entry per changed id
      // (`#<seq>`: id, revision, deleted), the documents (`:<id>`, `_rev` last), and a revision
      // record per id (`~<id>`: revision, sequence number, deleted).
      expect([...(await storage.list()).entries()]).toEqual([
        ['pocket:notes!seq', 1],
        ['pocket:notes#0000000000000001', ['n', 1, 0]],
        ['pocket:notes:n', '{"_id":"n","text":"hi","_rev":1}'],
        ['pocket:notes~n', [1, 1, 0]],
        ['pocket:todos!seq', 1],
        ['pocket:todos#0000000000000001', ['a:1', 1, 0]],
        ['pocket:todos:a:1', '{"_id":"a:1","title":"colon in id","_rev":1}'],
        ['pocket:todos~a:1', [1, 1, 0]],
      ]);
      // A collection's documents are exactly the keys under `<keyPrefix><collection>:`.
      expect([...(await storage.list({ prefix: 'pocket:todos:' })).keys()]).toEqual(['pocket:todos:a:1']);
    });
  });

  it('returns documents by id in the order asked, null where missing, fresh objects for repeats', async () => {
    await inObject(kind, 'kv-basics-getmany', async (storage) => {
      const db = await Database.create({ name: 'app', storage: createDurableObjectStorage({ storage }) });
      const items = db.collection('items');
      await items.bulkInsert(Array.from({ length: 300 }, (_, i) => ({ _id: `i${i}`, n: i })));
      const ids = ['i299', 'missing', 'i0', 'i299', ...Array.from({ length: 200 }, (_, i) => `i${i}`)];
      const got = await items.getMany(ids);
      expect(got.map((d) => (d === null ? null : d._id))).toEqual(ids.map((id) => (id === 'missing' ? null : id)));
      expect(got[0]).toEqual(got[3]);
      expect(got[0]).not.toBe(got[3]);
      expect(await items.get('missing')).toBeNull();
    });
  });

  it('keeps databases with different key prefixes apart in one object', async () => {
    await inObject(kind, 'kv-basics-prefixes', async (storage) => {
      const a = await Database.create({ name: 'a', storage: createDurableObjectStorage({ storage, keyPrefix: 'a:' }) });
      const b = await Database.create({ name: 'b', storage: createDurableObjectStorage({ storage, keyPrefix: 'b:' }) });
      await a.collection('todos').bulkInsert([
        { _id: '1', db: 'a' },
        { _id: '2', db: 'a' },
      ]);
      await b.collection('todos').insert({ _id: '1', db: 'b' });
      expect(await a.collection('todos').find().exec()).toEqual([
        { _id: '1', db: 'a', _rev: 1 },
        { _id: '2', db: 'a', _rev: 1 },
      ]);
      expect(await b.collection('todos').find().exec()).toEqual([{ _id: '1', db: 'b', _rev: 1 }]);
      expect(await b.collection('todos').count()).toBe(1);
      expect(await b.collection('todos').delete('2')).toBe(false);
      expect(await a.collection('todos').count()).toBe(2);
    });
  });

  it('keeps ids containing ":" inside their own collection', async () => {
    await inObject(kind, 'kv-basics-colons', async (storage) => {
      const db = await Database.create({ name: 'app', storage: createDurableObjectStorage({ storage }) });
      // 'pocket:users:todos:1' must not be read as collection "users:todos", and 'todos' must not see it.
      await db.collection('users').bulkInsert([{ _id: 'todos:1' }, { _id: 'a:b:c' }]);
      await db.collection('todos').insert({ _id: '1' });
      await db.collection('a').insert({ _id: 'b:c' });
      expect(await db.collection('todos').find().exec()).toEqual([{ _id: '1', _rev: 1 }]);
      expect(await db.collection('users').find().exec()).toEqual([
        { _id: 'a:b:c', _rev: 1 },
        { _id: 'todos:1', _rev: 1 },
      ]);
      expect(await db.collection('a').find().exec()).toEqual([{ _id: 'b:c', _rev: 1 }]);
      expect(await db.collection('users').get('todos:1')).toEqual({ _id: 'todos:1', _rev: 1 });
      expect(await db.collection('todos').get('todos:1')).toBeNull();
    });
  });
});

describe('Durable Object KV storage options', () => {
  it('rejects key prefixes that could overlap another database, with a message that says what to use', async () => {
    await inObject('KV_OBJECT', 'kv-options-prefix', async (storage) => {
      for (const keyPrefix of ['pocket:todos:', 'x', '', ':', 'a:b', 'a::', 42, null]) {
        const create = () => createDurableObjectStorage({ storage, keyPrefix: keyPrefix as string });
        expect(create, JSON.stringify(keyPrefix)).toThrow(ValidationError);
        expect(create).toThrow(/^createDurableObjectStorage\(\): keyPrefix .* ends with ":" and has no other ":"/);
      }
      expect(createDurableObjectStorage({ storage, keyPrefix: 'tenant-42:' }).name).toBe('durable-object');
    });
  });

  it('rejects what is not a Durable Object storage, and bad page sizes', async () => {
    await inObject('KV_OBJECT', 'kv-options-storage', async (storage) => {
      expect(() => createDurableObjectStorage({ storage: {} as never })).toThrow(/Pass this\.ctx\.storage/);
      expect(() => createDurableObjectStorage(undefined as never)).toThrow(ValidationError);
      for (const pageSize of [0, 1.5, 1001, Number.NaN]) {
        expect(() => createDurableObjectStorage({ storage, pageSize })).toThrow(ValidationError);
      }
    });
  });

  it('reports a value it did not write as a DurableObjectStorageError', async () => {
    await inObject('KV_OBJECT', 'kv-options-foreign', async (storage) => {
      await storage.put('pocket:todos:x', { not: 'text' });
      const todos = (await Database.create({ name: 'app', storage: createDurableObjectStorage({ storage }) })).collection('todos');
      const error = await todos
        .find()
        .exec()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DurableObjectStorageError);
      expect((error as DurableObjectStorageError).message).toMatch(/^Durable Object storage: read failed: key "pocket:todos:x" holds a object/);
      await expect(todos.update('x', { a: 1 })).rejects.toBeInstanceOf(DurableObjectStorageError);
      expect(await storage.get('pocket:todos:x')).toEqual({ not: 'text' });
    });
  });

  it('answers a write it refuses before touching storage with a rejected promise, not a throw', async () => {
    await inObject('KV_OBJECT', 'kv-refused-early', async (storage) => {
      const store = createDurableObjectStorage({ storage }).collection('todos', { database: 'app' });
      // A key over the platform's 2 KiB is refused while the batch is being prepared.
      let answer: unknown;
      expect(() => (answer = store.write([{ type: 'insert', doc: { _id: 'x'.repeat(3000) } }]))).not.toThrow();
      expect(answer).toBeInstanceOf(Promise);
      await expect(answer).rejects.toBeInstanceOf(ValidationError);
      expect(await storage.list({ prefix: 'pocket:' })).toEqual(new Map());
    });
  });
});

describe('Durable Object KV storage across instances', () => {
  it('keeps what one Database wrote for a new instance of the object and a new Database', async () => {
    await inObject('KV_OBJECT', 'kv-persist', async (storage, instance) => {
      (instance as { marker?: string }).marker = 'first instance';
      const db = await Database.create({ name: 'app', storage: createDurableObjectStorage({ storage }) });
      await db.collection('todos').bulkInsert([
        { _id: 'a', n: 1 },
        { _id: 'b', n: 2 },
      ]);
      await db.collection('todos').update('b', { n: 3 });
    });
    await abortAllDurableObjects();
    await inObject('KV_OBJECT', 'kv-persist', async (storage, instance) => {
      expect((instance as { marker?: string }).marker).toBeUndefined();
      const db = await Database.create({ name: 'app', storage: createDurableObjectStorage({ storage }) });
      expect(await db.collection('todos').find().exec()).toEqual([
        { _id: 'a', n: 1, _rev: 1 },
        { _id: 'b', n: 3, _rev: 2 },
      ]);
    });
  });
});
