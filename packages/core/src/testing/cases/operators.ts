import { expect } from 'vitest';
import type { Collection } from '../../collection.js';
import type { AnyDocument, JsonValue } from '../../document.js';
import { ValidationError } from '../../errors.js';
import type { DocumentPatch } from '../../patch.js';
import { arrayRemove, arrayUnion, deleteField, increment } from '../../operators.js';
import { expectRejection, expectThrow } from '../helpers.js';
import { group, test } from './case.js';

/** Inserts `{ _id, v }` (no `v` when `value` is undefined), applies `patch` by update, and returns the new `v` (undefined when absent). */
async function afterUpdate(collection: Collection<AnyDocument>, id: string, value: JsonValue | undefined, patch: DocumentPatch<AnyDocument>): Promise<unknown> {
  await collection.insert(value === undefined ? { _id: id } : { _id: id, v: value });
  const updated = await collection.update(id, patch);
  expect(updated._rev).toBe(2);
  const read = await collection.get(id);
  expect(read).toStrictEqual(updated);
  return Object.hasOwn(read!, 'v') ? read!.v : undefined;
}

/** Expects `write` to be a ValidationError and the document `id` to be exactly `before` afterwards. */
async function expectUnchanged(collection: Collection<AnyDocument>, id: string, write: Promise<unknown>): Promise<ValidationError> {
  // Handled at once: a write refused before any I/O rejects while `before` is read, and an
  // unhandled rejection then would be reported as an error of the run.
  write.catch(() => undefined);
  const before = await collection.get(id);
  const error = await expectRejection(write, ValidationError, 'VALIDATION_ERROR');
  expect(await collection.get(id)).toStrictEqual(before);
  return error;
}

export const operatorCases = [
  group('field operators', [
    test('increment adds to a number field: positive, negative, fractional, zero', async ({ collection }) => {
      await collection.insert({ _id: 'a', n: 10, other: 'kept' });
      expect(await collection.update('a', { n: increment(5) })).toStrictEqual({ _id: 'a', n: 15, other: 'kept', _rev: 2 });
      expect(await collection.update('a', { n: increment(-20) })).toStrictEqual({ _id: 'a', n: -5, other: 'kept', _rev: 3 });
      expect(await collection.update('a', { n: increment(0.5) })).toStrictEqual({ _id: 'a', n: -4.5, other: 'kept', _rev: 4 });
      expect(await collection.update('a', { n: increment(0.5) })).toStrictEqual({ _id: 'a', n: -4, other: 'kept', _rev: 5 });
      expect(await collection.update('a', { n: increment(0) })).toStrictEqual({ _id: 'a', n: -4, other: 'kept', _rev: 6 });
      expect(await collection.update('a', { n: increment(4) })).toStrictEqual({ _id: 'a', n: 0, other: 'kept', _rev: 7 });
      expect(await collection.update('a', { n: increment(-0.25) })).toStrictEqual({ _id: 'a', n: -0.25, other: 'kept', _rev: 8 });
      expect(await collection.get('a')).toStrictEqual({ _id: 'a', n: -0.25, other: 'kept', _rev: 8 });
      // Large whole numbers stay exact.
      await collection.insert({ _id: 'big', n: 2 ** 52 });
      expect((await collection.update('big', { n: increment(1) })).n).toBe(2 ** 52 + 1);
      // Queries see the new value.
      expect(await collection.find().where('n').lt(0).exec()).toStrictEqual([{ _id: 'a', n: -0.25, other: 'kept', _rev: 8 }]);
    }),
    test('increment of a missing or null field counts from 0', async ({ collection }) => {
      expect(await afterUpdate(collection, 'missing', undefined, { v: increment(3) })).toBe(3);
      expect(await afterUpdate(collection, 'null', null, { v: increment(-1.5) })).toBe(-1.5);
      await collection.insert({ _id: 'several', a: 1 });
      expect(await collection.update('several', { a: increment(1), b: increment(2), c: 'plain' })).toStrictEqual({
        _id: 'several',
        a: 2,
        c: 'plain',
        b: 2,
        _rev: 2,
      });
    }),
    test('increment of a non-number field is a ValidationError and writes nothing', async ({ collection }) => {
      await collection.insert({ _id: 'a', s: '5', t: true, arr: [1], obj: { n: 1 }, n: 1 });
      for (const field of ['s', 't', 'arr', 'obj']) {
        const error = await expectUnchanged(collection, 'a', collection.update('a', { n: 2, [field]: increment(1) }));
        expect(error.path).toBe(field);
      }
      await expectUnchanged(collection, 'a', collection.update('a', { _id: increment(1) }));
      // Overflow is refused, not stored as Infinity.
      await collection.insert({ _id: 'max', n: Number.MAX_VALUE });
      await expectUnchanged(collection, 'max', collection.update('max', { n: increment(Number.MAX_VALUE) }));
      expect(await collection.get('a')).toStrictEqual({ _id: 'a', s: '5', t: true, arr: [1], obj: { n: 1 }, n: 1, _rev: 1 });
      // increment() itself takes only finite numbers.
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, '1', null, undefined, 1n]) {
        expectThrow(() => increment(bad as number), ValidationError, 'VALIDATION_ERROR');
      }
    }),
    test('arrayUnion appends the values not yet present, comparing type and whole value', async ({ collection }) => {
      expect(await afterUpdate(collection, 'dup', ['a', 'b'], { v: arrayUnion('b', 'c', 'c', 'a', 'd') })).toEqual(['a', 'b', 'c', 'd']);
      // Elements already repeated stay repeated: only the new values are checked.
      expect(await afterUpdate(collection, 'rep', ['a', 'a'], { v: arrayUnion('a', 'b') })).toEqual(['a', 'a', 'b']);
      expect(await afterUpdate(collection, 'types', [1, 'x', true], { v: arrayUnion<JsonValue>('1', 1, 0, false, 'true', 'x') })).toEqual([
        1,
        'x',
        true,
        '1',
        0,
        false,
        'true',
      ]);
      expect(await afterUpdate(collection, 'null', [1], { v: arrayUnion(null, null) })).toEqual([1, null]);
      expect(await afterUpdate(collection, 'has-null', [null, 'a'], { v: arrayUnion(null, 'b') })).toEqual([null, 'a', 'b']);
      expect(
        await afterUpdate(collection, 'objects', [{ k: 1 }, { a: 1, b: 2 }], { v: arrayUnion({ k: 1 }, { k: 2 }, { b: 2, a: 1 }, { a: 1, b: 2 }, { k: '1' }) }),
      ).toEqual([{ k: 1 }, { a: 1, b: 2 }, { k: 2 }, { b: 2, a: 1 }, { k: '1' }]);
      expect(await afterUpdate(collection, 'nested', [[1, 2], 1], { v: arrayUnion<JsonValue>([1, 2], [2, 1], [1], 1, [[1, 2]], []) })).toEqual([
        [1, 2],
        1,
        [2, 1],
        [1],
        [[1, 2]],
        [],
      ]);
      expect(await afterUpdate(collection, 'empty', [], { v: arrayUnion({ deep: [{ x: null }] }) })).toEqual([{ deep: [{ x: null }] }]);
      expect(await afterUpdate(collection, 'nothing', ['a'], { v: arrayUnion() })).toEqual(['a']);
      expect(await afterUpdate(collection, 'unicode', ['é'], { v: arrayUnion('é', 'e\u0301', '😀') })).toEqual(['é', 'e\u0301', '😀']);
      // The stored array is what queries see.
      expect((await collection.find().where('v').contains('true').exec()).map((d) => d._id)).toEqual(['types']);
    }),
    test('arrayUnion on a missing or null field makes an array of the values', async ({ collection }) => {
      expect(await afterUpdate(collection, 'missing', undefined, { v: arrayUnion<JsonValue>('a', 'a', 1) })).toEqual(['a', 1]);
      expect(await afterUpdate(collection, 'null', null, { v: arrayUnion(null) })).toEqual([null]);
      expect(await afterUpdate(collection, 'nested', undefined, { v: arrayUnion([1]) })).toEqual([[1]]);
      expect(await afterUpdate(collection, 'none', undefined, { v: arrayUnion() })).toEqual([]);
    }),
    test('arrayRemove removes every element equal to one of the values', async ({ collection }) => {
      expect(await afterUpdate(collection, 'all', [1, '1', 1, 2, 1], { v: arrayRemove(1) })).toEqual(['1', 2]);
      expect(await afterUpdate(collection, 'strings', [1, '1', 'a'], { v: arrayRemove('1', 'a', 'absent') })).toEqual([1]);
      expect(await afterUpdate(collection, 'bools', [true, 1, false, 0, 'true'], { v: arrayRemove<JsonValue>(true, 0) })).toEqual([1, false, 'true']);
      expect(await afterUpdate(collection, 'null', [null, 'a', null], { v: arrayRemove(null) })).toEqual(['a']);
      expect(await afterUpdate(collection, 'objects', [{ k: 1 }, { k: 2 }, { a: 1, b: 2 }, { k: 1 }], { v: arrayRemove({ k: 1 }, { b: 2, a: 1 }) })).toEqual([
        { k: 2 },
        { a: 1, b: 2 },
      ]);
      expect(await afterUpdate(collection, 'nested', [[1, 2], [2, 1], 1, 2, [1], [[1, 2]]], { v: arrayRemove<JsonValue>([1, 2], 1) })).toEqual([
        [2, 1],
        2,
        [1],
        [[1, 2]],
      ]);
      expect(await afterUpdate(collection, 'everything', ['a', 'a'], { v: arrayRemove('a') })).toEqual([]);
      expect(await afterUpdate(collection, 'absent', ['a'], { v: arrayRemove('b') })).toEqual(['a']);
      expect(await afterUpdate(collection, 'nothing', ['a'], { v: arrayRemove() })).toEqual(['a']);
    }),
    test('arrayRemove leaves a missing or null field as it is', async ({ collection }) => {
      expect(await afterUpdate(collection, 'missing', undefined, { v: arrayRemove('a') })).toBeUndefined();
      expect(await collection.get('missing')).toStrictEqual({ _id: 'missing', _rev: 2 });
      expect(await afterUpdate(collection, 'null', null, { v: arrayRemove(null) })).toBeNull();
      expect(await collection.get('null')).toStrictEqual({ _id: 'null', v: null, _rev: 2 });
    }),
    test('arrayUnion and arrayRemove on a non-array field are ValidationErrors and write nothing', async ({ collection }) => {
      await collection.insert({ _id: 'a', s: 'abc', n: 1, o: { 0: 'x' }, b: false, tags: ['t'] });
      for (const field of ['s', 'n', 'o', 'b']) {
        for (const operator of [arrayUnion('x'), arrayRemove('x'), arrayRemove(), arrayUnion()]) {
          const error = await expectUnchanged(collection, 'a', collection.update('a', { tags: arrayUnion('u'), [field]: operator }));
          expect(error.path).toBe(field);
        }
      }
      await expectUnchanged(collection, 'a', collection.update('a', { _id: arrayUnion('x') }));
      expect(await collection.get('a')).toStrictEqual({ _id: 'a', s: 'abc', n: 1, o: { 0: 'x' }, b: false, tags: ['t'], _rev: 1 });
    }),
    test('deleteField removes a field; of a missing field it changes nothing but the revision', async ({ collection }) => {
      await collection.insert({ _id: 'a', keep: 1, drop: { deep: [1] }, also: null });
      expect(await collection.update('a', { drop: deleteField(), also: deleteField(), added: true })).toStrictEqual({
        _id: 'a',
        keep: 1,
        added: true,
        _rev: 2,
      });
      expect(await collection.update('a', { never: deleteField() })).toStrictEqual({ _id: 'a', keep: 1, added: true, _rev: 3 });
      expect(await collection.get('a')).toStrictEqual({ _id: 'a', keep: 1, added: true, _rev: 3 });
      expect(await collection.find().where('drop').exists().count()).toBe(0);
      expect(await collection.find().where('added').exists().count()).toBe(1);
    }),
    test('_id and _rev cannot take a field operator', async ({ collection }) => {
      await collection.insert({ _id: 'a', n: 1 });
      for (const operator of [deleteField(), increment(1), arrayUnion('a'), arrayRemove('a')]) {
        await expectUnchanged(collection, 'a', collection.update('a', { _id: operator }));
        await expectUnchanged(collection, 'a', collection.update('a', { _rev: operator } as never));
        await expectUnchanged(collection, 'a', collection.upsert({ _id: operator } as never));
        await expectUnchanged(collection, 'a', collection.upsert({ _id: 'a', _rev: operator } as never));
        await expectUnchanged(collection, 'a', collection.bulkUpdate([{ id: 'a', changes: { _id: operator } }]));
      }
      expect(await collection.find().exec()).toStrictEqual([{ _id: 'a', n: 1, _rev: 1 }]);
    }),
    test('several operators in one write apply together, or not at all', async ({ collection }) => {
      await collection.insert({ _id: 'a', n: 1, tags: ['x', 'y'], seen: ['p'], gone: 1, s: 'text' });
      expect(await collection.update('a', { n: increment(2), tags: arrayRemove('x'), seen: arrayUnion('q'), gone: deleteField(), plain: 'set' })).toStrictEqual(
        {
          _id: 'a',
          n: 3,
          tags: ['y'],
          seen: ['p', 'q'],
          s: 'text',
          plain: 'set',
          _rev: 2,
        },
      );
      // One operator that cannot apply fails the whole write, plain fields included.
      await expectUnchanged(collection, 'a', collection.update('a', { n: increment(1), tags: arrayUnion('z'), plain: 'changed', s: increment(1) }));
      await expectUnchanged(collection, 'a', collection.update('a', { s: arrayUnion('z'), n: increment(1) }));
      expect(await collection.get('a')).toStrictEqual({ _id: 'a', n: 3, tags: ['y'], seen: ['p', 'q'], s: 'text', plain: 'set', _rev: 2 });
    }),
    test('bulkUpdate applies operators in order; one that cannot apply fails the batch', async ({ collection, storage }) => {
      await collection.bulkInsert([
        { _id: 'a', n: 1, tags: [] },
        { _id: 'b', n: 'not a number' },
      ]);
      const updated = await collection.bulkUpdate([
        { id: 'a', changes: { n: increment(1), tags: arrayUnion('x') } },
        { id: 'a', changes: { n: increment(10), tags: arrayUnion('x', 'y') } },
        { id: 'b', changes: { n: 0 } },
        { id: 'b', changes: { n: increment(-1) } },
      ]);
      expect(updated).toStrictEqual([
        { _id: 'a', n: 2, tags: ['x'], _rev: 2 },
        { _id: 'a', n: 12, tags: ['x', 'y'], _rev: 3 },
        { _id: 'b', n: 0, _rev: 2 },
        { _id: 'b', n: -1, _rev: 3 },
      ]);
      await collection.update('b', { n: 'text again' });
      const before = await collection.find().sort('_id').exec();
      await expectRejection(
        collection.bulkUpdate([
          { id: 'a', changes: { n: increment(1) } },
          { id: 'b', changes: { n: increment(1) } },
        ]),
        ValidationError,
        'VALIDATION_ERROR',
      );
      expect(await collection.get('b')).toStrictEqual(before[1]);
      if (storage.capabilities.atomicWrites) expect(await collection.find().sort('_id').exec()).toStrictEqual(before);
    }),
    test('upsert applies operators to the values of the document it replaces', async ({ collection }) => {
      // A new document: operators see missing fields.
      expect(
        await collection.upsert({ _id: 'u', keep: 1, n: increment(5), tags: arrayUnion('a', 'a'), removed: arrayRemove('x'), gone: deleteField() }),
      ).toStrictEqual({
        _id: 'u',
        keep: 1,
        n: 5,
        tags: ['a'],
        _rev: 1,
      });
      // An existing one: the document is replaced, fields it does not name are dropped, operators read the old values.
      await collection.insert({ _id: 'e', n: 10, tags: ['a', 'b'], old: 'dropped', gone: 1 });
      expect(
        await collection.upsert({ _id: 'e', n: increment(-2.5), tags: arrayRemove('a'), more: arrayUnion('m'), gone: deleteField(), fresh: true }),
      ).toStrictEqual({
        _id: 'e',
        fresh: true,
        n: 7.5,
        tags: ['b'],
        more: ['m'],
        _rev: 2,
      });
      expect(await collection.get('e')).toStrictEqual({ _id: 'e', fresh: true, n: 7.5, tags: ['b'], more: ['m'], _rev: 2 });
      // With expectedRev, as without.
      expect((await collection.upsert({ _id: 'e', n: increment(1) }, { expectedRev: 2 })).n).toBe(8.5);
      expect((await collection.upsert({ _id: 'new', n: increment(1) }, { expectedRev: 0 })).n).toBe(1);
      // A deleted document's values are gone: operators count from nothing.
      await collection.delete('e');
      expect(await collection.upsert({ _id: 'e', n: increment(1), tags: arrayUnion('z') })).toStrictEqual({ _id: 'e', n: 1, tags: ['z'], _rev: 5 });
      // An operator that cannot apply to the old value writes nothing.
      await collection.insert({ _id: 's', n: 'text', tags: 'not an array' });
      await expectUnchanged(collection, 's', collection.upsert({ _id: 's', n: increment(1) }));
      await expectUnchanged(collection, 's', collection.upsert({ _id: 's', tags: arrayUnion('a') }));
      await expectUnchanged(collection, 's', collection.upsert({ _id: 's', tags: arrayRemove('a'), n: 1 }));
      expect(await collection.get('s')).toStrictEqual({ _id: 's', n: 'text', tags: 'not an array', _rev: 1 });
    }),
    test('operators in an insert, or nested below the top level, are ValidationErrors', async ({ collection }) => {
      await expectRejection(collection.insert({ _id: 'a', n: increment(1) }), ValidationError, 'VALIDATION_ERROR');
      await expectRejection(collection.insert({ _id: 'a', gone: deleteField() }), ValidationError, 'VALIDATION_ERROR');
      await expectRejection(collection.bulkInsert([{ _id: 'b' }, { _id: 'a', tags: arrayUnion('x') }]), ValidationError, 'VALIDATION_ERROR');
      expect(await collection.count()).toBe(0);
      await collection.insert({ _id: 'a', o: { n: 1 }, list: [1] });
      const nested = [
        { o: { n: increment(1) } },
        { o: { n: { deeper: deleteField() } } },
        { list: [increment(1)] },
        { list: [1, arrayUnion(2)] },
        { o: [{ x: arrayRemove(1) }] },
      ];
      for (const patch of nested) {
        await expectUnchanged(collection, 'a', collection.update('a', patch));
        await expectUnchanged(collection, 'a', collection.upsert({ _id: 'a', ...patch }));
        await expectUnchanged(collection, 'a', collection.bulkUpdate([{ id: 'a', changes: patch }]));
        await expectRejection(collection.insert({ _id: 'b', ...patch }), ValidationError, 'VALIDATION_ERROR');
      }
      // Nor are they query values.
      expect(() =>
        collection
          .find()
          .where('o')
          .equals(increment(1) as never),
      ).toThrow(expect.objectContaining({ code: expect.stringMatching(/ERROR/) }));
      expect(await collection.find().exec()).toStrictEqual([{ _id: 'a', o: { n: 1 }, list: [1], _rev: 1 }]);
    }),
    test('an update with operators returns the stored document, and get agrees', async ({ collection }) => {
      await collection.insert({ _id: 'a', n: 1, list: [{ k: 1 }] });
      const returned = await collection.update('a', { n: increment(1), list: arrayUnion({ k: 1 }, { k: 2 }), note: 'x' });
      expect(returned).toStrictEqual({ _id: 'a', n: 2, list: [{ k: 1 }, { k: 2 }], note: 'x', _rev: 2 });
      expect(await collection.get('a')).toStrictEqual(returned);
      // The returned document is the caller's: changing it changes nothing stored.
      (returned.list as unknown[]).push('mutated');
      expect(await collection.get('a')).toStrictEqual({ _id: 'a', n: 2, list: [{ k: 1 }, { k: 2 }], note: 'x', _rev: 2 });
      // An operator value is the caller's too: it is copied when built.
      const values: JsonValue[] = [{ k: 3 }];
      const union = arrayUnion(...values);
      (values[0] as { k: number }).k = 4;
      expect((await collection.update('a', { list: union })).list).toEqual([{ k: 1 }, { k: 2 }, { k: 3 }]);
    }),
  ]),
];
