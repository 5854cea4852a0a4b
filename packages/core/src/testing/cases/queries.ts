import { expect } from 'vitest';
import type { Collection } from '../../collection.js';
import type { AnyDocument } from '../../document.js';
import { byCodePoint, idsFound, idsOf } from '../helpers.js';
import { group, test } from './case.js';

/** A small cast: every operator test below states its expected ids by hand. */
export const PEOPLE = [
  { _id: 'p01', name: 'Ada', age: 36, city: 'London', tags: ['math', 'code'], active: true, profile: { age: 36, lang: 'en' } },
  { _id: 'p02', name: 'alan', age: 41, city: 'London', tags: ['code'], active: false, profile: { age: 41, lang: 'en' } },
  { _id: 'p03', name: 'Grace', age: 85, city: 'New York', tags: ['navy', 'code'], active: true, profile: { age: 85 } },
  { _id: 'p04', name: 'Émilie', age: 42, city: 'Paris', tags: [], active: false, profile: { lang: 'fr' } },
  { _id: 'p05', name: 'Linus', age: 36, city: null, tags: ['kernel'], active: true },
  { _id: 'p06', name: 'Margaret', city: 'Boston', tags: ['apollo', 'code'], active: true, profile: { age: 33, lang: 'en' } },
  { _id: 'p07', name: 'Ken', age: 8.5, tags: ['unix'], profile: null },
];
const ALL = PEOPLE.map((p) => p._id);

async function people(collection: Collection<AnyDocument>): Promise<Collection<AnyDocument>> {
  // Inserted out of order so that `_id` order is something the adapter has to produce.
  await collection.bulkInsert([...PEOPLE].reverse());
  return collection;
}

const ids = idsFound<AnyDocument>;

export const queryCases = [
  group('operators', [
    test('equals and notEquals', async ({ collection }) => {
      const c = await people(collection);
      expect(await ids(c.find().where('city').equals('London'))).toEqual(['p01', 'p02']);
      expect(await ids(c.find().where('city').notEquals('London'))).toEqual(['p03', 'p04', 'p05', 'p06', 'p07']);
      expect(await ids(c.find().where('age').equals(8.5))).toEqual(['p07']);
      expect(await ids(c.find().where('_id').equals('p04'))).toEqual(['p04']);
    }),
    test('gt, gte, lt, lte', async ({ collection }) => {
      const c = await people(collection);
      expect(await ids(c.find().where('age').gt(40))).toEqual(['p02', 'p03', 'p04']);
      expect(await ids(c.find().where('age').gte(41))).toEqual(['p02', 'p03', 'p04']);
      expect(await ids(c.find().where('age').lt(36))).toEqual(['p07']);
      expect(await ids(c.find().where('age').lte(36))).toEqual(['p01', 'p05', 'p07']);
      expect(await ids(c.find().where('name').gte('Grace').where('name').lt('Linus'))).toEqual(['p03', 'p07']);
      expect(await ids(c.find().where('_id').gt('p05'))).toEqual(['p06', 'p07']);
    }),
    test('between includes both ends', async ({ collection }) => {
      const c = await people(collection);
      expect(await ids(c.find().where('age').between(36, 42))).toEqual(['p01', 'p02', 'p04', 'p05']);
      expect(await ids(c.find().where('age').between(42, 36))).toEqual([]);
      expect(await ids(c.find().where('city').between('London', 'New York'))).toEqual(['p01', 'p02', 'p03']);
    }),
    test('in and notIn, including empty lists', async ({ collection }) => {
      const c = await people(collection);
      expect(await ids(c.find().where('age').in([36, 85, 1000]))).toEqual(['p01', 'p03', 'p05']);
      expect(await ids(c.find().where('age').in([]))).toEqual([]);
      expect(await ids(c.find().where('city').notIn(['London', 'Paris']))).toEqual(['p03', 'p05', 'p06', 'p07']);
      expect(await ids(c.find().where('city').notIn([]))).toEqual(ALL);
      expect(await c.find().where('age').in([]).count()).toBe(0);
      expect(await c.find().where('age').notIn([]).count()).toBe(7);
    }),
    test('exists(true) and exists(false)', async ({ collection }) => {
      const c = await people(collection);
      expect(await ids(c.find().where('age').exists())).toEqual(['p01', 'p02', 'p03', 'p04', 'p05', 'p07']);
      expect(await ids(c.find().where('age').exists(true))).toEqual(['p01', 'p02', 'p03', 'p04', 'p05', 'p07']);
      expect(await ids(c.find().where('age').exists(false))).toEqual(['p06']);
      expect(await ids(c.find().where('city').exists(false))).toEqual(['p07']);
      expect(await ids(c.find().where('nowhere').exists(false))).toEqual(ALL);
    }),
    test('startsWith is case-sensitive and takes % and _ literally', async ({ collection }) => {
      const c = await people(collection);
      expect(await ids(c.find().where('name').startsWith('A'))).toEqual(['p01']);
      expect(await ids(c.find().where('name').startsWith('a'))).toEqual(['p02']);
      expect(await ids(c.find().where('name').startsWith('Ém'))).toEqual(['p04']);
      expect(await ids(c.find().where('name').startsWith(''))).toEqual(ALL);
      await c.bulkInsert([
        { _id: 'x1', name: 'a%c' },
        { _id: 'x2', name: 'a_c' },
        { _id: 'x3', name: 'abc' },
        { _id: 'x4', name: 'A%C' },
      ]);
      expect(await ids(c.find().where('name').startsWith('a%'))).toEqual(['x1']);
      expect(await ids(c.find().where('name').startsWith('a_'))).toEqual(['x2']);
    }),
    test('contains matches array elements and substrings', async ({ collection }) => {
      const c = await people(collection);
      expect(await ids(c.find().where('tags').contains('code'))).toEqual(['p01', 'p02', 'p03', 'p06']);
      expect(await ids(c.find().where('tags').contains('cod'))).toEqual([]);
      expect(await ids(c.find().where('name').contains('ar'))).toEqual(['p06']);
      expect(await ids(c.find().where('name').contains('AR'))).toEqual([]);
      expect(await ids(c.find().where('city').contains('o'))).toEqual(['p01', 'p02', 'p03', 'p06']);
      await c.bulkInsert([
        { _id: 'x1', name: '100% sure' },
        { _id: 'x2', name: 'snake_case' },
        { _id: 'x3', name: '100 x sure' },
      ]);
      expect(await ids(c.find().where('name').contains('0%'))).toEqual(['x1']);
      expect(await ids(c.find().where('name').contains('e_c'))).toEqual(['x2']);
    }),
    test('matches with regular expressions and flags', async ({ collection }) => {
      const c = await people(collection);
      expect(await ids(c.find().where('name').matches(/^a/))).toEqual(['p02']);
      expect(await ids(c.find().where('name').matches(/^a/i))).toEqual(['p01', 'p02']);
      expect(await ids(c.find().where('name').matches('^.mi'))).toEqual(['p04']);
      expect(await ids(c.find().where('city').matches('o.*o'))).toEqual(['p01', 'p02', 'p06']);
      expect(await ids(c.find().where('age').matches('3'))).toEqual([]);
      expect(await ids(c.find().where('tags').matches('code'))).toEqual([]);
      expect(await c.find().where('name').matches(/e$/).count()).toBe(2);
    }),
    test('regex filters still give full pages and right counts', async ({ collection }) => {
      const docs = Array.from({ length: 40 }, (_, i) => ({ _id: `d${String(i).padStart(2, '0')}`, i, word: i % 3 === 0 ? `match-${i}` : `other-${i}` }));
      await collection.bulkInsert(docs);
      const matching = docs.filter((d) => d.word.startsWith('match'));
      const query = collection
        .find()
        .where('word')
        .matches(/^MATCH-\d+$/i)
        .sort('i', 'desc');
      expect(await query.count()).toBe(matching.length);
      expect(idsOf(await query.skip(2).limit(5).exec())).toEqual(idsOf([...matching].reverse().slice(2, 7)));
      expect(idsOf(await query.where('i').gt(10).limit(3).exec())).toEqual(['d39', 'd36', 'd33']);
    }),
    test('conditions on nested paths', async ({ collection }) => {
      const c = await people(collection);
      expect(await ids(c.find().where('profile.age').gt(35))).toEqual(['p01', 'p02', 'p03']);
      expect(await ids(c.find().where('profile.lang').equals('en'))).toEqual(['p01', 'p02', 'p06']);
      expect(await ids(c.find().where('profile.lang').exists(false))).toEqual(['p03', 'p05', 'p07']);
      expect(await ids(c.find().where('profile').equals(null))).toEqual(['p05', 'p07']);
    }),
  ]),

  group('combining conditions', [
    test('several conditions on one field all apply', async ({ collection }) => {
      const c = await people(collection);
      expect(await ids(c.find().where('age').gt(30).where('age').lt(42))).toEqual(['p01', 'p02', 'p05']);
      expect(await ids(c.find().where('age').notEquals(36).where('age').notEquals(85))).toEqual(['p02', 'p04', 'p06', 'p07']);
      expect(await ids(c.find().where('age').gte(36).where('age').lte(36))).toEqual(['p01', 'p05']);
    }),
    test('or groups', async ({ collection }) => {
      const c = await people(collection);
      const q = c
        .find()
        .where('active')
        .equals(true)
        .or(
          (g) => g.where('city').equals('London'),
          (g) => g.where('age').gt(80),
        );
      expect(await ids(q)).toEqual(['p01', 'p03']);
      expect(await q.count()).toBe(2);
      expect(await ids(c.find().or((g) => g.where('name').equals('Ken')))).toEqual(['p07']);
    }),
    test('and groups nested in or groups, and or groups nested in those', async ({ collection }) => {
      const c = await people(collection);
      const q1 = c.find().or(
        (g) => g.where('city').equals('Paris'),
        (g) =>
          g.and(
            (h) => h.where('tags').contains('code'),
            (h) => h.where('age').lt(40),
          ),
      );
      expect(await ids(q1)).toEqual(['p01', 'p04']);
      const q2 = c
        .find()
        .where('tags')
        .contains('code')
        .or(
          (g) => g.where('name').startsWith('G'),
          (g) =>
            g.or(
              (h) => h.where('profile.lang').equals('en').where('age').gte(40),
              (h) => h.where('age').exists(false),
            ),
        );
      expect(await ids(q2)).toEqual(['p02', 'p03', 'p06']);
      expect(await q2.count()).toBe(3);
      const q3 = c.find().and(
        (g) =>
          g.or(
            (h) => h.where('age').lt(10),
            (h) => h.where('age').gt(80),
          ),
        (g) => g.where('name').notEquals('Grace'),
      );
      expect(await ids(q3)).toEqual(['p07']);
    }),
  ]),

  group('sort, skip, limit', [
    test("sort('_id') orders by _id code point; without a sort the order is unspecified", async ({ collection }) => {
      await collection.bulkInsert([{ _id: 'b' }, { _id: 'a10' }, { _id: 'B' }, { _id: 'a2' }, { _id: 'a' }]);
      expect(idsOf(await collection.find().sort('_id').exec())).toEqual(['B', 'a', 'a10', 'a2', 'b']);
      expect(byCodePoint(idsOf(await collection.find().exec()) as string[])).toEqual(['B', 'a', 'a10', 'a2', 'b']);
    }),
    test('without a sort, limit and skip still return that many distinct matches', async ({ collection }) => {
      const c = await people(collection);
      const active = ['p01', 'p03', 'p05', 'p06'];
      for (const [skip, limit, expected] of [
        [0, 2, 2],
        [1, 2, 2],
        [3, 5, 1],
        [4, 1, 0],
        [0, 0, 0],
      ] as const) {
        const found = idsOf(await c.find().where('active').equals(true).skip(skip).limit(limit).exec());
        expect(found, `skip ${skip} limit ${limit}`).toHaveLength(expected);
        expect(new Set(found).size).toBe(found.length);
        for (const id of found) expect(active).toContain(id);
      }
      const first = await c.find().where('active').equals(true).first();
      expect(active).toContain(first?._id);
      expect(await c.find().where('active').equals(false).where('age').gt(1000).first()).toBeNull();
    }),
    test('sort ascending and descending; ties are broken by _id ascending', async ({ collection }) => {
      const c = await people(collection);
      expect(await ids(c.find().sort('age'))).toEqual(['p06', 'p07', 'p01', 'p05', 'p02', 'p04', 'p03']);
      expect(await ids(c.find().sort('age', 'asc'))).toEqual(['p06', 'p07', 'p01', 'p05', 'p02', 'p04', 'p03']);
      expect(await ids(c.find().sort('age', 'desc'))).toEqual(['p03', 'p04', 'p02', 'p01', 'p05', 'p07', 'p06']);
    }),
    test('sort by several keys', async ({ collection }) => {
      const c = await people(collection);
      expect(await ids(c.find().sort('active', 'desc').sort('age'))).toEqual(['p06', 'p01', 'p05', 'p03', 'p02', 'p04', 'p07']);
      expect(await ids(c.find().sort('city').sort('name', 'desc'))).toEqual(['p05', 'p07', 'p06', 'p02', 'p01', 'p03', 'p04']);
      expect(await ids(c.find().sort('profile.lang', 'desc').sort('profile.age', 'desc'))).toEqual(['p04', 'p02', 'p01', 'p06', 'p03', 'p05', 'p07']);
    }),
    test('sort by _id descending', async ({ collection }) => {
      const c = await people(collection);
      expect(await ids(c.find().sort('_id', 'desc'))).toEqual([...ALL].reverse());
    }),
    test('skip and limit', async ({ collection }) => {
      const c = await people(collection);
      const byAge = ['p06', 'p07', 'p01', 'p05', 'p02', 'p04', 'p03'];
      expect(await ids(c.find().sort('age').skip(2))).toEqual(byAge.slice(2));
      expect(await ids(c.find().sort('age').limit(3))).toEqual(byAge.slice(0, 3));
      expect(await ids(c.find().sort('age').skip(2).limit(3))).toEqual(byAge.slice(2, 5));
      expect(await ids(c.find().sort('age').limit(3).skip(2))).toEqual(byAge.slice(2, 5));
      expect(await ids(c.find().limit(0))).toEqual([]);
      expect(await ids(c.find().skip(7))).toEqual([]);
      expect(await ids(c.find().skip(100).limit(5))).toEqual([]);
      expect(await ids(c.find().sort('_id').skip(5).limit(100))).toEqual(['p06', 'p07']);
      expect(await ids(c.find().where('active').equals(true).sort('_id').skip(1).limit(2))).toEqual(['p03', 'p05']);
    }),
    test('skip and limit pages tile the results exactly, even with ties', async ({ collection }) => {
      const docs = Array.from({ length: 61 }, (_, i) => ({ _id: `d${(i * 37) % 61}`, group: i % 4, half: i % 2 === 0 ? 'even' : null }));
      await collection.bulkInsert(docs);
      for (const base of [
        collection.find().sort('group', 'desc'),
        collection.find().sort('half').sort('group'),
        collection.find().where('group').gt(0).sort('_id'),
      ]) {
        const all = idsOf(await base.exec());
        const pages: Array<string | null> = [];
        for (let skip = 0; skip < all.length + 7; skip += 7) pages.push(...idsOf(await base.skip(skip).limit(7).exec()));
        expect(pages).toEqual(all);
        expect(new Set(pages).size).toBe(all.length);
      }
    }),
    test('count applies the filter and ignores sort, skip and limit', async ({ collection }) => {
      const c = await people(collection);
      expect(await c.count()).toBe(7);
      expect(await c.find().count()).toBe(7);
      expect(await c.find().where('active').equals(true).count()).toBe(4);
      expect(await c.find().where('active').equals(true).sort('age').skip(1).limit(1).count()).toBe(4);
      expect(await c.count({ city: 'London' })).toBe(2);
      expect(await c.find().where('age').gt(1000).count()).toBe(0);
    }),
    test('first returns the first result in order, or null', async ({ collection }) => {
      const c = await people(collection);
      expect((await c.find().sort('_id').first())?._id).toBe('p01');
      expect((await c.find().sort('age', 'desc').first())?._id).toBe('p03');
      expect((await c.find().sort('age').skip(1).first())?._id).toBe('p07');
      expect(await c.find().where('age').gt(1000).first()).toBeNull();
      expect(await c.find().sort('_id').first()).toStrictEqual({ ...PEOPLE[0], _rev: 1 });
    }),
    test('find with a filter object', async ({ collection }) => {
      const c = await people(collection);
      expect(await ids(c.find({ city: 'London', active: false }))).toEqual(['p02']);
      expect(await ids(c.find({ 'profile.lang': 'en' }))).toEqual(['p01', 'p02', 'p06']);
      expect(await ids(c.find({ city: null }))).toEqual(['p05', 'p07']);
      expect(await ids(c.find({ tags: ['code'] }))).toEqual(['p02']);
      expect(await ids(c.find({}))).toEqual(ALL);
      expect(await ids(c.find({ active: true }).where('age').lt(40).sort('age', 'desc'))).toEqual(['p01', 'p05']);
    }),
  ]),
];
