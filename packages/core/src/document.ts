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
 * A document as storage returns it: its fields and `_rev`, the revision Pocket keeps (1 when
 * inserted, +1 at every write).
 */
export type WithRev<T> = T & { _rev: number };

/**
 * What `insert` and `upsert` accept: the document's fields with their types, `_id` optional (a
 * UUID is generated when absent). Fields are optional here on purpose: documents are often built
 * from a `Partial<T>` (a request body, a form) spread with server-set fields, and Pocket stores
 * any JSON object; a field of the wrong type or an unknown field is still a compile error.
 */
export type NewDocument<T extends BaseDocument> = { [K in Exclude<keyof T, '_id' | '_rev'>]?: T[K] } & { _id?: string; _rev?: number };

/** A field operator's mark: see operators.ts. Registered, so every copy of the package agrees. */
export const FIELD_OPERATOR: unique symbol = Symbol.for('pocket.fieldOperator') as never;

/** The deepest a document may nest. SQLite's JSON functions stop at 1000; we stop well before. */
export const MAX_DOCUMENT_DEPTH = 100;
/** Longest accepted `_id`, in UTF-16 code units. Adapters may enforce byte limits of their own. */
export const MAX_ID_LENGTH = 512;

/** Throws a `ValidationError` unless `id` is a usable document id. */
export function assertId(id: unknown, what = '_id'): asserts id is string {
  if (typeof id !== 'string' || id.length === 0) {
    throw new ValidationError(`${what} must be a non-empty string, got ${describe(id)}. Pass the document's string _id.`, { path: '_id' });
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
  return copyObject(input, { what, keys: [], parents: [] });
}

/** Validates one value the same way, for query values and patch fields. */
export function toJsonValue(input: unknown, path: string, what = 'value'): JsonValue {
  return copyValue(input, { what, keys: path === '' ? [] : [path], parents: [] });
}

/**
 * Where a copy is: the keys and indexes from the root, and the objects and arrays around the
 * current value. Kept as stacks and turned into a path string only for an error, because every
 * document of every write goes through here: building `tags[0]` for each value of a valid
 * document was most of the cost of checking it.
 */
interface Walk {
  what: string;
  keys: Array<string | number>;
  /** Also what finds a cycle: a value that is one of its own ancestors. */
  parents: object[];
}

function copyObject(input: Record<string, unknown>, walk: Walk): JsonObject {
  enter(input, walk);
  const out: JsonObject = {};
  for (const key of Object.keys(input)) {
    walk.keys.push(key);
    if (key === '__proto__') fail(walk, 'uses the reserved key "__proto__"');
    // SQLite and Durable Object keys hold UTF-8, where a lone surrogate becomes U+FFFD: the key
    // would be stored as another key (and two such keys as the same one).
    if (!key.isWellFormed()) fail(walk, 'has a key with a lone UTF-16 surrogate; keys must be well-formed Unicode');
    const value = input[key];
    if (value !== undefined) out[key] = copyValue(value, walk);
    walk.keys.pop();
  }
  walk.parents.pop();
  return out;
}

function copyValue(value: unknown, walk: Walk): JsonValue {
  if (walk.parents.length > MAX_DOCUMENT_DEPTH) fail(walk, `nests deeper than ${MAX_DOCUMENT_DEPTH} levels`);
  switch (typeof value) {
    case 'string':
      if (!value.isWellFormed()) fail(walk, 'contains a lone UTF-16 surrogate');
      return value;
    case 'number':
      if (!Number.isFinite(value)) fail(walk, `is ${value}, which JSON cannot store`);
      return value === 0 ? 0 : value; // -0 would come back as 0 from storage
    case 'boolean':
      return value;
    case 'object': {
      if (value === null) return null;
      if (Array.isArray(value)) {
        enter(value, walk);
        const out: JsonValue[] = new Array(value.length);
        for (let i = 0; i < value.length; i++) {
          walk.keys.push(i);
          const item: unknown = value[i];
          if (item === undefined) fail(walk, 'is undefined (or a hole); use null');
          out[i] = copyValue(item, walk);
          walk.keys.pop();
        }
        walk.parents.pop();
        return out;
      }
      if (value instanceof Date) fail(walk, 'is a Date; store date.toISOString() or a timestamp number');
      if (!isPlainObject(value)) {
        fail(walk, `is a ${value.constructor?.name ?? 'non-plain object'}; only plain objects, arrays and primitives are stored`);
      }
      if (FIELD_OPERATOR in value) fail(walk, 'is a field operator; operators apply to top-level fields of update() and upsert() patches');
      return copyObject(value, walk);
    }
    default:
      return fail(walk, `is a ${typeof value}, which JSON cannot store`);
  }
}

function enter(value: object, walk: Walk): void {
  // An ancestor list, not a Set: documents are shallow, and a short scan beats hashing.
  if (walk.parents.includes(value)) fail(walk, 'is a circular reference; documents must be trees');
  walk.parents.push(value);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function fail(walk: Walk, problem: string): never {
  let path = '';
  for (const key of walk.keys) path = typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;
  // A key with a lone surrogate is shown with U+FFFD in its place, so the message stays valid text.
  path = path.toWellFormed();
  const where = path === '' ? `The ${walk.what}` : `Field "${path}" of the ${walk.what}`;
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
