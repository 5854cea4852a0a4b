import { expect } from 'vitest';
import { QueryError } from '../../errors.js';
import type { StoredDocument } from '../../storage/adapter.js';
import { expectThrow, idsOf } from '../helpers.js';
import { group, test } from './case.js';

const DOCS: StoredDocument[] = [
  { _id: 'a', title: 'Write docs', userId: 'u1', n: 3, profile: { age: 30, tags: ['x'] }, note: null },
  { _id: 'b', title: 'Ship it', userId: 'u2', n: 1, profile: { age: 41 } },
  { _id: 'c', userId: 'u1', n: 2, 'odd key': "it's", note: 'hi' },
];

export const projectionCases = [
  group('projections', [
    test('select returns _id and the fields a document has, filters and sorts see every field', async ({ collection }) => {
      await collection.bulkInsert(DOCS);
      const found = await collection.find().where('n').gte(2).sort('n', 'desc').select('title', 'profile', 'note').exec();
      expect(found).toStrictEqual([
        { _id: 'a', _rev: 1, title: 'Write docs', profile: { age: 30, tags: ['x'] }, note: null },
        { _id: 'c', _rev: 1, note: 'hi' },
      ]);
      expect(await collection.find().where('profile.age').gt(35).select('userId').first()).toStrictEqual({ _id: 'b', _rev: 1, userId: 'u2' });
      expect(await collection.find().sort('_id').select('odd key', '_id').exec()).toStrictEqual([
        { _id: 'a', _rev: 1 },
        { _id: 'b', _rev: 1 },
        { _id: 'c', _rev: 1, 'odd key': "it's" },
      ]);
      expect(await collection.find().sort('_id').select().exec()).toStrictEqual([
        { _id: 'a', _rev: 1 },
        { _id: 'b', _rev: 1 },
        { _id: 'c', _rev: 1 },
      ]);
      expect(await collection.find().where('title').matches(/^w/i).select('n').exec()).toStrictEqual([{ _id: 'a', _rev: 1, n: 3 }]);
      expect(await collection.find().sort('n').skip(1).limit(1).select('n', 'nowhere').exec()).toStrictEqual([{ _id: 'c', _rev: 1, n: 2 }]);
      // select() again replaces the fields; count() ignores it.
      expect(await collection.find().select('title').select('n').sort('n').exec()).toStrictEqual([
        { _id: 'b', _rev: 1, n: 1 },
        { _id: 'c', _rev: 1, n: 2 },
        { _id: 'a', _rev: 1, n: 3 },
      ]);
      expect(await collection.find().select('title').count()).toBe(3);
    }),
    test('pages of a projection carry their cursor without the sort fields', async ({ collection }) => {
      await collection.bulkInsert(Array.from({ length: 9 }, (_, i) => ({ _id: `p${i}`, n: i % 3, label: `L${i}` })));
      const query = collection.find().sort('n', 'desc').select('label').limit(4);
      const first = await query.page();
      expect(first.docs).toStrictEqual([
        { _id: 'p2', _rev: 1, label: 'L2' },
        { _id: 'p5', _rev: 1, label: 'L5' },
        { _id: 'p8', _rev: 1, label: 'L8' },
        { _id: 'p1', _rev: 1, label: 'L1' },
      ]);
      const second = await query.after(first.next!).page();
      expect(idsOf(second.docs)).toEqual(['p4', 'p7', 'p0', 'p3']);
      // _id, the revision and the selected field; no sort field.
      expect(second.docs.every((d) => Object.keys(d).join() === '_id,_rev,label')).toBe(true);
      const third = await query.after(second.next!).page();
      expect(third).toStrictEqual({ docs: [{ _id: 'p6', _rev: 1, label: 'L6' }], next: null });
    }),
    test('select refuses paths and non-strings', async ({ collection }) => {
      expectThrow(() => collection.find().select('profile.age' as never), QueryError, 'QUERY_ERROR');
      expectThrow(() => collection.find().select(42 as never), QueryError, 'QUERY_ERROR');
      expectThrow(() => collection.find().select('' as never), QueryError, 'QUERY_ERROR');
      expectThrow(() => collection.query({ select: 'title' }), QueryError, 'QUERY_ERROR');
      expect(collection.query({ select: ['title', 'title', '_id'] }).toQuery().select).toEqual(['title']);
    }),
  ]),
];
