import type { Filter, FindQuery, SortSpec } from '@pocket/core';
import { compileFilter, join, type SqlFragment } from './filter.js';
import { jsonPathLiteral } from './identifiers.js';
import { fitStatement } from './parameters.js';
import { RESIDUAL_COLUMN, splitFilter, type SplitFilter } from './residual.js';
import { DEFAULT_SQL_LIMITS, type SqlLimits } from './writes.js';

/**
 * A compiled find. With a `residual` (the filter has a regular expression) the statement returns
 * a superset of the matches, in the right order, without skip/limit: the caller keeps the rows
 * `residual.keep` accepts and then applies `skip` and `limit`.
 */
export interface CompiledFind extends SqlFragment {
  residual: SplitFilter['residual'];
  skip: number;
  limit: number | null;
}

/**
 * `SELECT data FROM <table> WHERE … ORDER BY … LIMIT … OFFSET …` for a find query, in one
 * statement, as the store runs it within `limits`. `table` must already be a quoted identifier.
 */
export function compileFind(table: string, query: FindQuery, limits: SqlLimits = DEFAULT_SQL_LIMITS): CompiledFind {
  const { where, residual } = splitFilter(query.filter);
  const select = selectSql(table, where, residual);
  let sql = `${select.sql} ORDER BY ${orderBy(query.sort)}`;
  if (residual === null) sql += limitClause(query.skip, query.limit);
  return fitStatement({ sql, params: select.params, residual, skip: query.skip, limit: query.limit }, limits);
}

/** `SELECT count(*)`, or, when part of the filter cannot run in SQL, the candidate rows to count. */
export function compileCount(table: string, filter: Filter | null, limits: SqlLimits = DEFAULT_SQL_LIMITS): SqlFragment & { residual: SplitFilter['residual'] } {
  const { where, residual } = splitFilter(filter);
  if (residual !== null) return fitStatement({ ...selectSql(table, where, residual), residual }, limits);
  const compiled = where === null ? null : compileFilter(where);
  const sql = `SELECT count(*) AS n FROM ${table}${compiled === null ? '' : ` WHERE ${compiled.sql}`}`;
  return fitStatement({ sql, params: compiled?.params ?? [], residual }, limits);
}

/** `SELECT data[, residual flags] FROM <table>[ WHERE …]`. */
function selectSql(table: string, where: Filter | null, residual: SplitFilter['residual']): SqlFragment {
  const compiled = where === null ? null : compileFilter(where);
  let sql = 'SELECT data';
  let params: unknown[] = [];
  if (residual !== null && residual.columns.length > 0) {
    // `IS TRUE` makes each part 0 or 1 (1 exactly when a WHERE would keep the row); `||` makes them one text.
    const flags = join(residual.columns.map((c) => ({ sql: `(${c.sql}) IS TRUE`, params: c.params })), ' || ');
    sql += `, ${flags.sql} AS ${RESIDUAL_COLUMN}`;
    params = flags.params;
  }
  sql += ` FROM ${table}`;
  if (compiled === null) return { sql, params };
  // Placeholders are numbered in the order they appear: the flags' come first.
  return { sql: `${sql} WHERE ${compiled.sql}`, params: params.length === 0 ? compiled.params : [...params, ...compiled.params] };
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
