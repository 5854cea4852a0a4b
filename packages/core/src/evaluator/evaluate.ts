import type { JsonObject, JsonValue } from '../document.js';
import type { FindQuery, QueryPosition, SortSpec } from '../query/ast.js';
import { parsePath } from '../query/path.js';
import { matches } from './matches.js';
import { compareStrings, compareValues, readPath } from './values.js';

/**
 * Runs a whole query over documents in memory: filter, position (`after`), sort (ties by
 * `_id`), skip, limit, projection (`select`).
 * This is the reference every adapter is tested against. A query without a sort has no defined
 * order; this returns `_id` order, which is one of the orders an adapter may return (the
 * differential kit compares such results as sets).
 */
export function evaluate<T extends { _id: string }>(query: FindQuery, docs: Iterable<T>): T[] {
  const found: T[] = [];
  const after = query.after == null ? null : isAfter(query.sort, query.after);
  for (const doc of docs) if (matches(query.filter, doc) && (after === null || after(doc))) found.push(doc);
  found.sort(compareBy(query.sort));
  const end = query.limit === null ? undefined : query.skip + query.limit;
  const page = query.skip === 0 && end === undefined ? found : found.slice(query.skip, end);
  const select = query.select;
  return select == null ? page : (page.map((doc) => project(doc, select)) as unknown as T[]);
}

/** `_id` and the fields of `doc` named in `fields` that it has: a query's `select`. */
export function project(doc: { _id: string }, fields: readonly string[]): { _id: string } & JsonObject {
  const out: { _id: string } & JsonObject = { _id: doc._id };
  // The revision comes with every projection, so a projected read can still make a conditional write.
  const rev = (doc as { _rev?: JsonValue })._rev;
  if (rev !== undefined) out._rev = rev;
  for (const field of fields) {
    if (Object.hasOwn(doc, field)) {
      const value = (doc as unknown as JsonObject)[field];
      if (value !== undefined) out[field] = value;
    }
  }
  return out;
}

/** Whether a document comes strictly after `position` in the order of `sort` (then `_id`). */
export function isAfter(sort: readonly SortSpec[], position: QueryPosition): (doc: { _id: string }) => boolean {
  const keys = sort.map((s, i) => ({ segments: parsePath(s.path), sign: s.direction === 'desc' ? -1 : 1, value: position.values[i] ?? null }));
  return (doc) => {
    for (const { segments, sign, value } of keys) {
      const order = compareValues(readPath(doc, segments), value);
      if (order !== 0) return sign * order > 0;
    }
    return compareStrings(doc._id, position.id) > 0;
  };
}

/** The order `evaluate` sorts by: each sort key in turn, then `_id` ascending. */
export function compareBy<T extends { _id: string }>(sort: readonly SortSpec[]): (a: T, b: T) => number {
  const keys = sort.map((s) => ({ segments: parsePath(s.path), sign: s.direction === 'desc' ? -1 : 1 }));
  return (a, b) => {
    for (const { segments, sign } of keys) {
      const order = compareValues(readPath(a, segments), readPath(b, segments));
      if (order !== 0) return sign * order;
    }
    return compareStrings(a._id, b._id);
  };
}
