import type { JsonObject, JsonValue } from '../document.js';
import type { Filter, FindQuery, RangeValue, SortSpec } from '../query/ast.js';
import { and, condition, or } from '../query/conditions.js';
import { withNeighbours } from './doubles.js';
import type { StoredDocument } from '../storage/adapter.js';

/** A small deterministic random source: the same seed gives the same sequence everywhere. */
export interface Random {
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max], both included. */
  int(min: number, max: number): number;
  /** One of `items`. */
  pick<T>(items: readonly T[]): T;
  /** `true` with the given probability. */
  chance(probability: number): boolean;
}

/** mulberry32: 32 bits of state, good enough for test data, and identical in Node, browsers and workerd. */
export function createRandom(seed: number): Random {
  if (!Number.isSafeInteger(seed)) throw new TypeError(`[pocket/testing] createRandom() takes an integer seed, got ${String(seed)}.`);
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    seed,
    next,
    int,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new RangeError('[pocket/testing] pick() from an empty list.');
      return items[int(0, items.length - 1)]!;
    },
    chance: (probability) => next() < probability,
  };
}

// Small pools, so that equality conditions hit often and sorts have ties to break.
const STRINGS = [
  '',
  ' ',
  'a',
  'A',
  'ab',
  'abc',
  'Abc',
  'b',
  'banana',
  'Banana',
  'e',
  'é',
  'e\u0301',
  'É',
  'ÿ',
  'z',
  'Z',
  '中文',
  '😀',
  '😀x',
  '𝔸',
  '\uE000',
  '\uFFFD',
  '0',
  '1',
  '10',
  '9',
  '-1',
  '1.5',
  'true',
  'null',
  'a%b',
  'a_b',
  'a.b',
  'x y',
  "it's",
  'quote"d',
];
const INTEGERS = [-100, -7, -1, 0, 1, 2, 3, 5, 7, 10, 42, 100, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
// Each with its neighbours one double away, so equality and ranges must tell them apart. All are
// inside the range every adapter reads exactly (docs/limitations.md); checkNumberNeighbours
// covers numbers outside it.
const FLOATS = [-2.5, -0.5, 0.1, 0.5, 1.5, 2.5, 3.14159, 0.1 + 0.2, 0.3, 1e21, -1e-7, 2.0000000001, 5e-50, 1e100].flatMap(withNeighbours);
const ELEMENTS: JsonValue[] = ['a', 'b', 'c', 'é', '😀', '', '1', 1, 2, 0, 1.5, true, false, null];
const WHOLE_VALUES: JsonValue[] = [
  { x: 1, y: 2 },
  { y: 2, x: 1 },
  { x: 1 },
  {},
  { x: 1.5, y: -1, s: 'é' },
  [1, 2],
  [2, 1],
  [],
  [[1]],
  ['a', 'b'],
  [1, 'a', true, null],
];
const ID_PREFIXES = ['d', 'D', 'é', '😀', '\uE000', 'a b', '10'];

/** The fields `randomDocuments` writes and `randomQuery` queries, nested paths included. */
export const RANDOM_FIELDS = [
  '_id',
  'name',
  'n',
  'score',
  'flag',
  'tags',
  'profile',
  'profile.age',
  'profile.name',
  'point',
  'point.x',
  'absent',
  'profile.absent.deep',
] as const;

const integer = (rng: Random): number => (rng.chance(0.7) ? rng.int(-20, 20) : rng.pick(INTEGERS));
const number = (rng: Random): number => (rng.chance(0.6) ? integer(rng) : rng.pick(FLOATS));
const string = (rng: Random): string => rng.pick(STRINGS);

/** Sets `key` from the first branch whose weight the draw falls in; the rest leaves it missing. */
function field(rng: Random, doc: JsonObject, key: string, branches: Array<[weight: number, make: () => JsonValue]>): void {
  let draw = rng.next();
  for (const [weight, make] of branches) {
    if (draw < weight) {
      doc[key] = make();
      return;
    }
    draw -= weight;
  }
}

/**
 * Seeded random documents for differential tests: unique `_id`s (unicode ones included),
 * strings with unicode, astral and empty values, integers, floats and negative numbers,
 * booleans, null and missing fields, nested objects (`profile.age`, `profile.name`), arrays of
 * scalars (`tags`), whole objects and arrays (`point`), and now and then another type in the
 * same field (`n: "5"`, `flag: 1`, `tags: "abc"`, `profile: [...]`).
 */
export function randomDocuments(rng: Random, count: number): StoredDocument[] {
  return Array.from({ length: count }, (_, i) => {
    const doc: StoredDocument = { _id: `${rng.pick(ID_PREFIXES)}-${i}` };
    field(rng, doc, 'name', [
      [0.8, () => string(rng)],
      [0.05, () => null],
      [0.05, () => number(rng)],
    ]);
    field(rng, doc, 'n', [
      [0.6, () => integer(rng)],
      [0.12, () => rng.pick(FLOATS)],
      [0.06, () => String(rng.int(-3, 12))],
      [0.05, () => rng.chance(0.5)],
      [0.07, () => null],
    ]);
    field(rng, doc, 'score', [
      [0.75, () => number(rng)],
      [0.1, () => null],
    ]);
    field(rng, doc, 'flag', [
      [0.7, () => rng.chance(0.5)],
      [0.08, () => rng.int(0, 1)],
      [0.07, () => null],
    ]);
    field(rng, doc, 'tags', [
      [0.65, () => Array.from({ length: rng.int(0, 4) }, () => (rng.chance(0.75) ? rng.pick(ELEMENTS.slice(0, 7)) : rng.pick(ELEMENTS)))],
      [0.08, () => string(rng)],
      [0.05, () => null],
    ]);
    field(rng, doc, 'profile', [
      [
        0.6,
        () => {
          const profile: JsonObject = {};
          field(rng, profile, 'age', [
            [0.7, () => rng.int(0, 99)],
            [0.08, () => String(rng.int(0, 99))],
            [0.07, () => null],
            [0.03, () => rng.pick(FLOATS)],
          ]);
          field(rng, profile, 'name', [[0.8, () => string(rng)]]);
          return profile;
        },
      ],
      [0.08, () => null],
      [0.05, () => [{ age: rng.int(0, 99) }]],
      [0.05, () => string(rng)],
    ]);
    field(rng, doc, 'point', [
      [0.5, () => structuredClone(rng.pick(WHOLE_VALUES))],
      [0.05, () => number(rng)],
    ]);
    return doc;
  });
}

/** A value for a condition on `path`: usually of the type that field holds, sometimes not. */
function valueFor(rng: Random, path: string): JsonValue {
  if (rng.chance(0.25)) return anyValue(rng);
  switch (path) {
    case '_id':
      return `${rng.pick(ID_PREFIXES)}-${rng.int(0, 200)}`;
    case 'name':
    case 'profile.name':
      return string(rng);
    case 'n':
    case 'score':
    case 'profile.age':
    case 'point.x':
      return number(rng);
    case 'flag':
      return rng.chance(0.5);
    case 'tags':
      return rng.chance(0.5) ? rng.pick(ELEMENTS) : rng.pick(WHOLE_VALUES);
    case 'profile':
    case 'point':
      return rng.pick(WHOLE_VALUES);
    default:
      return anyValue(rng);
  }
}

function anyValue(rng: Random): JsonValue {
  switch (rng.int(0, 4)) {
    case 0:
      return string(rng);
    case 1:
      return number(rng);
    case 2:
      return rng.chance(0.5);
    case 3:
      return null;
    default:
      return rng.pick(WHOLE_VALUES);
  }
}

function rangeFor(rng: Random, path: string): RangeValue {
  const value = valueFor(rng, path);
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return rng.chance(0.5) ? number(rng) : string(rng);
}

const PREFIXES = ['', 'a', 'A', 'ab', 'b', 'B', 'é', 'e', '😀', '\uE000', '1', '-', 'a%', 'a_', 'x ', 'D-', 'd-1'];
const SUBSTRINGS = ['a', 'b', 'an', '😀', 'é', '\u0301', '%', '_', '.', '1', ' ', ''];
const REGEXES: Array<[source: string, flags: string]> = [
  ['^a', ''],
  ['^a', 'i'],
  ['an', ''],
  ['^$', ''],
  ['\\d', ''],
  ['^-?\\d+$', ''],
  ['^.$', ''],
  ['^.$', 'u'],
  ['^.x$', 'u'],
  ['b.n', 'i'],
  ['[é😀]', 'u'],
  ['\\s', ''],
  ['[A-Z]', ''],
  ['^(a|b)+', 'i'],
  ['e\u0301|é', ''],
  ['^\\p{Lu}', 'u'],
];

export const RANDOM_OPERATORS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'nin', 'exists', 'startsWith', 'contains', 'regex'] as const;

function randomCondition(rng: Random): Filter {
  const path = rng.pick(RANDOM_FIELDS);
  const op = rng.pick(RANDOM_OPERATORS);
  switch (op) {
    case 'eq':
    case 'ne':
      return condition[op](path, valueFor(rng, path));
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return condition[op](path, rangeFor(rng, path));
    case 'between': {
      const low = rangeFor(rng, path);
      const high = rng.chance(0.8) ? rangeFor(rng, path) : low;
      return and(condition.gte(path, low), condition.lte(path, high))!;
    }
    case 'in':
    case 'nin':
      return condition[op](
        path,
        Array.from({ length: rng.int(0, 4) }, () => valueFor(rng, path)),
      );
    case 'exists':
      return condition.exists(path, rng.chance(0.5));
    case 'startsWith':
      return condition.startsWith(path, rng.pick(PREFIXES));
    case 'contains':
      return condition.contains(path, rng.chance(0.5) ? rng.pick(ELEMENTS) : rng.pick(SUBSTRINGS));
    case 'regex': {
      const [source, flags] = rng.pick(REGEXES);
      return condition.regex(path, source, flags);
    }
  }
}

function randomFilter(rng: Random, depth: number): Filter {
  if (depth > 0 && rng.chance(0.4)) {
    const parts = Array.from({ length: rng.int(2, 3) }, () => randomFilter(rng, depth - 1));
    return rng.chance(0.5) ? and(...parts)! : or(...parts);
  }
  return randomCondition(rng);
}

/**
 * A seeded random `FindQuery` built with core's own factories: any operator (regex included)
 * on any field of `randomDocuments`, nested `and`/`or` groups, 0–2 sort keys (`_id` among them), and sometimes
 * skip and limit.
 */
export function randomQuery(rng: Random): FindQuery {
  const filter = rng.chance(0.08) ? null : randomFilter(rng, 3);
  const sort: SortSpec[] = Array.from({ length: rng.int(0, 2) }, () =>
    Object.freeze({ path: rng.chance(0.1) ? '_id' : rng.pick(RANDOM_FIELDS), direction: rng.chance(0.5) ? ('asc' as const) : ('desc' as const) }),
  );
  const skip = rng.chance(0.6) ? 0 : rng.int(0, 40);
  const limit = rng.chance(0.5) ? null : rng.int(0, 30);
  return Object.freeze({ filter, sort: Object.freeze(sort), skip, limit });
}
