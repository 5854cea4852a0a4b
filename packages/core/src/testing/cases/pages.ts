import { expect } from 'vitest';
import type { Collection } from '../../collection.js';
import type { AnyDocument } from '../../document.js';
import { QueryError } from '../../errors.js';
import { evaluate } from '../../evaluator/evaluate.js';
import type { QueryBuilder } from '../../query/builder.js';
import type { StoredDocument } from '../../storage/adapter.js';
import { expectRejection, expectThrow, idsOf } from '../helpers.js';
import { group, test } from './case.js';

/** Every page of `query`, following `next` until it is null (at most `max` pages). */
async function allPages(query: QueryBuilder<AnyDocument>, max = 200): Promise<{ pages: AnyDocument[][]; ids: string[] }> {
  const pages: AnyDocument[][] = [];
  let page = await query.page();
  pages.push(page.docs);
  while (page.next !== null && pages.length < max) {
    page = await query.after(page.next).page();
    pages.push(page.docs);
  }
  expect(page.next, 'pages end with next: null').toBeNull();
  return { pages, ids: pages.flat().map((d) => d._id) };
}

/** 61 documents whose `group` ties in fours, and whose `v` has every type and gaps. */
function tied(): StoredDocument[] {
  const values = [null, 3, -1.5, 'b', 'a', true, false, { k: 1 }, [2], '', 0];
  return Array.from({ length: 61 }, (_, i) => {
    const doc: StoredDocument = { _id: `d${String((i * 37) % 61).padStart(2, '0')}`, group: i % 4 };
    if (i % 12 !== 5) doc.v = values[i % values.length]!;
    return doc;
  });
}

async function filled(collection: Collection<AnyDocument>, docs: StoredDocument[]): Promise<Collection<AnyDocument>> {
  await collection.bulkInsert(docs);
  return collection;
}

export const pageCases = [
  group('cursor pages', [
    test('pages return every match exactly once, in order, with ties and every type', async ({ collection }) => {
      const docs = tied();
      const c = await filled(collection, docs);
      for (const base of [
        c.find().sort('group', 'desc'),
        c.find().sort('v').sort('group', 'desc'),
        c.find().sort('v', 'desc'),
        c.find().where('group').gt(0).sort('v'),
        c.find().where('v').exists().sort('group').sort('v', 'desc'),
      ]) {
        const full = evaluate({ ...base.toQuery(), limit: null }, docs);
        for (const size of [1, 4, 7, 100]) {
          const { pages, ids } = await allPages(base.limit(size));
          expect(ids, `${JSON.stringify(base.toQuery().sort)}, pages of ${size}`).toEqual(idsOf(full));
          for (const page of pages) expect(page.length).toBeLessThanOrEqual(size);
          expect(pages.slice(0, -1).every((p) => p.length === size)).toBe(true);
        }
      }
    }),
    test('a query without sort pages in _id order', async ({ collection }) => {
      const docs = tied();
      const c = await filled(collection, docs);
      const { ids } = await allPages(c.find().where('group').equals(2).limit(3));
      expect(ids).toEqual(
        idsOf(
          evaluate(
            { filter: null, sort: [{ path: '_id', direction: 'asc' }], skip: 0, limit: null },
            docs.filter((d) => d.group === 2),
          ),
        ),
      );
      const first = await c.find().limit(5).page();
      expect(idsOf(first.docs)).toEqual(['d00', 'd01', 'd02', 'd03', 'd04']);
      expect(idsOf(await c.find().after(first.next!).limit(2).exec())).toEqual(['d05', 'd06']);
    }),
    test('writes between pages: nothing repeated or skipped, nothing returned before the cursor', async ({ collection }) => {
      const c = await filled(
        collection,
        Array.from({ length: 10 }, (_, i) => ({ _id: `p${i}`, n: i * 10 })),
      );
      const query = c.find().sort('n').limit(3);
      const first = await query.page();
      expect(idsOf(first.docs)).toEqual(['p0', 'p1', 'p2']);
      await c.insert({ _id: 'before', n: 5 }); // sorts before the cursor
      await c.insert({ _id: 'after', n: 45 }); // sorts after it
      await c.delete('p4');
      await c.update('p3', { n: 21 }); // still after the cursor (20)
      await c.update('p1', { n: 95 }); // moved from before the cursor to after it
      const { ids } = await allPages(query.after(first.next!));
      expect(ids).toEqual(['p3', 'after', 'p5', 'p6', 'p7', 'p8', 'p9', 'p1']);
      // A tie with the cursor's value goes by _id.
      await c.insert({ _id: 'p2a', n: 20 });
      await c.insert({ _id: 'p1z', n: 20 });
      expect(idsOf(await query.after(first.next!).exec())).toEqual(['p2a', 'p3', 'after']);
    }),
    test('first() and exec() honour after; count() does not', async ({ collection }) => {
      const c = await filled(
        collection,
        Array.from({ length: 6 }, (_, i) => ({ _id: `q${i}`, n: i })),
      );
      const { next } = await c.find().sort('n', 'desc').limit(2).page();
      const rest = c.find().sort('n', 'desc').after(next!);
      expect((await rest.first())?._id).toBe('q3');
      expect(idsOf(await rest.exec())).toEqual(['q3', 'q2', 'q1', 'q0']);
      expect(await rest.count()).toBe(6);
    }),
    test('pages over a filter with a regular expression', async ({ collection }) => {
      const docs = Array.from({ length: 30 }, (_, i) => ({ _id: `r${String(i).padStart(2, '0')}`, word: i % 3 === 0 ? `Match-${i}` : `other-${i}`, n: i % 5 }));
      const c = await filled(collection, docs);
      const base = c
        .find()
        .where('word')
        .matches(/^match/i)
        .sort('n', 'desc');
      const { ids } = await allPages(base.limit(4));
      expect(ids).toEqual(idsOf(evaluate({ ...base.toQuery() }, docs)));
    }),
    test('a sort on long values still pages: the cursor carries them', async ({ collection }) => {
      const long = (c: string) => c.repeat(50_000);
      await collection.bulkInsert([
        { _id: 'l1', s: long('a') },
        { _id: 'l2', s: long('b') },
        { _id: 'l3', s: long('b') },
      ]);
      const query = collection.find().sort('s').limit(1);
      const { ids } = await allPages(query);
      expect(ids).toEqual(['l1', 'l2', 'l3']);
    }),
    test('bad cursors and misuse are QueryErrors', async ({ collection }) => {
      const c = await filled(
        collection,
        Array.from({ length: 5 }, (_, i) => ({ _id: `b${i}`, n: i })),
      );
      const { next } = await c.find().sort('n').limit(2).page();
      expect(next).toEqual(expect.any(String));
      expectThrow(() => c.find().sort('n', 'desc').after(next!), QueryError, 'QUERY_ERROR');
      expectThrow(() => c.find().after(next!), QueryError, 'QUERY_ERROR');
      expectThrow(() => c.find().sort('n').sort('_id').after(next!), QueryError, 'QUERY_ERROR');
      for (const bad of ['', 'not a cursor!', 'e30', btoa('[1,[],[],"x"]'), `${next!.slice(0, -3)}`, 42, null]) {
        expectThrow(
          () =>
            c
              .find()
              .sort('n')
              .after(bad as string),
          QueryError,
          'QUERY_ERROR',
        );
      }
      expectThrow(() => c.find().sort('n').after(next!).sort('_id'), QueryError, 'QUERY_ERROR');
      // Parsed JSON of any shape inside, and positions from outside that no document has.
      const encode = (value: unknown) => btoa(JSON.stringify(value)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
      expectThrow(
        () =>
          c
            .find()
            .sort('n')
            .after(encode([1, [[{ toString: 1 }, 'asc']], [1], 'a'])),
        QueryError,
        'QUERY_ERROR',
      );
      expectThrow(
        () =>
          c
            .find()
            .sort('n')
            .after(encode([1, [['n', { toString: 1 }]], [1], 'a'])),
        QueryError,
        'QUERY_ERROR',
      );
      expectThrow(() => c.query({ sort: [{ path: '_id', direction: 'asc' }], after: { values: [5], id: 'b1' } }), QueryError, 'QUERY_ERROR');
      expectThrow(() => c.query({ sort: [{ path: '_id', direction: 'asc' }], after: { values: [null], id: 'b1' } }), QueryError, 'QUERY_ERROR');
      expectThrow(() => c.query({ sort: [{ path: 'n', direction: 'asc' }], after: { values: [1], id: '\ud800' } }), QueryError, 'QUERY_ERROR');
      expect(idsOf(await c.query({ sort: [{ path: '_id', direction: 'desc' }], after: { values: ['b2'], id: 'b2' } }).exec())).toEqual(['b1', 'b0']);
      await expectRejection(c.find().sort('n').skip(1).limit(2).page(), QueryError, 'QUERY_ERROR');
      await expectRejection(c.find().sort('n').limit(0).page(), QueryError, 'QUERY_ERROR');
      const all = await c.find().sort('n').page();
      expect(all).toEqual({ docs: expect.any(Array), next: null });
      expect(all.docs).toHaveLength(5);
    }),
  ]),
];
