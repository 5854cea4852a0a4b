/**
 * What the SQL store keeps beside each document for revisions and the change feed. `_rev` lives
 * in the document's JSON, last, so filters, sorts and projections read it like any field; a row
 * written by other code without one reads as revision 1. The row's `_seq` is the sequence
 * number of its last write, and `_deleted` marks the tombstone a delete leaves, so the feed is
 * the table itself read in `_seq` order.
 */

/** The rows that are documents, not tombstones (nor the feed's high-water mark). */
export const LIVE = '_deleted IS NULL';

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
  return [`ALTER TABLE ${table} ADD COLUMN _seq INTEGER`, `ALTER TABLE ${table} ADD COLUMN _deleted INTEGER`, feedIndexSql(table)];
}

/** The index that makes "changes since" a range read: its cost follows the changes, not the table. */
export function feedIndexSql(table: string): string {
  return `CREATE INDEX IF NOT EXISTS ${feedIndexName(table)} ON ${table} (_seq)`;
}

/** `"pocket_todos:seq"`: a ':' no table or declared index name can hold. `table` is quoted. */
function feedIndexName(table: string): string {
  return `${table.slice(0, -1)}:seq"`;
}
