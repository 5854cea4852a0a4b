import { describe, toJsonValue, type JsonValue } from '../document.js';
import { QueryError } from '../errors.js';
import { readPath } from '../evaluator/values.js';
import type { QueryPosition, SortSpec } from './ast.js';
import { parsePath } from './path.js';

/**
 * Cursors of `page()`: where the next page starts, as opaque text. Inside is the query's sort
 * and the last document's sort values and `_id` (JSON, UTF-8, base64url), so a cursor can only
 * continue a query sorted the same way; what a user should not rely on is its format.
 */
const VERSION = 1;
/**
 * A cursor holds the last document's sort values, so a sort on a long field makes a long cursor:
 * one 2 MB field (the most SQL storage stores) fits; page() refuses to make a longer one.
 */
const MAX_CURSOR_LENGTH = 4_000_000;

export function encodeCursor(sort: readonly SortSpec[], doc: { _id: string }): string {
  const values = sort.map(({ path }) => {
    const value = readPath(doc, parsePath(path));
    return typeof value === 'symbol' ? null : value; // missing sorts as null does
  });
  const text = JSON.stringify([VERSION, sort.map((s) => [s.path, s.direction]), values, doc._id]);
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  const cursor = btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
  if (cursor.length > MAX_CURSOR_LENGTH) {
    throw new QueryError(
      `This page's cursor would be ${cursor.length} characters, over the ${MAX_CURSOR_LENGTH} after() takes: it carries the last document's sort values. Sort by shorter fields.`,
    );
  }
  return cursor;
}

/** The position a cursor from `encodeCursor` holds, checked against the query's sort. */
export function decodeCursor(cursor: unknown, sort: readonly SortSpec[]): QueryPosition {
  if (typeof cursor !== 'string' || cursor === '') {
    throw new QueryError(`after() takes the \`next\` cursor of a page, got ${describe(cursor)}.`);
  }
  if (cursor.length > MAX_CURSOR_LENGTH)
    throw new QueryError(`after() takes cursors of at most ${MAX_CURSOR_LENGTH} characters, the longest page() makes; got ${cursor.length}.`);
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new QueryError('after() was given a cursor that is not one Pocket made: pass the `next` of a page unchanged.');
  }
  let parsed: unknown;
  try {
    const binary = atob(cursor.replaceAll('-', '+').replaceAll('_', '/'));
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
  } catch {
    throw new QueryError('after() was given a cursor that is not one Pocket made: pass the `next` of a page unchanged.');
  }
  if (!Array.isArray(parsed) || parsed.length !== 4 || parsed[0] !== VERSION || !Array.isArray(parsed[1]) || !Array.isArray(parsed[2])) {
    throw new QueryError('after() was given a cursor that is not one Pocket made: pass the `next` of a page unchanged.');
  }
  const [, cursorSort, values, id] = parsed as [number, unknown[], unknown[], unknown];
  const same =
    cursorSort.length === sort.length &&
    sort.every((s, i) => {
      const c = cursorSort[i];
      return Array.isArray(c) && c[0] === s.path && c[1] === s.direction;
    });
  if (!same) {
    throw new QueryError(
      `after() was given a cursor of a query sorted by ${describeSort(cursorSort)}, but this query sorts by ${describeSort(sort.map((s) => [s.path, s.direction]))}; a cursor continues only the query it came from.`,
    );
  }
  return positionOf(values, id, sort, 'after()');
}

/** A string with a lone surrogate: no stored `_id` has one, and SQLite would read it as U+FFFD. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Checks a position (from a cursor or an AST from outside) against the query's sort. */
export function positionOf(values: unknown, id: unknown, sort: readonly SortSpec[], where: string): QueryPosition {
  if (!Array.isArray(values) || values.length !== sort.length) {
    throw new QueryError(`${where}: a position needs one value per sort key (${sort.length}), got ${describe(values)}.`);
  }
  const isId = (v: unknown): v is string => typeof v === 'string' && v !== '' && !LONE_SURROGATE.test(v);
  if (!isId(id)) throw new QueryError(`${where}: a position needs the _id of a document, got ${describe(id)}.`);
  const checked: JsonValue[] = values.map((v, i) => {
    if (sort[i]!.path === '_id' && !isId(v)) throw new QueryError(`${where}: the position's value for _id must be an _id, got ${describe(v)}.`);
    try {
      return toJsonValue(v, `sort value ${i}`);
    } catch (error) {
      throw new QueryError(`${where}: ${(error as Error).message}`);
    }
  });
  return Object.freeze({ values: Object.freeze(checked), id });
}

function describeSort(sort: unknown[]): string {
  if (sort.length === 0) return 'nothing';
  // The cursor's part is parsed JSON: anything may be there, so it is quoted, never converted.
  return sort.map((s) => (Array.isArray(s) && typeof s[0] === 'string' && typeof s[1] === 'string' ? `${s[0]} ${s[1]}` : JSON.stringify(s))).join(', ');
}
