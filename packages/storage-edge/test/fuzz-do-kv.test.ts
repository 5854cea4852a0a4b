// Differential fuzzing of the Durable Object KV adapter in workerd against core's evaluator.
import { it } from 'vitest';
import { createDurableObjectStorage } from '../src/index.js';
import { inObject } from './do-helpers.js';
import { FUZZ_CASES, FUZZ_SEED, FUZZ_TIMEOUT, fuzzAdapter } from './fuzz-helpers.js';

it(`DO KV agrees with the evaluator on ${FUZZ_CASES} random queries (seed ${FUZZ_SEED})`, { timeout: FUZZ_TIMEOUT }, async () => {
  await inObject('KV_OBJECT', 'fuzz', async (storage) => {
    await fuzzAdapter('do-kv', () => createDurableObjectStorage({ storage }));
  });
});
