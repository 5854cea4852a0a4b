import type { StoredDocument, WriteOperation, WriteResult } from '@pocket/core';
import { planDeletes } from './deletes.js';
import { planInserts } from './inserts.js';
import type { SqlLimits } from './limits.js';
import type { PlannedStatement } from './statement.js';
import { planUpdates, type UpdateCache } from './updates.js';
import { planUpsert } from './upserts.js';

type Delete = Extract<WriteOperation, { type: 'delete' }>;
type Upsert = Extract<WriteOperation, { type: 'upsert' }>;

/**
 * Turns a batch of writes into as few statements as possible, each with one packed JSON
 * parameter where it carries many rows: consecutive inserts become
 * `INSERT … SELECT … FROM json_each(?)` (inserts.ts), consecutive updates of the same fields one
 * `UPDATE … FROM json_each(?)` (updates.ts), consecutive deletes one `UPDATE` that leaves
 * tombstones (deletes.ts), an upsert one statement (upserts.ts). No packed parameter passes
 * `maxPackedBytes` (SQLite refuses a value past about 2 MB): a run of writes whose JSON would is
 * split into several statements of the same kind, in order, which the driver runs in the
 * batch's one transaction like any others.
 *
 * Every write stamps its rows with the next sequence numbers (the change feed) and raises
 * `_rev`; a conditional write compares the revision in its own WHERE clause. Before updates
 * and conditional writes that share a batch with other statements, a guard statement fails the
 * whole batch if a target document is missing or at another revision, so a bulk write is
 * all-or-nothing.
 */
export function planWrites(table: string, operations: readonly WriteOperation[], limits: SqlLimits, updates: UpdateCache): PlannedStatement[] {
  const plan: PlannedStatement[] = [];
  const guarded = operations.length > 1;
  let i = 0;
  while (i < operations.length) {
    const op = operations[i]!;
    if (op.type === 'insert') i = planInserts(table, operations, i, limits, plan);
    else if (op.type === 'update') i = planUpdates(table, operations, i, guarded, limits, updates, plan);
    else if (op.type === 'delete') i = planDeletes(table, operations, i, guarded, limits, plan);
    else planUpsert(table, op, i++, guarded, limits, plan);
  }
  return plan;
}

/** Maps each statement's returned rows back to one result per operation; `undefined` where a write found nothing to change. */
export function collectResults(
  operations: readonly WriteOperation[],
  plan: readonly PlannedStatement[],
  rows: ReadonlyArray<ReadonlyArray<Record<string, unknown>>>,
): Array<WriteResult | undefined> {
  const results: Array<WriteResult | undefined> = new Array(operations.length);
  plan.forEach((statement, s) => {
    const returned = rows[s] ?? [];
    switch (statement.kind) {
      case 'insert': {
        // A document gets back its revision: 1, or more where it took the place of a tombstone.
        const revs = statement.ops.length === 1 ? null : new Map(returned.map((r) => [r._id as string, Number(r.rev)]));
        for (const i of statement.ops) {
          const doc = (operations[i] as { doc: StoredDocument }).doc;
          const rev = revs === null ? Number(returned[0]?.rev ?? 1) : (revs.get(doc._id) ?? 1);
          if (rev !== 1) doc._rev = rev;
          results[i] = { type: 'insert', doc };
        }
        break;
      }
      case 'upsert': {
        const i = statement.ops[0]!;
        const row = returned[0];
        if (row === undefined) break;
        const op = operations[i] as Upsert;
        const doc = row.data === undefined ? op.doc : parse(row.data as string);
        if (row.data === undefined) doc._rev = Number(row.rev);
        results[i] = { type: 'upsert', doc };
        break;
      }
      case 'update': {
        // A lone update gets at most its own row back (and does not ask for its _id): nothing to match.
        const byId = statement.ops.length === 1 ? null : new Map(returned.map((r) => [r._id as string, r.data as string]));
        for (const i of statement.ops) {
          const op = operations[i] as { id: string };
          const data = byId === null ? (returned[0]?.data as string | undefined) : byId.get(op.id);
          if (data !== undefined) results[i] = { type: 'update', doc: parse(data) };
        }
        break;
      }
      case 'delete': {
        const revs = statement.ops.length === 1 ? null : new Map(returned.map((r) => [r._id as string, Number(r.rev)]));
        for (const i of statement.ops) {
          const op = operations[i] as Delete;
          const rev = revs === null ? (returned[0] === undefined ? undefined : Number(returned[0].rev)) : revs.get(op.id);
          results[i] = rev === undefined ? { type: 'delete', id: op.id, deleted: false } : { type: 'delete', id: op.id, deleted: true, rev };
        }
        break;
      }
      case 'guard':
      case 'step':
        break;
    }
  });
  return results;
}

/** A stored row's document; a row written by other code without a revision reads as revision 1. */
export function parse(data: string): StoredDocument {
  const doc = JSON.parse(data) as StoredDocument;
  if (doc._rev === undefined) doc._rev = 1;
  return doc;
}
