import type { SqlLimits } from './limits.js';
import { LIVE } from './revisions.js';
import type { PlannedStatement } from './statement.js';

/**
 * Raised inside a batch when a write's precondition fails: an update's document is missing, or
 * a conditional write finds another revision. The batch then rolls back, and the store reads
 * which one it was.
 */
export const PRECONDITION_GUARD = 'pocket-precondition-failed';

/**
 * Raised by an update whose merged document would pass `maxDocumentBytes`. The merge happens in
 * SQL, so the size is only known there: the RETURNING clause checks each new row, and an error
 * there undoes the whole statement (and the batch around it).
 */
export const TOO_LARGE_GUARD = 'pocket-document-too-large';

/** A RETURNING column that raises TOO_LARGE_GUARD when the JSON expression `data` is over the limit. */
export function sizeGuard(data: string, limits: SqlLimits): string {
  return `CASE WHEN length(CAST(${data} AS BLOB)) > ${limits.maxDocumentBytes} THEN json_extract('{}', '${TOO_LARGE_GUARD}') END AS too_large`;
}

/**
 * Fails the batch unless every target is a live document, at its expected revision where one
 * is given. It runs at its place in the batch, so it sees the statements before it.
 */
export function guardStatement(table: string, targets: Array<{ id: string; rev: number | undefined }>, indexes: number[]): PlannedStatement {
  const conditional = targets.some((t) => t.rev !== undefined);
  return {
    kind: 'guard',
    ops: indexes,
    sql:
      `SELECT json_extract('{}', '${PRECONDITION_GUARD}') WHERE (SELECT count(*) FROM ${table}, json_each(?) AS p ` +
      `WHERE ${table}._id = p.value ->> '$.id' AND ${table}.${LIVE}${conditional ? ` AND (p.value ->> '$.r' IS NULL OR coalesce(${table}.data ->> '$._rev', 1) = p.value ->> '$.r')` : ''}) < ?`,
    params: [JSON.stringify(targets.map((t) => (t.rev === undefined ? { id: t.id } : { id: t.id, r: t.rev }))), targets.length],
  };
}
