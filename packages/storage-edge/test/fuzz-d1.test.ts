// Differential fuzzing of the D1 adapter in workerd against core's evaluator (see
// packages/core/test/support/fuzz.ts). FUZZ_CASES and FUZZ_SEED come from scripts/fuzz.mjs.
import { env } from 'cloudflare:workers';
import { it } from 'vitest';
import { createD1Storage } from '../src/index.js';
import { FUZZ_CASES, FUZZ_SEED, FUZZ_TIMEOUT, fuzzAdapter } from './fuzz-helpers.js';

it(`D1 agrees with the evaluator on ${FUZZ_CASES} random queries (seed ${FUZZ_SEED})`, { timeout: FUZZ_TIMEOUT }, async () => {
  const storage = createD1Storage({ database: env.DB, tablePrefix: 'fuzz_' });
  await fuzzAdapter('d1', () => storage);
});
