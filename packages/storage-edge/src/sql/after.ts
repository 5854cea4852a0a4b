import { QueryError, type QueryPosition, type SortSpec } from '@pocket/core';
import { bind, sql, type SqlParts } from './parts.js';
import { jsonPathLiteral } from './identifiers.js';
import { sortKeyOf, sortKeySql } from './sort-key.js';

/** Sort keys a cursor page can continue (more than any real sort). */
const MAX_PAGED_SORT_KEYS = 16;

/**
 * A query's `after` position as SQL: the rows that come strictly after it in the ORDER BY's
 * order (each sort key, then `_id` ascending). Written from the last key to the first, each as
 * "past it on this key, or level on it and past the rest":
 *
 *   key1 > ? OR (key1 = ? AND (key2 < ? OR (key2 = ? AND _id > ?)))
 *
 * and led by `key1 >= ?` (`<=` going down), which the exact condition implies and which lets
 * SQLite seek an index on the first key to the position: a page is one index range.
 */
export function afterSql(sort: readonly SortSpec[], position: QueryPosition): SqlParts {
  // Each key nests the rest one level deeper, and D1 refuses an expression over 100 deep.
  if (sort.length > MAX_PAGED_SORT_KEYS) {
    throw new QueryError(`A cursor page can continue a query of at most ${MAX_PAGED_SORT_KEYS} sort keys; this one has ${sort.length}.`);
  }
  let exact = sql`_id > ${bind(position.id)}`;
  let seek = exact;
  for (let i = sort.length - 1; i >= 0; i--) {
    const { path, direction } = sort[i]!;
    // Core checks that a position holds an _id (a string) where the sort is by _id, the column.
    const key = path === '_id' ? '_id' : sortKeySql(jsonPathLiteral(path));
    const v = sortKeyOf(position.values[i] ?? null);
    const past = direction === 'desc' ? '<' : '>';
    exact = sql`${key} ${past} ${v} OR (${key} = ${v} AND (${exact}))`;
    seek = sql`${key} ${past}= ${v}`;
  }
  if (sort.length === 0) return exact;
  return sql`${seek} AND (${exact})`;
}
