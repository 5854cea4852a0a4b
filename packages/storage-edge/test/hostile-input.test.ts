// Core's hostile-input catalogue (packages/test-support) on every edge adapter: D1, the
// Durable Object KV store and the SQLite-backed Durable Object store, each on the real backend
// in workerd. Every input is refused with a 400 PocketError and nothing written, or stored and
// queried exactly as on the memory adapter; no prototype is polluted.
import { Database, type StorageAdapter } from '@pocket/core';
import { describe, expect, it } from 'vitest';
import { env } from 'cloudflare:workers';
import {
  checkCollectionNames,
  checkEdgeQueries,
  checkIds,
  checkPatches,
  checkPaths,
  checkRefusedDocuments,
  checkRefusedQueries,
  checkStoredDocuments,
} from '@pocket/test-support/hostile-checks';
import { createD1Storage, createDurableObjectSqlStorage, createDurableObjectStorage } from '../src/index.js';
import { inObject } from './do-helpers.js';

type Check = (db: Database) => Promise<number>;

const checks: Array<[string, Check, number]> = [
  ['refuses non-objects and non-JSON values in documents, writing nothing', checkRefusedDocuments, 60],
  ['stores odd but valid documents exactly', checkStoredDocuments, 10],
  ['stores, finds, updates and deletes hostile ids as themselves, and refuses bad ones', checkIds, 40],
  ['refuses bad patches without touching the document, and merges odd keys exactly', checkPatches, 60],
  ['queries and sorts by keys that mean something to SQL or JavaScript, and refuses bad paths', checkPaths, 40],
  ['refuses bad collection names', checkCollectionNames, 20],
  ['refuses every malformed query with a QueryError', checkRefusedQueries, 250],
  ['answers queries at the edges of what is allowed as the evaluator does', checkEdgeQueries, 90],
];

let objects = 0;
const adapters: Array<[string, (run: (storage: StorageAdapter) => Promise<void>) => Promise<void>]> = [
  ['D1', (run) => run(createD1Storage({ database: env.DB, tablePrefix: `hostile${++objects}_` }))],
  // Query values bound as one JSON array, as they are for a query over D1's 100 bound values.
  ['D1 with packed query values', (run) => run(createD1Storage({ database: env.DB, tablePrefix: `hostile${++objects}_`, limits: { maxBoundParameters: 0 } }))],
  ['DO KV', (run) => inObject('KV_OBJECT', `hostile-${++objects}`, (storage) => run(createDurableObjectStorage({ storage })))],
  ['DO SQL', (run) => inObject('SQL_OBJECT', `hostile-${++objects}`, (storage) => run(createDurableObjectSqlStorage({ storage })))],
];

describe.each(adapters)('hostile input on %s', (_name, withStorage) => {
  it.each(checks)('%s', async (_label, check, atLeast) => {
    await withStorage(async (storage) => {
      const tried = await check(await Database.create({ name: 'hostile', storage }));
      expect(tried).toBeGreaterThanOrEqual(atLeast);
    });
  });
});
