import { ValidationError } from './errors.js';

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Every document has a string `_id`; the rest is the application's. */
export interface BaseDocument {
  _id: string;
}

/** The document type of a collection opened without a type argument. */
export type AnyDocument = BaseDocument & { [key: string]: unknown };

/**
 * What `insert` and `upsert` accept: the document's fields with their types, `_id` optional (a
 * UUID is generated when absent). Fields are optional here on purpose: documents are often built
 * from a `Partial<T>` (a request body, a form) spread with server-set fields, and Pocket stores
 * any JSON object; a field of the wrong type or an unknown field is still a compile error.
 */
export type NewDocument<T extends BaseDocument> = { [K in Exclude<keyof T, '_id'>]?: T[K] } & { _id?: string };

/** What `update` accepts: some top-level fields of the document. */
export type DocumentPatch<T extends BaseDocument> = { [K in keyof T]?: T[K] };

/** The deepest a document may nest. SQLite's JSON functions stop at 1000; we stop well before. */
export const MAX_DEPTH = 100;
/** Longest accepted `_id`, in UTF-16 code units. Adapters may enforce byte limits of their own. */
export const MAX_ID_LENGTH = 512;

/** Throws a `ValidationError` unless `id` is a usable document id. */
export function assertId(id: unknown, what = '_id'): asserts id is string {
  if (typeof id !== 'string' || id.length === 0) {
    throw new ValidationError(
      `${what} must be a non-empty string, got ${describe(id)}. Pass the document's string _id.`,
      { path: '_id' },
    );
  }
  if (id.length > MAX_ID_LENGTH) {
    throw new ValidationError(`${what} is ${id.length} characters long; the limit is ${MAX_ID_LENGTH}.`, {
      path: '_id',
    });
  }
  if (!id.isWellFormed()) {
    throw new ValidationError(`${what} contains a lone UTF-16 surrogate; ids must be well-formed Unicode.`, {
      path: '_id',
    });
  }
}

/**
 * Checks that `input` is a plain JSON object and returns a fresh copy of it with `undefined`
 * fields dropped (as `JSON.stringify` would). Throws a `ValidationError` naming the offending
 * field for anything JSON cannot hold faithfully: `Date`, `Map`, class instances, functions,
 * `NaN`/`Infinity`, `bigint`, cycles, lone surrogates (in values and in keys), and `__proto__` keys.
 */
export function toJsonObject(input: unknown, what = 'document'): JsonObject {
  if (!isPlainObject(input)) {
    throw new ValidationError(`A ${what} must be a plain object, got ${describe(input)}.`);
  }
  return copyObject(input, '', 0, new Set(), what);
}

/** Validates one value the same way, for query values and patch fields. */
export function toJsonValue(input: unknown, path: string, what = 'value'): JsonValue {
  return copyValue(input, path, 0, new Set(), what);
}

function copyObject(
  input: Record<string, unknown>,
  path: string,
  depth: number,
  seen: Set<object>,
  what: string,
): JsonObject {
  if (seen.has(input)) fail(what, path, 'is a circular reference; documents must be trees');
  seen.add(input);
  const out: JsonObject = {};
  for (const key of Object.keys(input)) {
    const child = path === '' ? key : `${path}.${key}`;
    if (key === '__proto__') fail(what, child, 'uses the reserved key "__proto__"');
    // SQLite and Durable Object keys hold UTF-8, where a lone surrogate becomes U+FFFD: the key
    // would be stored as another key (and two such keys as the same one).
    if (!key.isWellFormed()) fail(what, child.toWellFormed(), 'has a key with a lone UTF-16 surrogate; keys must be well-formed Unicode');
    const value = input[key];
    if (value === undefined) continue;
    out[key] = copyValue(value, child, depth + 1, seen, what);
  }
  seen.delete(input);
  return out;
}

function copyValue(value: unknown, path: string, depth: number, seen: Set<object>, what: string): JsonValue {
  if (depth > MAX_DEPTH) fail(what, path, `nests deeper than ${MAX_DEPTH} levels`);
  switch (typeof value) {
    case 'string':
      if (!value.isWellFormed()) fail(what, path, 'contains a lone UTF-16 surrogate');
      return value;
    case 'number':
      if (!Number.isFinite(value)) fail(what, path, `is ${value}, which JSON cannot store`);
      return value === 0 ? 0 : value; // -0 would come back as 0 from storage
    case 'boolean':
      return value;
    case 'object': {
      if (value === null) return null;
      if (Array.isArray(value)) {
        if (seen.has(value)) fail(what, path, 'is a circular reference; documents must be trees');
        seen.add(value);
        const out: JsonValue[] = new Array(value.length);
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          if (item === undefined) fail(what, `${path}[${i}]`, 'is undefined (or a hole); use null');
          out[i] = copyValue(item, `${path}[${i}]`, depth + 1, seen, what);
        }
        seen.delete(value);
        return out;
      }
      if (value instanceof Date) fail(what, path, 'is a Date; store date.toISOString() or a timestamp number');
      if (!isPlainObject(value)) {
        fail(what, path, `is a ${value.constructor?.name ?? 'non-plain object'}; only plain objects, arrays and primitives are stored`);
      }
      return copyObject(value, path, depth, seen, what);
    }
    default:
      return fail(what, path, `is a ${typeof value}, which JSON cannot store`);
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function fail(what: string, path: string, problem: string): never {
  const where = path === '' ? `The ${what}` : `Field "${path}" of the ${what}`;
  throw new ValidationError(`${where} ${problem}.`, { path });
}

/** A short description of a value for error messages, never its full content. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a Date';
  if (typeof value === 'string') return value.length === 0 ? 'an empty string' : 'a string';
  if (typeof value === 'object') return `a ${value.constructor?.name ?? 'object'}`;
  return `${typeof value} ${String(value)}`;
}
