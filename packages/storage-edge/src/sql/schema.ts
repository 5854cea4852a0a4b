import { parsePath, ValidationError } from '@pocket/core';
import { jsonPath, quoteIdentifier, quoteLiteral } from './identifiers.js';

/**
 * The table of one collection, exactly as the documented migration creates it, so tables made
 * by hand from that SQL and tables Pocket makes are interchangeable.
 */
export function createTableSql(table: string): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(table)} (` +
    `_id TEXT PRIMARY KEY, data TEXT NOT NULL, ` +
    `created_at INTEGER DEFAULT (unixepoch()), updated_at INTEGER DEFAULT (unixepoch()))`
  );
}

/**
 * An expression index on one field: `CREATE INDEX IF NOT EXISTS "pocket_todos_userId" ON
 * "pocket_todos" (json_extract(data, '$.userId'))`. The expression is written exactly as the
 * query compiler writes it, which is what lets SQLite use the index.
 */
export function createIndexSql(table: string, fields: readonly string[]): string {
  const segments = fields.map((f) => parsePath(f));
  const name = `${table}_${segments.map((s) => s.join('_')).join('__')}`;
  const columns = segments.map((s) => `json_extract(data, ${quoteLiteral(jsonPath(s))})`).join(', ');
  return `CREATE INDEX IF NOT EXISTS ${quoteIdentifier(name)} ON ${quoteIdentifier(table)} (${columns})`;
}

/** Indexes per collection: a field path gives a one-field index, an array a compound one. */
export type SqlIndexes = Record<string, ReadonlyArray<string | readonly string[]>>;

export const DEFAULT_TABLE_PREFIX = 'pocket_';

/** One collection's declared indexes, each as its list of field paths. */
export function indexFields(declared: ReadonlyArray<string | readonly string[]> | undefined, where: string): Array<readonly string[]> {
  if (declared === undefined) return [];
  if (!Array.isArray(declared)) throw new ValidationError(`${where}: indexes of a collection must be an array of field paths.`);
  return declared.map((entry) => (typeof entry === 'string' ? [entry] : entry));
}
