import type { FindQuery, SortSpec } from '../query/ast.js';
import { parsePath } from '../query/path.js';
import { matches } from './matches.js';
import { compareStrings, compareValues, readPath } from './values.js';

/**
 * Runs a whole query over documents in memory: filter, sort (ties by `_id`), skip, limit.
 * This is the reference every adapter is tested against. A query without a sort has no defined
 * order; this returns `_id` order, which is one of the orders an adapter may return (the
 * differential kit compares such results as sets).
 */
export function evaluate<T extends { _id: string }>(query: FindQuery, docs: Iterable<T>): T[] {
  const found: T[] = [];
  for (const doc of docs) if (matches(query.filter, doc)) found.push(doc);
  found.sort(comparator(query.sort));
  const end = query.limit === null ? undefined : query.skip + query.limit;
  return query.skip === 0 && end === undefined ? found : found.slice(query.skip, end);
}

/** The order `evaluate` sorts by: each sort key in turn, then `_id` ascending. */
export function comparator<T extends { _id: string }>(sort: readonly SortSpec[]): (a: T, b: T) => number {
  const keys = sort.map((s) => ({ segments: parsePath(s.path), sign: s.direction === 'desc' ? -1 : 1 }));
  return (a, b) => {
    for (const { segments, sign } of keys) {
      const order = compareValues(readPath(a, segments), readPath(b, segments));
      if (order !== 0) return sign * order;
    }
    return compareStrings(a._id, b._id);
  };
}
