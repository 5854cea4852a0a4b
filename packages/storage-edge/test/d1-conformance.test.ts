import { env } from 'cloudflare:test';
import { runConformanceSuite, runDifferentialSuite } from '@pocket/core/testing';
import { SQLITE_EXACT_NUMBERS } from '@pocket/test-support/sqlite-numbers';
import { createD1Storage } from '../src/index.js';

// Each test of the suites uses its own collection names, so one D1 database serves them all.
runConformanceSuite({ name: 'd1', createStorage: () => createD1Storage({ database: env.DB }) });
runConformanceSuite({ name: 'd1 without batch', createStorage: () => createD1Storage({ database: env.DB, tablePrefix: 'seq_', useBatch: false }) });

runDifferentialSuite({ name: 'd1', createStorage: () => createD1Storage({ database: env.DB }), cases: 400, exactNumbers: SQLITE_EXACT_NUMBERS });
// Every value of every read bound through one JSON array, as a query over D1's 100 bound values is.
const packed = () => createD1Storage({ database: env.DB, tablePrefix: 'packed_', limits: { maxBoundParameters: 0 } });
runConformanceSuite({ name: 'd1 with packed query values', createStorage: packed });
runDifferentialSuite({ name: 'd1 with packed query values', createStorage: packed, seed: 11, cases: 400, exactNumbers: SQLITE_EXACT_NUMBERS });
runDifferentialSuite({
  name: 'd1 (seed 7)',
  createStorage: () => createD1Storage({ database: env.DB, tablePrefix: 'diff7_' }),
  seed: 7,
  cases: 400,
  exactNumbers: SQLITE_EXACT_NUMBERS,
});
