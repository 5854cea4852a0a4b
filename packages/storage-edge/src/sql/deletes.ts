import type { WriteOperation } from '@pocket/core';
import { guardStatement } from './guards.js';
import { packRuns } from './parameters.js';
import type { SqlLimits } from './limits.js';
import { LIVE, nextSeq, REVISION } from './revisions.js';
import { operationRange, type PlannedStatement } from './statement.js';

type Delete = Extract<WriteOperation, { type: 'delete' }>;

/**
 * Plans the run of deletes that starts at `start`, and returns where it ends. Unconditional
 * deletes run together, as one `UPDATE … FROM json_each(?)` over their ids (or as many as
 * `maxPackedBytes` needs); a conditional one runs alone, behind its guard in a batch of several
 * writes. A delete leaves a tombstone for the change feed: the row keeps its id, its revision
 * goes up, and its document is gone.
 */
export function planDeletes(
  table: string,
  operations: readonly WriteOperation[],
  start: number,
  guarded: boolean,
  limits: SqlLimits,
  plan: PlannedStatement[],
): number {
  const op = operations[start] as Delete;
  let end = start + 1;
  if (op.expectedRev === undefined) {
    while (end < operations.length && operations[end]!.type === 'delete' && (operations[end] as Delete).expectedRev === undefined) end++;
  }
  const group = operations.slice(start, end) as Delete[];
  if (guarded && op.expectedRev !== undefined) plan.push(guardStatement(table, [{ id: op.id, rev: op.expectedRev }], [start]));
  if (group.length === 1) {
    plan.push(singleDelete(table, op, [start]));
  } else {
    for (const run of packRuns(
      group.map((d) => d.id),
      limits.maxPackedBytes,
    )) {
      plan.push(groupedDelete(table, run.json, operationRange(start + run.start, start + run.end)));
    }
  }
  return end;
}

function tombstone(id: string): string {
  return `data = json_object('_id', ${id}, '_rev', ${REVISION} + 1), _deleted = 1`;
}

function singleDelete(table: string, { id, expectedRev }: Delete, indexes: number[]): PlannedStatement {
  return {
    kind: 'delete',
    ops: indexes,
    sql:
      `UPDATE ${table} SET ${tombstone('_id')}, _seq = ${nextSeq(table)} + 1, updated_at = unixepoch() ` +
      `WHERE _id = ? AND ${LIVE}${expectedRev === undefined ? '' : ` AND ${REVISION} = ?`} RETURNING data ->> '$._rev' AS rev`,
    params: expectedRev === undefined ? [id] : [id, expectedRev],
  };
}

/** The deletes whose ids `packed` holds, as a JSON array. */
function groupedDelete(table: string, packed: string, indexes: number[]): PlannedStatement {
  return {
    kind: 'delete',
    ops: indexes,
    sql:
      `UPDATE ${table} SET ${tombstone(`${table}._id`)}, _seq = ${nextSeq(table)} + p.key + 1, updated_at = unixepoch() ` +
      `FROM json_each(?) AS p WHERE ${table}._id = p.value AND ${table}.${LIVE} RETURNING ${table}._id, ${table}.data ->> '$._rev' AS rev`,
    params: [packed],
  };
}
