import { Database, type FindQuery, type StoredDocument } from '@pocket/core';
import { evaluate } from '@pocket/core/adapter';
import { describe, expect, it } from 'vitest';
import { createDurableObjectStorage } from '../src/index.js';
import { countingStorage, inObject, padded, range } from './do-helpers.js';

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

// Ids whose UTF-16 order differs from code point order: the storage lists keys by UTF-8 bytes.
const UNICODE_IDS = ['z', 'é', '\uffff', '😀', '\ue000', 'A', 'a:b'];

function documents(n: number): StoredDocument[] {
  return [
    ...range(n).map((i) => ({ _id: padded(i), n: i, group: i % 7, title: `t${i % 13}` })),
    ...UNICODE_IDS.map((id, i) => ({ _id: id, n: -1 - i, group: 0, title: 'u' })),
  ];
}

/** The documents as stored, each at its first revision: what the evaluator's answers are made of. */
const stored = (docs: StoredDocument[]): StoredDocument[] => docs.map((doc) => ({ ...doc, _rev: 1 }));

describe('Durable Object KV storage queries', () => {
  it('reads only as far as a limited query without sort needs', async () => {
    await inObject('KV_OBJECT', 'kv-paging-early', async (real) => {
      const docs = documents(1000);
      const { storage, calls } = countingStorage(real);
      const items = (await Database.create({ name: 'app', storage: createDurableObjectStorage({ storage }) })).collection('items');
      await items.bulkInsert(docs);

      calls.list = [];
      const firstTen = await items.find().limit(10).exec();
      expect(firstTen).toEqual(evaluate({ filter: null, sort: [], skip: 0, limit: 10 }, stored(docs)));
      expect(calls.list).toEqual([10]);

      calls.list = [];
      const page = items.find().where('group').equals(3).skip(4).limit(5);
      expect(await page.exec()).toEqual(evaluate(page.toQuery(), stored(docs)));
      // 9 matches needed, one document in 7 matches: pages of 9, 18 and 36 keys reach the 9th match, the 62nd key.
      expect(calls.list).toEqual([9, 18, 36]);
      expect(sum(calls.list)).toBeLessThan(100);

      calls.list = [];
      const sorted = items.find().where('group').equals(3).sort('n', 'desc').limit(5);
      expect(await sorted.exec()).toEqual(evaluate(sorted.toQuery(), stored(docs)));
      expect(sum(calls.list)).toBe(docs.length); // a sort needs every match

      calls.list = [];
      expect(await items.find().limit(0).exec()).toEqual([]);
      expect(calls.list).toEqual([]);
    });
  });

  it('returns exactly what the evaluator returns, in unicode _id order, whatever the page size', async () => {
    const docs = documents(600);
    const queries: FindQuery[] = [
      { filter: null, sort: [], skip: 0, limit: null },
      { filter: null, sort: [], skip: 595, limit: 20 },
      { filter: null, sort: [], skip: 1000, limit: 5 },
      { filter: { kind: 'condition', op: 'eq', path: 'group', value: 0 }, sort: [], skip: 80, limit: 10 },
      { filter: { kind: 'condition', op: 'eq', path: 'group', value: 0 }, sort: [], skip: 0, limit: null },
      { filter: { kind: 'condition', op: 'gte', path: 'n', value: 550 }, sort: [{ path: 'title', direction: 'asc' }], skip: 3, limit: 10 },
      { filter: { kind: 'condition', op: 'startsWith', path: 'title', prefix: 't1' }, sort: [{ path: 'group', direction: 'desc' }], skip: 0, limit: null },
    ];
    for (const pageSize of [1, 7, 256]) {
      await inObject('KV_OBJECT', `kv-paging-exact-${pageSize}`, async (storage) => {
        const items = (await Database.create({ name: 'app', storage: createDurableObjectStorage({ storage, pageSize }) })).collection('items');
        await items.bulkInsert(docs);
        const all = await items.find().exec();
        // Code point order: '😀' (a surrogate pair in UTF-16) sorts after '\uffff', unlike a JS sort.
        expect(all.map((d) => d._id)).toEqual(['A', 'a:b', ...range(600).map((i) => padded(i)), 'z', 'é', '\ue000', '\uffff', '😀']);
        for (const query of queries) {
          const found = await createDurableObjectStorage({ storage, pageSize }).collection('items', { database: 'app' }).find(query);
          expect(found, `${JSON.stringify(query)} with pageSize ${pageSize}`).toEqual(evaluate(query, stored(docs)));
        }
        expect(await items.count()).toBe(docs.length);
        expect(await items.find().where('group').equals(0).count()).toBe(
          evaluate({ filter: { kind: 'condition', op: 'eq', path: 'group', value: 0 }, sort: [], skip: 0, limit: null }, docs).length,
        );
      });
    }
  });
});
