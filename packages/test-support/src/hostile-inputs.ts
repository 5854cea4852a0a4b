// Hostile input, in one catalogue, for every adapter: core's hostile tests run it on the memory
// adapter in Node, storage-edge's on D1 and both Durable Object stores in workerd. Each entry
// is either refused (a PocketError of a given class, nothing written) or stored exactly as
// `stored` says. The tests count entries for docs/reliability.md.
import { PocketError, QueryError, ValidationError, type AnyDocument, type Collection, type JsonObject, type QueryBuilder } from '@pocket/core';
import { expect } from 'vitest';

/** Text that means something to SQL, JSON paths, shells, file systems or JavaScript objects. */
export const HOSTILE_TEXT: readonly string[] = [
  `'`,
  `"`,
  `''`,
  `'); DROP TABLE pocket_todos; --`,
  `"; DROP TABLE pocket_todos; --`,
  `x' OR '1'='1`,
  `1; SELECT * FROM sqlite_master`,
  `-- comment`,
  `/* comment */`,
  `*/ DROP TABLE t; /*`,
  `..`,
  `../../etc/passwd`,
  `$`,
  `$.a`,
  `$[0]`,
  `*`,
  `%`,
  `_`,
  `a:b:c`,
  `\\`,
  `\u0000`,
  `a\u0000b`,
  `\n\r\t`,
  `\u2028\u2029`,
  `é`,
  `e\u0301`,
  `😀`,
  `中文`,
  `\uFEFF`,
  `\u202Eevil`,
  `__proto__`,
  `constructor`,
  `prototype`,
  `toString`,
  `hasOwnProperty`,
  ` `,
  `x`.repeat(10_000),
];

/** Keys that may be stored and addressed by a field path (what parsePath accepts). */
export const HOSTILE_KEYS: readonly string[] = [
  `'`,
  `'); DROP TABLE pocket_todos; --`,
  `x' OR '1'='1`,
  `-- comment`,
  `/* comment */`,
  `$`,
  `$.a`,
  `$[0]`,
  `[0]`,
  `*`,
  `%`,
  `a:b`,
  `a b`,
  `é`,
  `😀`,
  `\u202Eevil`,
  `constructor`,
  `prototype`,
  `toString`,
  `hasOwnProperty`,
  `valueOf`,
  `0`,
  `-1`,
  `k`.repeat(200),
];

/** Field paths every adapter refuses with a QueryError. */
export const REFUSED_PATHS: readonly unknown[] = [
  '',
  '.',
  '..',
  '.a',
  'a.',
  'a..b',
  '__proto__',
  'a.__proto__',
  '__proto__.polluted',
  'a"b',
  `"); DROP TABLE t; --`,
  'a\\b',
  'a\u0000b',
  'a\nb',
  '\uD800',
  'a.\uDC00',
  'x'.repeat(257),
  42,
  null,
  undefined,
  {},
  ['a'],
];

/** Collection names refused by `db.collection()`, before any adapter sees them. */
export const REFUSED_COLLECTION_NAMES: readonly unknown[] = [
  '',
  ' ',
  'Todos', // SQL table names ignore case: it would share a table with 'todos'
  'DROP',
  'todos; DROP TABLE pocket_todos',
  `todos"; DROP TABLE x; --`,
  `todos'`,
  'a b',
  'todos/*x*/',
  '--',
  '/* */',
  '..',
  '../todos',
  'a.b',
  'a/b',
  'a:b',
  'é',
  '😀',
  'todos\u0000',
  'todos\n',
  '1todos',
  '-todos',
  'x'.repeat(65),
  42,
  null,
  undefined,
  {},
];

/** Collection names that are unusual but valid everywhere (with the default prefix). */
export const ACCEPTED_COLLECTION_NAMES: readonly string[] = [
  '__proto__',
  'constructor',
  'prototype',
  'tostring',
  '_',
  'a-b',
  'todos--',
  '_--_',
  'x'.repeat(64),
  'sqlite_like',
  'drop',
];

export interface RefusedInput {
  label: string;
  value: unknown;
  /** The field the ValidationError names, when the problem is in one field. */
  path?: string;
}

export interface StoredInput {
  label: string;
  value: unknown;
  /** What comes back from every read. */
  stored: JsonObject;
}

class Point {
  constructor(
    public x = 1,
    public y = 2,
  ) {}
}

function nested(levels: number, leaf: unknown = 1): Record<string, unknown> {
  let value: unknown = leaf;
  for (let i = 0; i < levels; i++) value = { n: value };
  return value as Record<string, unknown>;
}

function nestedArrays(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

const pathOf = (levels: number) => Array.from({ length: levels }, () => 'n').join('.');

/** Top-level values that are not a document, for insert, upsert and as a patch. */
export function nonObjects(): RefusedInput[] {
  const values: Array<[string, unknown]> = [
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['NaN', Number.NaN],
    ['a string', '{"_id":"x"}'],
    ['a boolean', true],
    ['a bigint', 1n],
    ['a symbol', Symbol('doc')],
    ['a function', () => ({ _id: 'x' })],
    ['an array', [{ _id: 'x' }]],
    ['an empty array', []],
    ['a Date', new Date(0)],
    ['a Map', new Map([['_id', 'x']])],
    ['a Set', new Set(['x'])],
    ['a class instance', new Point()],
    ['a RegExp', /x/],
    ['an Error', new Error('x')],
    ['a boxed String', new String('x')],
    ['an object with a prototype', Object.create({ polluted: 'yes' }) as object],
    ['a Promise', Promise.resolve({ _id: 'x' })],
    ['a Uint8Array', new Uint8Array(4)],
  ];
  return values.map(([label, value]) => ({ label: `top level: ${label}`, value }));
}

/** Documents (plain objects) with something JSON cannot hold faithfully in a field. */
export function refusedFields(): RefusedInput[] {
  const cycle: Record<string, unknown> = { a: 1 };
  cycle.self = { back: cycle };
  const arrayCycle: unknown[] = [1];
  arrayCycle.push(arrayCycle);
  const fields: Array<[string, Record<string, unknown>, string]> = [
    ['Date', { at: new Date(0) }, 'at'],
    ['invalid Date', { at: new Date(Number.NaN) }, 'at'],
    ['Map', { m: new Map([['a', 1]]) }, 'm'],
    ['Set', { s: new Set([1]) }, 's'],
    ['WeakMap', { w: new WeakMap() }, 'w'],
    ['class instance', { p: new Point() }, 'p'],
    ['RegExp', { r: /x/ }, 'r'],
    ['Error', { e: new Error('boom') }, 'e'],
    ['boxed Number', { n: new Number(1) }, 'n'],
    ['Uint8Array', { b: new Uint8Array([1, 2]) }, 'b'],
    ['ArrayBuffer', { b: new ArrayBuffer(8) }, 'b'],
    ['Promise', { p: Promise.resolve(1) }, 'p'],
    ['function', { f: () => 1 }, 'f'],
    ['method', { f() {} }, 'f'],
    ['toJSON method', { v: { toJSON: () => 'x' } }, 'v.toJSON'],
    ['symbol', { s: Symbol('s') }, 's'],
    ['bigint', { b: 10n }, 'b'],
    ['NaN', { n: Number.NaN }, 'n'],
    ['Infinity', { n: Number.POSITIVE_INFINITY }, 'n'],
    ['-Infinity', { n: Number.NEGATIVE_INFINITY }, 'n'],
    ['nested NaN', { a: { b: [0, Number.NaN] } }, 'a.b[1]'],
    ['sparse array', { list: [1, , 3] }, 'list[1]'],
    ['undefined in an array', { list: [undefined] }, 'list[0]'],
    ['object cycle', cycle, 'self.back'],
    ['array cycle', { list: arrayCycle }, 'list[1]'],
    ['lone high surrogate', { s: 'a\uD800' }, 's'],
    ['lone low surrogate', { s: '\uDC00b' }, 's'],
    ['reversed surrogate pair', { s: '\uDE00\uD83D' }, 's'],
    ['lone surrogate key', { ['\uD800']: 1 }, '\uFFFD'],
    ['lone surrogate nested key', { a: { ['k\uDC00']: 1 } }, 'a.k\uFFFD'],
    ['__proto__ key (JSON)', JSON.parse('{"__proto__":{"polluted":"yes"}}') as Record<string, unknown>, '__proto__'],
    ['nested __proto__ key', JSON.parse('{"a":{"__proto__":{"polluted":"yes"}}}') as Record<string, unknown>, 'a.__proto__'],
    ['__proto__ key in an array', JSON.parse('{"list":[{"__proto__":{"polluted":"yes"}}]}') as Record<string, unknown>, 'list[0].__proto__'],
    ['101 levels of objects', nested(101), pathOf(101)],
    ['101 levels of arrays', { a: nestedArrays(100) }, `a${'[0]'.repeat(100)}`],
  ];
  return fields.map(([label, value, path]) => ({ label, value, path }));
}

/** `_id`s every adapter refuses. */
export function refusedIds(): RefusedInput[] {
  const ids: Array<[string, unknown]> = [
    ['empty', ''],
    ['number', 7],
    ['null', null],
    ['boolean', true],
    ['object', { $ne: null }],
    ['array', ['a']],
    ['513 characters', 'x'.repeat(513)],
    ['lone surrogate', 'a\uD800'],
  ];
  return ids.map(([label, value]) => ({ label: `_id: ${label}`, value, path: '_id' }));
}

/** `_id`s that are unusual but valid: every adapter stores, finds and deletes them as given. */
export const HOSTILE_IDS: readonly string[] = [
  ...HOSTILE_TEXT.filter((t) => t.length <= 512),
  'x'.repeat(512),
  '😀'.repeat(256),
  '中'.repeat(512),
  'pocket:todos:a',
  'a:',
  ':',
];

/** Documents that look dangerous but are valid JSON objects: stored exactly as `stored`. */
export function storedDocuments(): StoredInput[] {
  const keys = Object.fromEntries(HOSTILE_KEYS.map((k, i) => [k, i]));
  const text = Object.fromEntries(HOSTILE_TEXT.map((t, i) => [`t${i}`, t]));
  const withUndefined = { a: 1, gone: undefined, inner: { gone: undefined, kept: null } };
  const nullProto = Object.assign(Object.create(null) as object, { a: 1, constructor: 'c' });
  const arrayWithProps = Object.assign([1, 2], { extra: 'ignored' });
  const accessor = Object.defineProperty({ a: 1 }, 'hidden', { value: 2, enumerable: false });
  const docs: Array<[string, unknown, JsonObject]> = [
    ['keys that mean something to SQL or JavaScript', keys, keys],
    ['values that mean something to SQL or JavaScript', text, text],
    [
      'constructor and prototype keys',
      { constructor: { prototype: { polluted: 'yes' } }, prototype: { polluted: 'yes' } },
      { constructor: { prototype: { polluted: 'yes' } }, prototype: { polluted: 'yes' } },
    ],
    ['an object without a prototype', nullProto, { a: 1, constructor: 'c' }],
    ['undefined fields are dropped', withUndefined, { a: 1, inner: { kept: null } }],
    ['-0 becomes 0', { z: -0, list: [-0] }, { z: 0, list: [0] }],
    [
      'extremes of numbers',
      { max: Number.MAX_VALUE, min: Number.MIN_VALUE, safe: Number.MAX_SAFE_INTEGER, neg: -Number.MAX_SAFE_INTEGER, big: 1e21, tiny: 1e-7 },
      { max: Number.MAX_VALUE, min: Number.MIN_VALUE, safe: Number.MAX_SAFE_INTEGER, neg: -Number.MAX_SAFE_INTEGER, big: 1e21, tiny: 1e-7 },
    ],
    ['100 levels of objects', nested(100), nested(100) as JsonObject],
    ['99 levels of arrays', { a: nestedArrays(99) }, { a: nestedArrays(99) } as JsonObject],
    ['empty objects and arrays', { o: {}, a: [], oa: [{}], ao: { a: [] } }, { o: {}, a: [], oa: [{}], ao: { a: [] } }],
    ['extra properties of an array are ignored', { list: arrayWithProps }, { list: [1, 2] }],
    ['non-enumerable properties are ignored', accessor, { a: 1 }],
    ['a string of 100,000 characters', { s: 'é'.repeat(100_000) }, { s: 'é'.repeat(100_000) }],
    ['JSON text as a string', { s: '{"_id":"other","__proto__":{"polluted":1}}' }, { s: '{"_id":"other","__proto__":{"polluted":1}}' }],
  ];
  // `stored` through JSON, so it never shares an object with `value` (the checks add an _id to it).
  return docs.map(([label, value, stored]) => ({ label, value, stored: JSON.parse(JSON.stringify(stored)) as JsonObject }));
}

/** Patches `update` refuses; the document stays as it was. */
export function refusedPatches(): RefusedInput[] {
  const keys: Array<[string, string]> = [
    ['empty key', ''],
    ['double quote in a key', 'a"b'],
    ['backslash in a key', 'a\\b'],
    ['NUL in a key', 'a\u0000b'],
    ['newline in a key', 'a\nb'],
  ];
  return [
    ...nonObjects().map(({ label, value }) => ({ label: `patch ${label}`, value })),
    ...refusedFields().map(({ label, value, path }) => ({ label: `patch with ${label}`, value, path })),
    ...keys.map(([label, key]) => ({ label: `patch with ${label}`, value: { [key]: 1 }, path: key })),
    { label: 'patch changing _id', value: { _id: 'someone-else' }, path: '_id' },
    { label: 'patch with a non-string _id', value: { _id: 5 }, path: '_id' },
  ];
}

/** Patches `update` applies: the result is the old document with these top-level fields set. */
export function storedPatches(): Array<{ label: string; patch: JsonObject }> {
  const keys = Object.fromEntries(HOSTILE_KEYS.map((k, i) => [k, `v${i}`]));
  return [
    { label: 'keys that mean something to SQL or JavaScript', patch: keys },
    { label: 'a key with a dot is one top-level key', patch: { 'a.b': 1, '..': 2 } },
    { label: 'values that mean something to SQL or JavaScript', patch: Object.fromEntries(HOSTILE_TEXT.map((t, i) => [`t${i}`, t])) },
    { label: 'constructor and prototype', patch: { constructor: { prototype: { polluted: 'yes' } }, prototype: null } },
    { label: 'the same _id', patch: { _id: 'base', v: 2 } },
    { label: 'JSON-looking strings stay strings', patch: { s: '{"a":1}', t: 'true', n: '1', z: 'null' } },
    { label: 'booleans stay booleans', patch: { t: true, f: false } },
    { label: '100 levels of objects', patch: { deep: nested(99) as JsonObject } },
  ];
}

/** Every kind of query input the builder refuses with a QueryError. */
export interface RefusedQuery {
  label: string;
  /** Builds (and, where the builder accepts it, runs) the query on `c`. */
  build: (q: QueryBuilder<AnyDocument>, c: Collection<AnyDocument>) => unknown;
}

export function refusedQueries(): RefusedQuery[] {
  const out: RefusedQuery[] = [];
  const add = (label: string, build: RefusedQuery['build']) => out.push({ label, build });
  const any = (v: unknown) => v as never;
  for (const path of REFUSED_PATHS) {
    add(`where(${String(JSON.stringify(path)).slice(0, 30)})`, (q) => q.where(path as string).equals(1));
    add(`sort(${String(JSON.stringify(path)).slice(0, 30)})`, (q) => q.sort(path as string));
  }
  const badRange = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, null, undefined, {}, [], new Date(0), 1n, Symbol('s'), () => 1];
  for (const v of badRange) {
    for (const op of ['gt', 'gte', 'lt', 'lte'] as const)
      add(`${op}(${String(v instanceof Date ? 'Date' : typeof v === 'symbol' ? 'symbol' : typeof v === 'function' ? 'fn' : v)})`, (q) =>
        q.where('n')[op](any(v)),
      );
  }
  add('between(NaN, 1)', (q) => q.where('n').between(any(Number.NaN), any(1)));
  const badValues: Array<[string, unknown]> = [
    ['undefined', undefined],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['Date', new Date(0)],
    ['Map', new Map()],
    ['Set', new Set()],
    ['class instance', new Point()],
    ['function', () => 1],
    ['symbol', Symbol('s')],
    ['bigint', 1n],
    ['lone surrogate', '\uD800'],
    ['__proto__ object', JSON.parse('{"__proto__":{"polluted":"yes"}}')],
    ['101 levels', nested(101)],
    [
      'cycle',
      (() => {
        const c: Record<string, unknown> = {};
        c.c = c;
        return c;
      })(),
    ],
  ];
  for (const [label, v] of badValues) {
    add(`equals(${label})`, (q) => q.where('v').equals(any(v)));
    add(`notEquals(${label})`, (q) => q.where('v').notEquals(any(v)));
    add(`in([${label}])`, (q) => q.where('v').in(any([v])));
    add(`notIn([${label}])`, (q) => q.where('v').notIn(any([v])));
    add(`contains(${label})`, (q) => q.where('v').contains(any(v)));
    // find({ v: undefined }) is find(): undefined fields are left out, as JSON.stringify does.
    if (v === undefined) continue;
    add(`find({ v: ${label} })`, (_q, c) => c.find({ v: any(v) }));
    add(`count({ v: ${label} })`, (_q, c) => c.count({ v: any(v) }));
  }
  for (const v of ['abc', null, 5, new Set([1]), { 0: 'a', length: 1 }]) {
    add(`in(${typeof v === 'object' && v !== null ? v.constructor.name : String(v)})`, (q) => q.where('v').in(any(v)));
    add(`notIn(${typeof v === 'object' && v !== null ? v.constructor.name : String(v)})`, (q) => q.where('v').notIn(any(v)));
  }
  for (const v of [1, null, undefined, /a/, ['a'], '\uDC00x']) add(`startsWith(${String(v)})`, (q) => q.where('s').startsWith(any(v)));
  for (const v of ['yes', 1, null]) add(`exists(${String(v)})`, (q) => q.where('s').exists(any(v)));
  for (const v of [1, null, undefined, {}, ['a']]) add(`matches(${String(v)})`, (q) => q.where('s').matches(any(v)));
  add('matches(invalid pattern)', (q) => q.where('s').matches('('));
  add('matches(invalid flags)', (q) => q.where('s').matches('a', 'x'));
  add('matches(global flag string)', (q) => q.where('s').matches('a', 'g'));
  add('matches(513-character pattern)', (q) => q.where('s').matches('a'.repeat(513)));
  for (const pattern of ['(a+)+$', '(a*)*b', '(\\w+\\s?)*$', '(x+x+)+y', '(a?){25}a{25}', '((ab)*)+$', '(.*a){12}', '(?:[a-z]+\\d*)+$']) {
    add(`matches(/${pattern}/): nested quantifiers`, (q) => q.where('s').matches(pattern));
  }
  add('matches(RegExp with nested quantifiers)', (q) => q.where('s').matches(/^(\d+)*$/));
  for (const n of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '10', null, -0.5]) {
    add(`limit(${String(n)})`, (q) => q.limit(any(n)));
    add(`skip(${String(n)})`, (q) => q.skip(any(n)));
  }
  add(`sort direction 'up'`, (q) => q.sort('n', any('up')));
  add('sort direction DESC', (q) => q.sort('n', any('DESC')));
  add('or() without groups', (q) => q.or());
  add('or() with an empty group', (q) => q.or((g) => g));
  add('or() with a non-function', (q) => q.or(any('x')));
  add('and() with a group returning something else', (q) => q.and(() => any({})));
  for (const path of ['a..b', '__proto__', 'a"b', '\uD800']) add(`find({ ${JSON.stringify(path)}: 1 })`, (_q, c) => c.find({ [path]: 1 }));
  add('find(JSON with a __proto__ key)', (_q, c) => c.find(JSON.parse('{"__proto__":{"polluted":"yes"}}')));
  for (const v of ['x', 5, [1], null]) add(`find(${JSON.stringify(v)})`, (_q, c) => c.find(any(v)));
  return out;
}

/** What `Object.prototype` and friends look like now, to compare after hostile operations. */
export function prototypeSnapshot(): Record<string, string[]> {
  const names = (o: object) => Reflect.ownKeys(o).map(String).sort();
  return {
    object: names(Object.prototype),
    array: names(Array.prototype),
    function: names(Function.prototype),
    string: names(String.prototype),
  };
}

/** Fails if hostile input changed a built-in prototype. */
export function expectNoPollution(before: Record<string, string[]>): void {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(([] as unknown as Record<string, unknown>).polluted).toBeUndefined();
  expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  expect(prototypeSnapshot()).toEqual(before);
}

/** Expects `run` to fail with a PocketError of class `type` that names `path` (when given) and says nothing internal. */
export async function expectRefused(run: () => unknown, type: typeof ValidationError | typeof QueryError, label: string, path?: string): Promise<PocketError> {
  let error: unknown;
  let succeeded = false;
  try {
    await run();
    succeeded = true;
  } catch (caught) {
    error = caught;
  }
  expect(succeeded, `${label}: expected a ${type.name}, but it succeeded`).toBe(false);
  expect(error, `${label}: ${String(error)}`).toBeInstanceOf(type);
  const e = error as PocketError;
  expect(e.status, label).toBe(400);
  expect(e.message.length, label).toBeGreaterThan(10);
  expect(e.message, label).not.toMatch(/SQLITE|D1_ERROR|\bat .*:\d+:\d+/);
  if (path !== undefined) expect((e as ValidationError).path, label).toBe(path);
  return e;
}

/** Every document of a collection, in `_id` order: compare before and after a refused write. */
export function snapshot(collection: Collection<AnyDocument>): Promise<AnyDocument[]> {
  return collection.find().exec();
}

/** How many inputs each category holds, for the report. */
export function catalogueSize(): Record<string, number> {
  return {
    'non-object documents and patches': nonObjects().length,
    'documents with a refused field': refusedFields().length,
    'refused _ids': refusedIds().length,
    'hostile but valid _ids': HOSTILE_IDS.length,
    'documents stored exactly': storedDocuments().length,
    'refused patches': refusedPatches().length,
    'applied patches': storedPatches().length,
    'refused field paths': REFUSED_PATHS.length,
    'hostile but valid keys and paths': HOSTILE_KEYS.length,
    'refused collection names': REFUSED_COLLECTION_NAMES.length,
    'refused queries': refusedQueries().length,
  };
}
