import { Database, DocumentNotFoundError, DuplicateKeyError } from '@pocket/core';
import { describe, expect, it } from 'vitest';
import { createDurableObjectStorage } from '../src/index.js';
import { countingStorage, inObject, padded, range } from './do-helpers.js';

/** Every key and value under `prefix`, to compare storage before and after a failed write. */
async function snapshot(storage: DurableObjectStorage, prefix = 'pocket:'): Promise<Array<[string, unknown]>> {
  return [...(await storage.list({ prefix })).entries()];
}

describe('Durable Object KV storage atomicity', () => {
  it('writes nothing of a bulkInsert with one duplicate, wherever it is', async () => {
    await inObject('KV_OBJECT', 'kv-atomic-insert', async (storage) => {
      const items = (await Database.create({ name: 'app', storage: createDurableObjectStorage({ storage }) })).collection('items');
      await items.bulkInsert([{ _id: padded(150), n: 150 }]);
      const before = await snapshot(storage);
      const docs = range(300).map((i) => ({ _id: padded(i), n: i })); // 300 ids span three put calls
      const error = await items.bulkInsert(docs).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DuplicateKeyError);
      expect((error as DuplicateKeyError).id).toBe(padded(150));
      expect(await snapshot(storage)).toEqual(before);
    });
  });

  it('changes nothing in a bulkUpdate with a missing id', async () => {
    await inObject('KV_OBJECT', 'kv-atomic-update', async (storage) => {
      const items = (await Database.create({ name: 'app', storage: createDurableObjectStorage({ storage }) })).collection('items');
      await items.bulkInsert(range(200).map((i) => ({ _id: padded(i), n: i })));
      const before = await snapshot(storage);
      const updates = [...range(200).map((i) => ({ id: padded(i), changes: { n: -i, touched: true } })), { id: 'missing', changes: { n: 0 } }];
      const error = await items.bulkUpdate(updates).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DocumentNotFoundError);
      expect((error as DocumentNotFoundError).id).toBe('missing');
      expect(await snapshot(storage)).toEqual(before);
    });
  });

  it('leaves storage as it was when a transaction around Pocket writes throws', async () => {
    await inObject('KV_OBJECT', 'kv-atomic-user-txn', async (storage) => {
      const todos = (await Database.create({ name: 'app', storage: createDurableObjectStorage({ storage }) })).collection('todos');
      await todos.insert({ _id: 'kept', title: 'before' });
      const before = await snapshot(storage);
      const error = await storage
        .transaction(async () => {
          await todos.insert({ _id: 'new', title: 'inside' });
          await todos.update('kept', { title: 'changed inside' });
          // Pocket's reads inside the caller's transaction see the caller's earlier writes.
          expect(await todos.get('new')).toEqual({ _id: 'new', title: 'inside', _rev: 1 });
          await todos.delete('kept');
          throw new Error('abort');
        })
        .catch((e: unknown) => e);
      expect((error as Error).message).toBe('abort');
      expect(await snapshot(storage)).toEqual(before);
      expect(await todos.find().exec()).toEqual([{ _id: 'kept', title: 'before', _rev: 1 }]);
    });
  });

  it('applies a batch in order, each operation seeing the ones before it', async () => {
    await inObject('KV_OBJECT', 'kv-atomic-order', async (real) => {
      const { storage, calls } = countingStorage(real);
      const store = createDurableObjectStorage({ storage }).collection('t', { database: 'app' });
      const results = await store.write([
        { type: 'insert', doc: { _id: 'a', v: 1 } },
        { type: 'update', id: 'a', patch: { w: 2 } },
        { type: 'delete', id: 'a' },
        { type: 'delete', id: 'a' },
        { type: 'insert', doc: { _id: 'a', v: 3 } },
        { type: 'upsert', doc: { _id: 'b', v: 4 } },
        { type: 'update', id: 'b', patch: { v: 5, _id: 'b' } },
      ]);
      // Each write raises its id's revision; the insert after the delete continues from the tombstone's.
      expect(results).toEqual([
        { type: 'insert', doc: { _id: 'a', v: 1, _rev: 1 } },
        { type: 'update', doc: { _id: 'a', v: 1, w: 2, _rev: 2 } },
        { type: 'delete', id: 'a', deleted: true, rev: 3 },
        { type: 'delete', id: 'a', deleted: false },
        { type: 'insert', doc: { _id: 'a', v: 3, _rev: 4 } },
        { type: 'upsert', doc: { _id: 'b', v: 4, _rev: 1 } },
        { type: 'update', doc: { _id: 'b', v: 5, _rev: 2 } },
      ]);
      // Only the end state is stored: one feed entry per id changed, at the batch's sequence numbers.
      expect(await snapshot(real)).toEqual([
        ['pocket:t!seq', 2],
        ['pocket:t#0000000000000001', ['a', 4, 0]],
        ['pocket:t#0000000000000002', ['b', 2, 0]],
        ['pocket:t:a', '{"_id":"a","v":3,"_rev":4}'],
        ['pocket:t:b', '{"_id":"b","v":5,"_rev":2}'],
        ['pocket:t~a', [4, 1, 0]],
        ['pocket:t~b', [2, 2, 0]],
      ]);
      // One read of both ids, their revision records and the feed's counter; one put of the final
      // documents, revision records, feed entries and counter; nothing deleted that ends stored.
      expect(calls).toMatchObject({ get: [5], put: [7], delete: [], writeTurns: [1] });
      await expect(
        store.write([
          { type: 'delete', id: 'b' },
          { type: 'update', id: 'b', patch: { v: 6 } },
        ]),
      ).rejects.toBeInstanceOf(DocumentNotFoundError);
      expect(await store.getMany(['b'])).toEqual([{ _id: 'b', v: 5, _rev: 2 }]);
    });
  });
});
