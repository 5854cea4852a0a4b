import { QueryError, type Condition, type Filter, type JsonValue } from '@pocket/core';
import { jsonPathLiteral } from './identifiers.js';
import { utf8Length } from './json-text.js';
import { bind, bindList, joinParts, raw, render, sql, type SqlParts } from './parts.js';
import type { SqlFragment } from './statement.js';

/** A condition's field, as SQL over the `data` column. */
interface Field {
  /** `json_extract(data, path)`: the value, with JSON's types folded into SQLite's. */
  readonly value: string;
  /** `json_type(data, path)`: the JSON type, NULL where the field is missing. */
  readonly type: string;
  /** The JSON path, as a quoted SQL literal. */
  readonly path: string;
}

type Handlers = { [Op in Condition['op']]: (condition: Condition & { op: Op }, field: Field) => SqlParts | null };

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
  return render(filterSql(filter));
}

/** `compileFilter`'s SQL, with its parameters where they go (parts.ts). */
export function filterSql(filter: Filter): SqlParts {
  switch (filter.kind) {
    case 'and':
    case 'or': {
      const parts = filter.filters.map(filterSql);
      if (parts.length === 0) return raw(filter.kind === 'and' ? '1' : '0');
      return join(parts, filter.kind === 'and' ? ' AND ' : ' OR ');
    }
    case 'condition': {
      const path = jsonPathLiteral(filter.path);
      const handler = handlers[filter.op] as (condition: Condition, field: Field) => SqlParts | null;
      const out = handler(filter, { value: `json_extract(data, ${path})`, type: `json_type(data, ${path})`, path });
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
export function join(parts: readonly SqlParts[], op: string): SqlParts {
  if (parts.length <= CHAIN)
    return joinParts(
      parts.map((p) => sql`(${p})`),
      op,
    );
  const half = Math.ceil(parts.length / 2);
  return sql`(${join(parts.slice(0, half), op)})${op}(${join(parts.slice(half), op)})`;
}

const handlers: Handlers = {
  eq: (condition, field) => equals(field, condition.value),
  ne: (condition, field) => not(equals(field, condition.value)),
  gt: (condition, field) => range('>', field, condition.value),
  gte: (condition, field) => range('>=', field, condition.value),
  lt: (condition, field) => range('<', field, condition.value),
  lte: (condition, field) => range('<=', field, condition.value),
  in: (condition, field) => oneOf(field, condition.values),
  nin: (condition, field) => not(oneOf(field, condition.values)),
  exists: (condition, { type }) => raw(condition.exists ? `${type} IS NOT NULL` : `${type} IS NULL`),
  // Compared as bytes: SQLite's substr() of text stops at the first NUL character, so
  // `substr('x\0y', 1, 2)` is 'x' and a prefix with a NUL in it would never match. (And substr()
  // of an empty blob is NULL, so the empty prefix, which every string has, is not compared.)
  startsWith: ({ prefix }, { value, type }) =>
    prefix === ''
      ? raw(`${type} = 'text'`)
      : sql`${type} = 'text' AND substr(CAST(${value} AS BLOB), 1, ${String(utf8Length(prefix))}) = CAST(${bind(prefix)} AS BLOB)`,
  contains: (condition, field) => contains(field, condition.value),
  regex: () => null,
};

/**
 * SQL's NOT turns an unknown (NULL, e.g. a missing field) into unknown, which filters the row
 * out; core's `notEquals` must keep it, so unknown counts as false before negating.
 */
function not(f: SqlParts): SqlParts {
  return sql`NOT IFNULL((${f}), 0)`;
}

/** An array or object value's text may look like a string value; only then is the type checked. */
const looksLikeJson = (text: string): boolean => text.startsWith('[') || text.startsWith('{');
/** json_extract returns 1 for true and 0 for false; only then is the type checked. */
const looksLikeBoolean = (n: number): boolean => n === 0 || n === 1;

/**
 * A number goes to SQLite as its JSON text, read back by SQLite's JSON parser: the same path the
 * stored number took, so both sides hold the same value. Bound as a number it would not compare
 * as JavaScript does: SQLite reads "66882035120801100" as that exact integer while JavaScript's
 * 66882035120801100 is the double 66882035120801104, and SQLite's text-to-float conversion is
 * off by an ulp for many large exponents (1e-300 is read as slightly less than 1e-300).
 */
export function numberSql(n: number): SqlParts {
  return sql`json_extract(${bind(JSON.stringify(n))}, '$')`;
}
/** SQLite reads this literal as +Infinity: every number is at most it, and no text is. */
const INFINITY = '9e999';

function equals(field: Field, value: JsonValue): SqlParts {
  const { value: extracted, type } = field;
  if (value === null) return raw(`${extracted} IS NULL`);
  switch (typeof value) {
    case 'string':
      return looksLikeJson(value) ? sql`${extracted} = ${bind(value)} AND ${type} = 'text'` : sql`${extracted} = ${bind(value)}`;
    case 'number':
      return looksLikeBoolean(value) ? sql`${extracted} = ${numberSql(value)} AND ${type} IN ('integer', 'real')` : sql`${extracted} = ${numberSql(value)}`;
    case 'boolean':
      return sql`${extracted} = ${bind(value ? 1 : 0)} AND ${type} = '${String(value)}'`;
    default:
      return sql`${type} = '${Array.isArray(value) ? 'array' : 'object'}' AND ${extracted} = ${bind(JSON.stringify(value))}`;
  }
}

function range(op: string, field: Field, value: string | number | boolean): SqlParts {
  const { value: extracted, type } = field;
  switch (typeof value) {
    case 'string':
      return sql`${extracted} ${op} ${bind(value)} AND ${type} = 'text'`;
    case 'number': {
      const n = numberSql(value);
      // Booleans come back as 0 and 1: a range that reaches them needs the type check.
      const reachesBoolean = op === '>' ? value < 1 : op === '>=' ? value <= 1 : op === '<' ? value > 0 : value >= 0;
      if (reachesBoolean) return sql`${extracted} ${op} ${n} AND ${type} IN ('integer', 'real')`;
      // Otherwise the only confusion is text (an object or array comes back as text too), which
      // SQLite orders after every number: a range below 0 cannot reach it, and one above 1 is
      // capped with a bound on the same expression, which an index on the field serves.
      // BETWEEN reads the field once; `field > value AND field < ''` twice, on every row of a scan.
      if (op === '<' || op === '<=') return sql`${extracted} ${op} ${n}`;
      if (op === '>=') return sql`${extracted} BETWEEN ${n} AND ${INFINITY}`;
      return sql`${extracted} > ${n} AND ${extracted} < ''`;
    }
    default:
      return sql`${extracted} ${op} ${bind(value ? 1 : 0)} AND ${type} IN ('true', 'false')`;
  }
}

/**
 * `in` packs each type's values into one JSON parameter read with `json_each`, so a list of any
 * length is one bound parameter (D1 allows 100 per statement).
 */
function oneOf(field: Field, values: readonly JsonValue[]): SqlParts {
  const { value: extracted, type } = field;
  const strings: string[] = [];
  const numbers: number[] = [];
  const parts: SqlParts[] = [];
  const booleans = new Set<string>();
  let withNull = false;
  for (const element of values) {
    if (element === null) withNull = true;
    else if (typeof element === 'string') strings.push(element);
    else if (typeof element === 'number') numbers.push(element);
    else if (typeof element === 'boolean') booleans.add(String(element));
    else parts.push(equals(field, element));
  }
  if (withNull) parts.push(raw(`${extracted} IS NULL`));
  if (strings.length > 0) {
    const guard = strings.some(looksLikeJson) ? ` AND ${type} = 'text'` : '';
    parts.push(sql`${extracted} IN ${bindList(JSON.stringify(strings))}${guard}`);
  }
  if (numbers.length > 0) {
    const guard = numbers.some(looksLikeBoolean) ? ` AND ${type} IN ('integer', 'real')` : '';
    parts.push(sql`${extracted} IN ${bindList(JSON.stringify(numbers))}${guard}`);
  }
  if (booleans.size > 0) parts.push(raw(`${type} IN (${[...booleans].map((b) => `'${b}'`).join(', ')})`));
  if (parts.length === 0) return raw('0');
  return join(parts, ' OR ');
}

function contains(field: Field, value: JsonValue): SqlParts {
  const { value: extracted, type, path } = field;
  const inArray = sql`${type} = 'array' AND EXISTS (SELECT 1 FROM json_each(data, ${path}) WHERE ${elementEquals(value)})`;
  if (typeof value !== 'string') return inArray;
  return sql`(${inArray}) OR (${type} = 'text' AND instr(${extracted}, ${bind(value)}) > 0)`;
}

/** Equality of a `json_each` row (columns `type`, `value`) with a JSON value. */
function elementEquals(value: JsonValue): SqlParts {
  if (value === null) return raw(`type = 'null'`);
  switch (typeof value) {
    case 'string':
      return sql`type = 'text' AND value = ${bind(value)}`;
    case 'number':
      return sql`type IN ('integer', 'real') AND value = ${numberSql(value)}`;
    case 'boolean':
      return raw(`type = '${String(value)}'`);
    default:
      return sql`type = '${Array.isArray(value) ? 'array' : 'object'}' AND value = ${bind(JSON.stringify(value))}`;
  }
}
