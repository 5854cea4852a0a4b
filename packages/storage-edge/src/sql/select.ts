import type { Filter, FindQuery, SortSpec } from '@pocket/core';
import { compileFilter, splitFilter, type SqlFragment } from './filter.js';
import { jsonPathLiteral } from './identifiers.js';

/**
 * A compiled find. When `exact` is false the SQL returns a superset in the right order without
 * skip/limit, and the caller must run `filter` over the rows and then apply `skip`/`limit`.
 */
export interface CompiledFind extends SqlFragment {
  exact: boolean;
  filter: Filter | null;
  skip: number;
  limit: number | null;
}

/**
 * `SELECT data FROM <table> WHERE … ORDER BY … LIMIT … OFFSET …` for a find query, in one
 * statement. `table` must already be a quoted identifier.
 */
export function compileFind(table: string, query: FindQuery): CompiledFind {
  const { sql: pushed, exact } = splitFilter(query.filter);
  const where = pushed === null ? null : compileFilter(pushed);
  let sql = `SELECT data FROM ${table}`;
  if (where !== null) sql += ` WHERE ${where.sql}`;
  sql += ` ORDER BY ${orderBy(query.sort)}`;
  if (exact) sql += limitClause(query.skip, query.limit);
  return { sql, params: where?.params ?? [], exact, filter: query.filter, skip: query.skip, limit: query.limit };
}

/** `SELECT count(*)`, or, when part of the filter cannot run in SQL, the candidate rows to count. */
export function compileCount(table: string, filter: Filter | null): SqlFragment & { exact: boolean } {
  const { sql: pushed, exact } = splitFilter(filter);
  const where = pushed === null ? null : compileFilter(pushed);
  const whereSql = where === null ? '' : ` WHERE ${where.sql}`;
  return {
    sql: exact ? `SELECT count(*) AS n FROM ${table}${whereSql}` : `SELECT data FROM ${table}${whereSql}`,
    params: where?.params ?? [],
    exact,
  };
}

/**
 * Core orders values by type first (missing and null, numbers, strings, objects, arrays,
 * booleans), then by value; `json_type` gives the type, `json_extract` the value (booleans as
 * 0/1, objects and arrays as their JSON text). Remaining ties go by `_id`, as in core.
 */
function orderBy(sort: readonly SortSpec[]): string {
  const keys = sort.flatMap(({ path, direction }) => {
    const p = jsonPathLiteral(path);
    const dir = direction === 'desc' ? ' DESC' : '';
    return [`${typeRank(`json_type(data, ${p})`)}${dir}`, `json_extract(data, ${p})${dir}`];
  });
  return [...keys, '_id'].join(', ');
}

function typeRank(type: string): string {
  return `CASE ${type} WHEN 'integer' THEN 1 WHEN 'real' THEN 1 WHEN 'text' THEN 2 WHEN 'object' THEN 3 WHEN 'array' THEN 4 WHEN 'true' THEN 5 WHEN 'false' THEN 5 ELSE 0 END`;
}

// Validated non-negative safe integers are written inline: D1 binds every number as REAL.
function limitClause(skip: number, limit: number | null): string {
  if (limit === null) return skip > 0 ? ` LIMIT -1 OFFSET ${skip}` : '';
  return skip > 0 ? ` LIMIT ${limit} OFFSET ${skip}` : ` LIMIT ${limit}`;
}
