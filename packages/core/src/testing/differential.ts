import { describe, expect, it } from 'vitest';
import type { Collection } from '../collection.js';
import { Database } from '../database.js';
import type { AnyDocument, JsonObject } from '../document.js';
import { evaluate, project } from '../evaluator/evaluate.js';
import { compareStrings } from '../evaluator/values.js';
import { matches } from '../evaluator/matches.js';
import type { Filter, FindQuery } from '../query/ast.js';
import { EMPTY_QUERY } from '../query/ast.js';
import type { FilterBuilder, QueryBuilder } from '../query/builder.js';
import type { StoredDocument } from '../storage/adapter.js';
import { uniqueName, type SuiteOptions } from './conformance.js';
import { checkNumberNeighbours, type ExactNumbers } from './numbers.js';
import { createRandom, randomDocuments, randomQuery, RANDOM_FIELDS, type Random } from './random.js';
import { canonical, rowDifference, withRevision } from './rows.js';

export interface DifferentialOptions extends SuiteOptions {
  /** Seed of the documents and queries (default `DEFAULT_SEED`). A failure prints it. */
  seed?: number;
  /** How many random queries to check (default 200). */
  cases?: number;
  /** How many random documents to store (default 150). */
  documents?: number;
  /**
   * The magnitudes between which the adapter reads stored numbers exactly; default: every
   * double (memory and KV storage). SQLite reads some numbers outside a range one or two steps
   * off (docs/limitations.md); the check of numbers one step apart holds each adapter to its range.
   */
  exactNumbers?: ExactNumbers;
}

export const DEFAULT_SEED = 20_260_428;

/**
 * Registers a differential test: stores seeded random documents through the adapter, then
 * checks that `exec()`, `first()` and `count()` of seeded random queries return exactly what
 * core's evaluator returns for the same documents (same rows, same order where the query sorts,
 * same count), before
 * and after a seeded mix of random writes, pages through some of them with `page()` and
 * `after()`, and runs some with a random `select()`. A failure prints the seed and the query as JSON.
 * Counts come from options, never from `process.env`, so it runs in workerd as in Node:
 * `runDifferentialSuite({ name: 'd1', createStorage, cases: Number(env.CASES ?? 200) })`.
 */
export function runDifferentialSuite(options: DifferentialOptions): void {
  const { seed = DEFAULT_SEED, cases = 200, documents = 150 } = options;
  describe(`@pocket/core differential: ${options.name}`, () => {
    it(
      `agrees with the evaluator on ${cases} random queries over ${documents} random documents (seed ${seed})`,
      () => (options.wrap ?? ((body) => body()))(() => checkAgainstEvaluator(options)),
      options.timeout ?? 60_000,
    );
    const { exactNumbers: exact } = options;
    it(
      exact === undefined
        ? `reads numbers one step apart exactly, at every magnitude (seed ${seed})`
        : `reads numbers one step apart exactly from ${exact.min} to ${exact.max}, and no more than ${exact.maxSteps ?? 2} steps off outside (seed ${seed})`,
      () => (options.wrap ?? ((body) => body()))(() => checkNumberNeighbours({ ...options, seed })),
      options.timeout ?? 60_000,
    );
  });
}

/**
 * The check `runDifferentialSuite` registers, for running it yourself: resolves when the adapter
 * agrees with the evaluator everywhere, and throws an assertion naming the seed, the case, the
 * query as JSON and the first differing row when it does not. Half of the queries run on the
 * inserted documents, the other half after a seeded mix of update, bulkUpdate, upsert, delete
 * and insert, so that the adapter's write path is checked as well as its queries.
 */
export async function checkAgainstEvaluator(options: Omit<DifferentialOptions, 'wrap' | 'timeout'>): Promise<void> {
  const { seed = DEFAULT_SEED, cases = 200, documents = 150 } = options;
  const rng = createRandom(seed);
  const docs = randomDocuments(rng, documents);
  const db = await Database.create({ name: uniqueName(`differential_${options.name.slice(0, 40)}_`), storage: await options.createStorage() });
  const collection = db.collection(uniqueName('d'));
  // The evaluator's input is the documents as stored: the generated ones at revision 1.
  const stored = docs.map((doc) => withRevision(doc, 1));
  expect(await collection.bulkInsert(docs), `bulkInsert of the random documents (seed ${seed})`).toStrictEqual(stored);
  expectEvaluatorResult(await collection.find().exec(), EMPTY_QUERY, stored, `seed ${seed}, reading back every document`);

  const reference = new Map(stored.map((doc) => [doc._id, doc]));
  const half = Math.ceil(cases / 2);
  await checkQueries(collection, [...reference.values()], rng, { seed, from: 0, to: half, total: cases });
  await randomWrites(collection, reference, rng, Math.ceil(documents / 2), seed);
  expectEvaluatorResult(await collection.find().exec(), EMPTY_QUERY, [...reference.values()], `seed ${seed}, reading back every document after the writes`);
  await checkQueries(collection, [...reference.values()], rng, { seed, from: half, to: cases, total: cases });
}

async function checkQueries(
  collection: Collection<AnyDocument>,
  docs: readonly StoredDocument[],
  rng: Random,
  { seed, from, to, total }: { seed: number; from: number; to: number; total: number },
): Promise<void> {
  for (let i = from; i < to; i++) {
    const query = randomQuery(rng);
    const where = `seed ${seed}, case ${i} of ${total}, query ${JSON.stringify(query)}`;
    const builder = queryBuilderFor(collection, query);
    expect(builder.toQuery(), `the builder does not rebuild ${where}`).toEqual(query);

    expectEvaluatorResult(await attempt(() => builder.exec(), `exec() threw; ${where}`), query, docs, `exec(); ${where}`);
    const first = await attempt(() => builder.first(), `first() threw; ${where}`);
    expectEvaluatorResult(first === null ? [] : [first], { ...query, limit: Math.min(query.limit ?? 1, 1) }, docs, `first(); ${where}`);
    const expectedCount = docs.filter((doc) => matches(query.filter, doc)).length;
    expect(await attempt(() => builder.count(), `count() threw; ${where}`), `count(); ${where}`).toBe(expectedCount);
    if (rng.chance(0.25)) await checkPages(collection, query, docs, rng.int(1, 9), where);
    if (rng.chance(0.25)) {
      const fields = [...new Set(Array.from({ length: rng.int(0, 3) }, () => rng.pick(RANDOM_FIELDS).split('.')[0]!))];
      const projected = { ...query, select: fields.filter((f) => f !== '_id') };
      expectEvaluatorResult(
        await attempt(() => builder.select(...fields).exec(), `select() threw; ${where}`),
        projected,
        docs,
        `select(${fields.join(', ')}); ${where}`,
      );
    }
  }
}

/**
 * Pages through `query` (without its skip and limit) `size` documents at a time, following each
 * page's cursor, and expects every match exactly once, in the evaluator's order.
 */
async function checkPages(collection: Collection<AnyDocument>, query: FindQuery, docs: readonly StoredDocument[], size: number, where: string): Promise<void> {
  const sorted: FindQuery = { ...query, sort: query.sort.length > 0 ? query.sort : [{ path: '_id', direction: 'asc' }], skip: 0, limit: null };
  const expected = evaluate(sorted, docs);
  const base = queryBuilderFor(collection, { ...query, skip: 0, limit: size });
  const seen: AnyDocument[] = [];
  let page = await attempt(() => base.page(), `page() threw; ${where}`);
  for (let n = 1; ; n++) {
    expect(page.docs.length, `page ${n} of ${size}: more rows than its limit; ${where}`).toBeLessThanOrEqual(size);
    seen.push(...page.docs);
    if (page.next === null || n > expected.length + 1) break;
    const next = page.next;
    page = await attempt(() => base.after(next).page(), `page ${n + 1} threw; ${where}`);
  }
  expect(page.next, `the last page has next: null; ${where}`).toBeNull();
  expectEvaluatorResult(seen, sorted, docs, `pages of ${size}; ${where}`);
}

/** Fields of another random document, some set to null: a patch of any shape `update` accepts. */
function randomPatch(rng: Random): JsonObject {
  const { _id, ...source } = randomDocuments(rng, 1)[0]!;
  const patch: JsonObject = {};
  for (const [key, value] of Object.entries(source)) if (rng.chance(0.5)) patch[key] = value;
  if (rng.chance(0.2)) patch[rng.pick(['name', 'n', 'flag', 'tags', 'profile'])] = null;
  return patch;
}

/** The revision of a document of `reference`: every document there is as stored, with `_rev`. */
const revisionOf = (doc: StoredDocument): number => doc._rev as number;

/**
 * Applies `count` seeded random writes to the collection and the same changes to `reference`,
 * the documents as stored: each write moves a document's `_rev` on by one. Inserts use ids
 * that never existed (`new-…`), so they start at revision 1.
 */
async function randomWrites(
  collection: Collection<AnyDocument>,
  reference: Map<string, StoredDocument>,
  rng: Random,
  count: number,
  seed: number,
): Promise<void> {
  const someId = (): string => rng.pick([...reference.keys()]);
  for (let i = 0; i < count && reference.size > 4; i++) {
    const where = `seed ${seed}, write ${i} of ${count}`;
    const kind = rng.int(0, 9);
    if (kind < 4) {
      const id = someId();
      const patch = randomPatch(rng);
      const current = reference.get(id)!;
      const expected = withRevision({ ...current, ...patch }, revisionOf(current) + 1);
      reference.set(id, expected);
      assertSameRows(
        [await attempt(() => collection.update(id, patch), `update() threw; ${where}`)],
        [expected],
        `update(${JSON.stringify(id)}, ${JSON.stringify(patch)}); ${where}`,
      );
    } else if (kind < 6) {
      const updates = [...new Set(Array.from({ length: rng.int(2, 4) }, someId))].map((id) => ({ id, changes: randomPatch(rng) }));
      const expected = updates.map(({ id, changes }) => {
        const current = reference.get(id)!;
        const doc = withRevision({ ...current, ...changes }, revisionOf(current) + 1);
        reference.set(id, doc);
        return doc;
      });
      assertSameRows(
        await attempt(() => collection.bulkUpdate(updates), `bulkUpdate() threw; ${where}`),
        expected,
        `bulkUpdate(${JSON.stringify(updates)}); ${where}`,
      );
    } else if (kind < 8) {
      const doc = { ...randomDocuments(rng, 1)[0]!, _id: someId() };
      const expected = withRevision(doc, revisionOf(reference.get(doc._id)!) + 1);
      reference.set(doc._id, expected);
      assertSameRows([await attempt(() => collection.upsert(doc), `upsert() threw; ${where}`)], [expected], `upsert(${JSON.stringify(doc)}); ${where}`);
    } else if (kind < 9) {
      const id = someId();
      reference.delete(id);
      expect(await attempt(() => collection.delete(id), `delete() threw; ${where}`), `delete(${JSON.stringify(id)}); ${where}`).toBe(true);
    } else {
      const doc = { ...randomDocuments(rng, 1)[0]!, _id: `new-${i}` };
      const expected = withRevision(doc, 1);
      reference.set(doc._id, expected);
      assertSameRows([await attempt(() => collection.insert(doc), `insert() threw; ${where}`)], [expected], `insert(${JSON.stringify(doc)}); ${where}`);
    }
  }
}

/**
 * The query builder that produces `query` on `collection`: the way to run a `FindQuery` (one
 * from `randomQuery`, or one received as JSON) through the public API. Its `select` becomes
 * `select(...fields)`; an `after` position has no builder call (a cursor comes from `page()`),
 * so a query with one is a `TypeError` here: use `collection.query(ast)` for it.
 */
export function queryBuilderFor(collection: Collection<AnyDocument>, query: FindQuery): QueryBuilder<AnyDocument> {
  if (query.after != null)
    throw new TypeError('[pocket/testing] queryBuilderFor() cannot rebuild an after() position; use collection.query(ast) for such a query.');
  let builder = query.filter === null ? collection.find() : withFilter(collection.find(), query.filter);
  for (const { path, direction } of query.sort) builder = builder.sort(path, direction);
  if (query.skip !== 0) builder = builder.skip(query.skip);
  if (query.limit !== null) builder = builder.limit(query.limit);
  // Projected rows are `_id`, `_rev` and some fields: still documents of the collection's type.
  if (query.select != null) builder = builder.select(...query.select) as unknown as typeof builder;
  return builder;
}

function withFilter<B extends FilterBuilder<AnyDocument>>(builder: B, filter: Filter): B {
  switch (filter.kind) {
    case 'and':
      return builder.and(...filter.filters.map((f) => (q: FilterBuilder<AnyDocument>) => withFilter(q, f)));
    case 'or':
      return builder.or(...filter.filters.map((f) => (q: FilterBuilder<AnyDocument>) => withFilter(q, f)));
    case 'condition': {
      const field = builder.where(filter.path);
      switch (filter.op) {
        case 'eq':
          return field.equals(filter.value);
        case 'ne':
          return field.notEquals(filter.value);
        case 'gt':
          return field.gt(filter.value);
        case 'gte':
          return field.gte(filter.value);
        case 'lt':
          return field.lt(filter.value);
        case 'lte':
          return field.lte(filter.value);
        case 'in':
          return field.in(filter.values);
        case 'nin':
          return field.notIn(filter.values);
        case 'exists':
          return field.exists(filter.exists);
        case 'startsWith':
          return field.startsWith(filter.prefix);
        case 'contains':
          return field.contains(filter.value);
        case 'regex':
          return field.matches(filter.source, filter.flags);
      }
    }
  }
}

async function attempt<T>(run: () => Promise<T>, message: string): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new Error(`[pocket/testing] ${message}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/**
 * How `actual` differs from what `query` over `docs` must return, or null when it does not:
 * with a sort, exactly the evaluator's rows in its order. Without one the order is unspecified,
 * so the rows are compared as a set, and a page (skip or limit) must be as long as the
 * evaluator's and hold distinct matching documents, each as stored (as projected, with `select`).
 */
export function evaluatorDifference(actual: readonly unknown[], query: FindQuery, docs: readonly StoredDocument[]): string | null {
  if (query.sort.length > 0) return rowDifference(actual, evaluate(query, docs));
  const byId = (rows: readonly unknown[]) => [...rows].sort((a, b) => compareStrings(idOf(a), idOf(b)));
  if (query.skip === 0 && query.limit === null) return rowDifference(byId(actual), byId(evaluate(query, docs)), ' (compared as a set: no sort)');
  const expected = evaluate(query, docs).length;
  if (actual.length !== expected) return `${actual.length} rows returned, ${expected} expected (no sort: any ${expected} matches)`;
  const stored = new Map(docs.map((doc) => [doc._id, doc]));
  const seen = new Set<string>();
  for (const row of actual) {
    const id = idOf(row);
    if (seen.has(id)) return `row ${JSON.stringify(id)} returned twice`;
    seen.add(id);
    const doc = stored.get(id);
    if (doc === undefined || !matches(query.filter, doc)) return `row ${JSON.stringify(id)} does not match the filter`;
    const want = query.select == null ? doc : project(doc, query.select);
    if (canonical(row) !== canonical(want)) return `row ${JSON.stringify(id)} is ${canonical(row).slice(0, 300)}, stored as ${canonical(want).slice(0, 300)}`;
  }
  return null;
}

/** Fails the test with `where` when `evaluatorDifference` finds one. */
export function expectEvaluatorResult(actual: readonly unknown[], query: FindQuery, docs: readonly StoredDocument[], where: string): void {
  const difference = evaluatorDifference(actual, query, docs);
  if (difference !== null) expect.fail(`${difference}; ${where}`);
}

const idOf = (row: unknown): string => (typeof row === 'object' && row !== null ? String((row as { _id?: unknown })._id) : String(row));

/** Same rows in the same order; on failure the message names the first row that differs. */
function assertSameRows(actual: ReadonlyArray<unknown>, expected: ReadonlyArray<unknown>, where: string): void {
  const difference = rowDifference(actual, expected);
  if (difference !== null) expect.fail(`${difference}; ${where}`);
}
