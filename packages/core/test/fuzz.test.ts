// Differential fuzzing of the memory adapter in Node: seeded random documents, queries and writes,
// compared with the evaluator (see support/fuzz.ts). A bounded number of cases in the normal run;
// `node scripts/fuzz.mjs --cases 5000 --seed 123` sets FUZZ_CASES and FUZZ_SEED for a larger one.
import { createMemoryStorage, type StorageAdapter, type StoredDocument } from '@pocket/core';
import { describe, expect, it } from 'vitest';
import { describeFailure, FUZZ_DEFAULT_SEED, fuzzDocuments, fuzzQuery, runFuzz } from './support/fuzz.js';
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
    console.log(`[fuzz] memory: ${report.cases} cases, ${report.rounds} rounds, ${report.documents} documents, ${report.writes} writes, seed ${seed}`);
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

  it('generates the same documents and queries for the same seed', () => {
    const a = createRandom(99);
    const b = createRandom(99);
    expect(JSON.stringify(fuzzDocuments(a, 30))).toBe(JSON.stringify(fuzzDocuments(b, 30)));
    expect(JSON.stringify(Array.from({ length: 30 }, () => fuzzQuery(a)))).toBe(JSON.stringify(Array.from({ length: 30 }, () => fuzzQuery(b))));
  });
});
