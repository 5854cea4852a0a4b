import { expect } from 'vitest';
import type { ChangeEvent } from '../../changes.js';
import type { AnyDocument } from '../../document.js';
import { DocumentNotFoundError, DuplicateKeyError, ValidationError } from '../../errors.js';
import { expectRejection, idsOf, recorder } from '../helpers.js';
import { group, test } from './case.js';

export const changeCases = [
  group('change events', [
    test('db.onChange reports each write once it is stored', async ({ db, collection }) => {
      const batches = recorder<readonly ChangeEvent[]>();
      let readInListener: Promise<AnyDocument | null> = Promise.resolve(null);
      db.onChange((changes) => {
        batches.push(changes);
        // A read started from inside the listener must already see the write.
        readInListener = collection.get(changes[0]!.id);
      });
      const name = collection.name;

      await collection.insert({ _id: 'a', n: 1 });
      expect(await batches.next()).toStrictEqual([{ type: 'insert', collection: name, id: 'a', doc: { _id: 'a', n: 1, _rev: 1 } }]);
      expect(await readInListener).toStrictEqual({ _id: 'a', n: 1, _rev: 1 });
      await collection.update('a', { m: 2 });
      expect(await batches.next()).toStrictEqual([{ type: 'update', collection: name, id: 'a', doc: { _id: 'a', n: 1, m: 2, _rev: 2 } }]);
      expect(await readInListener).toStrictEqual({ _id: 'a', n: 1, m: 2, _rev: 2 });
      await collection.upsert({ _id: 'a', replaced: true });
      expect(await batches.next()).toStrictEqual([{ type: 'upsert', collection: name, id: 'a', doc: { _id: 'a', replaced: true, _rev: 3 } }]);
      expect(await readInListener).toStrictEqual({ _id: 'a', replaced: true, _rev: 3 });
      await collection.delete('a');
      expect(await batches.next()).toStrictEqual([{ type: 'delete', collection: name, id: 'a' }]);
      expect(await readInListener).toBeNull();
    }),
    test('a bulk write is reported as one batch of changes, in order', async ({ db, collection }) => {
      const batches = recorder<readonly ChangeEvent[]>();
      db.onChange(batches.push);
      await collection.bulkInsert([{ _id: 'b' }, { _id: 'a' }, { _id: 'c' }]);
      expect((await batches.next()).map((c) => [c.type, c.id])).toEqual([
        ['insert', 'b'],
        ['insert', 'a'],
        ['insert', 'c'],
      ]);
      await collection.bulkUpdate([
        { id: 'c', changes: { n: 1 } },
        { id: 'a', changes: { n: 2 } },
      ]);
      expect((await batches.next()).map((c) => [c.type, c.id])).toEqual([
        ['update', 'c'],
        ['update', 'a'],
      ]);
      await collection.bulkDelete(['a', 'b']);
      expect((await batches.next()).map((c) => [c.type, c.id]).sort()).toEqual([
        ['delete', 'a'],
        ['delete', 'b'],
      ]);
    }),
    test('failed writes and deletes of nothing report no change', async ({ db, collection }) => {
      await collection.insert({ _id: 'a' });
      const batches = recorder<readonly ChangeEvent[]>();
      db.onChange(batches.push);
      await expectRejection(collection.insert({ _id: 'a' }), DuplicateKeyError, 'DUPLICATE_KEY');
      await expectRejection(collection.update('missing', { n: 1 }), DocumentNotFoundError, 'DOCUMENT_NOT_FOUND');
      await expectRejection(collection.insert({ _id: 'b', at: new Date() }), ValidationError, 'VALIDATION_ERROR');
      expect(await collection.delete('missing')).toBe(false);
      expect(await collection.bulkDelete(['missing', 'also-missing'])).toBe(0);
      await batches.none();
      expect(await collection.bulkDelete(['missing', 'a'])).toBe(1);
      expect(await batches.next()).toStrictEqual([{ type: 'delete', collection: collection.name, id: 'a' }]);
    }),
    test('collection.onChange sees only its collection; unsubscribing stops events', async ({ db, collection, fresh }) => {
      const other = fresh();
      const mine = recorder<readonly ChangeEvent[]>();
      const all = recorder<readonly ChangeEvent[]>();
      const stopMine = collection.onChange(mine.push);
      const stopAll = db.onChange(all.push);
      await other.insert({ _id: 'x' });
      await collection.insert({ _id: 'y' });
      expect((await mine.next()).map((c) => c.id)).toEqual(['y']);
      expect((await all.next()).map((c) => [c.collection, c.id])).toEqual([[other.name, 'x']]);
      expect((await all.next()).map((c) => [c.collection, c.id])).toEqual([[collection.name, 'y']]);
      stopMine();
      stopAll();
      await collection.insert({ _id: 'z' });
      await mine.none();
      await all.none();
    }),
  ]),

  group('live queries', [
    test('observe delivers the initial results, then new results after each insert, update and delete', async ({ collection }) => {
      await collection.bulkInsert([
        { _id: 'a', n: 1 },
        { _id: 'b', n: 5 },
        { _id: 'c', n: 3 },
      ]);
      const results = recorder<AnyDocument[]>();
      const stop = collection.find().where('n').gte(2).sort('n', 'desc').limit(2).observe(results.push);
      try {
        expect(idsOf(await results.next())).toEqual(['b', 'c']);
        await collection.insert({ _id: 'd', n: 4 });
        expect(idsOf(await results.next())).toEqual(['b', 'd']);
        await collection.update('a', { n: 10 });
        expect(await results.next()).toStrictEqual([
          { _id: 'a', n: 10, _rev: 2 },
          { _id: 'b', n: 5, _rev: 1 },
        ]);
        await collection.delete('b');
        expect(idsOf(await results.next())).toEqual(['a', 'd']);
        await collection.bulkDelete(['a', 'c', 'd']);
        expect(await results.next()).toEqual([]);
      } finally {
        stop();
      }
    }),
    test('observe stops after unsubscribe', async ({ collection }) => {
      const results = recorder<AnyDocument[]>();
      const stop = collection.find().observe(results.push);
      expect(await results.next()).toEqual([]);
      await collection.insert({ _id: 'a' });
      expect(idsOf(await results.next())).toEqual(['a']);
      stop();
      await collection.insert({ _id: 'b' });
      await collection.delete('a');
      await results.none(100);
    }),
    test('observe misses no write made while its first run is in flight', async ({ collection }) => {
      const results = recorder<AnyDocument[]>();
      const stop = collection.find().observe(results.push);
      try {
        await collection.insert({ _id: 'raced' });
        const latest = await results.until((docs) => docs.length === 1);
        expect(idsOf(latest)).toEqual(['raced']);
        await results.none();
        // Whatever arrived, the newest delivery is the current state.
        expect(idsOf(results.all.at(-1)!)).toEqual(['raced']);
      } finally {
        stop();
      }
    }),
  ]),
];
