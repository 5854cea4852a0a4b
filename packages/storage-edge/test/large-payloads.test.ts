// Bulk writes and id lists far past one packed parameter, on D1 and SQLite-backed Durable
// Objects (issue 14). SQLite refuses a bound value past about 2 MB (SQLITE_TOOBIG), so every
// JSON parameter that packs many values is split at maxPackedBytes: these ran into it before,
// each a ValidationError or a 503 where memory and KV storage were right. Each case runs once at
// the size that failed, with the default limits, and once small with tiny limits, where every
// write and list is split many times over. A split bulk write is still all-or-nothing (its
// statements share the batch's transaction), and its change feed entries are distinct and in
// the order of the writes.
import {
  ConflictError,
  Database,
  DocumentNotFoundError,
  DuplicateKeyError,
  ValidationError,
  type AnyDocument,
  type Collection,
  type StorageAdapter,
  type StoredChange,
  type WriteOperation,
} from '@pocket/core';
import { createRandom } from '@pocket/core/testing';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import {
  createD1Storage,
  createDurableObjectSqlStorage,
  DEFAULT_SQL_LIMITS,
  type D1DatabaseLike,
  type DurableObjectSqlStorageLike,
  type SqlLimits,
} from '../src/index.js';
import { inObject } from './do-helpers.js';

/** Makes the adapter under test, with these limits. */
type Make = (limits?: Partial<SqlLimits>) => StorageAdapter;

/**
 * Checks every statement's bound values on their way to the backend: at most 100 of them, and
 * no JSON array of several values (a packed parameter) over `maxPackedBytes`. A single value (a
 * document, one change, an array of one) may be larger: it cannot be split. Counts the packed
 * parameters, so a test can tell that its writes and lists were split.
 */
class Watch {
  packed = 0;
  #maxPacked = DEFAULT_SQL_LIMITS.maxPackedBytes;
  /** What the next adapter's limits allow. */
  limits(limits: Partial<SqlLimits> | undefined): this {
    this.#maxPacked = limits?.maxPackedBytes ?? DEFAULT_SQL_LIMITS.maxPackedBytes;
    return this;
  }
  check(sql: string, values: readonly unknown[]): void {
    if (values.length > 100) expect.fail(`${values.length} values bound to ${sql.slice(0, 200)}`);
    for (const value of values) {
      if (typeof value !== 'string' || !value.startsWith('[')) continue;
      this.packed++;
      if (value.length <= this.#maxPacked) continue;
      const bytes = new TextEncoder().encode(value).length;
      if (bytes > this.#maxPacked && (JSON.parse(value) as unknown[]).length > 1)
        expect.fail(`a packed parameter of ${bytes} bytes, over ${this.#maxPacked}, bound to ${sql.slice(0, 200)}`);
    }
  }
  d1(db: D1Database): D1DatabaseLike {
    return {
      prepare: (query) => {
        const statement = db.prepare(query);
        return {
          bind: (...values) => {
            this.check(query, values);
            return statement.bind(...values);
          },
          all: () => statement.all(),
        };
      },
      batch: (statements) => db.batch(statements as D1PreparedStatement[]),
    };
  }
  doSql(storage: DurableObjectStorage): DurableObjectSqlStorageLike {
    return {
      sql: {
        exec: (query, ...values) => {
          this.check(query, values);
          return storage.sql.exec(query, ...values);
        },
      },
      transactionSync: (closure) => storage.transactionSync(closure),
    };
  }
}

let tables = 0;
/** Each backend, with a Watch on what is bound: `run` gets the factory and the watch. */
const BACKENDS: Array<[string, (run: (make: Make, watch: Watch) => Promise<void>) => Promise<void>]> = [
  [
    'D1',
    (run) => {
      const prefix = `large${++tables}_`;
      const watch = new Watch();
      return run(
        (limits) => createD1Storage({ database: watch.limits(limits).d1(env.DB), tablePrefix: prefix, ...(limits === undefined ? {} : { limits }) }),
        watch,
      );
    },
  ],
  [
    'DO SQL',
    (run) =>
      inObject('SQL_OBJECT', `large-payloads-${++tables}`, (storage) => {
        const watch = new Watch();
        return run(
          (limits) => createDurableObjectSqlStorage({ storage: watch.limits(limits).doSql(storage), ...(limits === undefined ? {} : { limits }) }),
          watch,
        );
      }),
  ],
];

/** The k-th UUID of a seeded series: the same ids every run, shaped as crypto.randomUUID()'s. */
function uuids(n: number, seed: number): string[] {
  const random = createRandom(seed);
  const hex8 = () =>
    Math.floor(random.next() * 2 ** 32)
      .toString(16)
      .padStart(8, '0');
  return Array.from({ length: n }, () => {
    const h = hex8() + hex8() + hex8() + hex8();
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
  });
}

/** `values` in a seeded random order. */
function shuffled<T>(values: readonly T[], seed: number): T[] {
  const out = [...values];
  const order = uuids(out.length, seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Number.parseInt(order[i]!.slice(0, 8), 16) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Runs `write`, which must fail with `type`, and checks that nothing changed: the documents, and the change feed. */
async function refused<E extends Error>(
  c: Collection<AnyDocument>,
  adapter: StorageAdapter,
  write: () => Promise<unknown>,
  type: abstract new (...args: never[]) => E,
  label: string,
): Promise<E> {
  const before = await c.find().sort('_id').exec();
  const feed = await feedOf(adapter, c.name);
  const error = await write().then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, label).toBeInstanceOf(type);
  expect(await c.find().sort('_id').exec(), label).toEqual(before);
  expect(await feedOf(adapter, c.name), label).toEqual(feed);
  return error as E;
}

/** The whole change feed of a collection, read from the store in pages; each entry's sequence number after the one before it. */
async function feedOf(adapter: StorageAdapter, collection: string): Promise<StoredChange[]> {
  const store = adapter.collection(collection, { database: 'large' });
  const all: StoredChange[] = [];
  for (let since = 0; ;) {
    const page = await store.changes!(since, 10_000);
    if (page.changes.length === 0) break;
    all.push(...page.changes);
    since = page.checkpoint;
  }
  for (let k = 1; k < all.length; k++)
    if (!(all[k]!.seq > all[k - 1]!.seq)) expect.fail(`feed entry ${k} (${all[k]!.seq}) is not after entry ${k - 1} (${all[k - 1]!.seq})`);
  expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
  return all;
}

/**
 * The last `ids.length` entries of the feed are these ids, in this order (the write that made them
 * numbered them in order, across its statements), each with this revision and deletion.
 */
async function feedEndsWith(adapter: StorageAdapter, collection: string, ids: readonly string[], rev: number, deleted: boolean): Promise<void> {
  const feed = await feedOf(adapter, collection);
  const tail = feed.slice(-ids.length);
  expect(tail.map((e) => e.id)).toEqual(ids);
  expect(tail.every((e) => e.rev === rev && e.deleted === deleted)).toBe(true);
}

/** bulkUpdate of `n` documents with changes of `bytes` each: applied, numbered in order; a missing, stale or too large one fails it all. */
async function bulkUpdates(make: Make, n: number, bytes: number, limits?: Partial<SqlLimits>): Promise<void> {
  const adapter = make(limits);
  const c = (await Database.create({ name: 'large', storage: adapter })).collection('updates');
  const ids = uuids(n, 1);
  await c.bulkInsert(ids.map((_id, i) => ({ _id, n: i })));
  const order = shuffled(ids, 2);
  const body = (i: number, v: string) => `${v}${i}:`.padEnd(bytes, v);
  const updated = await c.bulkUpdate(order.map((id, i) => ({ id, changes: { body: body(i, 'a'), at: i } })));
  expect(updated.map((d) => d._id)).toEqual(order);
  expect(updated.every((d, i) => d.body === body(i, 'a') && d.at === i && d._rev === 2)).toBe(true);
  expect(await c.find().where('at').exists().count()).toBe(n);
  const byId = new Map(updated.map((d) => [d._id, d]));
  expect(await c.getMany(ids)).toEqual(ids.map((id) => byId.get(id)));
  await feedEndsWith(adapter, 'updates', order, 2, false);

  // One item anywhere fails the whole call, with the error the item deserves.
  const again = (i: number) => ({ id: order[i]!, changes: { body: body(i, 'b'), at: -i } });
  const missing = uuids(1, 3)[0]!;
  const last = n - 1;
  const notFound = await refused(
    c,
    adapter,
    () => c.bulkUpdate(order.map((_, i) => (i === last ? { ...again(i), id: missing } : again(i)))),
    DocumentNotFoundError,
    'a missing id last',
  );
  expect(notFound.id).toBe(missing);
  const middle = Math.floor(n / 2);
  const conflict = await refused(
    c,
    adapter,
    () => c.bulkUpdate(order.map((_, i) => (i === middle ? { ...again(i), expectedRev: 1 } : { ...again(i), expectedRev: 2 }))),
    ConflictError,
    'a stale revision',
  );
  expect([conflict.id, conflict.expectedRev, conflict.currentRev]).toEqual([order[middle], 1, 2]);
  const max = { ...DEFAULT_SQL_LIMITS, ...limits }.maxDocumentBytes;
  const tooLarge = await refused(
    c,
    adapter,
    () => c.bulkUpdate(order.map((_, i) => (i === 1 ? { id: order[i]!, changes: { body: 'x'.repeat(max), at: -i } } : again(i)))),
    ValidationError,
    'one too large',
  );
  expect(tooLarge.message).toMatch(/would make a document larger than|larger than the backend allows/);
  // And the same at the right revisions applies.
  expect((await c.bulkUpdate(order.map((_, i) => ({ ...again(i), expectedRev: 2 })))).every((d, i) => d._rev === 3 && d.at === -i)).toBe(true);
  await feedEndsWith(adapter, 'updates', order, 3, false);
}

/** `n` UUID documents: inserted; an insert of `n` more with one taken id writes nothing; read by getMany, in and notIn; deleted at once. */
async function idLists(make: Make, n: number, limits?: Partial<SqlLimits>): Promise<void> {
  const adapter = make(limits);
  const c = (await Database.create({ name: 'large', storage: adapter })).collection('ids');
  const ids = uuids(n, 10);
  await c.bulkInsert(ids.map((_id, i) => ({ _id, n: i })));
  expect(await c.count()).toBe(n);

  const fresh = uuids(n, 11);
  const taken = ids[Math.floor((n * 3) / 4)]!;
  const at = Math.floor((n * 2) / 3);
  const duplicate = await refused(
    c,
    adapter,
    () => c.bulkInsert(fresh.map((_id, i) => ({ _id: i === at ? taken : _id, n: -i }))),
    DuplicateKeyError,
    'one id taken',
  );
  expect([duplicate.id, duplicate.repeatedInBatch]).toEqual([taken, false]);
  expect(await c.find().where('_id').in(fresh).count()).toBe(0);

  // getMany: in the order asked, null where there is none.
  const asked = shuffled([...ids, ...fresh.slice(0, 100)], 12);
  const index = new Map(ids.map((id, i) => [id, i]));
  const got = await c.getMany(asked);
  expect(got.length).toBe(asked.length);
  const wrong = got.findIndex((d, k) => (index.has(asked[k]!) ? d?._id !== asked[k] || d?.n !== index.get(asked[k]!) : d !== null));
  expect(wrong).toBe(-1);

  // in and notIn: the whole list, half of it with as many ids that are not there, under a sort and a limit.
  const half = ids.filter((_, i) => i % 2 === 0);
  const halfAndFresh = shuffled([...half, ...fresh.slice(0, half.length)], 13);
  expect(await c.find().where('_id').in(ids).count()).toBe(n);
  expect(await c.find().where('_id').in(halfAndFresh).count()).toBe(half.length);
  expect(await c.find().where('_id').notIn(halfAndFresh).count()).toBe(n - half.length);
  expect(await c.find().where('_id').notIn(ids).count()).toBe(0);
  const top = await c.find().where('_id').in(halfAndFresh).sort('n', 'desc').limit(3).exec();
  // The documents of `half` are those with an even n.
  expect(top.map((d) => d.n)).toEqual(
    half
      .map((_, k) => 2 * k)
      .slice(-3)
      .reverse(),
  );
  const firstOdd = await c.find().where('_id').notIn(halfAndFresh).sort('n').limit(2).exec();
  expect(firstOdd.map((d) => d.n)).toEqual([1, 3]);

  // One bulkDelete of every id and one that is not there: tombstones in the order given.
  const doomed = shuffled(ids, 14);
  expect(await c.bulkDelete([...doomed, fresh[0]!])).toBe(n);
  expect(await c.count()).toBe(0);
  await feedEndsWith(adapter, 'ids', doomed, 2, true);
}

/** A batch of every kind of write, given to the store at once: inserts, updates of the same fields, deletes, upserts, in runs. */
async function mixedBatch(make: Make, limits: Partial<SqlLimits>): Promise<void> {
  const adapter = make(limits);
  const c = (await Database.create({ name: 'large', storage: adapter })).collection('mixed');
  const ids = uuids(300, 20);
  await c.bulkInsert(ids.slice(0, 200).map((_id, i) => ({ _id, n: i, pad: 'p'.repeat(i % 40) })));
  const store = adapter.collection('mixed', { database: 'large' });
  const ops: WriteOperation[] = [
    ...ids.slice(200).map((_id, i): WriteOperation => ({ type: 'insert', doc: { _id, n: 200 + i } })),
    ...ids.slice(0, 100).map((id, i): WriteOperation => ({ type: 'update', id, patch: { n: -i, tag: 'u'.repeat(i % 50) } })),
    ...ids.slice(100, 150).map((id): WriteOperation => ({ type: 'delete', id })),
    ...ids.slice(150, 160).map((_id): WriteOperation => ({ type: 'upsert', doc: { _id, n: 0 } })),
    ...ids.slice(160, 200).map((id, i): WriteOperation => ({ type: 'update', id, patch: { n: i } })),
  ];
  const results = await store.write(ops);
  expect(results.map((r) => r.type)).toEqual(ops.map((o) => o.type));
  expect(await c.count()).toBe(250);
  const written = ops.map((o) => (o.type === 'insert' || o.type === 'upsert' ? o.doc._id : o.id));
  // Each document once in the feed, in the order of its write.
  const feed = await feedOf(adapter, 'mixed');
  expect(feed.slice(-written.length).map((e) => e.id)).toEqual(written);
  // A missing document at the end fails it all, and leaves nothing of it.
  const second: WriteOperation[] = ops.filter((o) => o.type === 'update').map((o) => ({ ...o, patch: { n: 1, tag: 'again' } }));
  await refused(
    c,
    adapter,
    () => store.write([...second, { type: 'delete', id: ids[0]! }, { type: 'update', id: ids[120]!, patch: { n: 1, tag: 'x' } }]),
    DocumentNotFoundError,
    'a deleted one last',
  );
}

/** Tiny limits: every packed parameter, every list, and every statement's values split or packed. */
const TINY: Partial<SqlLimits> = { maxPackedBytes: 1_000, maxBoundParameters: 0, maxDocumentBytes: 20_000 };

describe.each(BACKENDS)('%s', (_name, withBackend) => {
  it('bulkUpdate of 2,000 documents with 1.2 KB changes each', { timeout: 180_000 }, async () => {
    await withBackend((make) => bulkUpdates(make, 2_000, 1_200));
  });

  it('bulkInsert, getMany, in, notIn and bulkDelete of 60,000 UUIDs; a bulkInsert of 60,000 with one id taken', { timeout: 300_000 }, async () => {
    await withBackend((make) => idLists(make, 60_000));
  });

  it('the same with tiny limits, every list and bulk write split many times', { timeout: 120_000 }, async () => {
    await withBackend(async (make, watch) => {
      await bulkUpdates(make, 200, 300, TINY);
      await idLists(make, 600, TINY);
      await mixedBatch(make, TINY);
      // Hundreds of packed parameters went through the Watch, none over 1,000 bytes.
      expect(watch.packed).toBeGreaterThan(100);
    });
  });
});
