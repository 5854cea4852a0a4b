// Documents at and just over each platform's size limit, on the real backends: D1 and
// SQLite-backed Durable Objects (2 MB a row; Pocket refuses JSON over DEFAULT_SQL_LIMITS.
// maxDocumentBytes) and Durable Object KV storage (128 KiB a value, counted as the platform
// counts it). At the limit: stored and read back whole. One byte over: a ValidationError, and
// nothing of the batch written. Also: a 100-level path, and huge values in queries.
import { Database, ValidationError, type AnyDocument, type Collection, type StorageAdapter } from '@pocket/core';
import { evaluate } from '@pocket/core/adapter';
import { env } from 'cloudflare:workers';
import { queryBuilderFor } from '@pocket/core/testing';
import { describe, expect, it } from 'vitest';
import { createD1Storage, createDurableObjectSqlStorage, createDurableObjectStorage, DEFAULT_SQL_LIMITS } from '../src/index.js';
import { inObject } from './do-helpers.js';

const SQL_LIMIT = DEFAULT_SQL_LIMITS.maxDocumentBytes;
const KV_LIMIT = 128 * 1024;
// What is stored is the document with its revision, `_rev: 1` last after an insert.
const OVERHEAD = JSON.stringify({ _id: 'x', s: '', _rev: 1 }).length;

/** The document as an insert stores and returns it. */
const stored1 = (doc: AnyDocument): AnyDocument => ({ ...doc, _rev: 1 });

/** `{ _id, s }` whose JSON as stored (with `_rev: 1`) is exactly `bytes` long in UTF-8, using `char` (1 or 2 bytes) for the padding. */
function docOfBytes(id: string, bytes: number, char: 'x' | 'é' = 'x'): AnyDocument {
  const room = bytes - OVERHEAD - (new TextEncoder().encode(id).length - 1);
  const width = char === 'x' ? 1 : 2;
  const s = char.repeat(Math.floor(room / width)) + 'x'.repeat(room % width);
  const doc = { _id: id, s };
  expect(new TextEncoder().encode(JSON.stringify(stored1(doc))).length).toBe(bytes);
  return doc;
}

async function refusedNothingWritten(c: Collection<AnyDocument>, run: () => Promise<unknown>, label: string): Promise<void> {
  const before = await c.find().exec();
  const error = await run().then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, label).toBeInstanceOf(ValidationError);
  expect((error as ValidationError).message, label).toMatch(/bytes|larger than the backend allows/);
  expect(await c.find().exec(), label).toEqual(before);
}

async function sqlLimits(storage: StorageAdapter): Promise<void> {
  const c = (await Database.create({ name: 'limits', storage })).collection('big');
  for (const char of ['x', 'é'] as const) {
    const atLimit = docOfBytes(`at-${char}`, SQL_LIMIT, char);
    expect(await c.insert(atLimit)).toEqual(stored1(atLimit));
    expect(await c.get(atLimit._id)).toEqual(stored1(atLimit));
    const over = docOfBytes(`over-${char}`, SQL_LIMIT + 1, char);
    await refusedNothingWritten(c, () => c.insert(over), `insert ${char} one byte over`);
    await refusedNothingWritten(c, () => c.upsert(over), `upsert ${char} one byte over`);
    await refusedNothingWritten(c, () => c.bulkInsert([{ _id: 'small-1' }, over, { _id: 'small-2' }]), `bulkInsert ${char} one byte over`);
  }
  // Two documents at the limit in one bulk insert: each its own statement, committed together.
  await c.bulkInsert([docOfBytes('pair-1', SQL_LIMIT), docOfBytes('pair-2', SQL_LIMIT, 'é')]);
  expect(await c.count()).toBe(4);
  // Updates merge inside SQL; one that would grow a document past the limit by one byte, or
  // past the platform's own row limit, is refused there and the row is left as it was.
  const atX = (await c.get('at-x'))!;
  // (Revision 2 is as long as revision 1: the document stays exactly at the limit.)
  expect(await c.update('at-x', { s: 'z'.repeat((atX.s as string).length) })).toEqual({ _id: 'at-x', s: 'z'.repeat((atX.s as string).length), _rev: 2 });
  await refusedNothingWritten(c, () => c.update('at-x', { s: `${'z'.repeat((atX.s as string).length)}z` }), 'update one byte over');
  await refusedNothingWritten(c, () => c.update('at-x', { more: 'y'.repeat(300_000) }), 'update past the row limit');
  await refusedNothingWritten(
    c,
    () =>
      c.bulkUpdate([
        { id: 'pair-1', changes: { v: 1 } },
        { id: 'pair-2', changes: { v: 1 } },
      ]),
    'bulkUpdate one over',
  );
  await refusedNothingWritten(
    c,
    () =>
      c.bulkUpdate([
        { id: 'pair-1', changes: { v: 1 } },
        { id: 'at-é', changes: { more: 'y'.repeat(300_000) } },
      ]),
    'bulkUpdate past the row limit',
  );
  const error = await c.update('at-x', { v: 1 }).catch((e: unknown) => e);
  expect((error as Error).message).toBe(
    `The update of document "at-x" in collection "big" would make a document larger than ${SQL_LIMIT} bytes of JSON; nothing was written. Split the document, or store large values elsewhere.`,
  );
  // Raising Pocket's limit does not raise the platform's: the platform refuses, Pocket reports it.
  const raised = (await Database.create({ name: 'limits', storage: await raisedLimits(storage) })).collection('raised');
  await refusedNothingWritten(raised, () => raised.insert(docOfBytes('huge', 2_500_000)), 'insert over the platform limit with raised limits');
}

let raise: () => StorageAdapter | Promise<StorageAdapter> = () => {
  throw new Error('set per adapter');
};
const raisedLimits = (_storage: StorageAdapter) => raise();

async function kvLimits(storage: StorageAdapter, real: DurableObjectStorage): Promise<void> {
  const c = (await Database.create({ name: 'limits', storage })).collection('big');
  // The platform counts a string of Latin-1 characters at 1 byte each, any other at 2 bytes per UTF-16 unit.
  const latin = { _id: 'latin', s: 'x'.repeat(KV_LIMIT - OVERHEAD - 4) };
  expect(JSON.stringify(stored1(latin)).length).toBe(KV_LIMIT);
  expect(await c.insert(latin)).toEqual(stored1(latin));
  const wide = { _id: 'wide', s: '中'.repeat(KV_LIMIT / 2 - OVERHEAD - 3) };
  expect(JSON.stringify(stored1(wide)).length * 2).toBe(KV_LIMIT);
  expect(await c.insert(wide)).toEqual(stored1(wide));
  expect(await c.get('latin')).toEqual(stored1(latin));
  expect(await c.get('wide')).toEqual(stored1(wide));
  const keys = async () => [...(await real.list({ prefix: 'pocket:big:' })).keys()];
  expect(await keys()).toEqual(['pocket:big:latin', 'pocket:big:wide']);

  const overLatin = { _id: 'over-latin', s: `${latin.s}xxxxx` };
  const overWide = { _id: 'over-wide', s: `${wide.s}中` };
  for (const [label, over] of [
    ['Latin-1', overLatin],
    ['wide', overWide],
  ] as const) {
    await refusedNothingWritten(c, () => c.insert(over), `insert ${label} over`);
    await refusedNothingWritten(c, () => c.upsert(over), `upsert ${label} over`);
    await refusedNothingWritten(c, () => c.bulkInsert([{ _id: 'small-1' }, over, { _id: 'small-2' }]), `bulkInsert ${label} over`);
  }
  // One more character turns the Latin-1 document into a two-byte one: twice the size.
  await refusedNothingWritten(c, () => c.update('latin', { e: '€' }), 'update to a two-byte string');
  await refusedNothingWritten(c, () => c.update('wide', { more: 'x' }), 'update one character over');
  await refusedNothingWritten(
    c,
    () =>
      c.bulkUpdate([
        { id: 'latin', changes: { v: 1 } },
        { id: 'wide', changes: { more: 'x' } },
      ]),
    'bulkUpdate one over',
  );
  expect(await keys()).toEqual(['pocket:big:latin', 'pocket:big:wide']);
}

async function deepAndHuge(storage: StorageAdapter): Promise<void> {
  const c = (await Database.create({ name: 'limits', storage })).collection('deep');
  let deep: Record<string, unknown> = { leaf: 'bottom' };
  for (let i = 0; i < 99; i++) deep = { n: deep };
  const huge = 'h'.repeat(60_000);
  const docs: AnyDocument[] = [
    { _id: 'deep', ...deep },
    { _id: 'huge', s: huge, tags: [huge, 'small'] },
    { _id: 'other', s: 'small', n: { n: 1 } },
  ];
  await c.bulkInsert(docs);
  const path = `${Array.from({ length: 99 }, () => 'n').join('.')}.leaf`;
  const queries = [
    c.find().where(path).equals('bottom').toQuery(),
    c.find().where(path).exists().sort(path, 'desc').toQuery(),
    c.find().where('s').equals(huge).toQuery(),
    c.find().where('s').startsWith(huge.slice(0, 50_000)).toQuery(),
    c.find().where('tags').contains(huge).toQuery(),
    c
      .find()
      .where('s')
      .in([huge, ...Array.from({ length: 10_000 }, (_, i) => `v${i}`)])
      .toQuery(),
    c
      .find()
      .where('s')
      .notIn(Array.from({ length: 10_000 }, (_, i) => `v${i}`))
      .sort('s')
      .toQuery(),
  ];
  const stored = await c.find().exec();
  expect(stored).toEqual(docs.map(stored1).sort((a, b) => (a._id < b._id ? -1 : 1)));
  for (const query of queries) {
    expect(await queryBuilderFor(c, query).exec(), JSON.stringify(query).slice(0, 120)).toEqual(evaluate(query, stored));
  }
}

describe('platform limits', () => {
  it('D1: a document at the 2 MB row limit is stored, one byte over is refused and nothing written', async () => {
    raise = () => createD1Storage({ database: env.DB, tablePrefix: 'raised_', limits: { maxDocumentBytes: 10_000_000, maxPackedBytes: 10_000_000 } });
    await sqlLimits(createD1Storage({ database: env.DB, tablePrefix: 'limit_' }));
  });

  it('DO SQL: a document at the 2 MB row limit is stored, one byte over is refused and nothing written', async () => {
    await inObject('SQL_OBJECT', 'hostile-limits-sql', async (storage) => {
      raise = () => createDurableObjectSqlStorage({ storage, tablePrefix: 'raised_', limits: { maxDocumentBytes: 10_000_000, maxPackedBytes: 10_000_000 } });
      await sqlLimits(createDurableObjectSqlStorage({ storage }));
    });
  });

  it('DO KV: a value at 128 KiB as the platform counts it is stored, one character over is refused and nothing written', async () => {
    await inObject('KV_OBJECT', 'hostile-limits-kv', async (storage) => {
      await kvLimits(createDurableObjectStorage({ storage }), storage);
    });
  });

  it.each([
    ['D1', (run: (s: StorageAdapter) => Promise<void>) => run(createD1Storage({ database: env.DB, tablePrefix: 'deep_' }))],
    [
      'DO KV',
      (run: (s: StorageAdapter) => Promise<void>) => inObject('KV_OBJECT', 'hostile-deep-kv', (storage) => run(createDurableObjectStorage({ storage }))),
    ],
    [
      'DO SQL',
      (run: (s: StorageAdapter) => Promise<void>) => inObject('SQL_OBJECT', 'hostile-deep-sql', (storage) => run(createDurableObjectSqlStorage({ storage }))),
    ],
  ])('%s: queries a field 100 levels down and matches 60 KB strings and 10,000-value lists as the evaluator does', async (_name, withStorage) => {
    await withStorage(deepAndHuge);
  });
});

describe('wide patches', () => {
  // json_set takes two arguments a field, and SQLite allows a function 127 (D1 documents 32):
  // patches on either side of those widths. test/wide-writes.test.ts goes to 1,000 fields.
  async function widePatches(storage: StorageAdapter): Promise<void> {
    const c = (await Database.create({ name: 'wide', storage })).collection('wide');
    await c.bulkInsert([
      { _id: 'a', keep: 1 },
      { _id: 'b', keep: 2 },
    ]);
    for (const [k, width] of [63, 64, 121, 500].entries()) {
      const patch = Object.fromEntries(Array.from({ length: width }, (_, i) => [`f${i}`, i % 3 === 0 ? { n: i } : i % 3 === 1 ? `s${i}` : true]));
      // Each round writes a twice and b once.
      expect(await c.update('a', patch), `${width} fields`).toEqual({ _id: 'a', keep: 1, ...patch, _rev: 2 + 2 * k });
      const both = await c.bulkUpdate([
        { id: 'a', changes: patch },
        { id: 'b', changes: patch },
      ]);
      expect(both, `${width} fields, bulk`).toEqual([
        { _id: 'a', keep: 1, ...patch, _rev: 3 + 2 * k },
        { _id: 'b', keep: 2, ...patch, _rev: 2 + k },
      ]);
      expect(await c.get('b')).toEqual({ _id: 'b', keep: 2, ...patch, _rev: 2 + k });
      // `_rev` stays the last key however many fields are set after it.
      expect(Object.keys((await c.get('a'))!).at(-1), `${width} fields`).toBe('_rev');
    }
  }

  it('D1 applies a patch of any width', async () => {
    await widePatches(createD1Storage({ database: env.DB, tablePrefix: 'wide_' }));
  });

  it('DO SQL applies a patch of any width', async () => {
    await inObject('SQL_OBJECT', 'wide-patches', (storage) => widePatches(createDurableObjectSqlStorage({ storage })));
  });
});
