// A plain Cloudflare Worker (no framework) that keeps todos in D1 through Pocket. The routes are
// in src/routes.ts:
//
//   GET    /todos            list (optional ?userId=…&completed=true|false), oldest first, 100 a
//                            page; ?after= continues where the Link header says
//   POST   /todos            create from { title, userId? } (a title of at most 200 characters)
//   GET    /todos/:id        one todo, or 404
//   PUT    /todos/:id        merge { title?, completed? } into the todo, or 404
//   DELETE /todos/:id        remove it; 204 whether or not it existed (DELETE is idempotent)
//
// This module exports the handler and types only: wrangler refuses a main module that exports
// anything else.
import { Database, type OperationRecord } from '@pocket/core';
import { createD1Storage } from '@pocket/storage-edge';
import { errorResponse, handle } from './routes.js';

export type { Todo } from './routes.js';

export interface Env {
  DB: D1Database;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    try {
      // Creating a Database does no I/O, so one per request is cheap. The table comes from
      // migrations/0001_init.sql; if it were missing, Pocket would create it on the first write.
      const db = await Database.create({
        name: 'my-app',
        storage: createD1Storage({ database: env.DB }),
        onOperation: logCostly,
      });
      return await handle(request, db);
    } catch (error) {
      return errorResponse(error);
    }
  },
} satisfies ExportedHandler<Env>;

/** An operation worth a log line: more rows read than this, or longer than this waiting on D1. */
const COSTLY = { rowsRead: 1000, durationMs: 200 };

/**
 * The database's operation hook: one structured line for each operation that read many rows or
 * waited long on D1. D1 bills rows read, and a list that reads thousands of rows to return 100
 * wants an index. Workers Logs indexes the fields of a logged object, so you can filter on
 * `rowsRead` or group by `collection`. `statements` is the SQL with `?` placeholders, as
 * `wrangler d1 insights` and Workers traces show it; no value is in it.
 */
function logCostly(record: OperationRecord): void {
  if (record.rowsRead <= COSTLY.rowsRead && record.durationMs <= COSTLY.durationMs) return;
  console.log({
    message: 'pocket operation',
    collection: record.collection,
    operation: record.operation,
    durationMs: Math.round(record.durationMs),
    rowsRead: record.rowsRead,
    rowsWritten: record.rowsWritten,
    servedByRegion: record.servedByRegion,
    failed: record.error !== undefined,
    statements: record.statements,
  });
}
