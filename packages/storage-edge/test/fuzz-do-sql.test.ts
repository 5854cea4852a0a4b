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

// Limits so small that every packed parameter is split: each bulk write's documents, changes
// and ids into several statements of one transaction, each list of ids to read and each `in`
// list into several parameters, and every query's values packed into JSON arrays (issue 14:
// these are what a bulk write or list of 60,000 ids meets at the real limits). The fuzzer's
// ids are a few characters, so 16 bytes holds two or three of them.
it(`DO SQL with tiny limits agrees with the evaluator on ${FUZZ_CASES} random queries (seed ${FUZZ_SEED})`, { timeout: FUZZ_TIMEOUT }, async () => {
  await inObject('SQL_OBJECT', 'fuzz-tiny-limits', async (storage) => {
    await fuzzAdapter('do-sql-tiny-limits', () => createDurableObjectSqlStorage({ storage, limits: { maxPackedBytes: 16, maxBoundParameters: 0 } }));
  });
});
