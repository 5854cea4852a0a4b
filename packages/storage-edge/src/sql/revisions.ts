/**
 * What the SQL store keeps beside each document for revisions and the change feed. `_rev` lives
 * in the document's JSON, last, so filters, sorts and projections read it like any field; a row
 * written by other code without one reads as revision 1. The row's `_seq` is the sequence
 * number of its last write, and `_deleted` marks the tombstone a delete leaves, so the feed is
 * the table itself read in `_seq` order.
 */

/** The rows that are documents, not tombstones (nor the feed's high-water mark). */
export const LIVE = '_deleted IS NULL';

/** The rows that are not documents: tombstones, and the feed's high-water mark. */
export const TOMBSTONE = '_deleted IS NOT NULL';

/** A row's revision, in a statement over the table. */
export const REVISION = `coalesce(data ->> '$._rev', 1)`;

/**
 * The last sequence number given out, read inside the write's own statement: D1 and a Durable
 * Object's SQLite run one write at a time, so the number a statement takes is the next in
 * commit order. One index step on `_seq`.
 */
export function nextSeq(table: string): string {
  return `(SELECT coalesce(max(_seq), 0) FROM ${table})`;
}

/** The columns a table of the first release lacks, and the feed's index: added lazily, idempotently. */
export function feedColumnsSql(table: string): string[] {
  return [`ALTER TABLE ${table} ADD COLUMN _seq INTEGER`, `ALTER TABLE ${table} ADD COLUMN _deleted INTEGER`, ...feedIndexesSql(table)];
}

/**
 * The feed's indexes: on `_seq`, which makes "changes since" a range read whose cost follows the
 * changes, not the table; and on the tombstones alone, so that counting the whole collection
 * can subtract them without looking at every row. `table` is quoted.
 */
export function feedIndexesSql(table: string): string[] {
  return [
    `CREATE INDEX IF NOT EXISTS ${indexName(table, 'seq')} ON ${table} (_seq)`,
    `CREATE INDEX IF NOT EXISTS ${indexName(table, 'deleted')} ON ${table} (_deleted) WHERE ${TOMBSTONE}`,
  ];
}

/** `"pocket_todos:seq"`: a ':' no table or declared index name can hold. `table` is quoted. */
function indexName(table: string, what: string): string {
  return `${table.slice(0, -1)}:${what}"`;
}

/**
 * The new document with its revision, one more than the row's, as its last key: removed first
 * (by the caller) and set last, so every store returns documents with `_rev` last.
 */
export function lastRev(data: string): string {
  return `json_set(${data}, '$._rev', ${REVISION} + 1)`;
}
