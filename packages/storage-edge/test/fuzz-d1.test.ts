// Differential fuzzing of the D1 adapter in workerd against core's evaluator (see
// packages/test-support/src/fuzz.ts). FUZZ_CASES and FUZZ_SEED come from scripts/fuzz.mjs.
import type { StorageAdapter } from '@pocket/core';
import { env } from 'cloudflare:workers';
import { it } from 'vitest';
import { createD1Storage, type IndexField } from '../src/index.js';
import { FUZZ_CASES, FUZZ_SEED, FUZZ_TIMEOUT, fuzzAdapter } from './fuzz-helpers.js';

it(`D1 agrees with the evaluator on ${FUZZ_CASES} random queries (seed ${FUZZ_SEED})`, { timeout: FUZZ_TIMEOUT }, async () => {
  const storage = createD1Storage({ database: env.DB, tablePrefix: 'fuzz_' });
  await fuzzAdapter('d1', () => storage);
});

// Indexes of Pocket's shape over the random fields, ascending and descending, one-field and
// compound: SQLite then reads ranges and orders from them instead of the table, and the results
// must not change.
const INDEXES: Array<IndexField | IndexField[]> = [
  'name',
  { path: 'n', direction: 'desc' },
  ['flag', 'n'],
  ['name', { path: 'score', direction: 'desc' }],
  ['profile.age', 'name'],
  { path: 'tags', direction: 'desc' },
];

it(`D1 with declared indexes agrees with the evaluator on ${FUZZ_CASES} random queries (seed ${FUZZ_SEED})`, { timeout: FUZZ_TIMEOUT }, async () => {
  // Collections get fresh names, so the adapter is made per collection with its indexes.
  const storage: StorageAdapter = {
    ...createD1Storage({ database: env.DB, tablePrefix: 'fuzzix_' }),
    collection: (name, context) => createD1Storage({ database: env.DB, tablePrefix: 'fuzzix_', indexes: { [name]: INDEXES } }).collection(name, context),
  };
  await fuzzAdapter('d1-indexed', () => storage);
});
