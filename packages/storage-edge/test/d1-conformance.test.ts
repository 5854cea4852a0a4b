import { env } from 'cloudflare:test';
import { runConformanceSuite, runDifferentialSuite } from '@pocket/core/testing';
import { createD1Storage } from '../src/index.js';

// Each test of the suites uses its own collection names, so one D1 database serves them all.
runConformanceSuite({ name: 'd1', createStorage: () => createD1Storage({ database: env.DB }) });
runConformanceSuite({ name: 'd1 without batch', createStorage: () => createD1Storage({ database: env.DB, tablePrefix: 'seq_', useBatch: false }) });

runDifferentialSuite({ name: 'd1', createStorage: () => createD1Storage({ database: env.DB }), cases: 400 });
runDifferentialSuite({ name: 'd1 (seed 7)', createStorage: () => createD1Storage({ database: env.DB, tablePrefix: 'diff7_' }), seed: 7, cases: 400 });
