import { QueryError } from '@pocket/core';
import type { SqlFragment } from './statement.js';
import { utf8Length } from './json-text.js';
import type { SqlLimits } from './limits.js';

/** A string or identifier in quotes (doubled quotes inside), or a placeholder (reads use `?` alone). */
const TOKEN = /'(?:[^']|'')*'|"(?:[^"]|"")*"|\?/g;

/**
 * Makes a read statement fit the backend: D1 and SQLite storage bind at most 100 values per
 * statement, and a filter binds one or two per condition (`in` lists are one whatever their
 * length). A statement over the limit binds its values as one JSON array instead, each `?`
 * becoming `json_extract(?1, '$[i]')`: the same SQL value (a string, or a number), still a
 * constant to the query planner, so an index serves it as before. A statement longer than the
 * backend takes is a `QueryError`.
 */
export function fitStatement<S extends SqlFragment>(statement: S, limits: SqlLimits): S {
  let fitted = statement;
  if (statement.params.length > limits.maxBoundParameters) {
    let i = 0;
    // Quoted text is left as it is.
    const sql = statement.sql.replace(TOKEN, (token) => (token === '?' ? `json_extract(?1, '$[${i++}]')` : token));
    fitted = { ...statement, sql, params: [JSON.stringify(statement.params)] };
  }
  // Three bytes per UTF-16 unit at most: a short statement needs no measuring.
  const bytes = fitted.sql.length * 3 > limits.maxStatementBytes ? utf8Length(fitted.sql) : 0;
  if (bytes > limits.maxStatementBytes) {
    throw new QueryError(`This query's SQL is ${bytes} bytes, over the ${limits.maxStatementBytes} a statement may have: match lists of values with in([...]), or split the query.`);
  }
  return fitted;
}
