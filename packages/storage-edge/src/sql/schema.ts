import { assertCollectionName, parsePath, ValidationError } from '@pocket/core';
import { describeValue as describe } from '@pocket/core/adapter';
import { assertTableName, assertTablePrefix, jsonPath, quoteIdentifier, quoteLiteral } from './identifiers.js';
import { sortKeySql } from './sort-key.js';
import { feedColumnsSql, feedIndexesSql, LIVE } from './revisions.js';

/**
 * The table of one collection: the documented migration's columns, then the change feed's
 * (`_seq`, the sequence number of the row's last write; `_deleted`, set on a delete's
 * tombstone). A table made by hand from the first release's SQL gets those two lazily (see
 * revisions.ts), so both kinds of table are interchangeable.
 */
export function createTableSql(table: string): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(table)} (` +
    `_id TEXT PRIMARY KEY, data TEXT NOT NULL, ` +
    `created_at INTEGER DEFAULT (unixepoch()), updated_at INTEGER DEFAULT (unixepoch()), ` +
    `_seq INTEGER, _deleted INTEGER)`
  );
}

/** The statements that make a collection's table: the table, then the change feed's indexes. */
export function createTableStatements(table: string): string[] {
  return [createTableSql(table), ...feedIndexesSql(quoteIdentifier(table))];
}

/**
 * An index in the shape of the compiler's SQL: each field's sort key (sort-key.ts), then `_id`,
 * e.g. for `['userId', { path: 'createdAt', direction: 'desc' }]`
 *
 *   CREATE INDEX IF NOT EXISTS "pocket_todos_userId__createdAt_desc_…" ON "pocket_todos" (
 *     CASE json_type(data, '$.userId') … END, CASE json_type(data, '$.createdAt') … END DESC, _id)
 *     WHERE _deleted IS NULL
 *
 * SQLite uses an expression index only where the query's expression is the index's; the ORDER
 * BY sorts by these keys and `_id`, and a filter names the keys it narrows. So this one index
 * serves equality and ranges on its leading fields, then a sort on the next one, and a cursor
 * page seeks straight to its position: a limited query reads only the rows it returns. `_id` is
 * always ascending, as ties are: a field declared `desc` is stored descending, so a descending
 * sort on it reads the index forwards with its ties already in order, where an ascending field
 * would leave SQLite to sort the ties.
 *
 * The index holds documents only (`WHERE _deleted IS NULL`, a partial index every query of the
 * compiler matches, since each says the same): the tombstones deletes leave for the change feed
 * are never read through it, and cost it nothing.
 */
export function createIndexSql(table: string, keys: readonly IndexKey[]): string {
  return `CREATE INDEX IF NOT EXISTS ${quoteIdentifier(indexName(table, keys))} ON ${quoteIdentifier(table)} (${indexColumns(keys).join(', ')}) WHERE ${LIVE}`;
}

/** The indexed expressions of an index's keys; `_id` is the column, and ends the list. */
function indexColumns(keys: readonly IndexKey[]): string[] {
  const columns: string[] = [];
  for (const { path, direction } of keys) {
    const dir = direction === 'desc' ? ' DESC' : '';
    if (path === '_id') return [...columns, `_id${dir}`];
    columns.push(`${sortKeySql(quoteLiteral(jsonPath(parsePath(path))))}${dir}`);
  }
  return [...columns, '_id'];
}

// A readable part for people reading query plans, and a hash of the exact keys for uniqueness:
// SQLite compares index names ignoring case, and 'a.b' and 'a_b' read alike, so without it IF NOT
// EXISTS could silently skip a second, different index. The hash also covers the index's shape,
// so a table with an index of an older shape gets the new one beside it.
function indexName(table: string, keys: readonly IndexKey[]): string {
  const readable = keys.map(({ path, direction }) => path.replace(/[^A-Za-z0-9]+/g, '_') + (direction === 'desc' ? '_desc' : '')).join('__');
  return `${table}_${readable}_${fnv1a(JSON.stringify(['sort-key', 'live', ...keys.map((k) => [k.path, k.direction])]))}`;
}

function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(36);
}

/** One field of an index: a path (ascending), or a path and direction, as `sort()` takes them. */
export type IndexField = string | { readonly path: string; readonly direction?: 'asc' | 'desc' };

/**
 * Indexes per collection: a field gives a one-field index, an array a compound one, e.g.
 * `{ todos: ['userId', ['userId', { path: 'createdAt', direction: 'desc' }]] }`.
 */
export type SqlIndexes = Record<string, ReadonlyArray<IndexField | readonly IndexField[]>>;

export interface IndexKey {
  readonly path: string;
  readonly direction: 'asc' | 'desc';
}

export const DEFAULT_TABLE_PREFIX = 'pocket_';

/** One collection's declared indexes, each as its list of keys, checked. */
export function indexKeys(declared: ReadonlyArray<IndexField | readonly IndexField[]> | undefined, where: string): Array<readonly IndexKey[]> {
  if (declared === undefined) return [];
  if (!Array.isArray(declared)) throw new ValidationError(`${where}: indexes of a collection must be an array of field paths.`);
  return declared.map((entry) => {
    const fields: readonly IndexField[] = Array.isArray(entry) ? entry : [entry as IndexField];
    if (fields.length === 0) throw new ValidationError(`${where}: an index needs at least one field; got an empty list.`);
    return fields.map((field) => indexKey(field, where));
  });
}

function indexKey(field: unknown, where: string): IndexKey {
  const { path, direction = 'asc' } = typeof field === 'string' ? { path: field } : ((field ?? {}) as { path?: unknown; direction?: unknown });
  if (typeof path !== 'string' || (direction !== 'asc' && direction !== 'desc')) {
    throw new ValidationError(`${where}: an index field is a path such as 'createdAt' or { path: 'createdAt', direction: 'desc' }; got ${describe(field)}.`);
  }
  try {
    parsePath(path); // a path no query could name is refused now, not when the index is made
  } catch (error) {
    throw new ValidationError(`${where}: index field ${JSON.stringify(path)} is not a valid field path: ${(error as Error).message}`);
  }
  return { path, direction };
}

/** The collections whose tables (and declared indexes) to create up front. */
export interface SqlSchemaOptions {
  collections: readonly string[];
  /** Default `'pocket_'`. */
  tablePrefix?: string;
  /** `{ todos: ['userId', ['userId', { path: 'createdAt', direction: 'desc' }]] }` */
  indexes?: SqlIndexes;
}

/** The idempotent statements that create the collections' tables, then their declared indexes, checked. */
export function schemaStatements(options: SqlSchemaOptions, where: string): string[] {
  if (typeof options !== 'object' || options === null || !Array.isArray(options.collections)) {
    throw new ValidationError(`${where} takes { collections: ['todos', …] }, got ${describe(options)}.`);
  }
  const prefix = options.tablePrefix === undefined ? DEFAULT_TABLE_PREFIX : options.tablePrefix;
  assertTablePrefix(prefix, where);
  const indexes = options.indexes ?? {};
  for (const name of Object.keys(indexes)) {
    if (!options.collections.includes(name)) {
      throw new ValidationError(`${where} declares indexes for "${name}", which is not in collections; add it there.`);
    }
  }
  return options.collections.flatMap((collection) => {
    assertCollectionName(collection, `${where}: collection name`);
    const table = prefix + collection;
    assertTableName(table, collection);
    return [...createTableStatements(table), ...indexKeys(indexes[collection], where).map((keys) => createIndexSql(table, keys))];
  });
}

/**
 * For each collection's table, the statements that give a table of the first release the change
 * feed's columns and index. ALTER TABLE has no IF NOT EXISTS: run each on its own, and take
 * "duplicate column" (added already) and "no such table" (created by the schema) as done.
 */
export function feedUpgradeStatements(options: SqlSchemaOptions): string[] {
  const prefix = options.tablePrefix ?? DEFAULT_TABLE_PREFIX;
  return options.collections.flatMap((collection) => feedColumnsSql(quoteIdentifier(prefix + collection)));
}

/** Whether a schema statement failed only because a table predates the change feed's columns. */
export function lacksFeedColumns(error: unknown): boolean {
  return /no such column: _(seq|deleted)/.test(String((error as Error)?.message));
}

/** Whether an upgrade statement's failure means it has nothing to do. */
export function upgradeNotNeeded(error: unknown): boolean {
  const message = String((error as Error)?.message);
  return message.includes('duplicate column') || message.includes('no such table');
}
