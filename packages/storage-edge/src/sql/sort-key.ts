import { type Condition, type Filter, type JsonValue, type SortSpec } from '@pocket/core';
import { typeRank as rankOf } from '@pocket/core/adapter';
import { numberSql } from './filter.js';
import { bind, bindList, raw, sql, type SqlParts } from './parts.js';
import { jsonPathLiteral } from './identifiers.js';

/**
 * Core orders values by type before value: missing and null, numbers, strings, objects, arrays,
 * booleans. SQLite's `json_extract` folds those types together (true is 1, an array is its JSON
 * text), so the compiler sorts by this one expression instead, which SQLite's own order of
 * storage classes (REAL and INTEGER < TEXT < BLOB) makes follow core's:
 *
 * - missing and null: `-9e999`, which SQLite reads as minus infinity, below every JSON number;
 * - numbers and strings: themselves;
 * - objects, arrays, booleans: blobs of a type byte (1, 2, 3) and the JSON text or 0/1.
 *
 * It is never NULL, so "after this key" is one comparison, and an index on it (what Pocket
 * declares, schema.ts) lets a page start with a seek. SQLite matches index expressions by their
 * text: this is written the same everywhere.
 */
export function sortKeySql(pathLiteral: string): string {
  const x = `json_extract(data, ${pathLiteral})`;
  return `CASE json_type(data, ${pathLiteral}) WHEN 'object' THEN CAST(x'01' || ${x} AS BLOB) WHEN 'array' THEN CAST(x'02' || ${x} AS BLOB) WHEN 'true' THEN x'0301' WHEN 'false' THEN x'0300' ELSE ifnull(${x}, ${LOWEST}) END`;
}

/** The sort key of missing and null: SQLite reads it as minus infinity. */
const LOWEST = '-9e999';

/** A JSON value's sort key, as SQL with its bound values. */
export function sortKeyOf(value: JsonValue): SqlParts {
  if (value === null) return raw(LOWEST);
  switch (typeof value) {
    case 'number':
      return numberSql(value);
    case 'string':
      return sql`${bind(value)}`;
    case 'boolean':
      return raw(value ? `x'0301'` : `x'0300'`);
    default:
      return sql`CAST(x'0${Array.isArray(value) ? '2' : '1'}' || ${bind(JSON.stringify(value))} AS BLOB)`;
  }
}

/**
 * What a filter fixes about fields, read from the conditions every match must meet (those
 * reached from the root through `and` only): the range of a field's sort key, and whether its
 * value is a single one (`eq`). `or`, negations and the rest fix nothing.
 */
export interface FixedFields {
  /** Paths whose value is the same in every match. */
  readonly values: ReadonlySet<string>;
  /** Per path, the first condition that narrows its sort key, and the hint it implies (`keyHints`). */
  readonly narrowing: ReadonlyMap<string, { readonly condition: Condition; readonly hint: KeyHint }>;
}

export function fixedFields(filter: Filter | null): FixedFields {
  const values = new Set<string>();
  const narrowing = new Map<string, { condition: Condition; hint: KeyHint }>();
  const visit = (f: Filter): void => {
    if (f.kind === 'and') f.filters.forEach(visit);
    else if (f.kind === 'condition') {
      const hint = keyHint(f);
      if (hint === null) return;
      if (!narrowing.has(f.path)) narrowing.set(f.path, { condition: f, hint });
      if (f.op === 'eq') values.add(f.path);
    }
  };
  if (filter !== null) visit(filter);
  return { values, narrowing };
}

/** The one rank every field value matching `condition` has, or null when it allows several. */
function impliedRank(condition: Condition): number | null {
  switch (condition.op) {
    case 'eq':
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return rankOf(condition.value);
    case 'in': {
      if (condition.values.length === 0) return null;
      const rank = rankOf(condition.values[0]!);
      return condition.values.every((v) => rankOf(v) === rank) ? rank : null;
    }
    case 'startsWith':
      return 2;
    default:
      return null;
  }
}

/** The lowest and highest sort key of each type a range can be on (BETWEEN bounds, inclusive). */
const TYPE_BOUNDS: Record<number, { low: string; high: string }> = {
  // The least finite double, so that missing and null (-9e999) stay out; 9e999 is infinity.
  1: { low: '-1.7976931348623157e308', high: '9e999' },
  // No sort key is the empty blob: objects, arrays and booleans start with their type byte.
  2: { low: `''`, high: `x''` },
  5: { low: `x'0300'`, high: `x'0301'` },
};

/**
 * A condition on the field's sort key that `condition` implies: `key = ?` for an equality,
 * `key BETWEEN ? AND <the type's highest key>` for `gt`/`gte` (and the mirror for `lt`/`lte`),
 * `IN` for a list of strings or numbers, the strings from a prefix on for `startsWith`. It
 * changes no result; it lets SQLite enter an index on the sort key (the shape Pocket declares)
 * at the right place. Where no such index is used SQLite computes the key for every row that
 * passes the condition, which is why `keyHints` adds ranges only where an index is likely.
 */
/** A sort-key term for the field's key expression. */
type KeyHint = (key: string) => SqlParts;

function keyHint(condition: Condition): KeyHint | null {
  switch (condition.op) {
    case 'eq': {
      const v = sortKeyOf(condition.value);
      return (key) => sql`${key} = ${v}`;
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const bounds = TYPE_BOUNDS[rankOf(condition.value)];
      if (bounds === undefined) return null;
      const v = sortKeyOf(condition.value);
      // gt and lt compare twice, where an index reads them at no cost, so that the index range
      // starts past the value instead of at it.
      switch (condition.op) {
        case 'gte':
          return (key) => sql`${key} BETWEEN ${v} AND ${bounds.high}`;
        case 'lte':
          return (key) => sql`${key} BETWEEN ${bounds.low} AND ${v}`;
        case 'gt':
          return (key) => sql`${key} > ${v} AND ${key} <= ${bounds.high}`;
        default:
          return (key) => sql`${key} < ${v} AND ${key} >= ${bounds.low}`;
      }
    }
    case 'in': {
      const rank = impliedRank(condition);
      if (rank !== 1 && rank !== 2) return null;
      return (key) => sql`${key} IN ${bindList(JSON.stringify(condition.values))}`;
    }
    case 'startsWith':
      return (key) => sql`${key} BETWEEN ${bind(condition.prefix)} AND x''`;
    default:
      return null;
  }
}

/** An index serves a handful of leading fields; hints past that only lengthen the SQL. */
const MAX_KEY_HINTS = 8;

/**
 * The sort-key terms the filter implies (see `keyHint`), to be ANDed to its WHERE: for every
 * equality, which an index can serve whatever the sort, and for a range, a list or a prefix in a
 * query without a sort (counts included), or on the field the query sorts by first, whose index
 * then serves both. In a query sorted by another field, SQLite would rarely pick the range's
 * index over the sort's, and the term would cost its sort key on every matching row of a scan;
 * without a sort that cost buys the use of a declared index, which has only the sort-key form.
 */
export function keyHints(fixed: FixedFields, sort: readonly SortSpec[]): SqlParts[] {
  const hints: SqlParts[] = [];
  const sortedBy = sort.find((s) => !fixed.values.has(s.path))?.path;
  for (const [path, { condition, hint }] of fixed.narrowing) {
    if (hints.length === MAX_KEY_HINTS) break;
    if (condition.op !== 'eq' && sortedBy !== undefined && path !== sortedBy) continue;
    hints.push(hint(sortKeySql(jsonPathLiteral(path))));
  }
  return hints;
}

/**
 * ORDER BY for core's order: each field's sort key, then `_id`. A field whose value the filter
 * fixes drops out. `_id` is the column itself, which ends the order.
 */
export function orderBySql(sort: readonly SortSpec[], fixed: FixedFields): string {
  const keys: string[] = [];
  for (const { path, direction } of sort) {
    const dir = direction === 'desc' ? ' DESC' : '';
    if (path === '_id') return [...keys, `_id${dir}`].join(', ');
    if (!fixed.values.has(path)) keys.push(`${sortKeySql(jsonPathLiteral(path))}${dir}`);
  }
  return [...keys, '_id'].join(', ');
}
