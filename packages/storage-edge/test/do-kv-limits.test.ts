import { Database, DuplicateKeyError, ValidationError } from '@pocket/core';
import { describe, expect, it } from 'vitest';
import { createDurableObjectStorage } from '../src/index.js';
import { countingStorage, inObject, padded, range } from './do-helpers.js';

// workerd under Miniflare enforces none of these limits itself (measured: 600 KB values,
// 129-key calls and 3 KB keys all succeed locally), so the tests check the adapter's own
// enforcement and, through a counting wrapper around the real storage, the size of every call.

const KiB = 1024;

describe('Durable Object KV storage limits', () => {
  it('inserts 5,000 documents in one turn of calls of at most 128 keys, and refuses all of the next 5,000 for one duplicate', async () => {
    await inObject('KV_OBJECT', 'kv-limits-bulk', async (real) => {
      const { storage, calls } = countingStorage(real);
      const items = (await Database.create({ name: 'app', storage: createDurableObjectStorage({ storage }) })).collection('items');
      const docs = range(5000).map((i) => ({ _id: padded(i), n: i, text: `item ${i}` }));
      const inserted = await items.bulkInsert(docs);
      expect(inserted).toHaveLength(5000);
      expect(inserted[4999]).toEqual({ ...docs[4999], _rev: 1 });
      // Each document, its revision record and its feed entry, and the feed's counter once.
      const keys = 5000 * 3 + 1;
      expect(calls.put).toHaveLength(Math.ceil(keys / 128));
      expect(new Set(calls.writeTurns)).toEqual(new Set([1]));
      expect(calls.put.reduce((a, b) => a + b, 0)).toBe(keys);
      expect(Math.max(...calls.get, ...calls.put)).toBeLessThanOrEqual(128);
      expect(await items.count()).toBe(5000);
      expect((await real.list({ prefix: 'pocket:items:' })).size).toBe(5000);
      expect((await real.list({ prefix: 'pocket:items~' })).size).toBe(5000);
      expect((await real.list({ prefix: 'pocket:items#' })).size).toBe(5000);

      const more = range(5000).map((i) => ({ _id: padded(i + 5000), n: i + 5000 }));
      more[4321] = { _id: padded(17), n: -1 }; // already stored
      await expect(items.bulkInsert(more)).rejects.toBeInstanceOf(DuplicateKeyError);
      expect(await items.count()).toBe(5000);
      expect(await items.get(padded(17))).toEqual({ ...docs[17], _rev: 1 });
      expect(await items.get(padded(5000))).toBeNull();

      expect(await items.bulkDelete(docs.map((d) => d._id))).toBe(5000);
      expect(Math.max(...calls.delete)).toBeLessThanOrEqual(128);
      expect(await items.count()).toBe(0);
    });
  });

  it('refuses a 200 KiB document with a ValidationError and writes nothing of its batch', async () => {
    await inObject('KV_OBJECT', 'kv-limits-value', async (real) => {
      const { storage, calls } = countingStorage(real);
      const items = (await Database.create({ name: 'app', storage: createDurableObjectStorage({ storage }) })).collection('items');
      const big = { _id: 'big', blob: 'x'.repeat(200 * KiB) };
      const batch = [{ _id: 'small-1', n: 1 }, big, { _id: 'small-2', n: 2 }];
      const error = await items.bulkInsert(batch).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as Error).message).toMatch(
        /^Document "big" in collection "items" is 204\d{3} bytes when stored; Durable Object storage allows 131072 per value\. Split it/,
      );
      expect(calls.put).toEqual([]);
      expect(await items.getMany(['small-1', 'big', 'small-2'])).toEqual([null, null, null]);
      await expect(items.upsert(big)).rejects.toBeInstanceOf(ValidationError);

      // An update that makes a document too large is refused the same way, and changes nothing.
      await items.insert({ _id: 'grows', blob: 'x'.repeat(100 * KiB) });
      await expect(items.update('grows', { more: 'y'.repeat(40 * KiB) })).rejects.toBeInstanceOf(ValidationError);
      expect(Object.keys((await items.get('grows'))!)).toEqual(['_id', 'blob', '_rev']);
      expect((await items.get('grows'))!._rev).toBe(1);
    });
  });

  it('measures a value as the platform stores the string: one byte per Latin-1 character, two otherwise', async () => {
    await inObject('KV_OBJECT', 'kv-limits-measure', async (storage) => {
      const items = (await Database.create({ name: 'app', storage: createDurableObjectStorage({ storage }) })).collection('items');
      // The value as stored, `_rev` included.
      const overhead = JSON.stringify({ _id: 'edge', s: '', _rev: 1 }).length;
      await items.insert({ _id: 'edge', s: 'a'.repeat(128 * KiB - overhead) });
      await expect(items.insert({ _id: 'edge+1', s: 'a'.repeat(128 * KiB - overhead + 1) })).rejects.toBeInstanceOf(ValidationError);
      // 100,000 'é' are 200,000 bytes of UTF-8 but 100,000 bytes as V8 stores them: accepted.
      await items.insert({ _id: 'latin1', s: 'é'.repeat(100_000) });
      // 70,000 '€' are 140,000 bytes as two-byte characters: refused.
      await expect(items.insert({ _id: 'euro', s: '€'.repeat(70_000) })).rejects.toBeInstanceOf(ValidationError);
      expect((await items.find().exec()).map((d) => d._id)).toEqual(['edge', 'latin1']);
    });
  });

  it('refuses keys over 2 KiB before writing anything, and reads such ids as missing', async () => {
    await inObject('KV_OBJECT', 'kv-limits-key', async (real) => {
      const { storage, calls } = countingStorage(real);
      // Core caps ids at 512 characters, so only a long keyPrefix makes a key exceed 2 KiB.
      const keyPrefix = `${'p'.repeat(1700)}:`;
      const items = (await Database.create({ name: 'app', storage: createDurableObjectStorage({ storage, keyPrefix }) })).collection('items');
      const fits = 'k'.repeat(2048 - keyPrefix.length - 'items:'.length);
      const tooLong = '€'.repeat(200); // 600 bytes of UTF-8, 200 characters
      const error = await items.bulkInsert([{ _id: fits }, { _id: tooLong }]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as Error).message).toMatch(
        /^The storage key of document "€{40}…" in collection "items" is 2307 bytes; Durable Object storage allows 2048\. Use a shorter _id or keyPrefix\./,
      );
      expect(calls.put).toEqual([]);
      expect(await items.count()).toBe(0);

      await items.insert({ _id: fits, n: 1 });
      expect((await real.list()).has(`${keyPrefix}items:${fits}`)).toBe(true);
      await expect(items.update(tooLong, { n: 2 })).rejects.toBeInstanceOf(ValidationError);
      await expect(items.delete(tooLong)).rejects.toBeInstanceOf(ValidationError);
      expect(await items.getMany([tooLong, fits])).toEqual([null, { _id: fits, n: 1, _rev: 1 }]);
    });
  });
});
