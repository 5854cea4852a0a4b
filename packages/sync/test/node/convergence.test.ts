import { describe, expect, it } from 'vitest';
import { runConvergence } from './fuzz/run.js';

// A bounded run on fixed seeds here; `npm run fuzz:sync -- --steps N --seed S` runs longer ones
// through this file (FUZZ_SYNC_STEPS, FUZZ_SYNC_SEED, FUZZ_SYNC_RUNS).
const steps = Number(process.env.FUZZ_SYNC_STEPS ?? 150);
const firstSeed = Number(process.env.FUZZ_SYNC_SEED ?? 1);
const runs = Number(process.env.FUZZ_SYNC_RUNS ?? 3);
const seeds = Array.from({ length: runs }, (_, i) => firstSeed + i);

describe('sync convergence fuzz', () => {
  it.each(seeds)(
    'seed %i: every client ends with the server documents it may see, nothing acknowledged lost, every conflict reported',
    async (seed) => {
      const report = await runConvergence({ seed, steps });
      console.log(`[fuzz:sync] ${JSON.stringify(report)}`);
      expect(report.localWrites).toBeGreaterThan(0);
      expect(report.acceptedMutations).toBeGreaterThan(0);
    },
    600_000,
  );
});
