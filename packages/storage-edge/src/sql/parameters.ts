import { QueryError } from '@pocket/core';
import type { SqlFragment } from './filter.js';
import { utf8Length } from './json-text.js';
import type { SqlLimits } from './writes.js';

/** A string or identifier in quotes (doubled quotes inside), or a placeholder. */
const TOKEN = /'(?:[^']|'')*'|"(?:[^"]|"")*"|\?\d*/g;

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
    const sql = statement.sql.replace(TOKEN, (token) => {
      if (token === '?') return `json_extract(?1, '$[${i++}]')`;
      // Quoted text is left alone; a numbered placeholder would not be one value of the list.
      if (token.startsWith('?')) throw new Error(`a read statement with a numbered placeholder (${token}) cannot be packed`);
      return token;
    });
    if (i !== statement.params.length) throw new Error(`a read statement has ${i} placeholders for ${statement.params.length} values`);
    fitted = { ...statement, sql, params: [JSON.stringify(statement.params)] };
  }
  // Three bytes per UTF-16 unit at most: a short statement needs no measuring.
  if (fitted.sql.length * 3 > limits.maxStatementBytes && utf8Length(fitted.sql) > limits.maxStatementBytes) {
    throw new QueryError(
      `This query is ${utf8Length(fitted.sql)} bytes of SQL; the backend takes ${limits.maxStatementBytes} per statement. Match a list of values with in([...]) (one parameter however long), or split the query.`,
    );
  }
  return fitted;
}
