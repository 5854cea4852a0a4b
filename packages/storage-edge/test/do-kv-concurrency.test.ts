import { Database, DuplicateKeyError } from '@pocket/core';
import { describe, expect, it } from 'vitest';
import { createDurableObjectStorage } from '../src/index.js';
import { countingStorage, inObject } from './do-helpers.js';

describe('DO KV storage: writes started together', () => {
  it('keeps every field of parallel patches to one document, and each single write is one call', async () => {
    await inObject('KV_OBJECT', 'parallel-patches', async (real) => {
      const { storage, calls } = countingStorage(real);
      const docs = Database.open({ name: 'p', storage: createDurableObjectStorage({ storage }) }).collection('counters');
      await docs.insert({ _id: 'one' });
      await Promise.all(Array.from({ length: 20 }, (_, i) => docs.update('one', { [`f${i}`]: i })));
      const doc = await docs.get('one');
      expect(Object.keys(doc!)).toHaveLength(22); // _id, the 20 fields and _rev
      for (let i = 0; i < 20; i++) expect(doc![`f${i}`]).toBe(i);
      // The insert and 20 updates: revision 21, no raise lost.
      expect(doc!._rev).toBe(21);
      // Each write is one put (the document, its revision record, its feed entry, the counter)
      // and, for an update, one delete (the id's previous feed entry), made in one turn.
      expect(calls.put).toEqual(Array(21).fill(4));
      expect(calls.delete).toEqual(Array(20).fill(1));
      expect(calls.writeTurns).toEqual([1, ...Array.from({ length: 20 }, (_, i) => [i + 2, i + 2]).flat()]);
    });
  });

  it('lets exactly one of several parallel inserts of one id succeed, also across Database instances', async () => {
    await inObject('KV_OBJECT', 'parallel-inserts', async (storage) => {
      const open = () => Database.open({ name: 'p', storage: createDurableObjectStorage({ storage }) }).collection('todos');
      const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => open().insert({ _id: 'same', n: i })));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(DuplicateKeyError);
      const winner = outcomes.find((o) => o.status === 'fulfilled') as PromiseFulfilledResult<{ n?: unknown }>;
      expect(await open().get('same')).toEqual({ _id: 'same', n: winner.value.n, _rev: 1 });
    });
  });

  it('makes every call of a batch that needs several in one turn, so the platform commits them as one unit', async () => {
    await inObject('KV_OBJECT', 'big-batch', async (real) => {
      const { storage, calls } = countingStorage(real);
      const docs = Database.open({ name: 'p', storage: createDurableObjectStorage({ storage }) }).collection('docs');
      await docs.bulkInsert(Array.from({ length: 300 }, (_, i) => ({ _id: `d${i}` })));
      // 300 documents, 300 revision records, 300 feed entries and the counter: 901 keys.
      expect(calls.put).toEqual([...Array(7).fill(128), 5]);
      // A mixed batch: its puts and deletes too.
      const store = createDurableObjectStorage({ storage }).collection('docs', { database: 'p' });
      await store.write([
        ...Array.from({ length: 200 }, (_, i) => ({ type: 'delete' as const, id: `d${i}` })),
        ...Array.from({ length: 150 }, (_, i) => ({ type: 'insert' as const, doc: { _id: `e${i}` } })),
      ]);
      // Puts: 200 tombstones' revision records and feed entries, 150 documents with theirs, the
      // counter (851 keys). Deletes: 200 documents and their previous feed entries (400 keys).
      expect(calls.put).toEqual([...Array(7).fill(128), 5, ...Array(6).fill(128), 83]);
      expect(calls.delete).toEqual([128, 128, 128, 16]);
      expect(calls.writeTurns).toEqual([...Array(8).fill(1), ...Array(11).fill(2)]);
      expect(await docs.count()).toBe(250);
    });
  });

  it('does not deadlock when a user transaction writes through Pocket while other Pocket writes wait', async () => {
    await inObject('KV_OBJECT', 'queue-and-transaction', async (storage) => {
      const c = Database.open({ name: 'p', storage: createDurableObjectStorage({ storage }) }).collection('t');
      // Queued: insert a; the transaction's insert b waits behind it; the update waits behind both.
      await Promise.all([
        c.insert({ _id: 'a' }),
        storage.transaction(async () => {
          await c.insert({ _id: 'b' });
        }),
        c.update('a', { x: 1 }),
      ]);
      expect(await c.find().exec()).toEqual([
        { _id: 'a', x: 1, _rev: 2 },
        { _id: 'b', _rev: 1 },
      ]);
    });
  });
});
