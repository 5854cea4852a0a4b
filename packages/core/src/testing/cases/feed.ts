import { expect } from 'vitest';
import type { Change, ChangesPage, Collection } from '../../collection.js';
import { Database } from '../../database.js';
import type { AnyDocument } from '../../document.js';
import { DocumentNotFoundError, QueryError } from '../../errors.js';
import { increment } from '../../operators.js';
import { expectRejection } from '../helpers.js';
import { group, test } from './case.js';

type Doc = AnyDocument & { _rev: number };

/** The feed entry of a live document. */
function live(doc: Doc | null): Change<Doc> {
  expect(doc, 'a live document').not.toBeNull();
  return { id: doc!._id, rev: doc!._rev, deleted: false, doc };
}

function tombstone(id: string, rev: number): Change<Doc> {
  return { id, rev, deleted: true, doc: null };
}

/** `[id, rev, deleted]` of each change: the shortest way to compare feeds. */
function summary(changes: ReadonlyArray<Change<Doc>>): Array<[string, number, boolean]> {
  return changes.map((c) => [c.id, c.rev, c.deleted]);
}

/** The feed entry every id should have now: its live document, or its tombstone at `rev`. */
async function current(collection: Collection<AnyDocument>, id: string, tombstoneRev?: number): Promise<Change<Doc>> {
  const doc = await collection.get(id);
  return doc === null ? tombstone(id, tombstoneRev!) : live(doc);
}

/** Reads the feed from `since` until a page comes back empty; that page must keep the checkpoint. */
async function readAll(
  collection: Collection<AnyDocument>,
  since: string | undefined,
  limit: number,
  max = 100,
): Promise<{ pages: Array<Array<Change<Doc>>>; checkpoint: string }> {
  const pages: Array<Array<Change<Doc>>> = [];
  let checkpoint = since;
  for (let i = 0; i < max; i++) {
    const page: ChangesPage<Doc> = await collection.changes({ since: checkpoint, limit });
    expect(typeof page.checkpoint).toBe('string');
    expect(page.changes.length).toBeLessThanOrEqual(limit);
    if (page.changes.length === 0) {
      if (checkpoint !== undefined) expect(page.checkpoint, 'an empty page keeps the checkpoint').toBe(checkpoint);
      return { pages, checkpoint: page.checkpoint };
    }
    pages.push(page.changes);
    checkpoint = page.checkpoint;
  }
  throw new Error(`[pocket/testing] The feed did not end within ${max} pages.`);
}

export const feedCases = [
  group('change feed', [
    test('each changed document is in the feed once, at its latest state, in the order of its last write', async ({ collection, fresh }) => {
      const other = fresh();
      await collection.insert({ _id: 'a', n: 1 });
      await collection.insert({ _id: 'b', n: 1 });
      await collection.insert({ _id: 'c', n: 1 });
      await other.insert({ _id: 'x' });
      await collection.update('a', { n: 2 });
      await collection.bulkUpdate([
        { id: 'c', changes: { n: 2 } },
        { id: 'b', changes: { n: increment(1) } },
      ]);
      await collection.insert({ _id: 'd', n: 1 });
      await collection.upsert({ _id: 'a', replaced: true }, { expectedRev: 2 });
      const feed = await collection.changes();
      expect(feed.changes).toStrictEqual([
        { id: 'c', rev: 2, deleted: false, doc: { _id: 'c', n: 2, _rev: 2 } },
        { id: 'b', rev: 2, deleted: false, doc: { _id: 'b', n: 2, _rev: 2 } },
        { id: 'd', rev: 1, deleted: false, doc: { _id: 'd', n: 1, _rev: 1 } },
        { id: 'a', rev: 3, deleted: false, doc: { _id: 'a', replaced: true, _rev: 3 } },
      ]);
      for (const change of feed.changes) expect(change).toStrictEqual(await current(collection, change.id));
      expect(typeof feed.checkpoint).toBe('string');
      // Each collection has its own feed.
      expect((await other.changes()).changes).toStrictEqual([{ id: 'x', rev: 1, deleted: false, doc: { _id: 'x', _rev: 1 } }]);
      // Nothing after the checkpoint yet; then only what was written since.
      expect(await collection.changes({ since: feed.checkpoint })).toStrictEqual({ changes: [], checkpoint: feed.checkpoint });
      await collection.update('c', { n: 3 });
      expect((await collection.changes({ since: feed.checkpoint })).changes).toStrictEqual([
        { id: 'c', rev: 3, deleted: false, doc: { _id: 'c', n: 3, _rev: 3 } },
      ]);
      expect(summary((await collection.changes()).changes)).toEqual([
        ['b', 2, false],
        ['d', 1, false],
        ['a', 3, false],
        ['c', 3, false],
      ]);
      // since: null is the start, as no since is.
      expect(await collection.changes({ since: null })).toStrictEqual(await collection.changes({}));
    }),
    test('an empty collection has an empty feed', async ({ collection }) => {
      const first = await collection.changes();
      expect(first).toStrictEqual({ changes: [], checkpoint: expect.any(String) });
      expect(await collection.changes({ since: first.checkpoint, limit: 1 })).toStrictEqual(first);
      // Failed writes and deletes of nothing add nothing.
      expect(await collection.delete('missing')).toBe(false);
      expect(await collection.bulkDelete(['missing'])).toBe(0);
      await expectRejection(collection.update('missing', { n: 1 }), DocumentNotFoundError, 'DOCUMENT_NOT_FOUND');
      expect((await collection.changes()).changes).toEqual([]);
    }),
    test('deletes are tombstones in the feed; get, getMany, find and count skip them', async ({ collection }) => {
      await collection.bulkInsert([
        { _id: 'a', n: 1 },
        { _id: 'b', n: 2 },
        { _id: 'c', n: 3 },
        { _id: 'd', n: 4 },
      ]);
      await collection.update('b', { n: 20 });
      expect(await collection.delete('b')).toBe(true);
      expect(await collection.bulkDelete(['c', 'missing', 'c'])).toBe(1);
      expect(await collection.delete('d', { expectedRev: 1 })).toBe(true);
      expect(await collection.delete('b')).toBe(false);
      const { changes } = await collection.changes();
      expect(changes).toStrictEqual([live(await collection.get('a')), tombstone('b', 3), tombstone('c', 2), tombstone('d', 2)]);
      expect(changes.find((c) => c.id === 'missing')).toBeUndefined();

      expect(await collection.getMany(['b', 'a', 'c', 'd'])).toStrictEqual([null, { _id: 'a', n: 1, _rev: 1 }, null, null]);
      expect(await collection.find().exec()).toStrictEqual([{ _id: 'a', n: 1, _rev: 1 }]);
      expect(await collection.find().sort('n', 'desc').page()).toStrictEqual({ docs: [{ _id: 'a', n: 1, _rev: 1 }], next: null });
      expect(await collection.find().where('_id').in(['b', 'c', 'd']).exec()).toEqual([]);
      expect(await collection.find().where('n').gt(1).first()).toBeNull();
      expect(await collection.find().select('n').exec()).toStrictEqual([{ _id: 'a', n: 1, _rev: 1 }]);
      expect(await collection.count()).toBe(1);
      expect(await collection.count({ n: 20 })).toBe(0);
      expect(await collection.find().where('n').exists().count()).toBe(1);
      // A tombstone's id is free again.
      expect(await collection.insert({ _id: 'c', n: 30 })).toStrictEqual({ _id: 'c', n: 30, _rev: 3 });
      expect(await collection.count()).toBe(2);
    }),
    test('an id deleted and inserted again is in the feed once, live, at revision 3', async ({ collection }) => {
      await collection.insert({ _id: 'x', v: 1 });
      await collection.insert({ _id: 'other' });
      await collection.delete('x');
      const middle = await collection.changes();
      expect(summary(middle.changes)).toEqual([
        ['other', 1, false],
        ['x', 2, true],
      ]);
      await collection.insert({ _id: 'x', v: 2 });
      const { changes } = await collection.changes();
      expect(changes).toStrictEqual([
        { id: 'other', rev: 1, deleted: false, doc: { _id: 'other', _rev: 1 } },
        { id: 'x', rev: 3, deleted: false, doc: { _id: 'x', v: 2, _rev: 3 } },
      ]);
      expect((await collection.changes({ since: middle.checkpoint })).changes).toStrictEqual([
        { id: 'x', rev: 3, deleted: false, doc: { _id: 'x', v: 2, _rev: 3 } },
      ]);
    }),
    test(
      'limit pages through the whole feed with checkpoints: nothing lost or repeated, writes between pages included',
      async ({ collection }) => {
        const ids = Array.from({ length: 20 }, (_, i) => `d${String(i).padStart(2, '0')}`);
        await collection.bulkInsert(ids.map((_id, i) => ({ _id, i })));

        const page1 = await collection.changes({ limit: 6 });
        expect(page1.changes.map((c) => c.id)).toEqual(ids.slice(0, 6));
        // Written after the reader saw them (d02, d04), before it did (d10, d12), and new (n1).
        await collection.update('d02', { v: 'seen, then changed' });
        await collection.update('d10', { v: 'changed before seen' });
        await collection.insert({ _id: 'n1', i: 20 });
        await collection.delete('d04');
        await collection.delete('d12');

        const page2 = await collection.changes({ since: page1.checkpoint, limit: 6 });
        expect(page2.changes.map((c) => c.id)).toEqual(['d06', 'd07', 'd08', 'd09', 'd11', 'd13']);
        await collection.update('d13', { v: 'changed right after its page' });

        const rest = await readAll(collection, page2.checkpoint, 6);
        expect(rest.pages.map((page) => page.map((c) => c.id))).toEqual([
          ['d14', 'd15', 'd16', 'd17', 'd18', 'd19'],
          ['d02', 'd10', 'n1', 'd04', 'd12', 'd13'],
        ]);
        const all = [...page1.changes, ...page2.changes, ...rest.pages.flat()];
        // Every id written is there, and the last entry of each is its state now.
        const last = new Map(all.map((c) => [c.id, c]));
        expect([...last.keys()].sort()).toEqual([...ids, 'n1'].sort());
        for (const [id, change] of last) expect(change).toStrictEqual(await current(collection, id, 2));
        // An id is repeated only when written again after the page that had it.
        expect(all.length - last.size).toBe(3); // d02, d04 and d13
        // Within a page, each id once.
        for (const page of [page1.changes, page2.changes, ...rest.pages]) expect(new Set(page.map((c) => c.id)).size).toBe(page.length);

        // A checkpoint can be read from again: from page 1's, everything written after it, each at its latest state.
        const again = await readAll(collection, page1.checkpoint, 10_000);
        expect(again.pages).toHaveLength(1);
        expect(again.pages[0]!.map((c) => c.id)).toEqual([
          'd06',
          'd07',
          'd08',
          'd09',
          'd11',
          'd14',
          'd15',
          'd16',
          'd17',
          'd18',
          'd19',
          'd02',
          'd10',
          'n1',
          'd04',
          'd12',
          'd13',
        ]);
        expect(again.checkpoint).toBe(rest.checkpoint);
        // Reading everything from the start in pages of 1 agrees with one page of everything.
        const ones = await readAll(collection, undefined, 1);
        const whole = await collection.changes({ limit: 10_000 });
        expect(ones.pages.flat()).toStrictEqual(whole.changes);
        expect(ones.checkpoint).toBe(whole.checkpoint);
        expect(whole.changes).toHaveLength(21);
      },
      { slow: true },
    ),
    test(
      'limit defaults to 100 and may be anything from 1 to 10,000',
      async ({ collection }) => {
        const docs = Array.from({ length: 150 }, (_, i) => ({ _id: `k${String(i).padStart(3, '0')}`, i }));
        await collection.bulkInsert(docs);
        const first = await collection.changes();
        expect(first.changes.map((c) => c.id)).toEqual(docs.slice(0, 100).map((d) => d._id));
        const second = await collection.changes({ since: first.checkpoint });
        expect(second.changes.map((c) => c.id)).toEqual(docs.slice(100).map((d) => d._id));
        expect((await collection.changes({ since: second.checkpoint })).changes).toEqual([]);
        expect((await collection.changes({ limit: 10_000 })).changes).toHaveLength(150);
        expect((await collection.changes({ limit: 1 })).changes).toStrictEqual([{ id: 'k000', rev: 1, deleted: false, doc: { _id: 'k000', i: 0, _rev: 1 } }]);
        expect((await collection.changes({ limit: 149 })).changes.at(-1)!.id).toBe('k148');
      },
      { slow: true },
    ),
    test('a second Database on the same storage reads the same feed', async ({ db, storage, collection }) => {
      const second = Database.open({ name: db.name, storage }).collection(collection.name);
      await collection.insert({ _id: 'a', n: 1 });
      await second.insert({ _id: 'b', n: 1 });
      await collection.update('b', { n: increment(1) });
      await second.delete('a');
      await second.insert({ _id: 'c' });
      await collection.update('c', { by: 'first' }, { expectedRev: 1 });

      const mine = await collection.changes();
      const theirs = await second.changes();
      expect(theirs).toStrictEqual(mine);
      expect(mine.changes).toStrictEqual([
        { id: 'b', rev: 2, deleted: false, doc: { _id: 'b', n: 2, _rev: 2 } },
        { id: 'a', rev: 2, deleted: true, doc: null },
        { id: 'c', rev: 2, deleted: false, doc: { _id: 'c', by: 'first', _rev: 2 } },
      ]);
      // A checkpoint from one reads on with the other.
      const page = await collection.changes({ limit: 1 });
      expect((await second.changes({ since: page.checkpoint })).changes).toStrictEqual(mine.changes.slice(1));
      await second.update('b', { n: 3 });
      expect(summary((await collection.changes({ since: mine.checkpoint })).changes)).toEqual([['b', 3, false]]);
      expect(await second.get('b')).toStrictEqual(await collection.get('b'));
      // And purging through one is seen by the other.
      expect(await second.purgeTombstones()).toBe(1);
      expect(summary((await collection.changes()).changes)).toEqual([
        ['c', 2, false],
        ['b', 3, false],
      ]);
    }),
    test('purgeTombstones removes the tombstones at or before a checkpoint, or all of them; live documents stay', async ({ collection }) => {
      await collection.bulkInsert([{ _id: 'a' }, { _id: 'b' }, { _id: 'c' }, { _id: 'd' }, { _id: 'e' }]);
      await collection.delete('a');
      await collection.delete('b');
      const through = (await collection.changes({ limit: 10_000 })).checkpoint;
      await collection.delete('c');
      await collection.update('d', { n: 1 });

      expect(await collection.purgeTombstones({ through })).toBe(2);
      expect((await collection.changes()).changes).toStrictEqual([live(await collection.get('e')), tombstone('c', 2), live(await collection.get('d'))]);
      expect(await collection.purgeTombstones({ through })).toBe(0);
      // A checkpoint taken before the purge still reads on.
      expect(summary((await collection.changes({ since: through })).changes)).toEqual([
        ['c', 2, true],
        ['d', 2, false],
      ]);

      expect(await collection.purgeTombstones()).toBe(1);
      expect(await collection.purgeTombstones()).toBe(0);
      const after = await collection.changes();
      expect(after.changes).toStrictEqual([live(await collection.get('e')), live(await collection.get('d'))]);
      expect(await collection.find().sort('_id').exec()).toStrictEqual([
        { _id: 'd', n: 1, _rev: 2 },
        { _id: 'e', _rev: 1 },
      ]);
      expect(await collection.count()).toBe(2);
      // Live documents keep being written as before.
      await collection.update('e', { n: 5 });
      expect(summary((await collection.changes({ since: after.checkpoint })).changes)).toEqual([['e', 2, false]]);
      expect(await collection.insert({ _id: 'a', back: true })).toMatchObject({ _id: 'a', back: true });
      expect(await collection.count()).toBe(3);
    }),
    test('purgeTombstones of a collection without tombstones removes nothing', async ({ collection, fresh }) => {
      expect(await fresh().purgeTombstones()).toBe(0);
      await collection.bulkInsert([{ _id: 'a' }, { _id: 'b' }]);
      const before = await collection.changes();
      expect(await collection.purgeTombstones()).toBe(0);
      expect(await collection.purgeTombstones({ through: before.checkpoint })).toBe(0);
      expect(await collection.changes()).toStrictEqual(before);
    }),
    test('a malformed since, through or limit is a QueryError', async ({ collection }) => {
      await collection.insert({ _id: 'a' });
      const { checkpoint } = await collection.changes();
      for (const since of ['', 'not a checkpoint', '-1', '1.5', ' 1', '1e3', `${checkpoint}x`, 42, {}, [], true]) {
        await expectRejection(collection.changes({ since: since as string }), QueryError, 'QUERY_ERROR');
        await expectRejection(collection.purgeTombstones({ through: since as string }), QueryError, 'QUERY_ERROR');
      }
      for (const limit of [0, -1, 1.5, 10_001, Number.NaN, Number.POSITIVE_INFINITY, '10', null, true]) {
        await expectRejection(collection.changes({ limit: limit as number }), QueryError, 'QUERY_ERROR');
        await expectRejection(collection.changes({ since: checkpoint, limit: limit as number }), QueryError, 'QUERY_ERROR');
      }
      for (const options of [null, 'x', 5]) {
        await expectRejection(collection.changes(options as never), QueryError, 'QUERY_ERROR');
        await expectRejection(collection.purgeTombstones(options as never), QueryError, 'QUERY_ERROR');
      }
      // Nothing was purged or lost.
      expect(summary((await collection.changes()).changes)).toEqual([['a', 1, false]]);
    }),
  ]),
];
