// Differential fuzzing of the SQLite-backed Durable Object adapter in workerd against core's evaluator.
import { it } from 'vitest';
import { createDurableObjectSqlStorage } from '../src/index.js';
import { inObject } from './do-helpers.js';
import { FUZZ_CASES, FUZZ_SEED, FUZZ_TIMEOUT, fuzzAdapter } from './fuzz-helpers.js';

it(`DO SQL agrees with the evaluator on ${FUZZ_CASES} random queries (seed ${FUZZ_SEED})`, { timeout: FUZZ_TIMEOUT }, async () => {
  await inObject('SQL_OBJECT', 'fuzz', async (storage) => {
    await fuzzAdapter('do-sql', () => createDurableObjectSqlStorage({ storage }));
  });
});
