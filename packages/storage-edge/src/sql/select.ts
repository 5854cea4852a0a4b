import { QueryError, type Filter, type FindQuery, type SortSpec } from '@pocket/core';
import { describeValue as describe } from '@pocket/core/adapter';
import { filterSql, join } from './filter.js';
import { joinParts, raw, sql, type SqlParts } from './parts.js';
import type { SqlFragment } from './statement.js';
import { afterSql } from './after.js';
import { jsonPathLiteral } from './identifiers.js';
import { fitStatement } from './parameters.js';
import { RESIDUAL_COLUMN, splitFilter, type SplitFilter } from './residual.js';
import { fixedFields, keyHints, orderBySql, type FixedFields } from './sort-key.js';
import { DEFAULT_SQL_LIMITS, type SqlLimits } from './limits.js';
import { LIVE, REVISION, TOMBSTONE } from './revisions.js';

/**
 * A compiled find. With a `residual` (the filter has a regular expression) the statement returns
 * a superset of the matches, in the right order, without skip/limit: the caller keeps the rows
 * `residual.keep` accepts and then applies `skip` and `limit`.
 */
export interface CompiledFind extends SqlFragment {
  residual: SplitFilter['residual'];
  skip: number;
  limit: number | null;
  /**
   * The query's `select`, when the statement returns it as columns: `_id`, then for each field
   * `p0`, `p1`… holding its JSON text, NULL where the document has no such field. (With a
   * residual the statement returns `data`, and the caller projects the documents it keeps.)
   */
  select: readonly string[] | null;
}

/**
 * `SELECT data FROM <table> WHERE … ORDER BY … LIMIT … OFFSET …` for a find query, in one
 * statement, as the store runs it within `limits`. `table` must already be a quoted identifier.
 *
 * A query without a sort has no ORDER BY: its order is unspecified, so SQLite may stop at the
 * limit in whatever index it reads instead of sorting every match by `_id` first.
 */
export function compileFind(table: string, query: FindQuery, limits: SqlLimits = DEFAULT_SQL_LIMITS): CompiledFind {
  assertCompilable(table, query, 'compileFind');
  const { where, residual } = splitFilter(query.filter);
  const fixed = fixedFields(where);
  const projected = residual === null ? (query.select ?? null) : null;
  const select = selectSql(table, where, residual, fixed, query.sort, query.after == null ? null : afterSql(query.sort, query.after), projected);
  const order = query.sort.length > 0 ? ` ORDER BY ${orderBySql(query.sort, fixed)}` : '';
  const page = residual === null ? limitClause(query.skip, query.limit) : '';
  return { ...fitStatement(sql`${select}${order}${page}`, limits), residual, skip: query.skip, limit: query.limit, select: projected };
}

/** `SELECT count(*)`, or, when part of the filter cannot run in SQL, the candidate rows to count. */
export function compileCount(
  table: string,
  filter: Filter | null,
  limits: SqlLimits = DEFAULT_SQL_LIMITS,
): SqlFragment & { residual: SplitFilter['residual'] } {
  assertQuotedTable(table, 'compileCount');
  const { where, residual } = splitFilter(filter);
  const fixed = fixedFields(where);
  if (residual !== null) return { ...fitStatement(selectSql(table, where, residual, fixed, []), limits), residual };
  const compiled = whereSql(where, fixed, []);
  // The whole collection: every row, counted as SQLite counts a table (its smallest index, no row
  // looked at), less the tombstones, which an index of their own holds. `WHERE _deleted IS NULL`
  // would test every row instead.
  if (compiled === null)
    return { sql: `SELECT (SELECT count(*) FROM ${table}) - (SELECT count(*) FROM ${table} WHERE ${TOMBSTONE}) AS n`, params: [], residual };
  return { ...fitStatement(sql`SELECT count(*) AS n FROM ${table} WHERE ${LIVE} AND (${compiled})`, limits), residual };
}

/**
 * The filter as SQL, then the sort-key terms it implies (see `keyHints`): those let SQLite
 * enter an index of Pocket's shape (sort keys, then `_id`); they change no result.
 */
function whereSql(where: Filter | null, fixed: FixedFields, sort: readonly SortSpec[]): SqlParts | null {
  if (where === null) return null;
  const compiled = filterSql(where);
  const hints = keyHints(fixed, sort);
  if (hints.length === 0) return compiled;
  // An `and` compiles to parenthesised terms joined by AND; anything else may hold a bare OR.
  const body = where.kind === 'and' ? compiled : sql`(${compiled})`;
  return joinParts([body, ...hints], ' AND ');
}

/**
 * `SELECT data[, residual flags] FROM <table>[ WHERE …]`, with a page's `after` position ANDed
 * on; with `projected`, `SELECT _id, data -> '$.field' AS p0, …` instead of `data`.
 */
function selectSql(
  table: string,
  where: Filter | null,
  residual: SplitFilter['residual'],
  fixed: FixedFields,
  sort: readonly SortSpec[],
  after: SqlParts | null = null,
  projected: readonly string[] | null = null,
): SqlParts {
  const filter = whereSql(where, fixed, sort);
  const compiled = after === null ? filter : filter === null ? after : sql`(${filter}) AND (${after})`;
  // `->` gives a field's JSON text ('null' for null), and NULL only where the field is missing.
  const columns = projected === null ? 'data' : ['_id', `${REVISION} AS _rev`, ...projected.map((f, i) => `data -> ${jsonPathLiteral(f)} AS p${i}`)].join(', ');
  // `IS TRUE` makes each part 0 or 1 (1 exactly when a WHERE would keep the row); `||` makes them one text.
  const flags =
    residual !== null && residual.columns.length > 0
      ? sql`, ${join(
          residual.columns.map((c) => sql`(${filterSql(c)}) IS TRUE`),
          ' || ',
        )} AS ${RESIDUAL_COLUMN}`
      : raw('');
  // Tombstones are rows, never documents.
  const rows = sql`SELECT ${columns}${flags} FROM ${table} WHERE ${LIVE}`;
  // In parentheses, so that a bare OR in the filter cannot escape the AND.
  return compiled === null ? rows : sql`${rows} AND (${compiled})`;
}

/**
 * The parts of a query the compiler writes into the SQL text rather than binding: the table,
 * `skip` and `limit` (inline, since D1 binds every number as REAL), and the sort's directions.
 * Core's query builder and `parseQuery` only ever produce valid ones, but the compiler is
 * exported, and anything that builds SQL checks its own input: `limit: '(SELECT …)'` must never
 * reach the statement. Field paths and values are quoted or bound where they are used.
 */
function assertCompilable(table: string, query: FindQuery, where: string): void {
  assertQuotedTable(table, where);
  if (typeof query !== 'object' || query === null) throw new QueryError(`${where}() takes a query AST { filter, sort, skip, limit }, got ${describe(query)}.`);
  const { skip, limit, sort } = query;
  if (!Number.isSafeInteger(skip) || skip < 0) throw new QueryError(`${where}(): skip must be a whole number of 0 or more, got ${describe(skip)}.`);
  if (limit !== null && (!Number.isSafeInteger(limit) || limit < 0))
    throw new QueryError(`${where}(): limit must be null or a whole number of 0 or more, got ${describe(limit)}.`);
  if (!Array.isArray(sort) || sort.some((s) => typeof s?.path !== 'string' || (s.direction !== 'asc' && s.direction !== 'desc'))) {
    throw new QueryError(`${where}(): sort must be a list of { path, direction: 'asc' | 'desc' }; build queries with the query builder or parseQuery().`);
  }
}

/** A table name as the compiler writes it: one double-quoted SQL identifier, quotes doubled inside. */
function assertQuotedTable(table: string, where: string): void {
  if (typeof table !== 'string' || !/^"(?:[^"\u0000]|"")+"$/.test(table)) {
    throw new QueryError(`${where}(): the table must be one quoted SQL identifier such as '"pocket_todos"', got ${describe(table)}.`);
  }
}

// Validated non-negative safe integers are written inline: D1 binds every number as REAL.
function limitClause(skip: number, limit: number | null): string {
  if (limit === null) return skip > 0 ? ` LIMIT -1 OFFSET ${skip}` : '';
  return skip > 0 ? ` LIMIT ${limit} OFFSET ${skip}` : ` LIMIT ${limit}`;
}
