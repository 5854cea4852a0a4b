import { expect } from 'vitest';
import type { Collection } from '../../collection.js';
import type { AnyDocument } from '../../document.js';
import { ConflictError, DocumentNotFoundError, ValidationError } from '../../errors.js';
import { increment } from '../../operators.js';
import { expectRejection } from '../helpers.js';
import { group, test } from './case.js';

/**
 * Expects `promise` to fail with the `ConflictError` of a conditional write on `id` that
 * expected `expectedRev` where the document is at `currentRev` (`null`: no document).
 */
async function expectConflict(
  collection: Collection<AnyDocument>,
  promise: Promise<unknown>,
  id: string,
  expectedRev: number,
  currentRev: number | null,
): Promise<ConflictError> {
  const error = await expectRejection(promise, ConflictError, 'CONFLICT');
  expect(error.status).toBe(409);
  expect({ collection: error.collection, id: error.id, expectedRev: error.expectedRev, currentRev: error.currentRev }).toStrictEqual({
    collection: collection.name,
    id,
    expectedRev,
    currentRev,
  });
  return error;
}

/** The revision the change feed reports for `id` (tombstones included), or undefined. */
async function feedRev(collection: Collection<AnyDocument>, id: string): Promise<number | undefined> {
  const { changes } = await collection.changes({ limit: 10_000 });
  return changes.find((c) => c.id === id)?.rev;
}

function lastKey(doc: object | null): string | undefined {
  return doc === null ? undefined : Object.keys(doc).at(-1);
}

export const revisionCases = [
  group('revisions', [
    test('every write kind sets _rev: 1 at insert, +1 per write, as the last key', async ({ collection }) => {
      const inserted = await collection.insert({ _id: 'a', n: 1 });
      expect(inserted).toStrictEqual({ _id: 'a', n: 1, _rev: 1 });
      expect(await collection.get('a')).toStrictEqual({ _id: 'a', n: 1, _rev: 1 });

      const updated = await collection.update('a', { n: 2, added: 'x' });
      expect(updated).toStrictEqual({ _id: 'a', n: 2, added: 'x', _rev: 2 });
      expect(lastKey(updated)).toBe('_rev');
      const read = await collection.get('a');
      expect(read).toStrictEqual(updated);
      expect(lastKey(read)).toBe('_rev');

      const operated = await collection.update('a', { n: increment(3) });
      expect(operated).toStrictEqual({ _id: 'a', n: 5, added: 'x', _rev: 3 });

      const replaced = await collection.upsert({ _id: 'a', replaced: true });
      expect(replaced).toStrictEqual({ _id: 'a', replaced: true, _rev: 4 });
      expect(lastKey(replaced)).toBe('_rev');
      expect(await collection.get('a')).toStrictEqual(replaced);

      const created = await collection.upsert({ _id: 'b', n: 1 });
      expect(created).toStrictEqual({ _id: 'b', n: 1, _rev: 1 });

      const bulk = await collection.bulkUpdate([
        { id: 'b', changes: { n: 2 } },
        { id: 'a', changes: { m: 1 } },
      ]);
      expect(bulk.map((d) => [d._id, d._rev])).toEqual([
        ['b', 2],
        ['a', 5],
      ]);
      expect((await collection.getMany(['a', 'b'])).map((d) => d?._rev)).toEqual([5, 2]);

      // An update that changes nothing is still a write.
      expect((await collection.update('b', {}))._rev).toBe(3);
      expect((await collection.update('b', { n: 2 }))._rev).toBe(4);

      // A delete is a write too: its tombstone keeps the next revision.
      expect(await collection.delete('a')).toBe(true);
      expect(await collection.get('a')).toBeNull();
      expect(await feedRev(collection, 'a')).toBe(6);
    }),
    test('bulk writes give each document its revision; the same id twice in a bulkUpdate is two writes', async ({ collection }) => {
      const inserted = await collection.bulkInsert([{ _id: 'x' }, { _id: 'y', n: 1 }, { n: 2 }]);
      expect(inserted.map((d) => d._rev)).toEqual([1, 1, 1]);
      const updated = await collection.bulkUpdate([
        { id: 'x', changes: { n: 1 } },
        { id: 'x', changes: { n: 2 } },
        { id: 'y', changes: { n: increment(1) } },
      ]);
      expect(updated.map((d) => [d._id, d.n, d._rev])).toEqual([
        ['x', 1, 2],
        ['x', 2, 3],
        ['y', 2, 2],
      ]);
      expect(await collection.get('x')).toStrictEqual({ _id: 'x', n: 2, _rev: 3 });
      expect(await collection.bulkDelete(['x', 'y', 'missing'])).toBe(2);
      expect(await feedRev(collection, 'x')).toBe(4);
      expect(await feedRev(collection, 'y')).toBe(3);
      expect(await feedRev(collection, 'missing')).toBeUndefined();
    }),
    test('an id deleted and written again continues its revision', async ({ collection }) => {
      await collection.insert({ _id: 'a', v: 1 });
      await collection.delete('a');
      expect(await collection.insert({ _id: 'a', v: 2 })).toStrictEqual({ _id: 'a', v: 2, _rev: 3 });
      expect(await collection.get('a')).toStrictEqual({ _id: 'a', v: 2, _rev: 3 });
      await collection.delete('a');
      expect(await collection.upsert({ _id: 'a', v: 3 })).toStrictEqual({ _id: 'a', v: 3, _rev: 5 });
      expect(await collection.update('a', { v: 4 })).toStrictEqual({ _id: 'a', v: 4, _rev: 6 });
      // A delete of nothing writes nothing.
      await collection.delete('a');
      expect(await collection.delete('a')).toBe(false);
      expect(await feedRev(collection, 'a')).toBe(7);
      expect(await collection.bulkInsert([{ _id: 'a', v: 5 }])).toStrictEqual([{ _id: 'a', v: 5, _rev: 8 }]);
    }),
    test('a _rev in the input is ignored', async ({ collection }) => {
      expect(await collection.insert({ _id: 'a', _rev: 99, n: 1 })).toStrictEqual({ _id: 'a', n: 1, _rev: 1 });
      expect(await collection.update('a', { _rev: 50, n: 2 })).toStrictEqual({ _id: 'a', n: 2, _rev: 2 });
      expect(await collection.update('a', { _rev: 1 })).toStrictEqual({ _id: 'a', n: 2, _rev: 3 });
      expect(await collection.upsert({ _id: 'a', _rev: 0, n: 3 })).toStrictEqual({ _id: 'a', n: 3, _rev: 4 });
      expect(await collection.upsert({ _id: 'b', _rev: 7 })).toStrictEqual({ _id: 'b', _rev: 1 });
      expect(await collection.bulkInsert([{ _id: 'c', _rev: -3 }])).toStrictEqual([{ _id: 'c', _rev: 1 }]);
      expect(await collection.bulkUpdate([{ id: 'c', changes: { _rev: 40 } }])).toStrictEqual([{ _id: 'c', _rev: 2 }]);
      expect(await collection.getMany(['a', 'b', 'c'])).toStrictEqual([
        { _id: 'a', n: 3, _rev: 4 },
        { _id: 'b', _rev: 1 },
        { _id: 'c', _rev: 2 },
      ]);
      await expectRejection(collection.update('a', { _rev: increment(1) } as never), ValidationError, 'VALIDATION_ERROR');
      expect(await collection.get('a')).toStrictEqual({ _id: 'a', n: 3, _rev: 4 });
    }),
    test('find, getMany and select() return _rev with each document', async ({ collection }) => {
      await collection.bulkInsert([
        { _id: 'a', n: 1, x: 'a' },
        { _id: 'b', n: 2, x: 'b' },
      ]);
      await collection.update('b', { n: 3 });
      expect(await collection.find().sort('_id').exec()).toStrictEqual([
        { _id: 'a', n: 1, x: 'a', _rev: 1 },
        { _id: 'b', n: 3, x: 'b', _rev: 2 },
      ]);
      expect(await collection.find().select('n').sort('n', 'desc').exec()).toStrictEqual([
        { _id: 'b', n: 3, _rev: 2 },
        { _id: 'a', n: 1, _rev: 1 },
      ]);
      expect(await collection.find().where('n').equals(3).first()).toStrictEqual({ _id: 'b', n: 3, x: 'b', _rev: 2 });
      expect(await collection.getMany(['b', 'missing', 'a'])).toStrictEqual([{ _id: 'b', n: 3, x: 'b', _rev: 2 }, null, { _id: 'a', n: 1, x: 'a', _rev: 1 }]);
    }),
  ]),

  group('conditional writes', [
    test('update with the current expectedRev writes; any other is a ConflictError that writes nothing', async ({ collection }) => {
      await collection.insert({ _id: 'a', n: 1 });
      expect(await collection.update('a', { n: 2 }, { expectedRev: 1 })).toStrictEqual({ _id: 'a', n: 2, _rev: 2 });
      for (const stale of [1, 3, 1000]) {
        await expectConflict(collection, collection.update('a', { n: 99 }, { expectedRev: stale }), 'a', stale, 2);
        await expectConflict(collection, collection.update('a', { n: increment(1) }, { expectedRev: stale }), 'a', stale, 2);
      }
      expect(await collection.get('a')).toStrictEqual({ _id: 'a', n: 2, _rev: 2 });
      expect(await collection.update('a', { n: increment(1) }, { expectedRev: 2 })).toStrictEqual({ _id: 'a', n: 3, _rev: 3 });
      expect(await collection.update('a', { m: true }, {})).toStrictEqual({ _id: 'a', n: 3, m: true, _rev: 4 });
      expect(await collection.update('a', { m: false }, { expectedRev: undefined })).toStrictEqual({ _id: 'a', n: 3, m: false, _rev: 5 });
    }),
    test('update with expectedRev of a missing or deleted document is DocumentNotFoundError', async ({ collection }) => {
      const missing = await expectRejection(collection.update('missing', { n: 1 }, { expectedRev: 1 }), DocumentNotFoundError, 'DOCUMENT_NOT_FOUND');
      expect(missing.id).toBe('missing');
      await collection.insert({ _id: 'gone' });
      await collection.delete('gone');
      await expectRejection(collection.update('gone', { n: 1 }, { expectedRev: 1 }), DocumentNotFoundError, 'DOCUMENT_NOT_FOUND');
      await expectRejection(collection.update('gone', { n: 1 }, { expectedRev: 2 }), DocumentNotFoundError, 'DOCUMENT_NOT_FOUND');
      expect(await collection.get('missing')).toBeNull();
      expect(await collection.get('gone')).toBeNull();
      expect(await collection.count()).toBe(0);
    }),
    test('upsert with expectedRev: 0 creates only a new document; with a revision it replaces only that one', async ({ collection }) => {
      expect(await collection.upsert({ _id: 'a', v: 1 }, { expectedRev: 0 })).toStrictEqual({ _id: 'a', v: 1, _rev: 1 });
      await expectConflict(collection, collection.upsert({ _id: 'a', v: 'again' }, { expectedRev: 0 }), 'a', 0, 1);
      await expectConflict(collection, collection.upsert({ _id: 'a', v: 'stale' }, { expectedRev: 2 }), 'a', 2, 1);
      expect(await collection.get('a')).toStrictEqual({ _id: 'a', v: 1, _rev: 1 });
      expect(await collection.upsert({ _id: 'a', w: 2 }, { expectedRev: 1 })).toStrictEqual({ _id: 'a', w: 2, _rev: 2 });
      await expectConflict(collection, collection.upsert({ _id: 'b', v: 1 }, { expectedRev: 1 }), 'b', 1, null);
      expect(await collection.get('b')).toBeNull();
      // A deleted document no longer exists: 0 matches it, and the revision continues.
      await collection.delete('a');
      await expectConflict(collection, collection.upsert({ _id: 'a', v: 'x' }, { expectedRev: 3 }), 'a', 3, null);
      expect(await collection.upsert({ _id: 'a', v: 'back' }, { expectedRev: 0 })).toStrictEqual({ _id: 'a', v: 'back', _rev: 4 });
      expect(await collection.count()).toBe(1);
    }),
    test('delete with expectedRev deletes only that revision; a missing document is a ConflictError with currentRev null', async ({ collection }) => {
      await collection.insert({ _id: 'a', n: 1 });
      await collection.update('a', { n: 2 });
      await expectConflict(collection, collection.delete('a', { expectedRev: 1 }), 'a', 1, 2);
      await expectConflict(collection, collection.delete('a', { expectedRev: 3 }), 'a', 3, 2);
      expect(await collection.get('a')).toStrictEqual({ _id: 'a', n: 2, _rev: 2 });
      expect(await collection.delete('a', { expectedRev: 2 })).toBe(true);
      expect(await collection.get('a')).toBeNull();
      // Gone now (a tombstone at revision 3), and never there.
      await expectConflict(collection, collection.delete('a', { expectedRev: 2 }), 'a', 2, null);
      await expectConflict(collection, collection.delete('a', { expectedRev: 3 }), 'a', 3, null);
      await expectConflict(collection, collection.delete('never', { expectedRev: 1 }), 'never', 1, null);
      expect(await collection.delete('never')).toBe(false);
      expect(await collection.insert({ _id: 'a' })).toStrictEqual({ _id: 'a', _rev: 4 });
    }),
    test('an invalid expectedRev is a ValidationError and writes nothing', async ({ collection }) => {
      await collection.insert({ _id: 'a', n: 1 });
      const invalid: unknown[] = [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '1', null, true, 2 ** 53];
      for (const expectedRev of [...invalid, 0]) {
        await expectRejection(collection.update('a', { n: 2 }, { expectedRev } as never), ValidationError, 'VALIDATION_ERROR');
        await expectRejection(collection.delete('a', { expectedRev } as never), ValidationError, 'VALIDATION_ERROR');
        await expectRejection(collection.bulkUpdate([{ id: 'a', changes: { n: 2 }, expectedRev } as never]), ValidationError, 'VALIDATION_ERROR');
      }
      for (const expectedRev of invalid) {
        await expectRejection(collection.upsert({ _id: 'a', n: 2 }, { expectedRev } as never), ValidationError, 'VALIDATION_ERROR');
        await expectRejection(collection.upsert({ _id: 'new', n: 2 }, { expectedRev } as never), ValidationError, 'VALIDATION_ERROR');
      }
      for (const options of [1, 'x', null]) {
        await expectRejection(collection.update('a', { n: 2 }, options as never), ValidationError, 'VALIDATION_ERROR');
        await expectRejection(collection.delete('a', options as never), ValidationError, 'VALIDATION_ERROR');
        await expectRejection(collection.upsert({ _id: 'a' }, options as never), ValidationError, 'VALIDATION_ERROR');
      }
      // Validation comes before storage: even a missing document is a ValidationError.
      await expectRejection(collection.update('missing', { n: 2 }, { expectedRev: -1 }), ValidationError, 'VALIDATION_ERROR');
      expect(await collection.find().exec()).toStrictEqual([{ _id: 'a', n: 1, _rev: 1 }]);
    }),
    test('bulkUpdate with expectedRev: all current writes every change', async ({ collection }) => {
      await collection.bulkInsert([
        { _id: 'a', n: 1 },
        { _id: 'b', n: 1 },
        { _id: 'c', n: 1 },
      ]);
      await collection.update('b', { n: 2 });
      const updated = await collection.bulkUpdate([
        { id: 'a', changes: { n: 10 }, expectedRev: 1 },
        { id: 'b', changes: { n: increment(10) }, expectedRev: 2 },
        { id: 'c', changes: { n: 30 } },
        // The same id again expects the revision the batch's earlier write left.
        { id: 'a', changes: { m: true }, expectedRev: 2 },
      ]);
      expect(updated).toStrictEqual([
        { _id: 'a', n: 10, _rev: 2 },
        { _id: 'b', n: 12, _rev: 3 },
        { _id: 'c', n: 30, _rev: 2 },
        { _id: 'a', n: 10, m: true, _rev: 3 },
      ]);
      expect(await collection.find().sort('_id').exec()).toStrictEqual([
        { _id: 'a', n: 10, m: true, _rev: 3 },
        { _id: 'b', n: 12, _rev: 3 },
        { _id: 'c', n: 30, _rev: 2 },
      ]);
    }),
    test('bulkUpdate with one stale expectedRev among several is a ConflictError; atomic storage writes none of it', async ({ collection, storage }) => {
      await collection.bulkInsert([
        { _id: 'a', n: 1 },
        { _id: 'b', n: 1 },
        { _id: 'c', n: 1 },
        { _id: 'd', n: 1 },
      ]);
      await collection.update('c', { n: 2 });
      const before = await collection.find().sort('_id').exec();
      await expectConflict(
        collection,
        collection.bulkUpdate([
          { id: 'a', changes: { n: 100 }, expectedRev: 1 },
          { id: 'b', changes: { n: increment(100) } },
          { id: 'c', changes: { n: 100 }, expectedRev: 1 }, // stale: c is at 2
          { id: 'd', changes: { n: 100 }, expectedRev: 1 },
        ]),
        'c',
        1,
        2,
      );
      expect(await collection.get('c')).toStrictEqual({ _id: 'c', n: 2, _rev: 2 });
      if (storage.capabilities.atomicWrites) {
        expect(await collection.find().sort('_id').exec()).toStrictEqual(before);
      }
      // A stale revision of an id the batch itself wrote earlier is a conflict too.
      await expectConflict(
        collection,
        collection.bulkUpdate([
          { id: 'd', changes: { n: 5 }, expectedRev: 1 },
          { id: 'd', changes: { n: 6 }, expectedRev: 1 },
        ]),
        'd',
        1,
        2,
      );
      if (storage.capabilities.atomicWrites) {
        expect(await collection.find().sort('_id').exec()).toStrictEqual(before);
      }
      // A missing document among conditional updates is DocumentNotFoundError.
      const { _rev: revOfA } = (await collection.get('a'))!; // 1, unless storage that is not atomic wrote the first batch's a
      await expectRejection(
        collection.bulkUpdate([
          { id: 'a', changes: { n: 7 }, expectedRev: revOfA },
          { id: 'missing', changes: { n: 7 }, expectedRev: 1 },
        ]),
        DocumentNotFoundError,
        'DOCUMENT_NOT_FOUND',
      );
      if (storage.capabilities.atomicWrites) {
        expect(await collection.find().sort('_id').exec()).toStrictEqual(before);
        const { changes } = await collection.changes();
        expect(changes.map((c) => [c.id, c.rev]).sort()).toEqual(before.map((doc) => [doc._id, doc._rev]));
      }
    }),
    test('10 concurrent updates expecting the same revision: exactly one wins, the others are ConflictErrors', async ({ collection }) => {
      await collection.insert({ _id: 'race', winner: null });
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => collection.update('race', { winner: i }, { expectedRev: 1 })));
      const fulfilled = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const rejected = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      expect(fulfilled).toHaveLength(1);
      expect(rejected).toHaveLength(9);
      for (const error of rejected) {
        expect(error).toBeInstanceOf(ConflictError);
        expect(error).toMatchObject({ code: 'CONFLICT', status: 409, id: 'race', expectedRev: 1, currentRev: 2 });
      }
      expect(fulfilled[0]).toStrictEqual({ _id: 'race', winner: expect.any(Number), _rev: 2 });
      expect(await collection.get('race')).toStrictEqual(fulfilled[0]);
    }),
    test(
      '40 concurrent increments all count',
      async ({ collection }) => {
        await collection.insert({ _id: 'counter', n: 0 });
        const results = await Promise.all(Array.from({ length: 40 }, () => collection.update('counter', { n: increment(1) })));
        expect(results.map((doc) => doc._rev).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 2));
        expect(results.map((doc) => doc.n).sort((a, b) => (a as number) - (b as number))).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
        expect(await collection.get('counter')).toStrictEqual({ _id: 'counter', n: 40, _rev: 41 });
      },
      { slow: true },
    ),
  ]),
];
