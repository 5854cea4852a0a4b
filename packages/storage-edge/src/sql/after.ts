import { QueryError, type QueryPosition, type SortSpec } from '@pocket/core';
import type { SqlFragment } from './statement.js';
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
export function afterSql(sort: readonly SortSpec[], position: QueryPosition): SqlFragment {
  // Each key nests the rest one level deeper, and D1 refuses an expression over 100 deep.
  if (sort.length > MAX_PAGED_SORT_KEYS) {
    throw new QueryError(`A cursor page can continue a query of at most ${MAX_PAGED_SORT_KEYS} sort keys; this one has ${sort.length}.`);
  }
  let exact: SqlFragment = { sql: '_id > ?', params: [position.id] };
  let seek: SqlFragment = exact;
  for (let i = sort.length - 1; i >= 0; i--) {
    const { path, direction } = sort[i]!;
    // Core checks that a position holds an _id (a string) where the sort is by _id, the column.
    const key = path === '_id' ? '_id' : sortKeySql(jsonPathLiteral(path));
    const v = sortKeyOf(position.values[i] ?? null);
    const past = direction === 'desc' ? '<' : '>';
    exact = { sql: `${key} ${past} ${v.sql} OR (${key} = ${v.sql} AND (${exact.sql}))`, params: [...v.params, ...v.params, ...exact.params] };
    seek = { sql: `${key} ${past}= ${v.sql}`, params: v.params };
  }
  if (sort.length === 0) return exact;
  return { sql: `${seek.sql} AND (${exact.sql})`, params: [...seek.params, ...exact.params] };
}
