import { QueryError } from '../errors.js';

/** Longest accepted field path, in characters. */
export const MAX_PATH_LENGTH = 256;

// A key SQLite's JSON path syntax cannot address even when quoted (it has no escapes), or one
// that has a special meaning for JavaScript objects.
const FORBIDDEN_KEY_CHARS = /["\\\u0000-\u001f]/;

/**
 * Splits and checks a dot-separated field path. Every adapter addresses fields with these
 * segments, so the rules are the same everywhere: non-empty keys, no `"` or `\` or control
 * characters, no lone surrogates, no `__proto__`.
 */
export function parsePath(path: unknown): readonly string[] {
  if (typeof path !== 'string' || path.length === 0) {
    throw new QueryError(
      `A field path must be a non-empty string such as 'userId' or 'profile.age', got ${typeof path === 'string' ? 'an empty string' : typeof path}.`,
    );
  }
  if (path.length > MAX_PATH_LENGTH) {
    throw new QueryError(`Field path is ${path.length} characters long; the limit is ${MAX_PATH_LENGTH}.`);
  }
  const segments = path.split('.');
  for (const segment of segments) {
    if (segment === '') {
      throw new QueryError(`Field path "${path}" has an empty segment; write keys separated by single dots ('profile.age').`);
    }
    if (segment === '__proto__') {
      throw new QueryError(`Field path "${path}" uses "__proto__", which is never a document field.`);
    }
    if (!segment.isWellFormed()) {
      // No stored key can hold one (documents refuse them), and SQL would read it as U+FFFD.
      throw new QueryError(`Field path ${JSON.stringify(path.toWellFormed())} contains a lone UTF-16 surrogate; paths must be well-formed Unicode.`);
    }
    if (FORBIDDEN_KEY_CHARS.test(segment)) {
      throw new QueryError(`Field path ${JSON.stringify(path)} contains a double quote, backslash or control character; such keys cannot be queried.`);
    }
  }
  return segments;
}

/**
 * The dot paths of a document type, four levels deep: `'title' | 'profile' | 'profile.age'`.
 * For an untyped document it is `string`.
 */
export type FieldPath<T, D extends number = 4> = [D] extends [never]
  ? never
  : string extends keyof T
    ? string
    : {
        [K in keyof T & string]:
          | K
          // Objects that are not arrays have sub-paths; the tuple counts down the depth left.
          | (NonNullable<T[K]> extends infer V
              ? V extends readonly unknown[]
                ? never
                : V extends object
                  ? `${K}.${FieldPath<V, [never, 0, 1, 2, 3, 4][D]>}`
                  : never
              : never);
      }[keyof T & string];

/**
 * The type of the value at a dot path, or `unknown` when the type does not say. On a type with
 * an index signature (an untyped collection's `AnyDocument`), undeclared keys take the index
 * signature's type: `T[P]` would find `Object.prototype` members for `'toString'` or `'constructor'`.
 * (The mapped type in the first test is the keys `T` declares, without its index signatures.)
 */
export type PathValue<T, P extends string> = P extends keyof { [K in keyof T as string extends K ? never : number extends K ? never : K]: 0 }
  ? T[P]
  : string extends keyof T
    ? T[string & keyof T]
    : P extends `${infer Head}.${infer Rest}`
      ? Head extends keyof T
        ? PathValue<NonNullable<T[Head]>, Rest>
        : unknown
      : unknown;
