import type { StorageAdapter } from '@pocket/core';
import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import { describeFailure, describeReport, FUZZ_DEFAULT_SEED, runFuzz } from '@pocket/test-support/fuzz';

/** Cases and seed for this run: `node scripts/fuzz.mjs` sets them, the normal test run keeps them small. */
export const FUZZ_CASES = Number(env.FUZZ_CASES || 200);
export const FUZZ_SEED = Number(env.FUZZ_SEED || FUZZ_DEFAULT_SEED);
/** Generous: D1 answers a case (exec, count, first) in a few milliseconds, plus shrinking. */
export const FUZZ_TIMEOUT = Math.max(120_000, FUZZ_CASES * 150);

/** Runs the differential fuzzer on one adapter and fails with the seed and the minimal case. */
export async function fuzzAdapter(adapter: string, createStorage: () => StorageAdapter): Promise<void> {
  const report = await runFuzz({ adapter, seed: FUZZ_SEED, cases: FUZZ_CASES, createStorage });
  if (report.failure !== null) expect.fail(describeFailure(report.failure, FUZZ_CASES));
  expect(report.cases).toBe(FUZZ_CASES);
  console.log(`[fuzz] ${describeReport(report)}`);
}
