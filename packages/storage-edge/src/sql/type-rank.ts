import type { Condition, Filter, JsonValue, SortSpec } from '@pocket/core';
import { jsonPathLiteral } from './identifiers.js';

/**
 * Core orders values by type before value: missing and null, numbers, strings, objects, arrays,
 * booleans. SQLite's `json_extract` folds those types together (true is 1, an array is its JSON
 * text), so a sort needs this rank as its first key, and an index that serves the sort must start
 * with the very same expression: SQLite matches index expressions by their text.
 */
export function typeRankSql(pathLiteral: string): string {
  return `CASE json_type(data, ${pathLiteral}) WHEN 'integer' THEN 1 WHEN 'real' THEN 1 WHEN 'text' THEN 2 WHEN 'object' THEN 3 WHEN 'array' THEN 4 WHEN 'true' THEN 5 WHEN 'false' THEN 5 ELSE 0 END`;
}

/** The rank `typeRankSql` gives a value. */
export function rankOf(value: JsonValue): number {
  if (value === null) return 0;
  switch (typeof value) {
    case 'number':
      return 1;
    case 'string':
      return 2;
    case 'boolean':
      return 5;
    default:
      return Array.isArray(value) ? 4 : 3;
  }
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

/**
 * What a filter fixes about fields, read from the conditions every match must meet (those
 * reached from the root through `and` only): the rank of a field's type, and whether its value
 * is a single one (`eq`). `or`, negations and the rest fix nothing.
 */
export interface FixedFields {
  /** Path → its rank in every match. */
  readonly ranks: ReadonlyMap<string, number>;
  /** Paths whose value is the same in every match. */
  readonly values: ReadonlySet<string>;
}

export function fixedFields(filter: Filter | null): FixedFields {
  const ranks = new Map<string, number>();
  const values = new Set<string>();
  const visit = (f: Filter): void => {
    if (f.kind === 'and') f.filters.forEach(visit);
    else if (f.kind === 'condition') {
      const rank = impliedRank(f);
      if (rank === null) return;
      if (!ranks.has(f.path)) ranks.set(f.path, rank);
      if (f.op === 'eq') values.add(f.path);
    }
  };
  if (filter !== null) visit(filter);
  return { ranks, values };
}

/** An index serves a handful of leading fields; hints past that only lengthen the SQL. */
const MAX_RANK_HINTS = 8;

/**
 * `CASE json_type(…) … END = k` for each field whose rank the filter fixes. The terms are implied
 * by the filter, so they change no result; they are there for SQLite's planner, which can only
 * enter an index made of `(rank, value, …)` (what Pocket declares, see schema.ts) when the WHERE
 * names its first column.
 */
export function rankHints(fixed: FixedFields): string[] {
  const hints: string[] = [];
  for (const [path, rank] of fixed.ranks) {
    if (hints.length === MAX_RANK_HINTS) break;
    hints.push(`${typeRankSql(jsonPathLiteral(path))} = ${rank}`);
  }
  return hints;
}

/**
 * ORDER BY for core's order: per sort key its type rank and its value, then `_id`. A key whose
 * rank the filter fixes needs no rank term, and one whose value it fixes none at all; that is
 * what lets a plain index on the field (`json_extract(data, '$.createdAt')`) serve a sort after a
 * range on the same field. `_id` is the column itself, which ends the order.
 */
export function orderBySql(sort: readonly SortSpec[], fixed: FixedFields): string {
  const keys: string[] = [];
  for (const { path, direction } of sort) {
    const dir = direction === 'desc' ? ' DESC' : '';
    if (path === '_id') return [...keys, `_id${dir}`].join(', ');
    if (fixed.values.has(path)) continue;
    const p = jsonPathLiteral(path);
    if (!fixed.ranks.has(path)) keys.push(`${typeRankSql(p)}${dir}`);
    keys.push(`json_extract(data, ${p})${dir}`);
  }
  return [...keys, '_id'].join(', ');
}
