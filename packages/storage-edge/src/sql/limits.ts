/**
 * The backend's limits, as configuration: D1's and SQLite storage's by default, checked when an
 * adapter is made (`limits` option).
 */
export interface SqlLimits {
  /** Largest stored document, in UTF-8 bytes of its JSON (D1 and SQLite-backed objects: 2 MB a row). */
  maxDocumentBytes: number;
  /**
   * Largest JSON parameter that packs many values into one: a bulk write's documents, changes or
   * ids, a list of ids to read, an `in` list, a query's values. SQLite refuses a bound value past
   * about 2 MB (`SQLITE_TOOBIG`); a longer list is split into several parameters or statements.
   */
  maxPackedBytes: number;
  /** Longest SQL text of one statement (D1: 100 KB). */
  maxStatementBytes: number;
  /**
   * Most values bound to one statement (D1 and SQLite storage: 100); a query with more binds them
   * as JSON arrays, each within `maxPackedBytes` (0: always, into at most 100 arrays).
   */
  maxBoundParameters: number;
}

// Frozen: every adapter made without `limits` shares this object.
export const DEFAULT_SQL_LIMITS: Readonly<SqlLimits> = Object.freeze({
  maxDocumentBytes: 2_000_000 - 4_096, // room for _id and the timestamps in a 2 MB row
  maxPackedBytes: 1_000_000,
  maxStatementBytes: 100_000,
  maxBoundParameters: 100,
});
