// Writes of any width on the SQL adapters: patches of 64, 200 and 1,000 fields (D1 allows a
// function 32 arguments and an expression 100 levels, so one json_set per patch or one nested
// call per operator fails), hundreds of field operators and deleteField keys, in update,
// bulkUpdate and upsert. Each adapter's answers and stored documents, key order included, must
// equal the memory adapter's for the same writes.
import {
  arrayRemove,
  arrayUnion,
  ConflictError,
  Database,
  createMemoryStorage,
  deleteField,
  increment,
  type AnyDocument,
  type Collection,
  type FieldOperator,
  type JsonValue,
  type StorageAdapter,
} from '@pocket/core';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createD1Storage, createDurableObjectSqlStorage } from '../src/index.js';
import { inObject } from './do-helpers.js';

const fields = (width: number, name = (i: number) => `f${i}`) =>
  Object.fromEntries(
    Array.from({ length: width }, (_, i) => [name(i), i % 4 === 0 ? { n: i, deep: [i] } : i % 4 === 1 ? `s${i}` : i % 4 === 2 ? true : 0.1 + i / 3]),
  );

function operators(count: number, kind: 'increment' | 'deleteField' | 'mixed', prefix: string): Record<string, FieldOperator> {
  return Object.fromEntries(
    Array.from({ length: count }, (_, i) => {
      const which = kind === 'mixed' ? (['increment', 'deleteField', 'arrayUnion', 'arrayRemove'] as const)[i % 4] : kind;
      const op =
        which === 'increment'
          ? increment(i + 0.5)
          : which === 'deleteField'
            ? deleteField()
            : which === 'arrayUnion'
              ? arrayUnion<JsonValue>(i, 'x')
              : arrayRemove<JsonValue>(1, 's');
      return [`${prefix}${i}`, op];
    }),
  );
}

/** A document with fields each kind of operator above can apply to, some missing and some null. */
function target(id: string, count: number, prefix: string): AnyDocument {
  const doc: AnyDocument = { _id: id, keep: 'k' };
  for (let i = 0; i < count; i++)
    if (i % 5 !== 4) doc[`${prefix}${i}`] = i % 5 === 3 ? null : i % 4 === 0 ? i : i % 4 === 2 || i % 4 === 3 ? [1, 's', 2] : `v${i}`;
  return doc;
}

/** Runs the same writes on a new collection of `storage` and of the memory adapter; every answer must agree. */
async function sameAsMemory(storage: StorageAdapter, collection: string, writes: (c: Collection<AnyDocument>) => Promise<unknown>): Promise<void> {
  const [sql, memory] = await Promise.all(
    [storage, createMemoryStorage()].map(async (s) => (await Database.create({ name: 'wide', storage: s })).collection<AnyDocument>(collection)),
  );
  const answer = async (c: typeof sql) => {
    const result = await writes(c!).then(
      (value) => ({ value }),
      (error: unknown) => ({ error: (error as Error).constructor.name }),
    );
    const stored = await c!.find().sort('_id').exec();
    return JSON.stringify({ result, stored });
  };
  const [got, expected] = [await answer(sql!), await answer(memory!)];
  // The same text, key order included. Compared around the first difference: a diff of such
  // long texts takes minutes.
  let at = 0;
  while (at < got.length && got[at] === expected[at]) at++;
  expect(got.slice(Math.max(0, at - 300), at + 300)).toBe(expected.slice(Math.max(0, at - 300), at + 300));
  expect(got.length).toBe(expected.length);
}

async function widePatches(storage: StorageAdapter): Promise<void> {
  for (const width of [63, 64, 200, 1000]) {
    const patch = fields(width);
    await sameAsMemory(storage, `w${width}`, async (c) => {
      await c.bulkInsert([
        { _id: `a${width}`, keep: 1, f1: 'old', _x: [1] },
        { _id: `b${width}`, keep: 2 },
      ]);
      const one = await c.update(`a${width}`, patch);
      const both = await c.bulkUpdate([
        { id: `a${width}`, changes: patch },
        { id: `b${width}`, changes: patch },
      ]);
      const upserted = await c.upsert({ _id: `c${width}`, ...patch });
      const replaced = await c.upsert({ _id: `c${width}`, ...fields(width, (i) => `g${i}`) });
      return [one, both, upserted, replaced].map((r) => JSON.stringify(r));
    });
  }
  // Field names long enough that one json_set per 15 fields would pass 100 KB of SQL.
  const long = fields(1000, (i) => `field-${String(i).padStart(4, '0')}-${'n'.repeat(100)}`);
  await sameAsMemory(storage, 'long', async (c) => {
    await c.insert({ _id: 'long', keep: true });
    return [await c.update('long', long), await c.bulkUpdate([{ id: 'long', changes: long }])];
  });
}

async function manyOperators(storage: StorageAdapter): Promise<void> {
  for (const [count, kind] of [
    [200, 'increment'],
    [1000, 'deleteField'],
    [400, 'mixed'],
  ] as const) {
    const ops = operators(count, kind, 'o');
    await sameAsMemory(storage, `ops_${kind.toLowerCase()}`, async (c) => {
      await c.insert(target(`u${count}${kind}`, count, 'o'));
      const updated = await c.update(`u${count}${kind}`, { ...fields(20), ...ops });
      const conditional = await c.update(`u${count}${kind}`, ops, { expectedRev: 2 });
      // A stale revision writes nothing, however many statements the write takes.
      const stale = await c.update(`u${count}${kind}`, ops, { expectedRev: 2 }).catch((e: unknown) => (e instanceof ConflictError ? 'conflict' : e));
      // Upsert: over a live document, a tombstone and nothing, conditional or not.
      await c.insert(target(`live${count}${kind}`, count, 'o'));
      const overLive = await c.upsert({ _id: `live${count}${kind}`, extra: 1, ...ops });
      const overLiveAtRev = await c.upsert({ _id: `live${count}${kind}`, extra: 2, ...ops }, { expectedRev: 2 });
      await c.insert(target(`gone${count}${kind}`, count, 'o'));
      await c.delete(`gone${count}${kind}`);
      const overTombstone = await c.upsert({ _id: `gone${count}${kind}`, ...ops }, { expectedRev: 0 });
      const fresh = await c.upsert({ _id: `new${count}${kind}`, ...ops });
      const bulk = await c.bulkUpdate([
        { id: `u${count}${kind}`, changes: ops },
        { id: `new${count}${kind}`, changes: ops },
      ]);
      return [updated, conditional, stale, overLive, overLiveAtRev, overTombstone, fresh, bulk];
    });
  }
}

describe('writes of any width', () => {
  it('D1: patches of 64, 200 and 1,000 fields, single, grouped and upserted', async () => {
    await widePatches(createD1Storage({ database: env.DB, tablePrefix: 'widew_' }));
  });

  it('DO SQL: patches of 64, 200 and 1,000 fields, single, grouped and upserted', async () => {
    await inObject('SQL_OBJECT', 'wide-writes', (storage) => widePatches(createDurableObjectSqlStorage({ storage })));
  });

  it('D1: hundreds of field operators and deleteField keys in one write', async () => {
    await manyOperators(createD1Storage({ database: env.DB, tablePrefix: 'manyops_' }));
  });

  it('DO SQL: hundreds of field operators and deleteField keys in one write', async () => {
    await inObject('SQL_OBJECT', 'many-operators', (storage) => manyOperators(createDurableObjectSqlStorage({ storage })));
  });

  it('D1 without batch: many operators in one update', async () => {
    await manyOperators(createD1Storage({ database: env.DB, tablePrefix: 'manyops_nb_', useBatch: false }));
  });
});
