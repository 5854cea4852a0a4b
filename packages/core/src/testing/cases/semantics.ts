import { expect } from 'vitest';
import type { Collection } from '../../collection.js';
import type { AnyDocument, JsonValue } from '../../document.js';
import type { QueryBuilder } from '../../query/builder.js';
import { byCodePoint, idsFound, idsOf } from '../helpers.js';
import { group, test } from './case.js';

/**
 * One field, `v`, holding a value of every type: the fixture for the rules that SQL backends get
 * wrong most easily (null vs missing, true vs 1, 5 vs "5", whole-value arrays and objects).
 */
export const MIXED = [
  { _id: 'missing' },
  { _id: 'null', v: null },
  { _id: 'zero', v: 0 },
  { _id: 'one', v: 1 },
  { _id: 'neg', v: -2.5 },
  { _id: 'big', v: 1e21 },
  { _id: 'str-1', v: '1' },
  { _id: 'str-10', v: '10' },
  { _id: 'str-a', v: 'a' },
  { _id: 'str-empty', v: '' },
  { _id: 'true', v: true },
  { _id: 'false', v: false },
  { _id: 'obj', v: { a: 1 } },
  { _id: 'obj-empty', v: {} },
  { _id: 'arr', v: [1, 'a'] },
  { _id: 'arr-1', v: [1] },
  { _id: 'arr-empty', v: [] },
];
const MIXED_IDS = MIXED.map((d) => d._id);

async function mixed(collection: Collection<AnyDocument>): Promise<(query: QueryBuilder<AnyDocument>) => Promise<string[]>> {
  await collection.bulkInsert(MIXED);
  return idsFound;
}

/** Every id but these, in `_id` order. */
function allBut(...ids: string[]): string[] {
  return byCodePoint(MIXED_IDS.filter((id) => !ids.includes(id)));
}

export const semanticsCases = [
  group('null and missing', [
    test('equals(null) matches null and missing fields', async ({ collection }) => {
      const q = await mixed(collection);
      expect(await q(collection.find().where('v').equals(null))).toEqual(['missing', 'null']);
      expect(await collection.find().where('v').equals(null).count()).toBe(2);
    }),
    test('notEquals(null) matches present, non-null fields', async ({ collection }) => {
      const q = await mixed(collection);
      expect(await q(collection.find().where('v').notEquals(null))).toEqual(allBut('missing', 'null'));
    }),
    test('exists(true) matches null; exists(false) only missing', async ({ collection }) => {
      const q = await mixed(collection);
      expect(await q(collection.find().where('v').exists())).toEqual(allBut('missing'));
      expect(await q(collection.find().where('v').exists(false))).toEqual(['missing']);
    }),
    test('notEquals and notIn match documents without the field', async ({ collection }) => {
      const q = await mixed(collection);
      expect(await q(collection.find().where('v').notEquals(1))).toEqual(allBut('one'));
      expect(await q(collection.find().where('v').notIn([1, 'a']))).toEqual(allBut('one', 'str-a'));
      expect(await q(collection.find().where('v').notIn([null]))).toEqual(allBut('missing', 'null'));
    }),
    test('in([null]) matches null and missing', async ({ collection }) => {
      const q = await mixed(collection);
      expect(await q(collection.find().where('v').in([null, 0]))).toEqual(['missing', 'null', 'zero']);
    }),
    test('ranges never match null or missing', async ({ collection }) => {
      const q = await mixed(collection);
      expect(await q(collection.find().where('v').lt(0))).toEqual(['neg']);
      expect(await q(collection.find().where('v').lte('1'))).toEqual(['str-1', 'str-empty']);
      expect(await q(collection.find().where('v').lt(true))).toEqual(['false']);
    }),
    test('nested paths through missing, null, scalars and arrays are missing', async ({ collection }) => {
      await collection.bulkInsert([
        { _id: 'n1', profile: { age: 30 } },
        { _id: 'n2', profile: { age: null } },
        { _id: 'n3', profile: {} },
        { _id: 'n4', profile: null },
        { _id: 'n5' },
        { _id: 'n6', profile: [{ age: 30 }] },
        { _id: 'n7', profile: 'age' },
        { _id: 'n8', profile: { age: '30' } },
        { _id: 'n9', profile: { age: { years: 30 } } },
      ]);
      const ids = idsFound;
      expect(await ids(collection.find().where('profile.age').equals(30))).toEqual(['n1']);
      expect(await ids(collection.find().where('profile.age').equals(null))).toEqual(['n2', 'n3', 'n4', 'n5', 'n6', 'n7']);
      expect(await ids(collection.find().where('profile.age').exists())).toEqual(['n1', 'n2', 'n8', 'n9']);
      expect(await ids(collection.find().where('profile.age').notEquals(30))).toEqual(['n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8', 'n9']);
      expect(await ids(collection.find().where('profile.age').equals({ years: 30 }))).toEqual(['n9']);
      expect(await ids(collection.find().where('profile.age.years').gte(30))).toEqual(['n9']);
      expect(await ids(collection.find().where('profile.0.age').exists())).toEqual([]);
      expect(await ids(collection.find().sort('profile.age', 'desc'))).toEqual(['n9', 'n8', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7']);
    }),
    test('inherited object properties are not fields', async ({ collection }) => {
      await collection.bulkInsert([{ _id: 'a' }, { _id: 'b', constructor: 'yes', toString: 1 }]);
      expect(await idsFound(collection.find().where('constructor').exists())).toEqual(['b']);
      expect(await idsFound(collection.find().where('toString').equals(1))).toEqual(['b']);
      expect(await idsFound(collection.find().where('hasOwnProperty').exists(false))).toEqual(['a', 'b']);
    }),
  ]),

  group('types never mix', [
    test('booleans never equal numbers', async ({ collection }) => {
      const q = await mixed(collection);
      expect(await q(collection.find().where('v').equals(true))).toEqual(['true']);
      expect(await q(collection.find().where('v').equals(1))).toEqual(['one']);
      expect(await q(collection.find().where('v').equals(false))).toEqual(['false']);
      expect(await q(collection.find().where('v').equals(0))).toEqual(['zero']);
      expect(await q(collection.find().where('v').in([true]))).toEqual(['true']);
      expect(await q(collection.find().where('v').in([1, 0]))).toEqual(['one', 'zero']);
      expect(await q(collection.find().where('v').notEquals(true))).toEqual(allBut('true'));
      expect(await q(collection.find().where('v').notIn([false, 0]))).toEqual(allBut('false', 'zero'));
    }),
    test('ranges on booleans and numbers stay within their type', async ({ collection }) => {
      const q = await mixed(collection);
      expect(await q(collection.find().where('v').gt(0))).toEqual(['big', 'one']);
      expect(await q(collection.find().where('v').gte(0))).toEqual(['big', 'one', 'zero']);
      expect(await q(collection.find().where('v').lte(1))).toEqual(['neg', 'one', 'zero']);
      expect(await q(collection.find().where('v').gt(false))).toEqual(['true']);
      expect(await q(collection.find().where('v').gte(false))).toEqual(['false', 'true']);
      expect(await q(collection.find().where('v').between(false, true))).toEqual(['false', 'true']);
      expect(await q(collection.find().where('v').between(-10, 10))).toEqual(['neg', 'one', 'zero']);
    }),
    test('numeric ranges that cannot reach 0 or 1 still match numbers only', async ({ collection }) => {
      // SQL backends may skip the type check here: text sorts after every number in SQLite.
      const q = await mixed(collection);
      expect(await q(collection.find().where('v').gt(2))).toEqual(['big']);
      expect(await q(collection.find().where('v').gte(2))).toEqual(['big']);
      expect(await q(collection.find().where('v').gte(1e21))).toEqual(['big']);
      expect(await q(collection.find().where('v').gt(1e21))).toEqual([]);
      expect(await q(collection.find().where('v').lt(-1))).toEqual(['neg']);
      expect(await q(collection.find().where('v').lte(-2.5))).toEqual(['neg']);
      expect(await q(collection.find().where('v').lt(-2.5))).toEqual([]);
      expect(await q(collection.find().where('v').between(2, 1e30))).toEqual(['big']);
      expect(await q(collection.find().where('v').gte(2).sort('v', 'desc'))).toEqual(['big']);
    }),
    test('numbers never equal numeric strings', async ({ collection }) => {
      const q = await mixed(collection);
      expect(await q(collection.find().where('v').equals('1'))).toEqual(['str-1']);
      expect(await q(collection.find().where('v').in(['1', '10']))).toEqual(['str-1', 'str-10']);
      expect(await q(collection.find().where('v').in([10]))).toEqual([]);
      expect(await q(collection.find().where('v').gt(0.5).where('v').lt(100))).toEqual(['one']);
      expect(await q(collection.find().where('v').gte('1'))).toEqual(['str-1', 'str-10', 'str-a']);
      expect(await q(collection.find().where('v').gt(''))).toEqual(['str-1', 'str-10', 'str-a']);
      expect(await q(collection.find().where('v').equals(''))).toEqual(['str-empty']);
    }),
    test('string operators ignore non-strings', async ({ collection }) => {
      const q = await mixed(collection);
      expect(await q(collection.find().where('v').startsWith('1'))).toEqual(['str-1', 'str-10']);
      expect(await q(collection.find().where('v').startsWith(''))).toEqual(['str-1', 'str-10', 'str-a', 'str-empty']);
      expect(await q(collection.find().where('v').matches('^1'))).toEqual(['str-1', 'str-10']);
      expect(await q(collection.find().where('v').matches(''))).toEqual(['str-1', 'str-10', 'str-a', 'str-empty']);
      expect(await q(collection.find().where('v').contains('1'))).toEqual(['str-1', 'str-10']);
    }),
    test('integers and floats compare as numbers', async ({ collection }) => {
      await collection.bulkInsert([
        { _id: 'a', n: 2 },
        { _id: 'b', n: 2.0000000001 },
        { _id: 'c', n: 10 },
        { _id: 'd', n: 9.99 },
        { _id: 'e', n: Number.MAX_SAFE_INTEGER },
        { _id: 'f', n: Number.MAX_SAFE_INTEGER - 1 },
        { _id: 'g', n: -0.5 },
        { _id: 'h', n: 0.1 + 0.2 },
        { _id: 'i', n: 0.3 },
      ]);
      expect(await idsFound(collection.find().sort('n'))).toEqual(['g', 'i', 'h', 'a', 'b', 'd', 'c', 'f', 'e']);
      expect(await idsFound(collection.find().where('n').equals(2))).toEqual(['a']);
      expect(
        await idsFound(
          collection
            .find()
            .where('n')
            .equals(0.1 + 0.2),
        ),
      ).toEqual(['h']);
      expect(await idsFound(collection.find().where('n').equals(0.3))).toEqual(['i']);
      expect(
        await idsFound(
          collection
            .find()
            .where('n')
            .gt(Number.MAX_SAFE_INTEGER - 1),
        ),
      ).toEqual(['e']);
      expect(await idsFound(collection.find().where('n').gt(2).where('n').lt(10))).toEqual(['b', 'd']);
    }),
  ]),

  group('mixed types and whole values', [
    test('ascending sort over mixed types: missing/null < numbers < strings < objects < arrays < booleans', async ({ collection }) => {
      const q = await mixed(collection);
      const ascending = [
        'missing',
        'null',
        'neg',
        'zero',
        'one',
        'big',
        'str-empty',
        'str-1',
        'str-10',
        'str-a',
        'obj',
        'obj-empty',
        'arr',
        'arr-1',
        'arr-empty',
        'false',
        'true',
      ];
      expect(await q(collection.find().sort('v'))).toEqual(ascending);
    }),
    test('descending sort over mixed types reverses it, ties still by _id ascending', async ({ collection }) => {
      const q = await mixed(collection);
      const descending = [
        'true',
        'false',
        'arr-empty',
        'arr-1',
        'arr',
        'obj-empty',
        'obj',
        'str-a',
        'str-10',
        'str-1',
        'str-empty',
        'big',
        'one',
        'zero',
        'neg',
        'missing',
        'null',
      ];
      expect(await q(collection.find().sort('v', 'desc'))).toEqual(descending);
    }),
    test('arrays and objects compare as whole values', async ({ collection }) => {
      const q = await mixed(collection);
      expect(await q(collection.find().where('v').equals([1]))).toEqual(['arr-1']);
      expect(await q(collection.find().where('v').equals([1, 'a']))).toEqual(['arr']);
      expect(await q(collection.find().where('v').equals(['a', 1]))).toEqual([]);
      expect(await q(collection.find().where('v').equals([]))).toEqual(['arr-empty']);
      expect(await q(collection.find().where('v').equals({ a: 1 }))).toEqual(['obj']);
      expect(await q(collection.find().where('v').equals({}))).toEqual(['obj-empty']);
      expect(await q(collection.find().where('v').equals({ a: '1' }))).toEqual([]);
      expect(
        await q(
          collection
            .find()
            .where('v')
            .in([[1], {}]),
        ),
      ).toEqual(['arr-1', 'obj-empty']);
      expect(await q(collection.find().where('v').notEquals([1]))).toEqual(allBut('arr-1'));
      // A scalar never matches an array holding it: arrays are values, not sets of values.
      expect(await q(collection.find().where('v').equals('a'))).toEqual(['str-a']);
    }),
    test('nested arrays and objects compare as whole values, key order included', async ({ collection }) => {
      await collection.bulkInsert([
        { _id: 'a', v: { x: 1, y: [1, { z: true }] } },
        { _id: 'b', v: { y: [1, { z: true }], x: 1 } },
        { _id: 'c', v: [[1, 2], { k: null }] },
        { _id: 'd', v: { x: 1.5, s: 'é😀' } },
      ]);
      expect(
        await idsFound(
          collection
            .find()
            .where('v')
            .equals({ x: 1, y: [1, { z: true }] }),
        ),
      ).toEqual(['a']);
      expect(
        await idsFound(
          collection
            .find()
            .where('v')
            .equals({ y: [1, { z: true }], x: 1 }),
        ),
      ).toEqual(['b']);
      expect(
        await idsFound(
          collection
            .find()
            .where('v')
            .equals([[1, 2], { k: null }]),
        ),
      ).toEqual(['c']);
      expect(await idsFound(collection.find().where('v').equals({ x: 1.5, s: 'é😀' }))).toEqual(['d']);
      expect(
        await idsFound(
          collection
            .find()
            .where('v')
            .in([{ y: [1, { z: true }], x: 1 }, [[1, 2], { k: null }]]),
        ),
      ).toEqual(['b', 'c']);
    }),
    test('contains compares array elements by type and whole value', async ({ collection }) => {
      await collection.bulkInsert([
        { _id: 't1', tags: ['a', 'b'] },
        { _id: 't2', tags: [1, 2] },
        { _id: 't3', tags: [true] },
        { _id: 't4', tags: ['1', null] },
        { _id: 't5', tags: [['a'], { k: 1 }] },
        { _id: 't6', tags: [] },
        { _id: 't7', tags: 'abc' },
        { _id: 't8', tags: 1 },
        { _id: 't9' },
      ]);
      const ids = async (value: JsonValue) => await idsFound(collection.find().where('tags').contains(value));
      expect(await ids('a')).toEqual(['t1', 't7']);
      expect(await ids(1)).toEqual(['t2']);
      expect(await ids(true)).toEqual(['t3']);
      expect(await ids('1')).toEqual(['t4']);
      expect(await ids(null)).toEqual(['t4']);
      expect(await ids(['a'])).toEqual(['t5']);
      expect(await ids({ k: 1 })).toEqual(['t5']);
      expect(await ids('bc')).toEqual(['t7']);
      expect(await ids('')).toEqual(['t7']);
      expect(await collection.find().where('tags').contains('a').count()).toBe(2);
    }),
  ]),

  group('unicode', [
    test('strings sort by code point, astral characters after the whole BMP', async ({ collection }) => {
      const words = ['a', 'B', 'é', 'z', 'Z', '😀', '\uE000', '\uFFFD', '中', 'e\u0301', 'ab', '', '𝔸', 'ÿ'];
      await collection.bulkInsert(words.map((w, i) => ({ _id: `w${String(i).padStart(2, '0')}`, w })));
      const sorted = (await collection.find().sort('w').exec()).map((d) => d.w);
      expect(sorted).toEqual(['', 'B', 'Z', 'a', 'ab', 'e\u0301', 'z', 'é', 'ÿ', '中', '\uE000', '\uFFFD', '𝔸', '😀']);
      const descending = (await collection.find().sort('w', 'desc').exec()).map((d) => d.w);
      expect(descending).toEqual([...sorted].reverse());
      expect((await collection.find().where('w').gt('\uFFFD').sort('w').exec()).map((d) => d.w)).toEqual(['𝔸', '😀']);
      expect((await collection.find().where('w').lt('\uE000').where('w').gte('é').sort('w').exec()).map((d) => d.w)).toEqual(['é', 'ÿ', '中']);
    }),
    test('_id order is code point order too', async ({ collection }) => {
      const ids = ['😀', '\uE000', 'é', 'E', 'e', '𝔸', '中', 'e\u0301'];
      await collection.bulkInsert(ids.map((_id) => ({ _id })));
      expect(await idsFound(collection.find().sort('_id'))).toEqual(['E', 'e', 'e\u0301', 'é', '中', '\uE000', '𝔸', '😀']);
      expect(await idsFound(collection.find().sort('_id', 'desc'))).toEqual(['😀', '𝔸', '\uE000', '中', 'é', 'e\u0301', 'e', 'E']);
    }),
    test('unicode equality is exact: no case folding, no normalisation', async ({ collection }) => {
      await collection.bulkInsert([
        { _id: 'nfc', w: 'é' },
        { _id: 'nfd', w: 'e\u0301' },
        { _id: 'upper', w: 'É' },
        { _id: 'emoji', w: '😀 ok' },
      ]);
      expect(await idsFound(collection.find().where('w').equals('é'))).toEqual(['nfc']);
      expect(await idsFound(collection.find().where('w').equals('e\u0301'))).toEqual(['nfd']);
      expect(await idsFound(collection.find().where('w').startsWith('😀'))).toEqual(['emoji']);
      expect(await idsFound(collection.find().where('w').contains('\u0301'))).toEqual(['nfd']);
      expect(await idsFound(collection.find().where('w').matches(/^é$/i))).toEqual(['nfc', 'upper']);
      expect(await idsFound(collection.find().where('w').matches(/^.$/u))).toEqual(['nfc', 'upper']);
      expect(
        await idsFound(
          collection
            .find()
            .where('w')
            .matches(/^.. ok$/),
        ),
      ).toEqual(['emoji']);
      expect(
        await idsFound(
          collection
            .find()
            .where('w')
            .matches(/^. ok$/u),
        ),
      ).toEqual(['emoji']);
      expect(await idsFound(collection.find().where('w').in(['É', 'x']))).toEqual(['upper']);
    }),
  ]),
];
