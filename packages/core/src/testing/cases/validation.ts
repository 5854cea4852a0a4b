import { expect } from 'vitest';
import type { Collection } from '../../collection.js';
import type { AnyDocument } from '../../document.js';
import { QueryError, ValidationError } from '../../errors.js';
import { expectRejection, expectThrow } from '../helpers.js';
import { group, test } from './case.js';

/** Values no document may hold, each with the field path the error must name. */
function badDocuments(): Array<{ what: string; doc: unknown; path?: string }> {
  const cycle: Record<string, unknown> = { _id: 'cycle', a: 1 };
  cycle.self = cycle;
  const nestedCycle: Record<string, unknown> = { _id: 'nested-cycle' };
  nestedCycle.list = [1, { back: nestedCycle }];
  return [
    { what: 'a number', doc: 5 },
    { what: 'a string', doc: 'doc' },
    { what: 'null', doc: null },
    { what: 'an array', doc: [{ _id: 'x' }] },
    { what: 'a Date document', doc: new Date() },
    { what: 'a Map document', doc: new Map() },
    { what: 'a Date field', doc: { _id: 'd', at: new Date() }, path: 'at' },
    { what: 'a nested Date', doc: { _id: 'd', profile: { born: new Date() } }, path: 'profile.born' },
    { what: 'NaN', doc: { _id: 'd', n: Number.NaN }, path: 'n' },
    { what: 'Infinity', doc: { _id: 'd', n: Number.POSITIVE_INFINITY }, path: 'n' },
    { what: 'a function', doc: { _id: 'd', f: () => 1 }, path: 'f' },
    { what: 'a bigint', doc: { _id: 'd', b: 10n }, path: 'b' },
    { what: 'a symbol', doc: { _id: 'd', s: Symbol('s') }, path: 's' },
    { what: 'a class instance', doc: { _id: 'd', m: new Map([[1, 2]]) }, path: 'm' },
    { what: 'undefined in an array', doc: { _id: 'd', list: [1, undefined] }, path: 'list[1]' },
    { what: 'a cycle', doc: cycle, path: 'self' },
    { what: 'a cycle through an array', doc: nestedCycle, path: 'list[1].back' },
    { what: 'a __proto__ key', doc: JSON.parse('{"_id":"d","profile":{"__proto__":{"admin":true}}}') as unknown, path: 'profile.__proto__' },
    { what: 'a lone surrogate', doc: { _id: 'd', s: 'bad \uD800 text' }, path: 's' },
    { what: 'a numeric _id', doc: { _id: 5 }, path: '_id' },
    { what: 'an empty _id', doc: { _id: '' }, path: '_id' },
    { what: 'a null _id', doc: { _id: null }, path: '_id' },
    { what: 'an object _id', doc: { _id: { $oid: 'x' } }, path: '_id' },
  ];
}

async function expectNothingWritten(collection: Collection<AnyDocument>): Promise<void> {
  expect(await collection.find().exec()).toStrictEqual([{ _id: 'existing', v: 1, _rev: 1 }]);
}

export const validationCases = [
  group('validation', [
    test('invalid documents are rejected with a ValidationError naming the field, and nothing is written', async ({ collection }) => {
      await collection.insert({ _id: 'existing', v: 1 });
      for (const { what, doc, path } of badDocuments()) {
        const insert = await expectRejection(collection.insert(doc as AnyDocument), ValidationError, 'VALIDATION_ERROR');
        expect(insert.status, what).toBe(400);
        if (path !== undefined) expect(insert.path, what).toBe(path);
        await expectRejection(collection.upsert(doc as AnyDocument), ValidationError, 'VALIDATION_ERROR');
        // One bad document in a batch rejects the whole batch before anything is written.
        await expectRejection(collection.bulkInsert([{ _id: 'good' }, doc as AnyDocument]), ValidationError, 'VALIDATION_ERROR');
      }
      await expectNothingWritten(collection);
    }),
    test('invalid patches are rejected, and nothing is written', async ({ collection }) => {
      await collection.insert({ _id: 'existing', v: 1 });
      for (const { what, doc, path } of badDocuments()) {
        if (path === undefined || path === '_id') continue;
        const { _id, ...patch } = doc as Record<string, unknown>;
        const error = await expectRejection(collection.update('existing', patch), ValidationError, 'VALIDATION_ERROR');
        // A cycle is reported where it closes, which is one level deeper once _id is taken out.
        if (!what.includes('cycle')) expect(error.path, what).toBe(path);
        await expectRejection(
          collection.bulkUpdate([
            { id: 'existing', changes: { v: 2 } },
            { id: 'existing', changes: patch },
          ]),
          ValidationError,
          'VALIDATION_ERROR',
        );
      }
      await expectRejection(collection.update('existing', null as unknown as AnyDocument), ValidationError, 'VALIDATION_ERROR');
      await expectRejection(collection.update('existing', [] as unknown as AnyDocument), ValidationError, 'VALIDATION_ERROR');
      await expectNothingWritten(collection);
    }),
    test('ids that are not non-empty strings are rejected', async ({ collection }) => {
      await collection.insert({ _id: 'existing', v: 1 });
      for (const id of [5, '', null, undefined, {}, ['existing'], 'x'.repeat(513), 'lone \uDC00']) {
        const bad = id as string;
        await expectRejection(collection.get(bad), ValidationError, 'VALIDATION_ERROR');
        await expectRejection(collection.getMany(['existing', bad]), ValidationError, 'VALIDATION_ERROR');
        await expectRejection(collection.update(bad, { v: 2 }), ValidationError, 'VALIDATION_ERROR');
        await expectRejection(collection.delete(bad), ValidationError, 'VALIDATION_ERROR');
        await expectRejection(collection.bulkDelete(['existing', bad]), ValidationError, 'VALIDATION_ERROR');
        await expectRejection(
          collection.bulkUpdate([
            { id: 'existing', changes: { v: 3 } },
            { id: bad, changes: { v: 3 } },
          ]),
          ValidationError,
          'VALIDATION_ERROR',
        );
      }
      await expectRejection(collection.getMany('existing' as unknown as string[]), ValidationError, 'VALIDATION_ERROR');
      await expectRejection(collection.bulkInsert({ _id: 'x' } as unknown as AnyDocument[]), ValidationError, 'VALIDATION_ERROR');
      await expectRejection(collection.bulkDelete('existing' as unknown as string[]), ValidationError, 'VALIDATION_ERROR');
      await expectRejection(collection.bulkUpdate([null] as unknown as []), ValidationError, 'VALIDATION_ERROR');
      await expectNothingWritten(collection);
    }),
    test('bad queries throw QueryError from the builder, before any I/O', async ({ collection }) => {
      const find = () => collection.find();
      for (const [what, build] of [
        ['negative limit', () => find().limit(-1)],
        ['fractional limit', () => find().limit(1.5)],
        ['NaN limit', () => find().limit(Number.NaN)],
        ['negative skip', () => find().skip(-1)],
        ['Infinity skip', () => find().skip(Number.POSITIVE_INFINITY)],
        ['empty path', () => find().where('').equals(1)],
        ['empty path segment', () => find().where('a..b').equals(1)],
        ['__proto__ path', () => find().where('__proto__.x').equals(1)],
        ['quote in path', () => find().where('a"b').equals(1)],
        [
          'equals(undefined)',
          () =>
            find()
              .where('a')
              .equals(undefined as unknown as null),
        ],
        ['gt(NaN)', () => find().where('a').gt(Number.NaN)],
        [
          'gt(null)',
          () =>
            find()
              .where('a')
              .gt(null as unknown as number),
        ],
        [
          'gt(Date)',
          () =>
            find()
              .where('a')
              .gt(new Date() as unknown as number),
        ],
        [
          'in(not an array)',
          () =>
            find()
              .where('a')
              .in('a' as unknown as []),
        ],
        [
          'Date value',
          () =>
            find()
              .where('a')
              .equals(new Date() as unknown as null),
        ],
        [
          'startsWith(number)',
          () =>
            find()
              .where('a')
              .startsWith(1 as unknown as string),
        ],
        ['invalid regex', () => find().where('a').matches('(')],
        ['unsupported regex flag', () => find().where('a').matches('a', 'x')],
        ['bad sort direction', () => find().sort('a', 'up' as 'asc')],
        ['empty or', () => find().or()],
        ['empty group', () => find().or((q) => q)],
        ['find(non-object)', () => collection.find(5 as unknown as Record<string, never>)],
      ] as const) {
        const error = expectThrow(build, QueryError, 'QUERY_ERROR');
        expect(error.status, what).toBe(400);
        expect(error.message.length, what).toBeGreaterThan(10);
      }
      expect(await collection.count()).toBe(0);
    }),
  ]),
];
