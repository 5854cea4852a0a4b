// Differential fuzzing of the memory adapter in Node: seeded random documents, queries and writes,
// compared with the evaluator (see packages/test-support/src/fuzz.ts). A bounded number of cases in the normal run;
// `node scripts/fuzz.mjs --cases 5000 --seed 123` sets FUZZ_CASES and FUZZ_SEED for a larger one.
import { createMemoryStorage, type CollectionStore, type JsonValue, type StorageAdapter, type StoredDocument, type WriteOperation } from '@pocket/core';
import { describe, expect, it } from 'vitest';
import { describeFailure, describeReport, FUZZ_DEFAULT_SEED, fuzzDocuments, fuzzQuery, runFuzz } from '@pocket/test-support/fuzz';
import { createRandom } from '@pocket/core/testing';

const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const cases = Number(env.FUZZ_CASES || 1000);
const seed = Number(env.FUZZ_SEED || FUZZ_DEFAULT_SEED);

describe('differential fuzzing', () => {
  it(`memory agrees with the evaluator on ${cases} random queries (seed ${seed})`, { timeout: Math.max(60_000, cases * 50) }, async () => {
    const storage = createMemoryStorage();
    const report = await runFuzz({ adapter: 'memory', seed, cases, createStorage: () => storage });
    if (report.failure !== null) expect.fail(describeFailure(report.failure, cases));
    expect(report.cases).toBe(cases);
    expect(report.writes).toBeGreaterThan(0);
    expect(report.operatorWrites).toBeGreaterThan(0);
    expect(report.conditionalWrites).toBeGreaterThan(0);
    expect(report.failedWrites).toBeGreaterThan(0);
    expect(report.projections).toBeGreaterThan(0);
    expect(report.pages).toBeGreaterThan(0);
    console.log(`[fuzz] ${describeReport(report)}`);
  });

  it('shrinks a failure to a minimal case and says how to rerun it', async () => {
    // An adapter with the bug storage-edge had: a string with a NUL in it escapes startsWith().
    const memory = createMemoryStorage();
    const broken: StorageAdapter = {
      ...memory,
      collection(name, context) {
        const store = memory.collection(name, context);
        const hidesNul = (doc: StoredDocument) => Object.values(doc).some((v) => typeof v === 'string' && v.includes('\u0000'));
        return {
          ...store,
          find: async (query) => {
            const rows = await store.find(query);
            return JSON.stringify(query.filter).includes('startsWith') ? rows.filter((d) => !hidesNul(d)) : rows;
          },
        };
      },
    };
    const report = await runFuzz({ adapter: 'broken', seed: 7, cases: 2000, createStorage: () => broken });
    const failure = report.failure!;
    expect(failure).not.toBeNull();
    expect(failure.reproduced).toBe(true);
    expect(failure.documents).toHaveLength(1);
    // _id, the string with the NUL, and at most the field the filter matches the document by.
    expect(Object.keys(failure.documents[0]!).length).toBeLessThanOrEqual(3);
    expect(Object.values(failure.documents[0]!).some((v) => typeof v === 'string' && v.includes('\u0000'))).toBe(true);
    expect(failure.query).toMatchObject({ sort: [], skip: 0, limit: null });
    expect(JSON.stringify(failure.query!.filter)).toContain('"op":"startsWith"');
    const message = describeFailure(failure, 2000);
    expect(message).toContain(`seed 7, round ${failure.round}, case ${failure.caseIndex} of 2000`);
    expect(message).toContain('node scripts/fuzz.mjs --seed 7 --cases 2000 --adapters broken');
    expect(message).toContain(JSON.stringify(failure.query));
  });

  it('finds a write that ignores expectedRev, and shrinks it to the document and the call', async () => {
    const broken = brokenMemory((store) => ({
      write: (ops) => store.write(ops.map(({ expectedRev: _ignored, ...op }: WriteOperation & { expectedRev?: number }) => op as WriteOperation)),
    }));
    const report = await runFuzz({ adapter: 'no-revisions', seed: 7, cases: 2000, createStorage: () => broken });
    const failure = report.failure!;
    expect(failure).not.toBeNull();
    expect(failure.caseIndex).toBe(-1);
    expect(failure.reproduced).toBe(true);
    expect(failure.problem).toContain('must fail with ConflictError');
    expect(failure.write).toMatch(/^collection\.\w+\(.*expectedRev/);
    // The one document the write is about (none for an upsert expecting a missing one), with no field to spare.
    expect(failure.documents.length + failure.tombstones.length).toBeLessThanOrEqual(1);
    for (const doc of failure.documents) expect(Object.keys(doc).sort()).toEqual(['_id', '_rev']);
    const message = describeFailure(failure, 2000);
    expect(message).toContain(`seed 7, round ${failure.round}, a write`);
    expect(message).toContain(`  write: ${failure.write}`);
    expect(message).toContain('node scripts/fuzz.mjs --seed 7 --cases 2000 --adapters no-revisions');
  });

  it('finds an arrayRemove that takes 1 for "1", and shrinks it to one array and one value', async () => {
    const numeric = (v: JsonValue): JsonValue[] =>
      typeof v === 'number' ? [String(v)] : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? [Number(v)] : [];
    const loose = (op: WriteOperation): WriteOperation =>
      op.type === 'update' || op.type === 'upsert'
        ? { ...op, operators: op.operators?.map((o) => (o.kind === 'arrayRemove' ? { ...o, values: [...o.values, ...o.values.flatMap(numeric)] } : o)) }
        : op;
    const broken = brokenMemory((store) => ({ write: (ops) => store.write(ops.map(loose)) }));
    const failure = (await runFuzz({ adapter: 'loose-remove', seed: 12, cases: 3000, createStorage: () => broken })).failure!;
    expect(failure).not.toBeNull();
    expect(failure.reproduced).toBe(true);
    expect(failure.write).toMatch(/arrayRemove\([^()]*\)/);
    expect(failure.write!.match(/arrayRemove\(/g)).toHaveLength(1);
    expect(failure.documents).toHaveLength(1);
  });

  it('finds rows a projection should have left out', async () => {
    const broken = brokenMemory((store) => ({ find: (query) => store.find({ ...query, select: null }) }));
    const failure = (await runFuzz({ adapter: 'no-projection', seed: 11, cases: 2000, createStorage: () => broken })).failure!;
    expect(failure).not.toBeNull();
    expect(failure.reproduced).toBe(true);
    expect(failure.query!.select).toBeDefined();
    expect(failure.documents).toHaveLength(1);
    expect(failure.query).toMatchObject({ filter: null, sort: [], skip: 0, limit: null });
  });

  it('finds a page that skips the first row after its cursor', async () => {
    const broken = brokenMemory((store) => ({
      find: async (query) => {
        const rows = await store.find(query);
        return query.after != null ? rows.slice(1) : rows;
      },
    }));
    const failure = (await runFuzz({ adapter: 'skipping-pages', seed: 5, cases: 2000, createStorage: () => broken })).failure!;
    expect(failure).not.toBeNull();
    expect(failure.reproduced).toBe(true);
    expect(failure.problem).toMatch(/^page 2 of \d+ \(limit 1, \d+ matches\) differs/);
    expect(failure.documents).toHaveLength(2);
  });

  it('generates the same documents and queries for the same seed', () => {
    const a = createRandom(99);
    const b = createRandom(99);
    expect(JSON.stringify(fuzzDocuments(a, 30))).toBe(JSON.stringify(fuzzDocuments(b, 30)));
    expect(JSON.stringify(Array.from({ length: 30 }, () => fuzzQuery(a)))).toBe(JSON.stringify(Array.from({ length: 30 }, () => fuzzQuery(b))));
  });
});

/** Memory storage with some of each collection's store replaced, as an adapter bug would replace it. */
function brokenMemory(change: (store: CollectionStore) => Partial<CollectionStore>): StorageAdapter {
  const memory = createMemoryStorage();
  return {
    ...memory,
    collection(name, context) {
      const store = memory.collection(name, context);
      return { ...store, ...change(store) };
    },
  };
}
