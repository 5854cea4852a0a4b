/**
 * The backend's limits, as configuration: D1's and SQLite storage's by default, checked when an
 * adapter is made (`limits` option).
 */
export interface SqlLimits {
  /** Largest stored document, in UTF-8 bytes of its JSON (D1 and SQLite-backed objects: 2 MB a row). */
  maxDocumentBytes: number;
  /** Largest JSON parameter that packs several documents into one insert. */
  maxPackedBytes: number;
  /** Longest SQL text of one statement (D1: 100 KB). */
  maxStatementBytes: number;
  /** Most values bound to one statement (D1 and SQLite storage: 100); a query with more binds them as one JSON array (0: always). */
  maxBoundParameters: number;
}

// Frozen: every adapter made without `limits` shares this object.
export const DEFAULT_SQL_LIMITS: Readonly<SqlLimits> = Object.freeze({
  maxDocumentBytes: 2_000_000 - 4_096, // room for _id and the timestamps in a 2 MB row
  maxPackedBytes: 1_000_000,
  maxStatementBytes: 100_000,
  maxBoundParameters: 100,
});
