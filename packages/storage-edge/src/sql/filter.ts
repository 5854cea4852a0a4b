import { QueryError, type Condition, type Filter, type JsonValue } from '@pocket/core';
import { jsonPathLiteral } from './identifiers.js';
import { utf8Length } from './json-text.js';
import type { SqlFragment } from './statement.js';


type Handlers = { [Op in Condition['op']]: (c: Condition & { op: Op }, x: string, t: string, p: string) => SqlFragment | null };

/**
 * Compiles a filter to a SQL boolean expression over the `data` column.
 *
 * SQLite's `json_extract` folds JSON types together (true and 1 are both 1; an array comes back
 * as its JSON text), so each condition adds the `json_type` check that keeps core's
 * semantics, and only when the value could be confused: `equals('u1')` is exactly
 * `json_extract(data, '$.userId') = ?`, the form an expression index serves.
 *
 * A condition SQL cannot express (a regular expression) must not reach this function: split the
 * filter with `splitFilter` (residual.ts) first.
 */
export function compileFilter(filter: Filter): SqlFragment {
  switch (filter.kind) {
    case 'and':
    case 'or': {
      const parts = filter.filters.map(compileFilter);
      if (parts.length === 0) return { sql: filter.kind === 'and' ? '1' : '0', params: [] };
      return join(parts, filter.kind === 'and' ? ' AND ' : ' OR ');
    }
    case 'condition': {
      const p = jsonPathLiteral(filter.path);
      const handler = handlers[filter.op] as (c: Condition, x: string, t: string, p: string) => SqlFragment | null;
      const out = handler(filter, `json_extract(data, ${p})`, `json_type(data, ${p})`, p);
      if (out === null) throw new QueryError(`The ${filter.op} condition on "${filter.path}" cannot be compiled to SQL.`);
      return out;
    }
    default:
      throw new QueryError(`Unknown filter node ${JSON.stringify((filter as { kind: unknown }).kind)}.`);
  }
}

/** Most terms joined in one flat chain. */
const CHAIN = 4;

/**
 * Joins terms with an operator (`' AND '`, `' OR '`, `' || '`). SQLite parses `a OR b OR c …` as
 * a chain as deep as it is long, D1 refuses an expression more than 100 deep, and the depths of
 * nested and/or groups add up: a list longer than 4 is split in halves, each parenthesised, so
 * 1,000 terms are 12 deep instead of 1,000. Short lists keep the flat form.
 */
export function join(parts: SqlFragment[], op: string): SqlFragment {
  if (parts.length <= CHAIN) return { sql: parts.map((p) => `(${p.sql})`).join(op), params: parts.flatMap((p) => p.params) };
  const half = Math.ceil(parts.length / 2);
  const left = join(parts.slice(0, half), op);
  const right = join(parts.slice(half), op);
  return { sql: `(${left.sql})${op}(${right.sql})`, params: [...left.params, ...right.params] };
}

const handlers: Handlers = {
  eq: (c, x, t) => equals(x, t, c.value),
  ne: (c, x, t) => not(equals(x, t, c.value)),
  gt: (c, x, t) => range('>', x, t, c.value),
  gte: (c, x, t) => range('>=', x, t, c.value),
  lt: (c, x, t) => range('<', x, t, c.value),
  lte: (c, x, t) => range('<=', x, t, c.value),
  in: (c, x, t) => oneOf(x, t, c.values),
  nin: (c, x, t) => not(oneOf(x, t, c.values)),
  exists: (c, _x, t) => ({ sql: c.exists ? `${t} IS NOT NULL` : `${t} IS NULL`, params: [] }),
  // Compared as bytes: SQLite's substr() of text stops at the first NUL character, so
  // `substr('x\0y', 1, 2)` is 'x' and a prefix with a NUL in it would never match. (And substr()
  // of an empty blob is NULL, so the empty prefix, which every string has, is not compared.)
  startsWith: (c, x, t) =>
    c.prefix === ''
      ? { sql: `${t} = 'text'`, params: [] }
      : { sql: `${t} = 'text' AND substr(CAST(${x} AS BLOB), 1, ${utf8Length(c.prefix)}) = CAST(? AS BLOB)`, params: [c.prefix] },
  contains: (c, x, t, p) => contains(x, t, p, c.value),
  regex: () => null,
};

/**
 * SQL's NOT turns an unknown (NULL, e.g. a missing field) into unknown, which filters the row
 * out; core's `notEquals` must keep it, so unknown counts as false before negating.
 */
function not(f: SqlFragment): SqlFragment {
  return { sql: `NOT IFNULL((${f.sql}), 0)`, params: f.params };
}

/** An array or object value's text may look like a string value; only then is the type checked. */
const looksLikeJson = (s: string): boolean => s.startsWith('[') || s.startsWith('{');
/** json_extract returns 1 for true and 0 for false; only then is the type checked. */
const looksLikeBoolean = (n: number): boolean => n === 0 || n === 1;

/**
 * A number goes to SQLite as its JSON text, read back by SQLite's JSON parser: the same path the
 * stored number took, so both sides hold the same value. Bound as a number it would not compare
 * as JavaScript does: SQLite reads "66882035120801100" as that exact integer while JavaScript's
 * 66882035120801100 is the double 66882035120801104, and SQLite's text-to-float conversion is
 * off by an ulp for many large exponents (1e-300 is read as slightly less than 1e-300).
 */
export const NUMBER = `json_extract(?, '$')`;
/** SQLite reads this literal as +Infinity: every number is at most it, and no text is. */
const INFINITY = '9e999';

function equals(x: string, t: string, v: JsonValue): SqlFragment {
  if (v === null) return { sql: `${x} IS NULL`, params: [] };
  switch (typeof v) {
    case 'string':
      return { sql: looksLikeJson(v) ? `${x} = ? AND ${t} = 'text'` : `${x} = ?`, params: [v] };
    case 'number':
      return { sql: looksLikeBoolean(v) ? `${x} = ${NUMBER} AND ${t} IN ('integer', 'real')` : `${x} = ${NUMBER}`, params: [JSON.stringify(v)] };
    case 'boolean':
      return { sql: `${x} = ? AND ${t} = '${v}'`, params: [v ? 1 : 0] };
    default:
      return { sql: `${t} = '${Array.isArray(v) ? 'array' : 'object'}' AND ${x} = ?`, params: [JSON.stringify(v)] };
  }
}

function range(op: string, x: string, t: string, v: string | number | boolean): SqlFragment {
  switch (typeof v) {
    case 'string':
      return { sql: `${x} ${op} ? AND ${t} = 'text'`, params: [v] };
    case 'number': {
      const params = [JSON.stringify(v)];
      // Booleans come back as 0 and 1: a range that reaches them needs the type check.
      const reachesBoolean = op === '>' ? v < 1 : op === '>=' ? v <= 1 : op === '<' ? v > 0 : v >= 0;
      if (reachesBoolean) return { sql: `${x} ${op} ${NUMBER} AND ${t} IN ('integer', 'real')`, params };
      // Otherwise the only confusion is text (an object or array comes back as text too), which
      // SQLite orders after every number: a range below 0 cannot reach it, and one above 1 is
      // capped with a bound on the same expression, which an index on the field serves.
      // BETWEEN reads the field once; `x > v AND x < ''` twice, on every row of a scan.
      if (op === '<' || op === '<=') return { sql: `${x} ${op} ${NUMBER}`, params };
      if (op === '>=') return { sql: `${x} BETWEEN ${NUMBER} AND ${INFINITY}`, params };
      return { sql: `${x} > ${NUMBER} AND ${x} < ''`, params };
    }
    default:
      return { sql: `${x} ${op} ? AND ${t} IN ('true', 'false')`, params: [v ? 1 : 0] };
  }
}

/**
 * `in` packs each type's values into one JSON parameter read with `json_each`, so a list of any
 * length is one bound parameter (D1 allows 100 per statement).
 */
function oneOf(x: string, t: string, values: readonly JsonValue[]): SqlFragment {
  const strings: string[] = [];
  const numbers: number[] = [];
  const parts: SqlFragment[] = [];
  const booleans = new Set<string>();
  let withNull = false;
  for (const v of values) {
    if (v === null) withNull = true;
    else if (typeof v === 'string') strings.push(v);
    else if (typeof v === 'number') numbers.push(v);
    else if (typeof v === 'boolean') booleans.add(String(v));
    else parts.push(equals(x, t, v));
  }
  if (withNull) parts.push({ sql: `${x} IS NULL`, params: [] });
  if (strings.length > 0) {
    const guard = strings.some(looksLikeJson) ? ` AND ${t} = 'text'` : '';
    parts.push({ sql: `${x} IN (SELECT value FROM json_each(?))${guard}`, params: [JSON.stringify(strings)] });
  }
  if (numbers.length > 0) {
    const guard = numbers.some(looksLikeBoolean) ? ` AND ${t} IN ('integer', 'real')` : '';
    parts.push({ sql: `${x} IN (SELECT value FROM json_each(?))${guard}`, params: [JSON.stringify(numbers)] });
  }
  if (booleans.size > 0) parts.push({ sql: `${t} IN (${[...booleans].map((b) => `'${b}'`).join(', ')})`, params: [] });
  if (parts.length === 0) return { sql: '0', params: [] };
  return join(parts, ' OR ');
}

function contains(x: string, t: string, p: string, v: JsonValue): SqlFragment {
  const element = elementEquals(v);
  const inArray: SqlFragment = {
    sql: `${t} = 'array' AND EXISTS (SELECT 1 FROM json_each(data, ${p}) WHERE ${element.sql})`,
    params: element.params,
  };
  if (typeof v !== 'string') return inArray;
  return {
    sql: `(${inArray.sql}) OR (${t} = 'text' AND instr(${x}, ?) > 0)`,
    params: [...inArray.params, v],
  };
}

/** Equality of a `json_each` row (columns `type`, `value`) with a JSON value. */
function elementEquals(v: JsonValue): SqlFragment {
  if (v === null) return { sql: `type = 'null'`, params: [] };
  switch (typeof v) {
    case 'string':
      return { sql: `type = 'text' AND value = ?`, params: [v] };
    case 'number':
      return { sql: `type IN ('integer', 'real') AND value = ${NUMBER}`, params: [JSON.stringify(v)] };
    case 'boolean':
      return { sql: `type = '${v}'`, params: [] };
    default:
      return { sql: `type = '${Array.isArray(v) ? 'array' : 'object'}' AND value = ?`, params: [JSON.stringify(v)] };
  }
}
