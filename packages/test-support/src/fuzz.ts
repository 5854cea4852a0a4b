// Differential fuzzing at scale: seeded random documents and queries run through an adapter and
// compared with core's evaluator, round after round, with random writes in between. Queries
// sometimes project (`select`), and every limited one is also walked page by page with
// `page()`/`after()`. Writes use field operators (`increment`, `arrayUnion`, `arrayRemove`,
// `deleteField`), conditional revisions (`expectedRev`, right and stale) and upserts with
// operators, and are checked against a reference model that applies the same operations with
// core's own `applyWrite` (the memory semantics): same result or same error, and nothing
// written when it fails. A failure is shrunk — documents dropped, the query or the write
// simplified, fields removed — while it still fails, and reported with its seed and the minimal
// case. Used by packages/core/test/fuzz.test.ts (memory, in Node) and
// packages/storage-edge/test/fuzz-*.test.ts (D1, DO KV, DO SQL, in workerd);
// `node scripts/fuzz.mjs --cases N --seed S` runs them all with a larger count.
import {
  and,
  arrayRemove,
  arrayUnion,
  condition,
  Database,
  deleteField,
  increment,
  or,
  type AnyDocument,
  type Collection,
  type Condition,
  type Filter,
  type FindQuery,
  type JsonObject,
  type JsonValue,
  type SortSpec,
  type StorageAdapter,
  type StoredDocument,
  type WriteOperation,
  type WriteResult,
} from '@pocket/core';
import { applyWrite, evaluate, matches, type DocumentState } from '@pocket/core/adapter';
import {
  queryBuilderFor,
  createRandom,
  evaluatorDifference,
  rowDifference,
  randomDocuments,
  randomQuery,
  RANDOM_FIELDS,
  withRevision,
  type Random,
} from '@pocket/core/testing';
// How a call becomes the operations a store receives: core's own translation, so that the
// reference applies exactly what the adapter is given.
import { deleteOperation, insertOperation, updateOperation, upsertOperation } from '@pocket/core/adapter';
import { SQLITE_EXACT_NUMBERS } from './sqlite-numbers.js';

export const FUZZ_DEFAULT_SEED = 424_242;

export interface FuzzOptions {
  /** Names the adapter in messages and in the repro command (`memory`, `d1`, `do-kv`, `do-sql`). */
  adapter: string;
  seed: number;
  /** How many random queries to check, in all. */
  cases: number;
  /** A fresh adapter over the same backend; called once per round and per shrinking attempt. */
  createStorage: () => StorageAdapter | Promise<StorageAdapter>;
  /** Documents stored at the start of each round (default 60). */
  documentsPerRound?: number;
  /** Queries checked per round (default 50); random writes run every 10 of them. */
  queriesPerRound?: number;
  /** Most re-runs spent shrinking a failure (default 400). */
  shrinkBudget?: number;
}

export interface FuzzFailure {
  adapter: string;
  seed: number;
  round: number;
  /** Which of the `cases` queries failed (0-based), or -1 for a write. */
  caseIndex: number;
  /** What differed, for the smallest case found. */
  problem: string;
  query: FindQuery | null;
  /**
   * For a write, the call that failed, as code (`collection.update("d-1", { n: increment(1) },
   * { expectedRev: 2 })`): the minimal one when `reproduced`; null for a query.
   */
  write: string | null;
  /**
   * The documents of the failure. For a query, what to insert into an empty collection (without
   * `_rev`: the store assigns it), the minimal set when `reproduced`. For a write, the documents
   * it touches as stored just before it (with `_rev`), the minimal set when `reproduced`, else
   * the round's documents.
   */
  documents: StoredDocument[];
  /** For a write: ids deleted before it, each with the revision its tombstone holds. */
  tombstones: Array<{ _id: string; _rev: number }>;
  /** How many documents the failing round held before shrinking. */
  originalDocuments: number;
  /** Re-runs spent shrinking, and whether the failure reproduced on freshly inserted documents. */
  shrinkSteps: number;
  reproduced: boolean;
}

export interface FuzzReport {
  adapter: string;
  seed: number;
  cases: number;
  rounds: number;
  documents: number;
  writes: number;
  /** Of the writes: how many used field operators, how many had an `expectedRev`, and how many failed as the reference said they must. */
  operatorWrites: number;
  conditionalWrites: number;
  failedWrites: number;
  /** Of the queries: how many projected (`select`), and how many pages were walked. */
  projections: number;
  pages: number;
  failure: FuzzFailure | null;
}

// ————————————————————————————————————————————————————————— generators

const EXTRA_STRINGS = [
  'a\u0000b',
  'a\u0000',
  '\u0000',
  '\u0001',
  "'",
  "''",
  '"',
  '\\',
  '%',
  '_',
  'a%',
  "' OR 1=1 --",
  '\t',
  '\n',
  'ab',
  'a',
  'A',
  '',
  '𝔸𝔹',
  'ÿ',
  'Ā',
  'é',
  'e\u0301',
  '\uFFFF',
  '\u{10FFFF}',
  '[1]',
  '{"a":1}',
  'null',
  'true',
  '0',
  '-0',
  '1e3',
];
const EXTRA_NUMBERS = [
  2 ** 53,
  -(2 ** 53),
  2 ** 63,
  -(2 ** 63),
  1e19,
  2 ** 64,
  5e-324,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  1e-300,
  123456789.125,
  0.1,
  -0.5,
  1,
  0,
  -1,
  3,
  1e15,
  1e16 + 1,
];
const EXTRA_KEYS = ['a', 'b', 'é', 'a b', '$', '0', "it's"];
/** The paths the extra fields add, for queries and sorts (`ctr` and `list` only the writes' operators make). */
export const EXTRA_FIELDS = [
  'txt',
  'big',
  'deep',
  'deep.a',
  'deep.a.b',
  'deep.é',
  'deep.a b',
  "deep.it's",
  'deep.0',
  'arr',
  'a b',
  'é',
  '$x',
  'mixed',
  'ctr',
  'list',
] as const;
const ALL_FIELDS: readonly string[] = [...RANDOM_FIELDS, ...EXTRA_FIELDS];

function scalar(rng: Random): JsonValue {
  switch (rng.int(0, 5)) {
    case 0:
      return rng.pick(EXTRA_STRINGS);
    case 1:
      return rng.pick(EXTRA_NUMBERS);
    case 2:
      return rng.int(-5, 5);
    case 3:
      return rng.chance(0.5);
    case 4:
      return null;
    default:
      return rng.pick(['x', 'y', 'é', '😀', '']);
  }
}

function value(rng: Random, depth: number): JsonValue {
  if (depth <= 0 || rng.chance(0.55)) return scalar(rng);
  if (rng.chance(0.5)) return Array.from({ length: rng.int(0, 4) }, () => value(rng, depth - 1));
  const out: JsonObject = {};
  for (let i = rng.int(0, 3); i > 0; i--) out[rng.pick(EXTRA_KEYS)] = value(rng, depth - 1);
  return out;
}

/** `randomDocuments` from `@pocket/core/testing`, plus fields it does not make. */
export function fuzzDocuments(rng: Random, count: number): StoredDocument[] {
  return randomDocuments(rng, count).map((doc) => {
    if (rng.chance(0.5)) doc.txt = rng.pick(EXTRA_STRINGS);
    if (rng.chance(0.4)) doc.big = rng.pick(EXTRA_NUMBERS);
    if (rng.chance(0.4)) doc.deep = value(rng, 4);
    if (rng.chance(0.3)) doc.arr = Array.from({ length: rng.int(0, 5) }, () => value(rng, 2));
    if (rng.chance(0.2)) doc['a b'] = scalar(rng);
    if (rng.chance(0.2)) doc['é'] = scalar(rng);
    if (rng.chance(0.15)) doc.$x = scalar(rng);
    if (rng.chance(0.3)) doc.mixed = value(rng, 2);
    return doc;
  });
}

function rangeValue(rng: Random): string | number | boolean {
  const v = scalar(rng);
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : rng.int(-3, 3);
}

const REGEXES: Array<[string, string]> = [
  ['\\u0000', 'u'],
  ['^a', ''],
  ['^$', ''],
  ['\\d', ''],
  ["'", ''],
  ['^.$', 'u'],
  ['[é𝔸]', 'u'],
  ['E', 'i'],
  ['^(a|b)+$', ''],
  ['\\s', ''],
];

function extraCondition(rng: Random): Filter {
  const path = rng.pick(ALL_FIELDS);
  switch (rng.int(0, 12)) {
    case 0:
      return condition.eq(path, rng.chance(0.8) ? scalar(rng) : value(rng, 2));
    case 1:
      return condition.ne(path, rng.chance(0.8) ? scalar(rng) : value(rng, 2));
    case 2:
      return condition.gt(path, rangeValue(rng));
    case 3:
      return condition.gte(path, rangeValue(rng));
    case 4:
      return condition.lt(path, rangeValue(rng));
    case 5:
      return condition.lte(path, rangeValue(rng));
    case 6:
      return condition.in(
        path,
        Array.from({ length: rng.int(0, 5) }, () => (rng.chance(0.85) ? scalar(rng) : value(rng, 2))),
      );
    case 7:
      return condition.nin(
        path,
        Array.from({ length: rng.int(0, 5) }, () => (rng.chance(0.85) ? scalar(rng) : value(rng, 2))),
      );
    case 8:
      return condition.exists(path, rng.chance(0.5));
    case 9:
      return condition.startsWith(path, rng.pick(EXTRA_STRINGS));
    case 10:
      return condition.contains(path, rng.chance(0.5) ? scalar(rng) : rng.pick(EXTRA_STRINGS));
    case 11: {
      const [source, flags] = rng.pick(REGEXES);
      return condition.regex(path, source, flags);
    }
    default:
      return and(condition.gte(path, rangeValue(rng)), condition.lte(path, rangeValue(rng)))!;
  }
}

function extraFilter(rng: Random, depth: number): Filter {
  if (depth > 0 && rng.chance(0.4)) {
    const parts = Array.from({ length: rng.int(2, 3) }, () => extraFilter(rng, depth - 1));
    return rng.chance(0.5) ? and(...parts)! : or(...parts);
  }
  return extraCondition(rng);
}

/**
 * Top-level fields a `select()` may name: those of the documents (and of the writes' operators),
 * `_id` and `_rev` (returned anyway), and `nowhere`, which no document has.
 */
export const SELECT_FIELDS = [
  '_id',
  '_rev',
  'name',
  'n',
  'score',
  'flag',
  'tags',
  'profile',
  'point',
  'absent',
  'txt',
  'big',
  'deep',
  'arr',
  'a b',
  'é',
  '$x',
  'mixed',
  'ctr',
  'list',
  "it's",
  'nowhere',
] as const;

/**
 * Half the time `randomQuery` from `@pocket/core/testing` as it is; otherwise a query over the
 * extra fields too, sometimes combined with one of `randomQuery`'s filters. A third of them
 * project: `select` of 0–4 random top-level fields (repeats, `_id`, `_rev` and missing fields
 * included, as a caller may write them).
 */
export function fuzzQuery(rng: Random): FindQuery {
  const base = randomQuery(rng);
  let query = base;
  if (rng.chance(0.5)) {
    let filter: Filter | null = rng.chance(0.05) ? null : extraFilter(rng, 3);
    if (filter !== null && base.filter !== null && rng.chance(0.3)) filter = rng.chance(0.5) ? and(filter, base.filter) : or(filter, base.filter);
    const sort: SortSpec[] = Array.from({ length: rng.int(0, 3) }, () =>
      Object.freeze({ path: rng.pick(ALL_FIELDS), direction: rng.chance(0.5) ? ('asc' as const) : ('desc' as const) }),
    );
    query = Object.freeze({ filter, sort: Object.freeze(sort), skip: rng.chance(0.6) ? 0 : rng.int(0, 30), limit: rng.chance(0.5) ? null : rng.int(0, 25) });
  }
  if (!rng.chance(1 / 3)) return query;
  const select = Array.from({ length: rng.int(0, 4) }, () => rng.pick(SELECT_FIELDS));
  return Object.freeze({ ...query, select: Object.freeze(select) });
}

// ————————————————————————————————————————————————————————— checking

/** What the checks did, for the report. */
interface Tally {
  pages: number;
}

/**
 * What `exec`, `count` and `first` of `query` get wrong on `collection`, or null when all three
 * agree with the evaluator; a limited query is also walked page by page (see `pagesDifference`).
 * A query's `select` goes to the builder and to the evaluator alike.
 */
export async function difference(
  collection: Collection<AnyDocument>,
  query: FindQuery,
  docs: readonly StoredDocument[],
  tally?: Tally,
): Promise<string | null> {
  const builder = queryBuilderFor(collection, query);
  try {
    const rows = evaluatorDifference(await builder.exec(), query, docs);
    if (rows !== null) return `exec() differs from the evaluator at ${rows}`;
    const count = await builder.count();
    const expectedCount = docs.filter((d) => matches(query.filter, d)).length;
    if (count !== expectedCount) return `count() is ${count}, the evaluator counts ${expectedCount}`;
    const firstRow = await builder.first();
    const first = evaluatorDifference(firstRow === null ? [] : [firstRow], { ...query, limit: Math.min(query.limit ?? 1, 1) }, docs);
    if (first !== null) return `first() differs from the evaluator: ${first}`;
    return query.limit !== null && query.limit > 0 ? await pagesDifference(collection, query, docs, tally) : null;
  } catch (error) {
    return `threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
  }
}

/**
 * Walks the query `limit` at a time (without its skip; `_id` order when it has no sort) with
 * `page()` and `after(next)`, or says how the pages differ from the evaluator's whole result cut
 * into `limit`-sized pieces: page n must hold exactly rows n·limit… of it (so every page but the
 * last is full, and the last holds the rest), projected as the query selects, and `next` must
 * be null exactly on the last page.
 */
async function pagesDifference(collection: Collection<AnyDocument>, query: FindQuery, docs: readonly StoredDocument[], tally?: Tally): Promise<string | null> {
  const size = query.limit!;
  const sort = query.sort.length > 0 ? query.sort : [{ path: '_id', direction: 'asc' as const }];
  const expected = evaluate({ ...query, sort, skip: 0, limit: null }, docs);
  const pageCount = Math.max(1, Math.ceil(expected.length / size));
  const base = queryBuilderFor(collection, { ...query, skip: 0 });
  let page = await base.page();
  for (let n = 0; ; n++) {
    if (tally) tally.pages += 1;
    const at = `page ${n + 1} of ${pageCount} (limit ${size}, ${expected.length} matches)`;
    const wrong = rowDifference(page.docs, expected.slice(n * size, (n + 1) * size));
    if (wrong !== null) return `${at} differs from the evaluator's rows ${n * size}–${Math.min((n + 1) * size, expected.length) - 1}: ${wrong}`;
    if (n + 1 === pageCount) return page.next === null ? null : `${at} is the last, but its next is ${JSON.stringify(page.next)}`;
    if (page.next === null) return `${at} has next: null, but ${expected.length - (n + 1) * size} more matches follow`;
    page = await base.after(page.next).page();
  }
}

let collections = 0;
/** A collection of its own on a fresh adapter, and whether that adapter's batches are all-or-nothing. */
async function freshCollection(options: FuzzOptions, label: string): Promise<{ collection: Collection<AnyDocument>; atomic: boolean }> {
  collections += 1;
  const storage = await options.createStorage();
  const db = await Database.create({ name: `fuzz_${options.adapter}`, storage });
  const collection = db.collection(`fuzz_${label}_${collections}_${Math.floor(Math.random() * 1e9).toString(36)}`);
  return { collection, atomic: storage.capabilities.atomicWrites };
}

// ————————————————————————————————————————————————————————— writes between queries

/** A field operator of a generated write, as data (made into core's operator when the write runs). */
type OperatorSpec = { kind: 'increment'; by: number } | { kind: 'arrayUnion' | 'arrayRemove'; values: JsonValue[] } | { kind: 'deleteField' };

/** One top-level field of a patch or of an upserted document: a value, or a field operator. */
type Entry = { field: string; value: JsonValue } | { field: string; operator: OperatorSpec };

interface UpdateItem {
  id: string;
  entries: Entry[];
  expectedRev?: number;
}

/** A generated write: the collection call, as data, so it can be run, shrunk and printed. */
export type WriteSpec =
  | ({ type: 'update' } & UpdateItem)
  | { type: 'bulkUpdate'; items: UpdateItem[] }
  | ({ type: 'upsert' } & UpdateItem)
  | { type: 'delete'; id: string; expectedRev?: number }
  | { type: 'bulkDelete'; ids: string[] }
  | { type: 'bulkInsert'; docs: StoredDocument[] };

/** What the reference holds per id: the live document at its revision, or a delete's tombstone. */
type States = Map<string, DocumentState>;

/** Fields operators are aimed at: numbers, arrays, strings, booleans, objects, null and missing ones alike. */
const OPERATOR_FIELDS = [
  'n',
  'score',
  'tags',
  'name',
  'flag',
  'profile',
  'point',
  'absent',
  'txt',
  'big',
  'arr',
  'mixed',
  'deep',
  'a b',
  'é',
  '$x',
  "it's",
  'ctr',
  'list',
];
const NUMBER_FIELDS = ['n', 'score', 'ctr', 'absent', "it's"];
const ARRAY_FIELDS = ['tags', 'arr', 'list', 'mixed', 'absent', 'point'];

/**
 * Increments include fractions (0.1, -0.7, 1e-7) and meet fields of any number inside the range
 * SQLite reads exactly (SQLITE_EXACT_NUMBERS, docs/limitations.md), or no number at all
 * (missing, null, or a wrong type for a ValidationError): there every store computes the very
 * double JavaScript does. Outside that range SQL storage adds to its reading of the stored
 * number, which can be a step off; that documented limitation is held by the differential kit's
 * check of numbers one step apart, so the fuzzer leaves such fields alone.
 */
const INCREMENTS = [1, -1, 2, -3, 5, 10, -10, 100, 0, 0.5, -0.5, 1.5, -2.5, 7.5, 0.1, -0.7, 1e-7, 3.3];
const exactForIncrement = (value: JsonValue | undefined): boolean =>
  typeof value !== 'number' || value === 0 || (Math.abs(value) >= SQLITE_EXACT_NUMBERS.min && Math.abs(value) <= SQLITE_EXACT_NUMBERS.max);

/**
 * Values for `arrayUnion`/`arrayRemove`: mixed types that `equals()` keeps apart — numbers and
 * numeric strings, booleans and 0/1, null, objects with the same keys in another order, arrays
 * in another order, nested values — and a few rarer ones (floats, huge and tiny numbers, NUL,
 * quotes, combining marks).
 */
const OPERANDS: JsonValue[] = [
  'a',
  'b',
  '',
  'é',
  '😀',
  '1',
  '1.5',
  '0',
  '-1',
  'true',
  'null',
  1,
  2,
  0,
  -1,
  1.5,
  -2.5,
  true,
  false,
  null,
  { x: 1, y: 2 },
  { y: 2, x: 1 },
  { x: 1 },
  { x: '1' },
  {},
  { a: [1, { b: null }] },
  [1, 2],
  [2, 1],
  [],
  [[1]],
  ['a'],
  [null],
  [1, '1'],
];
const RARE_OPERANDS: JsonValue[] = [
  0.1,
  0.1 + 0.2,
  123456789.125,
  1e21,
  2 ** 53,
  -(2 ** 63),
  5e-324,
  -1e-7,
  'a\u0000b',
  "'",
  '"',
  '\\',
  'e\u0301',
  '%',
  '_',
  { 'a b': { é: [] } },
];

function operand(rng: Random, current: JsonValue | undefined): JsonValue {
  if (Array.isArray(current) && current.length > 0) {
    // Often one the array already holds, so that unions skip it and removals hit; or its near
    // twin, which `equals()` tells apart from it, so that neither may.
    const draw = rng.next();
    if (draw < 0.3) return structuredClone(rng.pick(current));
    if (draw < 0.5) return twin(rng.pick(current));
  }
  return structuredClone(rng.chance(0.1) ? rng.pick(RARE_OPERANDS) : rng.pick(OPERANDS));
}

/**
 * A value close to `value` that `equals()` does not take for it: a number as a string and back,
 * a boolean as 0/1 and back, null as "null", an object with its keys in another order (or one
 * key fewer), an array reversed (or one element fewer), a string in another case.
 */
function twin(value: JsonValue): JsonValue {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const n = Number(value);
    if (value.trim() !== '' && Number.isFinite(n)) return n;
    if (value === 'true' || value === 'false') return value === 'true';
    return value.toUpperCase() === value ? value.toLowerCase() : value.toUpperCase();
  }
  if (Array.isArray(value)) return value.length > 1 ? structuredClone(value).reverse() : value.length === 1 ? [] : [null];
  const entries = Object.entries(structuredClone(value));
  return Object.fromEntries(entries.length > 1 ? entries.reverse() : entries.length === 1 ? [] : [['x', 1]]);
}

/**
 * A random operator on a field of `base` (the document whose values it will read). A `careful`
 * one looks for a field that holds its type (or nothing), so that it succeeds; otherwise a
 * wrong type, and the ValidationError, are as likely as the field makes them.
 */
function randomOperator(rng: Random, base: JsonObject, careful: boolean): { field: string; operator: OperatorSpec } {
  const kind = rng.pick(['increment', 'increment', 'arrayUnion', 'arrayUnion', 'arrayRemove', 'arrayRemove', 'deleteField'] as const);
  // Mostly a field that tends to hold the operator's type (or nothing), else any field, and now
  // and then one no operator may take (a ValidationError before storage sees it).
  const likely = kind === 'increment' ? NUMBER_FIELDS : kind === 'deleteField' ? OPERATOR_FIELDS : ARRAY_FIELDS;
  const pickField = () => (rng.chance(0.02) ? rng.pick(['_id', '_rev']) : rng.pick(rng.chance(0.6) ? likely : OPERATOR_FIELDS));
  let field = pickField();
  const suits = (value: JsonValue | undefined) =>
    value == null || (kind === 'increment' ? typeof value === 'number' : kind === 'deleteField' || Array.isArray(value));
  for (let tries = 0; careful && !suits(base[field]) && tries < 6; tries++) field = pickField();
  if (kind === 'increment') {
    for (let tries = 0; !exactForIncrement(base[field]) && tries < 6; tries++) field = pickField();
    // `ctr` only ever holds what increments made of it (or null, or an array from arrayUnion).
    if (!exactForIncrement(base[field])) field = 'ctr';
    return { field, operator: { kind, by: rng.pick(INCREMENTS) } };
  }
  if (kind === 'deleteField') return { field, operator: { kind } };
  return { field, operator: { kind, values: Array.from({ length: rng.int(0, 4) }, () => operand(rng, base[field])) } };
}

/**
 * The entries of an update's patch (`plain`: some fields of a random document, now and then
 * one set to null) or of an upserted document (`plain`: most fields of one), plus 0–3 field
 * operators reading `base`. A field holds a value or an operator, never both.
 */
function randomEntries(rng: Random, base: JsonObject, plainShare: number, operatorChance: number, careful = false): Entry[] {
  const { _id, ...source } = fuzzDocuments(rng, 1)[0]!;
  const entries = new Map<string, Entry>();
  for (const [field, value] of Object.entries(source)) if (rng.chance(plainShare)) entries.set(field, { field, value });
  if (rng.chance(0.15)) {
    const field = rng.pick(['name', 'txt', 'deep', 'tags', 'ctr', 'list']);
    entries.set(field, { field, value: null });
  }
  if (rng.chance(operatorChance)) {
    for (let i = rng.int(1, 3); i > 0; i--) {
      const entry = randomOperator(rng, base, careful);
      entries.delete(entry.field); // re-inserted last: the patch lists values first, then operators
      entries.set(entry.field, entry);
    }
  }
  return [...entries.values()];
}

/**
 * An `expectedRev` for a write to a document at revision `current` (null: none there;
 * `tombstone`: the revision its delete left): none half the time, the right one, or a stale one
 * (behind, ahead, 0 for an existing document, the tombstone's). `least` is the smallest the call
 * accepts: 0 for upsert ("no document"), 1 for update and delete.
 */
function randomExpectedRev(rng: Random, current: number | null, tombstone: number | null, least: 0 | 1): number | undefined {
  const draw = rng.next();
  if (draw < 0.45) return undefined;
  const right = current ?? (least === 0 ? 0 : null);
  if (right !== null && draw < 0.75) return right;
  const stale = [
    current === null ? 1 : current + 1,
    (current ?? 1) + 2,
    current !== null && current - 1 >= least ? current - 1 : null,
    least === 0 && current !== null ? 0 : null,
    tombstone,
  ].filter((rev): rev is number => rev !== null && rev >= least && rev !== right);
  return rng.pick(stale);
}

const liveIds = (states: States): string[] => [...states].filter(([, s]) => s.doc !== null).map(([id]) => id);
const deletedIds = (states: States): string[] => [...states].filter(([, s]) => s.doc === null).map(([id]) => id);
const liveDocs = (states: States): StoredDocument[] => [...states.values()].flatMap((s) => (s.doc === null ? [] : [s.doc]));

/** A seeded random write over the documents of `states` (which it does not change). */
function randomWriteSpec(rng: Random, states: States, serial: number): WriteSpec {
  const live = liveIds(states);
  const gone = deletedIds(states);
  const someLive = () => rng.pick(live);
  const missing = () => (gone.length > 0 && rng.chance(0.6) ? rng.pick(gone) : 'never-there');
  const draw = live.length < 5 ? 99 : rng.int(0, 99);
  if (draw < 26) {
    const id = rng.chance(0.04) ? missing() : someLive();
    const state = states.get(id);
    return {
      type: 'update',
      id,
      entries: randomEntries(rng, state?.doc ?? {}, 0.3, 0.7),
      expectedRev: randomExpectedRev(rng, state?.doc ? state.rev : null, null, 1),
    };
  }
  if (draw < 42) {
    // Items follow each other: a repeated id sees the item before it, so each is made against
    // the document as the items before it leave it (a failing item fails the whole call anyway).
    const scratch: States = new Map(states);
    const items: UpdateItem[] = [];
    for (let i = rng.int(2, 5); i > 0; i--) {
      const id = rng.chance(0.03) ? missing() : items.length > 0 && rng.chance(0.1) ? rng.pick(items).id : someLive();
      const state = scratch.get(id);
      // Mostly careful: one failing item fails the whole call, and most calls should write.
      const item: UpdateItem = {
        id,
        entries: randomEntries(rng, state?.doc ?? {}, 0.3, 0.6, rng.chance(0.85)),
        expectedRev: randomExpectedRev(rng, state?.doc ? state.rev : null, null, 1),
      };
      if (rng.chance(0.75)) delete item.expectedRev;
      items.push(item);
      try {
        const op = updateOperation(item.id, patchOf(item.entries), item.expectedRev === undefined ? undefined : { expectedRev: item.expectedRev });
        const { next } = applyWrite('scratch', op, state);
        if (next !== null) scratch.set(id, next);
      } catch {
        // This item fails the call; later items are made against the documents as they were.
      }
    }
    return { type: 'bulkUpdate', items };
  }
  if (draw < 62) {
    const where = rng.next();
    const id = where < 0.55 ? someLive() : where < 0.72 && gone.length > 0 ? rng.pick(gone) : `u${serial}`;
    const state = states.get(id);
    const entries = randomEntries(rng, state?.doc ?? {}, 0.85, 0.6);
    return {
      type: 'upsert',
      id,
      entries,
      expectedRev: randomExpectedRev(rng, state?.doc ? state.rev : null, state && state.doc === null ? state.rev : null, 0),
    };
  }
  if (draw < 70) {
    const id = rng.chance(0.8) ? someLive() : missing();
    const state = states.get(id);
    return { type: 'delete', id, expectedRev: randomExpectedRev(rng, state?.doc ? state.rev : null, state && state.doc === null ? state.rev : null, 1) };
  }
  if (draw < 80) {
    const ids = Array.from({ length: rng.int(1, 3) }, someLive);
    if (rng.chance(0.3)) ids.push(missing());
    return { type: 'bulkDelete', ids: [...ids, 'never-there'] };
  }
  const docs = fuzzDocuments(rng, rng.int(1, 3)).map((d, i) => ({ ...d, _id: `w${serial}-${i}` }));
  // A deleted id may be inserted again (its revision continues from the tombstone); an existing
  // one fails the whole call with a DuplicateKeyError.
  if (gone.length > 0 && rng.chance(0.25)) docs[0]!._id = rng.pick(gone);
  else if (live.length > 0 && rng.chance(0.05)) docs[docs.length - 1]!._id = someLive();
  return { type: 'bulkInsert', docs };
}

const OPERATOR_FACTORIES = {
  increment: (op: Extract<OperatorSpec, { kind: 'increment' }>) => increment(op.by),
  arrayUnion: (op: Extract<OperatorSpec, { kind: 'arrayUnion' | 'arrayRemove' }>) => arrayUnion(...op.values),
  arrayRemove: (op: Extract<OperatorSpec, { kind: 'arrayUnion' | 'arrayRemove' }>) => arrayRemove(...op.values),
  deleteField: () => deleteField(),
};

/** The patch (or upserted document's fields) the entries stand for, with core's operators. */
function patchOf(entries: readonly Entry[]): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const entry of entries) {
    if (!('operator' in entry)) patch[entry.field] = structuredClone(entry.value);
    else {
      const op = entry.operator;
      patch[entry.field] =
        op.kind === 'increment'
          ? OPERATOR_FACTORIES.increment(op)
          : op.kind === 'deleteField'
            ? OPERATOR_FACTORIES.deleteField()
            : OPERATOR_FACTORIES[op.kind](op);
    }
  }
  return patch;
}

const revOption = (expectedRev: number | undefined) => (expectedRev === undefined ? undefined : { expectedRev });
const upsertInput = (spec: { id: string; entries: readonly Entry[] }) => ({ _id: spec.id, ...patchOf(spec.entries) });

/** Runs the write through the collection's public API; resolves with what the call returns. */
async function runWrite(c: Collection<AnyDocument>, spec: WriteSpec): Promise<unknown> {
  switch (spec.type) {
    case 'update':
      return c.update(spec.id, patchOf(spec.entries), revOption(spec.expectedRev));
    case 'bulkUpdate':
      return c.bulkUpdate(
        spec.items.map(({ id, entries, expectedRev }) =>
          expectedRev === undefined ? { id, changes: patchOf(entries) } : { id, changes: patchOf(entries), expectedRev },
        ),
      );
    case 'upsert':
      return c.upsert(upsertInput(spec), revOption(spec.expectedRev));
    case 'delete':
      return c.delete(spec.id, revOption(spec.expectedRev));
    case 'bulkDelete':
      return c.bulkDelete(spec.ids);
    case 'bulkInsert':
      return c.bulkInsert(spec.docs.map((d) => structuredClone(d)));
  }
}

/** The operations the collection hands its store for the write: core's own translation (which may throw first). */
function operationsOf(spec: WriteSpec): WriteOperation[] {
  switch (spec.type) {
    case 'update':
      return [updateOperation(spec.id, patchOf(spec.entries), revOption(spec.expectedRev))];
    case 'bulkUpdate':
      return spec.items.map((u, i) => updateOperation(u.id, patchOf(u.entries), revOption(u.expectedRev), `changes of bulkUpdate() item ${i}`));
    case 'upsert':
      return [upsertOperation(upsertInput(spec), revOption(spec.expectedRev))];
    case 'delete':
      return [deleteOperation(spec.id, revOption(spec.expectedRev))];
    case 'bulkDelete':
      return [...new Set(spec.ids)].map((id) => ({ type: 'delete' as const, id }));
    case 'bulkInsert':
      return spec.docs.map((d) => insertOperation(structuredClone(d)));
  }
}

/** What the call returns, made of the store's results. */
function publicResult(spec: WriteSpec, results: WriteResult[]): unknown {
  const doc = (r: WriteResult) => (r as { doc: StoredDocument }).doc;
  switch (spec.type) {
    case 'update':
    case 'upsert':
      return doc(results[0]!);
    case 'bulkUpdate':
    case 'bulkInsert':
      return results.map(doc);
    case 'delete':
      return (results[0] as { deleted: boolean }).deleted;
    case 'bulkDelete':
      return results.filter((r) => r.type === 'delete' && r.deleted).length;
  }
}

const idsOf = (spec: WriteSpec): string[] => {
  switch (spec.type) {
    case 'update':
    case 'upsert':
    case 'delete':
      return [spec.id];
    case 'bulkUpdate':
      return [...new Set(spec.items.map((u) => u.id))];
    case 'bulkDelete':
      return [...new Set(spec.ids)];
    case 'bulkInsert':
      return [...new Set(spec.docs.map((d) => d._id))];
  }
};

type Outcome = { value: unknown } | { error: unknown };

/**
 * The reference model: what the write must return or throw, and the states after it. The
 * operations are applied in order with core's `applyWrite`, the semantics memory storage has
 * and every store must have; when one throws, nothing is written on an atomic adapter, and the
 * operations before it stay written on one that is not.
 */
function expectWrite(collection: string, spec: WriteSpec, states: States, atomic: boolean): { outcome: Outcome; states: States } {
  let ops: WriteOperation[];
  try {
    ops = operationsOf(spec);
  } catch (error) {
    return { outcome: { error }, states: new Map(states) };
  }
  const next: States = new Map(states);
  const results: WriteResult[] = [];
  for (const op of ops) {
    const id = op.type === 'insert' || op.type === 'upsert' ? op.doc._id : op.id;
    try {
      const applied = applyWrite(collection, op, next.get(id));
      if (applied.next !== null) next.set(id, applied.next);
      results.push(applied.result);
    } catch (error) {
      return { outcome: { error }, states: atomic ? new Map(states) : next };
    }
  }
  return { outcome: { value: publicResult(spec, results) }, states: next };
}

/** The parts of an error the adapters must agree on: its class and which document, field and revisions it names. */
function errorSummary(error: unknown): string {
  if (!(error instanceof Error)) return `non-Error ${String(error)}`;
  const e = error as Error & Record<string, unknown>;
  const details: Record<string, unknown> = { code: e.code };
  for (const key of ['path', 'id', 'expectedRev', 'currentRev', 'repeatedInBatch']) if (e[key] !== undefined) details[key] = e[key];
  return `${error.name} ${JSON.stringify(details)}`;
}

function outcomeDifference(actual: Outcome, expected: Outcome): string | null {
  if ('error' in expected) {
    const want = errorSummary(expected.error);
    if (!('error' in actual))
      return `returned ${JSON.stringify(actual.value)?.slice(0, 300)}, but must fail with ${want} (${(expected.error as Error).message})`;
    const got = errorSummary(actual.error);
    return got === want ? null : `failed with ${got} (${(actual.error as Error).message}), but must fail with ${want} (${(expected.error as Error).message})`;
  }
  if ('error' in actual)
    return `threw ${errorSummary(actual.error)}: ${(actual.error as Error).message}; the reference returns ${JSON.stringify(expected.value)?.slice(0, 300)}`;
  if (Array.isArray(expected.value) || (typeof expected.value === 'object' && expected.value !== null)) {
    const wrong = rowDifference(Array.isArray(actual.value) ? actual.value : [actual.value], Array.isArray(expected.value) ? expected.value : [expected.value]);
    return wrong === null ? null : `returned other documents than the reference: ${wrong}`;
  }
  return Object.is(actual.value, expected.value) ? null : `returned ${JSON.stringify(actual.value)}, the reference ${JSON.stringify(expected.value)}`;
}

/**
 * Runs the write on the collection and on the reference (`states`, brought up to date when the
 * two agree), then reads the documents it touched back. The description of the first
 * disagreement, or null.
 */
async function writeDifference(c: Collection<AnyDocument>, atomic: boolean, states: States, spec: WriteSpec): Promise<string | null> {
  const expected = expectWrite(c.name, spec, states, atomic);
  let actual: Outcome;
  try {
    actual = { value: await runWrite(c, spec) };
  } catch (error) {
    actual = { error };
  }
  const wrong = outcomeDifference(actual, expected.outcome);
  if (wrong !== null) return wrong;
  states.clear();
  for (const [id, state] of expected.states) states.set(id, state);
  const ids = idsOf(spec);
  try {
    const read = await c.getMany(ids);
    const readBack = rowDifference(
      read,
      ids.map((id) => states.get(id)?.doc ?? null),
    );
    const after = 'error' in expected.outcome ? `after it failed (as it must) with ${errorSummary(expected.outcome.error)}` : 'after it';
    return readBack === null ? null : `getMany(${JSON.stringify(ids)}) ${after} differs from the reference: ${readBack}`;
  } catch (error) {
    return `getMany(${JSON.stringify(ids)}) after it threw ${errorSummary(error)}: ${(error as Error).message}`;
  }
}

function describeOperator(op: OperatorSpec): string {
  switch (op.kind) {
    case 'increment':
      return `increment(${op.by})`;
    case 'deleteField':
      return 'deleteField()';
    default:
      return `${op.kind}(${op.values.map((v) => JSON.stringify(v)).join(', ')})`;
  }
}

function describeEntries(entries: readonly Entry[], prefix = ''): string {
  const fields = [
    prefix,
    ...entries.map((e) => `${JSON.stringify(e.field)}: ${'operator' in e ? describeOperator(e.operator) : JSON.stringify(e.value)}`),
  ].filter(Boolean);
  return fields.length === 0 ? '{}' : `{ ${fields.join(', ')} }`;
}
const describeRev = (expectedRev: number | undefined) => (expectedRev === undefined ? '' : `, { expectedRev: ${expectedRev} }`);

/** The write as the code that makes it: `collection.update("d-1", { "n": increment(1) }, { expectedRev: 2 })`. */
export function describeWrite(spec: WriteSpec): string {
  switch (spec.type) {
    case 'update':
      return `collection.update(${JSON.stringify(spec.id)}, ${describeEntries(spec.entries)}${describeRev(spec.expectedRev)})`;
    case 'bulkUpdate':
      return `collection.bulkUpdate([${spec.items.map((u) => `{ id: ${JSON.stringify(u.id)}, changes: ${describeEntries(u.entries)}${u.expectedRev === undefined ? '' : `, expectedRev: ${u.expectedRev}`} }`).join(', ')}])`;
    case 'upsert':
      return `collection.upsert(${describeEntries(spec.entries, `_id: ${JSON.stringify(spec.id)}`)}${describeRev(spec.expectedRev)})`;
    case 'delete':
      return `collection.delete(${JSON.stringify(spec.id)}${describeRev(spec.expectedRev)})`;
    case 'bulkDelete':
      return `collection.bulkDelete(${JSON.stringify(spec.ids)})`;
    case 'bulkInsert':
      return `collection.bulkInsert(${JSON.stringify(spec.docs)})`;
  }
}

const usesOperators = (spec: WriteSpec): boolean =>
  (spec.type === 'update' || spec.type === 'upsert' ? [spec] : spec.type === 'bulkUpdate' ? spec.items : []).some((u) =>
    u.entries.some((e) => 'operator' in e),
  );
const isConditional = (spec: WriteSpec): boolean =>
  (spec.type === 'bulkUpdate' ? spec.items : spec.type === 'update' || spec.type === 'upsert' || spec.type === 'delete' ? [spec] : []).some(
    (u) => u.expectedRev !== undefined,
  );

// ————————————————————————————————————————————————————————— shrinking

function withoutNode(filter: Filter, target: Filter): Filter | null {
  if (filter === target) return null;
  if (filter.kind === 'condition') return filter;
  const parts = filter.filters.map((f) => withoutNode(f, target)).filter((f): f is Filter => f !== null);
  if (parts.length === 0) return null;
  return filter.kind === 'and' ? and(...parts) : or(...parts);
}

function replaceNode(filter: Filter, target: Filter, replacement: Filter): Filter {
  if (filter === target) return replacement;
  if (filter.kind === 'condition') return filter;
  const parts = filter.filters.map((f) => replaceNode(f, target, replacement));
  return filter.kind === 'and' ? and(...parts)! : or(...parts);
}

function nodes(filter: Filter): Filter[] {
  return filter.kind === 'condition' ? [filter] : [filter, ...filter.filters.flatMap(nodes)];
}

/** Simpler queries than `query`, simplest first. */
function simplerQueries(query: FindQuery): FindQuery[] {
  const out: FindQuery[] = [];
  const q = (change: Partial<FindQuery>): FindQuery => ({ ...query, ...change });
  if (query.limit !== null) out.push(q({ limit: null }));
  if (query.skip !== 0) out.push(q({ skip: 0 }));
  if (query.sort.length > 0) {
    out.push(q({ sort: [] }));
    query.sort.forEach((_, i) => out.push(q({ sort: query.sort.filter((__, j) => j !== i) })));
  }
  const filter = query.filter;
  if (filter !== null) {
    out.push(q({ filter: null }));
    for (const node of nodes(filter)) {
      if (node === filter) continue;
      out.push(q({ filter: node })); // a part on its own
      out.push(q({ filter: withoutNode(filter, node) })); // the rest without it
    }
    for (const node of nodes(filter)) {
      if (node.kind !== 'condition') continue;
      const c = node as Condition;
      if ((c.op === 'in' || c.op === 'nin') && c.values.length > 0) {
        c.values.forEach((_, i) =>
          out.push(
            q({
              filter: replaceNode(
                filter,
                node,
                condition[c.op](
                  c.path,
                  c.values.filter((__, j) => j !== i),
                ),
              ),
            }),
          ),
        );
      }
    }
  }
  if (query.limit !== null && query.limit > 1) out.push(q({ limit: 1 }));
  if (query.skip > 1) out.push(q({ skip: Math.floor(query.skip / 2) }));
  const select = query.select;
  if (select != null) {
    out.push(q({ select: null }));
    select.forEach((_, i) => out.push(q({ select: select.filter((__, j) => j !== i) })));
  }
  return out;
}

async function shrink(
  options: FuzzOptions,
  docs: StoredDocument[],
  query: FindQuery,
): Promise<{ docs: StoredDocument[]; query: FindQuery; problem: string | null; steps: number }> {
  const budget = options.shrinkBudget ?? 400;
  let steps = 0;
  // The round's documents as stored carry the revisions of its writes; a fresh insert starts
  // them at 1, so the shrinker inserts them without `_rev` and checks against what the insert
  // returns: the documents as stored now.
  docs = docs.map(({ _rev: _gone, ...fields }) => fields as StoredDocument);
  const failing = async (d: StoredDocument[], q: FindQuery): Promise<string | null> => {
    steps += 1;
    const { collection: c } = await freshCollection(options, 'shrink');
    let stored: StoredDocument[] = [];
    try {
      if (d.length > 0) stored = (await c.bulkInsert(d)) as unknown as StoredDocument[];
    } catch {
      return null;
    }
    return difference(c, q, stored);
  };
  let problem = await failing(docs, query);
  if (problem === null) return { docs, query, problem: null, steps };

  // Documents, then the query, again while either shrinks: a simpler query (limit 1 instead of
  // 7) often needs fewer documents than the one they were shrunk for.
  for (let pass = 0; pass < 4 && steps < budget; pass++) {
    const size = docs.length;
    const shape = JSON.stringify(query);
    // Documents: drop halves, then quarters… while the query still fails (ddmin).
    let chunks = 2;
    while (docs.length >= 2 && steps < budget) {
      const size = Math.ceil(docs.length / chunks);
      let reduced = false;
      for (let start = 0; start < docs.length && steps < budget; start += size) {
        const rest = [...docs.slice(0, start), ...docs.slice(start + size)];
        const p = await failing(rest, query);
        if (p !== null) {
          docs = rest;
          problem = p;
          chunks = Math.max(chunks - 1, 2);
          reduced = true;
          break;
        }
      }
      if (!reduced) {
        if (chunks >= docs.length) break;
        chunks = Math.min(chunks * 2, docs.length);
      }
    }
    // The query: take the first simpler one that still fails, until none does.
    for (let changed = true; changed && steps < budget;) {
      changed = false;
      for (const candidate of simplerQueries(query)) {
        if (steps >= budget) break;
        const p = await failing(docs, candidate);
        if (p !== null) {
          query = candidate;
          problem = p;
          changed = true;
          break;
        }
      }
    }
    if (docs.length === size && JSON.stringify(query) === shape) break;
  }
  // Fields: remove each one that is not needed for the failure.
  for (let i = 0; i < docs.length && steps < budget; i++) {
    for (const key of Object.keys(docs[i]!)) {
      if (key === '_id' || steps >= budget) continue;
      const { [key]: _gone, ...rest } = docs[i]!;
      const candidate = docs.map((d, j) => (j === i ? (rest as StoredDocument) : d));
      const p = await failing(candidate, query);
      if (p !== null) {
        docs = candidate;
        problem = p;
      }
    }
  }
  return { docs, query, problem, steps };
}

/**
 * Brings `id` to `state` in an empty collection through the public API: inserted (without its
 * `_rev`), then updated with an empty patch until it is at its revision. A tombstone is a
 * document inserted, updated and deleted so that the delete leaves that revision.
 */
async function recreate(c: Collection<AnyDocument>, id: string, state: DocumentState): Promise<void> {
  if (state.doc !== null) {
    const { _rev: _gone, ...fields } = state.doc;
    await c.insert(fields as StoredDocument);
    for (let rev = 1; rev < state.rev; rev++) await c.update(id, {});
  } else {
    await c.insert({ _id: id });
    for (let rev = 1; rev < state.rev - 1; rev++) await c.update(id, {});
    await c.delete(id);
  }
}

/** What `states` holds of the ids the write touches: all a reproduction of it needs. */
const touchedStates = (spec: WriteSpec, states: States): States =>
  new Map(idsOf(spec).flatMap((id) => (states.has(id) ? [[id, states.get(id)!] as const] : [])));

/** Recreates `states` in a fresh collection and runs the write there: its problem, or null when it passes (or the setup failed). */
async function reproduceWrite(options: FuzzOptions, states: States, spec: WriteSpec): Promise<string | null> {
  const { collection: c, atomic } = await freshCollection(options, 'shrinkw');
  try {
    for (const [id, state] of states) await recreate(c, id, state);
    const ids = [...states.keys()];
    if (
      rowDifference(
        await c.getMany(ids),
        ids.map((id) => states.get(id)!.doc),
      ) !== null
    )
      return null;
  } catch {
    return null;
  }
  return writeDifference(c, atomic, new Map(states), spec);
}

const withoutRev = <S extends { expectedRev?: number }>(spec: S): S => {
  const { expectedRev: _gone, ...rest } = spec;
  return rest as S;
};

/** The entries with one entry, or one value of one operator, fewer. */
function simplerEntries(entries: readonly Entry[]): Entry[][] {
  const out: Entry[][] = entries.map((_, i) => entries.filter((__, j) => j !== i));
  entries.forEach((entry, i) => {
    if (!('operator' in entry)) return;
    const op = entry.operator;
    if (op.kind !== 'arrayUnion' && op.kind !== 'arrayRemove') return;
    op.values.forEach((_, k) =>
      out.push(entries.map((e, j) => (j === i ? { field: entry.field, operator: { kind: op.kind, values: op.values.filter((__, m) => m !== k) } } : e))),
    );
  });
  return out;
}

/** Simpler cases than the write `spec` over `states`: fewer items, entries, values, conditions, documents and fields. */
function simplerWrites(states: States, spec: WriteSpec): Array<{ states: States; spec: WriteSpec }> {
  const specs: WriteSpec[] = [];
  switch (spec.type) {
    case 'bulkUpdate': {
      const { items } = spec;
      if (items.length === 1) specs.push({ type: 'update', ...items[0]! });
      else items.forEach((_, i) => specs.push({ type: 'bulkUpdate', items: items.filter((__, j) => j !== i) }));
      items.forEach((item, i) => {
        const change = (next: UpdateItem) => specs.push({ type: 'bulkUpdate', items: items.map((x, j) => (j === i ? next : x)) });
        if (item.expectedRev !== undefined) change(withoutRev(item));
        for (const entries of simplerEntries(item.entries)) change({ ...item, entries });
      });
      break;
    }
    case 'update':
    case 'upsert':
      if (spec.expectedRev !== undefined) specs.push(withoutRev(spec));
      for (const entries of simplerEntries(spec.entries)) specs.push({ ...spec, entries });
      break;
    case 'delete':
      if (spec.expectedRev !== undefined) specs.push(withoutRev(spec));
      break;
    case 'bulkDelete':
      if (spec.ids.length > 1) spec.ids.forEach((_, i) => specs.push({ type: 'bulkDelete', ids: spec.ids.filter((__, j) => j !== i) }));
      break;
    case 'bulkInsert':
      if (spec.docs.length > 1) spec.docs.forEach((_, i) => specs.push({ type: 'bulkInsert', docs: spec.docs.filter((__, j) => j !== i) }));
      spec.docs.forEach((doc, i) => {
        for (const key of Object.keys(doc)) {
          if (key === '_id') continue;
          const { [key]: _gone, ...rest } = doc;
          specs.push({ type: 'bulkInsert', docs: spec.docs.map((d, j) => (j === i ? (rest as StoredDocument) : d)) });
        }
      });
      break;
  }
  const out = specs.map((simpler) => ({ states, spec: simpler }));
  for (const id of states.keys()) {
    const rest = new Map(states);
    rest.delete(id);
    out.push({ states: rest, spec });
  }
  for (const [id, state] of states) {
    if (state.doc === null) continue;
    for (const key of Object.keys(state.doc)) {
      if (key === '_id' || key === '_rev') continue;
      const { [key]: _gone, ...doc } = state.doc;
      out.push({ states: new Map(states).set(id, { doc: doc as StoredDocument, rev: state.rev }), spec });
    }
  }
  return out;
}

/**
 * Shrinks a failing write: recreates the documents it touches, at their revisions, in a fresh
 * collection, and takes the first simpler case that still fails until none does.
 */
async function shrinkWrite(
  options: FuzzOptions,
  states: States,
  spec: WriteSpec,
): Promise<{ states: States; spec: WriteSpec; problem: string | null; steps: number }> {
  const budget = options.shrinkBudget ?? 400;
  let steps = 1;
  let problem = await reproduceWrite(options, states, spec);
  if (problem === null) return { states, spec, problem, steps };
  for (let changed = true; changed && steps < budget;) {
    changed = false;
    for (const candidate of simplerWrites(states, spec)) {
      if (steps >= budget) break;
      steps += 1;
      const p = await reproduceWrite(options, candidate.states, candidate.spec);
      if (p !== null) {
        ({ states, spec } = candidate);
        problem = p;
        changed = true;
        break;
      }
    }
  }
  return { states, spec, problem, steps };
}

// ————————————————————————————————————————————————————————— the run

const tombstonesOf = (states: States): Array<{ _id: string; _rev: number }> =>
  [...states].filter(([, s]) => s.doc === null).map(([id, s]) => ({ _id: id, _rev: s.rev }));

/**
 * Runs `cases` random queries in rounds of fresh documents, with three random writes every ten
 * queries; stops at the first failure and shrinks it.
 */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const { seed, cases } = options;
  const perRound = options.queriesPerRound ?? 50;
  const documents = options.documentsPerRound ?? 60;
  const report: FuzzReport = {
    adapter: options.adapter,
    seed,
    cases: 0,
    rounds: 0,
    documents: 0,
    writes: 0,
    operatorWrites: 0,
    conditionalWrites: 0,
    failedWrites: 0,
    projections: 0,
    pages: 0,
    failure: null,
  };
  const tally: Tally = { pages: 0 };
  for (let round = 0; report.cases < cases; round++) {
    report.rounds += 1;
    const rng = createRandom(seed * 1000 + round);
    const docs = fuzzDocuments(rng, rng.int(Math.ceil(documents / 3), documents));
    report.documents += docs.length;
    const { collection: c, atomic } = await freshCollection(options, `r${round}`);
    const fail = (caseIndex: number, problem: string, query: FindQuery | null, failing: StoredDocument[], extra: Partial<FuzzFailure> = {}): FuzzReport => {
      report.pages = tally.pages;
      report.failure = {
        adapter: options.adapter,
        seed,
        round,
        caseIndex,
        problem,
        query,
        write: null,
        documents: failing,
        tombstones: [],
        originalDocuments: failing.length,
        shrinkSteps: 0,
        reproduced: false,
        ...extra,
      };
      return report;
    };
    // The evaluator's input is the documents as stored: the generated ones at revision 1.
    const stored = docs.map((d) => withRevision(d, 1));
    const roundInsert = { write: "collection.bulkInsert(documents) (the round's documents)" };
    try {
      const inserted = await c.bulkInsert(docs);
      const wrong = rowDifference(inserted, stored) ?? evaluatorDifference(await c.find().exec(), { filter: null, sort: [], skip: 0, limit: null }, stored);
      if (wrong !== null) return fail(-1, `bulkInsert of the round's documents: ${wrong}`, null, docs, roundInsert);
    } catch (error) {
      return fail(-1, `bulkInsert of the round's documents threw ${String(error)}`, null, docs, roundInsert);
    }
    // The reference: every id's document as stored, or its tombstone once deleted.
    const reference: States = new Map(stored.map((d) => [d._id, { doc: d, rev: 1 }]));
    for (let i = 0; i < perRound && report.cases < cases; i++) {
      if (i > 0 && i % 10 === 0) {
        for (let w = 0; w < 3; w++) {
          report.writes += 1;
          const spec = randomWriteSpec(rng, reference, report.writes);
          if (usesOperators(spec)) report.operatorWrites += 1;
          if (isConditional(spec)) report.conditionalWrites += 1;
          if ('error' in expectWrite(c.name, spec, reference, atomic).outcome) report.failedWrites += 1;
          const before = new Map(reference);
          const wrong = await writeDifference(c, atomic, reference, spec);
          if (wrong !== null) {
            const small = await shrinkWrite(options, touchedStates(spec, before), spec);
            const reproduced = small.problem !== null;
            const states = reproduced ? small.states : before;
            return fail(-1, `random write ${report.writes}: ${small.problem ?? wrong}`, null, liveDocs(states), {
              write: describeWrite(reproduced ? small.spec : spec),
              tombstones: tombstonesOf(states),
              originalDocuments: liveDocs(before).length,
              shrinkSteps: small.steps,
              reproduced,
            });
          }
        }
      }
      const query = fuzzQuery(rng);
      const caseIndex = report.cases;
      report.cases += 1;
      if (query.select != null) report.projections += 1;
      const current = liveDocs(reference);
      const problem = await difference(c, query, current, tally);
      if (problem !== null) {
        const small = await shrink(options, current, query);
        return fail(caseIndex, small.problem ?? problem, small.query, small.docs, {
          originalDocuments: current.length,
          shrinkSteps: small.steps,
          reproduced: small.problem !== null,
        });
      }
    }
  }
  report.pages = tally.pages;
  return report;
}

/** One line of counts for a passing run's log. */
export function describeReport(report: FuzzReport): string {
  return (
    `${report.adapter}: ${report.cases} cases (${report.projections} with select, ${report.pages} pages walked), ${report.rounds} rounds, ${report.documents} documents, ` +
    `${report.writes} writes (${report.operatorWrites} with field operators, ${report.conditionalWrites} with expectedRev, ${report.failedWrites} failing as they must), seed ${report.seed}`
  );
}

/** The message a failing fuzz test prints: the seed, the minimal case and the command that reruns it. */
export function describeFailure(failure: FuzzFailure, cases: number): string {
  const where = failure.caseIndex >= 0 ? `case ${failure.caseIndex} of ${cases}` : 'a write';
  const lines = [`Fuzz failure on ${failure.adapter}: seed ${failure.seed}, round ${failure.round}, ${where}.`, `Problem: ${failure.problem}`];
  if (failure.write === null) {
    lines.push(
      failure.reproduced
        ? `Minimal case (${failure.documents.length} of ${failure.originalDocuments} documents, ${failure.shrinkSteps} shrinking runs), inserted into an empty collection:`
        : `The failure did not reproduce on freshly inserted documents (it depends on the writes before it); the round's documents at that point:`,
      `  documents: ${JSON.stringify(failure.documents)}`,
      `  query: ${JSON.stringify(failure.query)}`,
    );
  } else {
    lines.push(
      failure.reproduced
        ? `Minimal case (${failure.documents.length} of ${failure.originalDocuments} documents, ${failure.shrinkSteps} shrinking runs): in an empty collection, insert each document ` +
            `without its _rev and update(id, {}) it up to that _rev; insert, update and delete each tombstone's id so that the delete leaves its _rev; then:`
        : `The failure did not reproduce on recreated documents (it depends on the writes before it); the round's documents and tombstones before the write, then the write:`,
      `  documents: ${JSON.stringify(failure.documents)}`,
      `  tombstones: ${JSON.stringify(failure.tombstones)}`,
      `  write: ${failure.write}`,
    );
  }
  lines.push(`Rerun: node scripts/fuzz.mjs --seed ${failure.seed} --cases ${cases} --adapters ${failure.adapter}`);
  return lines.join('\n');
}
