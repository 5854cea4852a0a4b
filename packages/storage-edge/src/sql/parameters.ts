import { QueryError } from '@pocket/core';
import type { SqlFragment } from './statement.js';
import { utf8Length } from './json-text.js';
import { DEFAULT_SQL_LIMITS, type SqlLimits } from './limits.js';
import { LIST_PLACEHOLDER, render, type Param, type SqlParts } from './parts.js';

/** Values `start` to `end` (exclusive) of a list, as one JSON array. */
export interface PackedRun {
  json: string;
  start: number;
  end: number;
}

/**
 * Splits `values` into runs of consecutive values whose JSON arrays are each at most `maxBytes`
 * in UTF-8, in order; a value larger than that on its own is a run of its own. SQLite refuses a
 * bound value past about 2 MB (`SQLITE_TOOBIG`), so every JSON parameter that packs many values
 * (a bulk write's documents, ids or changes; a list of ids to read; an `in` list) is split here.
 * A list that fits, the common case, is one JSON.stringify and one measurement; one that does
 * not is split into runs of at most `splitBytes`.
 */
export function packRuns(values: readonly unknown[], maxBytes: number, splitBytes = maxBytes): PackedRun[] {
  const whole = stringified(values);
  if (whole !== null && fits(whole, maxBytes)) return [{ json: whole, start: 0, end: values.length }];
  maxBytes = splitBytes;
  const runs: PackedRun[] = [];
  let texts: string[] = [];
  let start = 0;
  let bytes = 2; // the brackets
  for (let i = 0; i < values.length; i++) {
    const text = JSON.stringify(values[i]);
    const size = utf8Length(text);
    // A comma before every value but the first.
    if (texts.length > 0 && bytes + 1 + size > maxBytes) {
      runs.push({ json: `[${texts.join(',')}]`, start, end: i });
      texts = [];
      start = i;
      bytes = 2;
    }
    bytes += (texts.length > 0 ? 1 : 0) + size;
    texts.push(text);
  }
  if (texts.length > 0 || runs.length === 0) runs.push({ json: `[${texts.join(',')}]`, start, end: values.length });
  return runs;
}

/**
 * Makes a read statement fit the backend, and writes it: each parameter's placeholder is chosen
 * here, where the compiler left it (parts.ts), so no SQL text is searched or rewritten.
 *
 * - A list (`in`, `notIn`, an id list: `x IN (SELECT value FROM json_each(?))`, one JSON array
 *   whatever its length) larger than `maxPackedBytes` is read from several JSON arrays, each
 *   within it: `x IN (SELECT j.value FROM (VALUES (?), (?)) AS l, json_each(l.column1) AS j)`.
 *   It is still one condition with the same matches, in one statement that reads one snapshot,
 *   and `x IN (subquery)` is read from an index on x as before; so a `notIn`, or an `in` under a
 *   sort and a limit, keeps its meaning, which running the query once per part of the list
 *   would not. (Not a `UNION ALL` of `json_each` calls: SQLite storage and D1 allow 5 terms in a
 *   compound SELECT, and rows of VALUES do not count as terms.)
 * - D1 and SQLite storage bind at most 100 values per statement, and a filter binds one or two
 *   per condition. A statement over the limit binds its values as JSON arrays instead, each
 *   value read as `json_extract(?1, '$[i]')`: the same SQL value (a string, or a number), still
 *   a constant to the query planner, so an index serves it as before. A list goes in as the JSON
 *   array it is (`json_each(?1, '$[i]')`), not as a string holding it. The arrays are each within
 *   `maxPackedBytes` too: one, unless the values pass it.
 *
 * A statement longer than the backend takes, or whose values need more parameters than it
 * binds even so, is a `QueryError`.
 */
export function fitStatement(parts: SqlParts, limits: SqlLimits): SqlFragment {
  const max = limits.maxPackedBytes;
  const { params } = parts;
  let fitted: SqlFragment;
  // Only a string can be a list, and a short one fits: most statements are written at once.
  if (params.length <= limits.maxBoundParameters && !params.some((p) => typeof p.value === 'string' && !fits(p.value, max))) {
    fitted = render(parts);
  } else {
    // A list over the limit becomes runs, each 2 bytes under it, so that it still fits alone in
    // the brackets of a packed parameter.
    const slots = params.map((p): Slot =>
      p.list && typeof p.value === 'string' && !fits(p.value, max) ? { runs: packRuns(JSON.parse(p.value) as unknown[], max, max - 2).map((r) => r.json) } : p,
    );
    const bound = slots.reduce((n, slot) => n + ('runs' in slot ? slot.runs.length : 1), 0);
    fitted = bound > limits.maxBoundParameters ? packed(parts.text, slots, limits) : written(parts.text, slots);
  }
  // Three bytes per UTF-16 unit at most: a short statement needs no measuring.
  const bytes = fitted.sql.length * 3 > limits.maxStatementBytes ? utf8Length(fitted.sql) : 0;
  if (bytes > limits.maxStatementBytes) {
    throw new QueryError(
      `This query's SQL is ${bytes} bytes, over the ${limits.maxStatementBytes} a statement may have: match lists of values with in([...]), or split the query.`,
    );
  }
  return fitted;
}

/** A parameter as it will be bound: as it is, or a list split into JSON arrays (`runs`). */
type Slot = Param | { runs: string[] };

/** A list read from several parameters, each written by `placeholder`. */
function splitList(count: number, placeholder: (k: number) => string): string {
  return `(SELECT j.value FROM (VALUES ${Array.from({ length: count }, (_, k) => `(${placeholder(k)})`).join(', ')}) AS l, json_each(l.column1) AS j)`;
}

/** The statement with a `?` for each value, and each split list read from its runs. */
function written(text: readonly string[], slots: readonly Slot[]): SqlFragment {
  let sql = text[0]!;
  const params: unknown[] = [];
  slots.forEach((slot, i) => {
    if ('runs' in slot) {
      sql += splitList(slot.runs.length, () => '?');
      params.push(...slot.runs);
    } else {
      sql += slot.list ? LIST_PLACEHOLDER : '?';
      params.push(slot.value);
    }
    sql += text[i + 1]!;
  });
  return { sql, params };
}

/** The statement with its values bound as JSON arrays, as few as `maxPackedBytes` allows; lists go in as arrays. */
function packed(text: readonly string[], slots: readonly Slot[], limits: SqlLimits): SqlFragment {
  const values = slots.flatMap((slot) =>
    'runs' in slot ? slot.runs.map((run) => JSON.parse(run) as unknown) : [slot.list ? (JSON.parse(slot.value as string) as unknown) : slot.value],
  );
  const runs = packRuns(values, limits.maxPackedBytes);
  // 0 means: always pack, into no more arrays than the platform binds.
  const most = limits.maxBoundParameters > 0 ? limits.maxBoundParameters : DEFAULT_SQL_LIMITS.maxBoundParameters;
  if (runs.length > most) {
    throw new QueryError(
      `This query's values need ${runs.length} parameters of at most ${limits.maxPackedBytes} bytes, more than the ${most} a statement may have: split the query.`,
    );
  }
  let k = 0;
  let run = 0;
  /** The next value's place: its array's parameter and its index there. */
  const next = (): string => {
    while (k >= runs[run]!.end) run++;
    return `?${run + 1}, '$[${k++ - runs[run]!.start}]'`;
  };
  let sql = text[0]!;
  slots.forEach((slot, i) => {
    // json_extract of an array element is the array's JSON text: what a list's parameter was.
    if ('runs' in slot) sql += splitList(slot.runs.length, () => `json_extract(${next()})`);
    else sql += slot.list ? `(SELECT value FROM json_each(${next()}))` : `json_extract(${next()})`;
    sql += text[i + 1]!;
  });
  return { sql, params: runs.map((r) => r.json) };
}

/** Whether `text` is at most `maxBytes` in UTF-8. Three bytes per UTF-16 unit at most: short text needs no measuring. */
function fits(text: string, maxBytes: number): boolean {
  return text.length <= maxBytes && (text.length * 3 <= maxBytes || utf8Length(text) <= maxBytes);
}

/** JSON.stringify(values), or null when the text is longer than a JavaScript string can be. */
function stringified(values: readonly unknown[]): string | null {
  try {
    return JSON.stringify(values);
  } catch (error) {
    if (error instanceof RangeError) return null;
    throw error;
  }
}
