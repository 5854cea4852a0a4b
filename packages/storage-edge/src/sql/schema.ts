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
 * An expression index: `CREATE INDEX IF NOT EXISTS "pocket_todos_userId_…" ON "pocket_todos"
 * (json_extract(data, '$.userId'))`. The expression is written exactly as the
 * query compiler writes it, which is what lets SQLite use the index.
 */
export function createIndexSql(table: string, fields: readonly string[]): string {
  const segments = fields.map((f) => parsePath(f));
  return `CREATE INDEX IF NOT EXISTS ${quoteIdentifier(indexName(table, fields))} ON ${quoteIdentifier(table)} (${segments
    .map((s) => `json_extract(data, ${quoteLiteral(jsonPath(s))})`)
    .join(', ')})`;
}

// A readable part for people reading query plans, and a hash of the exact field list for
// uniqueness: SQLite compares index names ignoring case, and 'a.b' and 'a_b' read alike, so
// without it IF NOT EXISTS could silently skip a second, different index.
function indexName(table: string, fields: readonly string[]): string {
  return `${table}_${fields.map((f) => f.replace(/[^A-Za-z0-9]+/g, '_')).join('__')}_${fnv1a(JSON.stringify(fields))}`;
}

function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(36);
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
