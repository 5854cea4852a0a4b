import type { JsonValue } from '../document.js';

/** Marks a field that is absent, as opposed to present with the value `null`. */
export const MISSING: unique symbol = Symbol('missing');
export type Found = JsonValue | typeof MISSING;

/**
 * Reads a dot path from a document. Only own keys of plain objects are followed: arrays are
 * never indexed and inherited properties never seen, so `'constructor'` or `'toString'` are
 * missing unless the document has them.
 */
export function readPath(doc: unknown, segments: readonly string[]): Found {
  let current: unknown = doc;
  for (const key of segments) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return MISSING;
    if (!Object.hasOwn(current, key)) return MISSING;
    current = (current as Record<string, unknown>)[key];
  }
  return current === undefined ? MISSING : (current as JsonValue);
}

/**
 * Type order used for sorting, the same as SQLite's `json_type` ranks in the SQL compiler:
 * missing and null, then numbers, strings, objects, arrays, booleans (MongoDB's order).
 */
export function typeRank(value: Found): number {
  if (value === MISSING || value === null) return 0;
  switch (typeof value) {
    case 'number':
      return 1;
    case 'string':
      return 2;
    case 'boolean':
      return 5;
    default:
      return Array.isArray(value) ? 4 : 3;
  }
}

/**
 * Total order over stored values: by type rank, then by value. Strings compare by Unicode code
 * point (the byte order SQLite uses for UTF-8 text); objects and arrays by their JSON text.
 */
export function compareValues(a: Found, b: Found): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 0:
      return 0;
    case 1:
      return (a as number) - (b as number);
    case 2:
      return compareStrings(a as string, b as string);
    case 5:
      return Number(a) - Number(b);
    default:
      return compareStrings(JSON.stringify(a), JSON.stringify(b));
  }
}

/** Compares by code point, not by UTF-16 unit, so astral characters sort as in UTF-8. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // Only surrogates (0xD800–0xDFFF) are out of code point order among UTF-16 units:
      // they stand for code points above every BMP unit.
      const xs = x >= 0xd800 && x <= 0xdfff;
      const ys = y >= 0xd800 && y <= 0xdfff;
      if (xs !== ys) return xs ? 1 : -1;
      return x - y;
    }
  }
  return a.length - b.length;
}

/** Equality as `equals` defines it: same type and value; objects and arrays as whole JSON values. */
export function jsonEquals(a: Found, b: JsonValue): boolean {
  if (a === MISSING) return false;
  if (typeof b !== 'object' || b === null) return a === b;
  if (typeof a !== 'object' || a === null || Array.isArray(a) !== Array.isArray(b)) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}
