import type { JsonValue } from '../document.js';
import { QueryError } from '../errors.js';
import type { Condition, Filter } from '../query/ast.js';
import { assertLinearRegex } from '../query/regex-safety.js';
import { parsePath } from '../query/path.js';
import { compareValues, jsonEquals, MISSING, readPath, type Found } from './values.js';

/**
 * Does a document match a filter? This is the reference semantics: every adapter must agree
 * with it on every document and filter.
 */
export function matches(filter: Filter | null, doc: unknown): boolean {
  if (filter === null) return true;
  switch (filter.kind) {
    case 'and':
      return filter.filters.every((f) => matches(f, doc));
    case 'or':
      return filter.filters.some((f) => matches(f, doc));
    case 'condition':
      return test(filter, readPath(doc, segmentsOf(filter.path)));
    default:
      throw new QueryError(`Unknown filter node ${JSON.stringify((filter as { kind: unknown }).kind)}.`);
  }
}

const segmentCache = new Map<string, readonly string[]>();
function segmentsOf(path: string): readonly string[] {
  let segments = segmentCache.get(path);
  if (segments === undefined) {
    segments = parsePath(path);
    if (segmentCache.size > 1000) segmentCache.clear();
    segmentCache.set(path, segments);
  }
  return segments;
}

const regexCache = new Map<string, RegExp>();
function regexOf(path: string, source: string, flags: string): RegExp {
  const key = `${flags}/${source}`;
  let re = regexCache.get(key);
  if (re === undefined) {
    // The builder checked this already; a filter made by hand (or received as JSON) has not been.
    assertLinearRegex(path, source);
    re = new RegExp(source, flags);
    if (regexCache.size > 200) regexCache.clear();
    regexCache.set(key, re);
  }
  return re;
}

function test(c: Condition, value: Found): boolean {
  switch (c.op) {
    case 'eq':
      return equals(value, c.value);
    case 'ne':
      return !equals(value, c.value);
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      if (value === MISSING || typeof value !== typeof c.value) return false;
      const order = compareValues(value, c.value);
      if (c.op === 'gt') return order > 0;
      if (c.op === 'gte') return order >= 0;
      if (c.op === 'lt') return order < 0;
      return order <= 0;
    }
    case 'in':
      return c.values.some((v) => equals(value, v));
    case 'nin':
      return !c.values.some((v) => equals(value, v));
    case 'exists':
      return (value !== MISSING) === c.exists;
    case 'startsWith':
      return typeof value === 'string' && value.startsWith(c.prefix);
    case 'contains':
      if (Array.isArray(value)) return value.some((element) => jsonEquals(element, c.value));
      return typeof value === 'string' && typeof c.value === 'string' && value.includes(c.value);
    case 'regex':
      return typeof value === 'string' && regexOf(c.path, c.source, c.flags).test(value);
    default:
      throw new QueryError(`Unknown operator ${JSON.stringify((c as { op: unknown }).op)}.`);
  }
}

/** `equals(null)` matches null and missing; anything else needs the same type and value. */
function equals(value: Found, expected: JsonValue): boolean {
  if (expected === null) return value === null || value === MISSING;
  return jsonEquals(value, expected);
}
