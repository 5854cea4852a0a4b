import { expect } from 'vitest';
import type { JsonObject } from '../../document.js';
import { DocumentNotFoundError, DuplicateKeyError, ValidationError } from '../../errors.js';
import { expectRejection, idsFound, idsOf } from '../helpers.js';
import { group, test } from './case.js';

/** A document with every kind of JSON value an adapter must store and give back unchanged. */
export function everyKindOfValue(): JsonObject {
  return {
    title: 'Write docs',
    empty: '',
    spaces: '  padded  ',
    unicode: 'héllo wörld — 中文 — ÿ',
    astral: '😀 𝔸 🏳️‍🌈',
    combining: 'e\u0301',
    escapes: 'quote " backslash \\ newline \n tab \t nul-free \u0001 \u2028',
    zero: 0,
    integer: 42,
    negative: -17,
    fraction: 0.1 + 0.2,
    negativeFraction: -2.5e-7,
    maxSafe: Number.MAX_SAFE_INTEGER,
    minSafe: Number.MIN_SAFE_INTEGER,
    huge: 1e21,
    largest: Number.MAX_VALUE,
    smallest: Number.MIN_VALUE,
    yes: true,
    no: false,
    nothing: null,
    emptyArray: [],
    emptyObject: {},
    tags: ['a', 'b', 'a'],
    mixed: [1, 'one', true, null, { k: 'v' }, [2, [3]]],
    profile: { name: 'Ada', age: 36, address: { city: 'Zürich', zip: '8001' }, langs: [] },
    deep: { a: { b: { c: { d: { e: { f: { g: { h: 'deep' } } } } } } } },
    'key with spaces': 1,
    ключ: 'значение',
    '😀': 'emoji key',
    'dotted.key': 'not a path',
  };
}

function deepNest(levels: number): JsonObject {
  let value: JsonObject = { leaf: true };
  for (let i = 0; i < levels; i++) value = { [`l${i}`]: value };
  return value;
}

export const writeCases = [
  group('adapter', [
    test('the adapter names itself and declares its capabilities', async ({ storage, db, collection }) => {
      expect(typeof storage.name).toBe('string');
      expect(storage.name.length).toBeGreaterThan(0);
      expect(typeof storage.capabilities.atomicWrites).toBe('boolean');
      expect(db.collection(collection.name)).toBe(collection);
      expect(await collection.count()).toBe(0);
      expect(await collection.find().exec()).toEqual([]);
    }),
  ]),
  group('insert and get', [
    test('insert with an _id returns the stored document', async ({ collection }) => {
      const doc = await collection.insert({ _id: 'a', title: 'A', n: 1 });
      expect(doc).toStrictEqual({ _id: 'a', title: 'A', n: 1, _rev: 1 });
      expect(await collection.get('a')).toStrictEqual({ _id: 'a', title: 'A', n: 1, _rev: 1 });
    }),
    test('insert without an _id generates a distinct string id', async ({ collection }) => {
      const one = await collection.insert({ title: 'one' });
      const two = await collection.insert({ title: 'two' });
      expect(typeof one._id).toBe('string');
      expect(one._id.length).toBeGreaterThan(0);
      expect(one._id).not.toBe(two._id);
      expect(await collection.get(one._id)).toStrictEqual({ _id: one._id, title: 'one', _rev: 1 });
      expect(await collection.count()).toBe(2);
    }),
    test('insert drops undefined fields', async ({ collection }) => {
      const doc = await collection.insert({ _id: 'a', kept: 1, dropped: undefined });
      expect(doc).toStrictEqual({ _id: 'a', kept: 1, _rev: 1 });
      expect(Object.keys((await collection.get('a'))!)).toEqual(['_id', 'kept', '_rev']);
      expect(await collection.find().where('dropped').exists(false).count()).toBe(1);
    }),
    test('the stored document is independent of the inserted object and of returned objects', async ({ collection }) => {
      const input = { _id: 'a', tags: ['x'], profile: { age: 1 } };
      const returned = await collection.insert(input);
      input.tags.push('mutated');
      input.profile.age = 99;
      (returned.tags as string[]).push('mutated too');
      const read = await collection.get('a');
      (read!.profile as { age: number }).age = 42;
      expect(await collection.get('a')).toStrictEqual({ _id: 'a', tags: ['x'], profile: { age: 1 }, _rev: 1 });
    }),
    test('insert of an existing _id throws DuplicateKeyError and writes nothing', async ({ collection }) => {
      await collection.insert({ _id: 'a', v: 'original' });
      const error = await expectRejection(collection.insert({ _id: 'a', v: 'second' }), DuplicateKeyError, 'DUPLICATE_KEY');
      expect(error.status).toBe(409);
      expect(error.id).toBe('a');
      expect(error.collection).toBe(collection.name);
      expect(await collection.get('a')).toStrictEqual({ _id: 'a', v: 'original', _rev: 1 });
      expect(await collection.count()).toBe(1);
    }),
    test('get returns null for a missing id', async ({ collection }) => {
      expect(await collection.get('missing')).toBeNull();
      await collection.insert({ _id: 'a' });
      expect(await collection.get('missing')).toBeNull();
    }),
    test('getMany returns documents in the order asked, null for missing, repeats allowed', async ({ collection }) => {
      await collection.bulkInsert([
        { _id: 'a', n: 1 },
        { _id: 'b', n: 2 },
        { _id: 'c', n: 3 },
      ]);
      const docs = await collection.getMany(['c', 'missing', 'a', 'c']);
      expect(docs).toStrictEqual([{ _id: 'c', n: 3, _rev: 1 }, null, { _id: 'a', n: 1, _rev: 1 }, { _id: 'c', n: 3, _rev: 1 }]);
      expect(await collection.getMany([])).toEqual([]);
    }),
    test('ids may hold unicode, spaces and punctuation', async ({ collection }) => {
      const ids = ['é', '😀', 'a b', 'quote\'"', 'slash/back\\', 'pct%_under', 'x'.repeat(200)];
      await collection.bulkInsert(ids.map((_id) => ({ _id })));
      expect(idsOf(await collection.getMany(ids))).toEqual(ids);
      for (const id of ids) expect(await collection.delete(id)).toBe(true);
      expect(await collection.count()).toBe(0);
    }),
    test('collections do not see each other’s documents', async ({ collection, fresh }) => {
      const other = fresh();
      await collection.insert({ _id: 'same', where: 'first' });
      await other.insert({ _id: 'same', where: 'second' });
      expect(await collection.get('same')).toStrictEqual({ _id: 'same', where: 'first', _rev: 1 });
      expect(await other.get('same')).toStrictEqual({ _id: 'same', where: 'second', _rev: 1 });
      await other.delete('same');
      expect(await collection.count()).toBe(1);
    }),
  ]),

  group('round trip', [
    test('documents round-trip exactly through get, getMany and find', async ({ collection }) => {
      const input = { _id: 'every-kind', ...everyKindOfValue() };
      // As stored: the revision comes last.
      const doc = { ...input, _rev: 1 };
      const inserted = await collection.insert(input);
      expect(inserted).toStrictEqual(doc);
      for (const read of [await collection.get('every-kind'), (await collection.getMany(['every-kind']))[0], (await collection.find().exec())[0]]) {
        expect(read).toStrictEqual(doc);
        // Key order is part of the value: objects compare as whole JSON values.
        expect(JSON.stringify(read)).toBe(JSON.stringify(doc));
      }
    }),
    test('deeply nested and long values round-trip', async ({ collection }) => {
      const doc = { _id: 'big', nest: deepNest(60), long: 'é😀x'.repeat(5000), many: Array.from({ length: 2000 }, (_, i) => i * 1.5) };
      await collection.insert(doc);
      expect(await collection.get('big')).toStrictEqual({ ...doc, _rev: 1 });
    }),
    test('update and upsert round-trip values exactly', async ({ collection }) => {
      await collection.insert({ _id: 'a', keep: 'kept' });
      const values = everyKindOfValue();
      const updated = await collection.update('a', values);
      expect(updated).toStrictEqual({ _id: 'a', keep: 'kept', ...values, _rev: 2 });
      expect(await collection.get('a')).toStrictEqual({ _id: 'a', keep: 'kept', ...values, _rev: 2 });
      const upserted = await collection.upsert({ _id: 'b', ...values });
      expect(upserted).toStrictEqual({ _id: 'b', ...values, _rev: 1 });
      expect(await collection.get('b')).toStrictEqual({ _id: 'b', ...values, _rev: 1 });
    }),
    test('-0 is stored as 0', async ({ collection }) => {
      await collection.insert({ _id: 'a', z: -0 });
      const doc = await collection.get('a');
      expect(Object.is(doc!.z, 0)).toBe(true);
      expect(await collection.find().where('z').equals(0).count()).toBe(1);
    }),
  ]),

  group('update', [
    test('update merges top-level fields and returns the whole document', async ({ collection }) => {
      await collection.insert({ _id: 'a', title: 'old', n: 1, profile: { age: 1, name: 'x' } });
      const updated = await collection.update('a', { title: 'new', added: true, profile: { age: 2 } });
      // Nested objects are replaced, not merged: update is a top-level merge.
      const expected = { _id: 'a', title: 'new', n: 1, profile: { age: 2 }, added: true, _rev: 2 };
      expect(updated).toStrictEqual(expected);
      expect(await collection.get('a')).toStrictEqual(expected);
    }),
    test('update with an undefined field leaves that field as it is', async ({ collection }) => {
      await collection.insert({ _id: 'a', a: 1, b: 2 });
      expect(await collection.update('a', { a: undefined, b: 3 })).toStrictEqual({ _id: 'a', a: 1, b: 3, _rev: 2 });
      expect(await collection.get('a')).toStrictEqual({ _id: 'a', a: 1, b: 3, _rev: 2 });
    }),
    test('update with null sets the field to null', async ({ collection }) => {
      await collection.insert({ _id: 'a', a: 1 });
      expect(await collection.update('a', { a: null })).toStrictEqual({ _id: 'a', a: null, _rev: 2 });
      expect(await collection.find().where('a').exists().count()).toBe(1);
    }),
    test('update with an empty patch returns the document unchanged', async ({ collection }) => {
      await collection.insert({ _id: 'a', a: [1, 2] });
      // Still a write: the revision moves on.
      expect(await collection.update('a', {})).toStrictEqual({ _id: 'a', a: [1, 2], _rev: 2 });
    }),
    test('update of a missing id throws DocumentNotFoundError and creates nothing', async ({ collection }) => {
      const error = await expectRejection(collection.update('missing', { a: 1 }), DocumentNotFoundError, 'DOCUMENT_NOT_FOUND');
      expect(error.status).toBe(404);
      expect(error.id).toBe('missing');
      expect(await collection.get('missing')).toBeNull();
      expect(await collection.count()).toBe(0);
    }),
    test('_id in a patch must equal the id being updated', async ({ collection }) => {
      await collection.insert({ _id: 'a', n: 1 });
      const error = await expectRejection(collection.update('a', { _id: 'b', n: 2 }), ValidationError, 'VALIDATION_ERROR');
      expect(error.path).toBe('_id');
      expect(await collection.get('a')).toStrictEqual({ _id: 'a', n: 1, _rev: 1 });
      expect(await collection.get('b')).toBeNull();
      expect(await collection.update('a', { _id: 'a', n: 2 })).toStrictEqual({ _id: 'a', n: 2, _rev: 2 });
    }),
    test('concurrent updates of different fields of one document all apply', async ({ collection }) => {
      await collection.insert({ _id: 'a' });
      await Promise.all([collection.update('a', { x: 1 }), collection.update('a', { y: 2 }), collection.update('a', { z: 3 })]);
      expect(await collection.get('a')).toStrictEqual({ _id: 'a', x: 1, y: 2, z: 3, _rev: 4 });
    }),
  ]),

  group('upsert and delete', [
    test('upsert creates a document, then replaces the whole document', async ({ collection }) => {
      expect(await collection.upsert({ _id: 'a', a: 1, b: 2 })).toStrictEqual({ _id: 'a', a: 1, b: 2, _rev: 1 });
      expect(await collection.get('a')).toStrictEqual({ _id: 'a', a: 1, b: 2, _rev: 1 });
      expect(await collection.upsert({ _id: 'a', c: 3 })).toStrictEqual({ _id: 'a', c: 3, _rev: 2 });
      expect(await collection.get('a')).toStrictEqual({ _id: 'a', c: 3, _rev: 2 });
      expect(await collection.count()).toBe(1);
    }),
    test('upsert without an _id inserts with a generated id', async ({ collection }) => {
      const doc = await collection.upsert({ a: 1 });
      expect(typeof doc._id).toBe('string');
      expect(await collection.get(doc._id)).toStrictEqual(doc);
    }),
    test('delete returns true when it deleted a document and false when there was none', async ({ collection }) => {
      await collection.insert({ _id: 'a' });
      await collection.insert({ _id: 'b' });
      expect(await collection.delete('a')).toBe(true);
      expect(await collection.get('a')).toBeNull();
      expect(await collection.delete('a')).toBe(false);
      expect(await collection.delete('never')).toBe(false);
      expect(await idsFound(collection.find())).toEqual(['b']);
    }),
    test('a deleted id can be inserted again', async ({ collection }) => {
      await collection.insert({ _id: 'a', v: 1 });
      await collection.delete('a');
      // Insert is revision 1 and the delete's tombstone 2: the new document continues from it.
      expect(await collection.insert({ _id: 'a', v: 2 })).toStrictEqual({ _id: 'a', v: 2, _rev: 3 });
      expect(await collection.get('a')).toStrictEqual({ _id: 'a', v: 2, _rev: 3 });
    }),
  ]),

  group('bulk writes', [
    test('bulkInsert stores every document and returns them in order', async ({ collection }) => {
      const docs = [{ _id: 'b', n: 2 }, { _id: 'a', n: 1 }, { n: 3 }];
      const stored = await collection.bulkInsert(docs);
      expect(stored.slice(0, 2)).toStrictEqual([
        { _id: 'b', n: 2, _rev: 1 },
        { _id: 'a', n: 1, _rev: 1 },
      ]);
      expect(stored[2]).toMatchObject({ n: 3, _rev: 1 });
      expect(typeof stored[2]!._id).toBe('string');
      expect(await collection.count()).toBe(3);
      expect(await collection.get(stored[2]!._id)).toStrictEqual(stored[2]);
    }),
    test('bulkInsert with an existing id throws DuplicateKeyError; atomic storage writes nothing', async ({ collection, storage }) => {
      await collection.insert({ _id: 'taken', v: 'original' });
      await expectRejection(collection.bulkInsert([{ _id: 'new1' }, { _id: 'taken', v: 'overwritten?' }, { _id: 'new2' }]), DuplicateKeyError, 'DUPLICATE_KEY');
      expect(await collection.get('taken')).toStrictEqual({ _id: 'taken', v: 'original', _rev: 1 });
      if (storage.capabilities.atomicWrites) {
        expect(await collection.getMany(['new1', 'new2'])).toEqual([null, null]);
        expect(await collection.count()).toBe(1);
      }
    }),
    test('bulkInsert with the same id twice throws DuplicateKeyError and writes nothing', async ({ collection }) => {
      await expectRejection(collection.bulkInsert([{ _id: 'x' }, { _id: 'y' }, { _id: 'x' }]), DuplicateKeyError, 'DUPLICATE_KEY');
      expect(await collection.count()).toBe(0);
    }),
    test(
      'bulkInsert of 1,000 documents',
      async ({ collection }) => {
        const docs = Array.from({ length: 1000 }, (_, i) => ({ _id: `doc-${String(i).padStart(4, '0')}`, i, even: i % 2 === 0, text: `text ${i} é😀` }));
        const stored = await collection.bulkInsert(docs);
        expect(stored).toHaveLength(1000);
        const asStored = docs.map((doc) => ({ ...doc, _rev: 1 }));
        expect(await collection.count()).toBe(1000);
        expect(await collection.count({ even: true })).toBe(500);
        expect(await collection.find().where('i').gte(990).sort('i', 'desc').exec()).toStrictEqual(asStored.slice(990).reverse());
        expect(await collection.getMany(['doc-0000', 'doc-0999', 'doc-0500'])).toStrictEqual([asStored[0], asStored[999], asStored[500]]);
        expect(
          await collection
            .find()
            .where('_id')
            .in(docs.slice(100, 400).map((d) => d._id))
            .count(),
        ).toBe(300);
        expect(await collection.bulkDelete(docs.map((d) => d._id))).toBe(1000);
        expect(await collection.count()).toBe(0);
      },
      { slow: true },
    ),
    test('bulkUpdate applies every change and returns the new documents', async ({ collection }) => {
      await collection.bulkInsert([
        { _id: 'a', n: 1, keep: 'a' },
        { _id: 'b', n: 2, keep: 'b' },
      ]);
      const updated = await collection.bulkUpdate([
        { id: 'b', changes: { n: 20 } },
        { id: 'a', changes: { n: 10, added: true } },
      ]);
      expect(updated).toStrictEqual([
        { _id: 'b', n: 20, keep: 'b', _rev: 2 },
        { _id: 'a', n: 10, keep: 'a', added: true, _rev: 2 },
      ]);
      expect(await collection.find().sort('_id').exec()).toStrictEqual([
        { _id: 'a', n: 10, keep: 'a', added: true, _rev: 2 },
        { _id: 'b', n: 20, keep: 'b', _rev: 2 },
      ]);
    }),
    test('bulkUpdate of the same id twice applies both changes in order', async ({ collection }) => {
      await collection.insert({ _id: 'a', n: 1 });
      await collection.bulkUpdate([
        { id: 'a', changes: { n: 2, x: 1 } },
        { id: 'a', changes: { n: 3 } },
      ]);
      expect(await collection.get('a')).toStrictEqual({ _id: 'a', n: 3, x: 1, _rev: 3 });
    }),
    test('bulkUpdate with a missing id throws DocumentNotFoundError; atomic storage applies nothing', async ({ collection, storage }) => {
      await collection.bulkInsert([
        { _id: 'a', n: 1 },
        { _id: 'c', n: 3 },
      ]);
      const error = await expectRejection(
        collection.bulkUpdate([
          { id: 'a', changes: { n: 10 } },
          { id: 'missing', changes: { n: 0 } },
          { id: 'c', changes: { n: 30 } },
        ]),
        DocumentNotFoundError,
        'DOCUMENT_NOT_FOUND',
      );
      expect(error.id).toBe('missing');
      expect(await collection.get('missing')).toBeNull();
      if (storage.capabilities.atomicWrites) {
        expect(await collection.find().sort('_id').exec()).toStrictEqual([
          { _id: 'a', n: 1, _rev: 1 },
          { _id: 'c', n: 3, _rev: 1 },
        ]);
      }
    }),
    test('bulkDelete returns how many documents existed', async ({ collection }) => {
      await collection.bulkInsert([{ _id: 'a' }, { _id: 'b' }, { _id: 'c' }]);
      expect(await collection.bulkDelete(['a', 'missing', 'a', 'c'])).toBe(2);
      expect(await idsFound(collection.find())).toEqual(['b']);
      expect(await collection.bulkDelete(['a', 'c'])).toBe(0);
    }),
    test('empty bulk writes do nothing', async ({ collection }) => {
      await collection.insert({ _id: 'a' });
      expect(await collection.bulkInsert([])).toEqual([]);
      expect(await collection.bulkUpdate([])).toEqual([]);
      expect(await collection.bulkDelete([])).toBe(0);
      expect(await collection.count()).toBe(1);
    }),
  ]),
];
