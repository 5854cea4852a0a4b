import { toJsonValue, describe, type JsonValue } from '../document.js';
import { PocketError, QueryError } from '../errors.js';
import type { Condition, Filter, RangeValue } from './ast.js';
import { parsePath } from './path.js';

/**
 * Factories for filter nodes. Each checks its input, copies user values (so later mutation of
 * an array passed to `in` cannot change a built query) and returns a frozen node.
 */
export const condition = {
  eq: (path: string, value: unknown): Condition => compare('eq', path, value),
  ne: (path: string, value: unknown): Condition => compare('ne', path, value),
  gt: (path: string, value: unknown): Condition => range('gt', path, value),
  gte: (path: string, value: unknown): Condition => range('gte', path, value),
  lt: (path: string, value: unknown): Condition => range('lt', path, value),
  lte: (path: string, value: unknown): Condition => range('lte', path, value),
  in: (path: string, values: unknown): Condition => list('in', path, values),
  nin: (path: string, values: unknown): Condition => list('nin', path, values),
  exists(path: string, exists: unknown = true): Condition {
    if (typeof exists !== 'boolean') throw new QueryError(`exists() takes true or false, got ${describe(exists)}.`);
    return freeze({ kind: 'condition', op: 'exists', path: checked(path), exists });
  },
  startsWith(path: string, prefix: unknown): Condition {
    if (typeof prefix !== 'string') {
      throw new QueryError(`startsWith() on "${path}" takes a string, got ${describe(prefix)}.`);
    }
    return freeze({ kind: 'condition', op: 'startsWith', path: checked(path), prefix: value(path, prefix) as string });
  },
  contains(path: string, element: unknown): Condition {
    return freeze({ kind: 'condition', op: 'contains', path: checked(path), value: value(path, element) });
  },
  regex(path: string, pattern: unknown, flags?: string): Condition {
    return freeze({ kind: 'condition', op: 'regex', path: checked(path), ...regexParts(path, pattern, flags) });
  },
};

/** Longest accepted regular-expression source; long patterns are where backtracking hides. */
export const MAX_REGEX_LENGTH = 512;
const ALLOWED_FLAGS = /^[imsu]*$/;

function regexParts(path: string, pattern: unknown, flags?: string): { source: string; flags: string } {
  let source: string;
  let f: string;
  if (pattern instanceof RegExp) {
    source = pattern.source;
    // g and y make RegExp#test stateful; a filter must give the same answer every time.
    f = (flags ?? pattern.flags).replace(/[gyd]/g, '');
  } else if (typeof pattern === 'string') {
    source = pattern;
    f = flags ?? '';
  } else {
    throw new QueryError(`matches() on "${path}" takes a RegExp or a pattern string, got ${describe(pattern)}.`);
  }
  if (!ALLOWED_FLAGS.test(f)) throw new QueryError(`matches() on "${path}": flags "${f}" are not supported; use any of i, m, s, u.`);
  if (source.length > MAX_REGEX_LENGTH) {
    throw new QueryError(`matches() on "${path}": the pattern is ${source.length} characters; the limit is ${MAX_REGEX_LENGTH}.`);
  }
  try {
    new RegExp(source, f);
  } catch (error) {
    throw new QueryError(`matches() on "${path}": invalid regular expression /${source}/${f}.`, { cause: error });
  }
  assertLinearRegex(path, source);
  return { source, flags: f };
}

/**
 * Refuses the pattern shape behind catastrophic backtracking: a group that repeats around
 * something that itself matches a varying number of times — `(a+)+`, `(\w*\s?)*`, `(x+y)+`,
 * `(a?){20}`. On a string that almost matches (`'aaaa…b'` for `/(a+)+$/`) a backtracking engine
 * tries every way to split the input between the two quantifiers: exponential time, with no way
 * to interrupt it inside a Worker. Exact repeats (`(\d{3})+`) and groups repeated at most once
 * (`(a+)?`) are allowed. Overlapping alternatives under a quantifier (`(a|ab)*`) are not detected;
 * see the limitations page.
 */
export function assertLinearRegex(path: string, source: string): void {
  const nested = nestedQuantifier(source);
  if (nested !== null) {
    throw new QueryError(
      `matches() on "${path}": the pattern repeats ${JSON.stringify(nested)}, a group that itself contains a repetition; such patterns can take exponential time on some inputs (catastrophic backtracking), so Pocket refuses them. Write it without the nesting, e.g. /(a+)+$/ as /a+$/.`,
    );
  }
}

const QUANTIFIER = /^(?:([*+?])|\{(\d+)(?:(,)(\d*))?\})\??/;

/** The first repeated group that contains a variable repetition (as source text), or null. */
export function nestedQuantifier(source: string): string | null {
  // One entry per open group: where it starts and whether something inside repeats variably.
  const groups: Array<{ start: number; variable: boolean }> = [];
  let atom: { start: number; variable: boolean } | null = null;
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === '\\') {
      const start = i;
      i += 2;
      // \u{…}, \p{…}, \P{…}, \k<…>: skip the braces so they are not read as a quantifier.
      const next = source[i - 1];
      if ((next === 'u' || next === 'p' || next === 'P') && source[i] === '{') i = source.indexOf('}', i) + 1 || source.length;
      else if (next === 'k' && source[i] === '<') i = source.indexOf('>', i) + 1 || source.length;
      atom = { start, variable: false };
    } else if (c === '[') {
      const start = i++;
      if (source[i] === '^') i++;
      while (i < source.length && source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
      i++;
      atom = { start, variable: false };
    } else if (c === '(') {
      groups.push({ start: i, variable: false });
      i++;
      if (source[i] === '?') {
        // (?: (?= (?! (?<= (?<! (?<name>
        if (source[i + 1] === '<' && source[i + 2] !== '=' && source[i + 2] !== '!') i = source.indexOf('>', i) + 1;
        else i += source[i + 1] === '<' ? 3 : 2;
      }
      atom = null;
    } else if (c === ')') {
      const group = groups.pop() ?? { start: 0, variable: false };
      if (group.variable && groups.length > 0) groups[groups.length - 1]!.variable = true;
      atom = { start: group.start, variable: group.variable };
      i++;
    } else {
      const q = QUANTIFIER.exec(source.slice(i, i + 24));
      if (q === null || atom === null) {
        // A literal, an anchor, `|`, `.`, or a `{` that is not a quantifier.
        atom = c === '|' ? null : { start: i, variable: false };
        i++;
        continue;
      }
      const min = q[1] === undefined ? Number(q[2]) : q[1] === '+' ? 1 : 0;
      const max = q[1] === undefined ? (q[3] === undefined ? min : q[4] === '' ? Infinity : Number(q[4])) : q[1] === '?' ? 1 : Infinity;
      if (atom.variable && max > 1) return source.slice(atom.start, i + q[0].length);
      if (max !== min && groups.length > 0) groups[groups.length - 1]!.variable = true;
      i += q[0].length;
      atom = null;
    }
  }
  return null;
}

/** AND of filters, flattening nested ANDs and dropping nulls. */
export function and(...filters: Array<Filter | null>): Filter | null {
  const parts: Filter[] = [];
  for (const f of filters) {
    if (f === null) continue;
    if (f.kind === 'and') parts.push(...f.filters);
    else parts.push(f);
  }
  if (parts.length === 0) return null;
  if (parts.length === 1) return parts[0]!;
  return freeze({ kind: 'and' as const, filters: freeze(parts) });
}

/** OR of filters. An OR of nothing matches nothing, like `in([])`. */
export function or(...filters: Filter[]): Filter {
  const parts: Filter[] = [];
  for (const f of filters) {
    if (f.kind === 'or') parts.push(...f.filters);
    else parts.push(f);
  }
  if (parts.length === 1) return parts[0]!;
  return freeze({ kind: 'or' as const, filters: freeze(parts) });
}

function compare(op: 'eq' | 'ne', path: string, v: unknown): Condition {
  if (v === undefined) {
    throw new QueryError(`${op === 'eq' ? 'equals' : 'notEquals'}(undefined) on "${path}": use exists(false) to find documents without the field, or equals(null).`);
  }
  return freeze({ kind: 'condition', op, path: checked(path), value: value(path, v) });
}

function range(op: 'gt' | 'gte' | 'lt' | 'lte', path: string, v: unknown): Condition {
  if (typeof v !== 'string' && typeof v !== 'boolean' && !(typeof v === 'number' && Number.isFinite(v))) {
    const hint = v instanceof Date ? ' Compare ISO strings (date.toISOString()) or timestamp numbers.' : '';
    throw new QueryError(`${op}() on "${path}" takes a finite number, a string or a boolean, got ${describe(v)}.${hint}`);
  }
  return freeze({ kind: 'condition', op, path: checked(path), value: value(path, v) as RangeValue });
}

function list(op: 'in' | 'nin', path: string, values: unknown): Condition {
  if (!Array.isArray(values)) {
    throw new QueryError(`${op === 'in' ? 'in' : 'notIn'}() on "${path}" takes an array of values, got ${describe(values)}.`);
  }
  const copy = values.map((v) => {
    if (v === undefined) throw new QueryError(`${op === 'in' ? 'in' : 'notIn'}() on "${path}": the list contains undefined.`);
    return value(path, v);
  });
  return freeze({ kind: 'condition', op, path: checked(path), values: freeze(copy) });
}

function checked(path: string): string {
  parsePath(path);
  return path;
}

function value(path: string, v: unknown): JsonValue {
  try {
    return deepFreeze(toJsonValue(v, path, 'query value'));
  } catch (error) {
    if (error instanceof PocketError) throw new QueryError(error.message, { cause: error });
    throw error;
  }
}

function freeze<T extends object>(node: T): T {
  return Object.freeze(node);
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Checks `select()`'s fields: top-level field names, each once. */
export function selectFields(fields: readonly unknown[]): readonly string[] {
  const out: string[] = [];
  for (const field of fields) {
    if (typeof field !== 'string') throw new QueryError(`select() takes field names, got ${describe(field)}.`);
    const segments = parsePath(field);
    if (segments.length !== 1) throw new QueryError(`select() takes top-level field names; "${field}" is a path: select "${segments[0]}" instead.`);
    if (field !== '_id' && !out.includes(field)) out.push(field);
  }
  return Object.freeze(out);
}
