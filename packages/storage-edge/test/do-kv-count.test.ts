import { Database } from '@pocket/core';
import { describe, expect, it } from 'vitest';
import { createDurableObjectStorage, DurableObjectStorageError } from '../src/index.js';
import { countingStorage, inObject } from './do-helpers.js';

// Counting a whole collection reads every value but parses none of them (see kv-scan.ts).
describe('count() of a whole collection on Durable Object KV storage', () => {
  it('counts every document across list() pages, and only this collection', async () => {
    await inObject('KV_OBJECT', 'kv-count-all', async (real) => {
      const { storage, calls } = countingStorage(real);
      const db = await Database.create({ name: 'app', storage: createDurableObjectStorage({ storage, pageSize: 7 }) });
      await db.collection('todos').bulkInsert(Array.from({ length: 30 }, (_, i) => ({ _id: `t${i}`, n: i })));
      await db.collection('other').insert({ _id: 'o1' });
      calls.list.length = 0;
      expect(await db.collection('todos').count()).toBe(30);
      expect(calls.list).toEqual([7, 7, 7, 7, 2]);
      expect(await db.collection('todos').find().where('n').gte(10).count()).toBe(20);
      expect(await db.collection('empty').count()).toBe(0);
    });
  });

  it('still reports a value Pocket did not write', async () => {
    await inObject('KV_OBJECT', 'kv-count-foreign', async (storage) => {
      await storage.put('pocket:todos:x', { not: 'text' });
      const todos = (await Database.create({ name: 'app', storage: createDurableObjectStorage({ storage }) })).collection('todos');
      const error = await todos.count().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DurableObjectStorageError);
      expect((error as Error).message).toMatch(/key "pocket:todos:x" holds a object/);
    });
  });
});
