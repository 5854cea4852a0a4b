// Differential fuzzing at scale: seeded random documents and queries run through an adapter and
// compared with core's evaluator, round after round, with random writes in between. A failure
// is shrunk — documents dropped, the query simplified, fields removed — while it still fails,
// and reported with its seed and the minimal case. Used by packages/core/test/fuzz.test.ts
// (memory, in Node) and packages/storage-edge/test/fuzz-*.test.ts (D1, DO KV, DO SQL, in
// workerd); `node scripts/fuzz.mjs --cases N --seed S` runs them all with a larger count.
import {
  and,
  condition,
  Database,
  evaluate,
  matches,
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
} from '@pocket/core';
import { buildQuery, createRandom, evaluatorDifference, rowDifference, randomDocuments, randomQuery, RANDOM_FIELDS, withRevision, type Random } from '@pocket/core/testing';

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
   * The documents of the failure. For a query, what to insert into an empty collection (without
   * `_rev`: the store assigns it), the minimal set when `reproduced`; for a write, the round's
   * documents as stored (with `_rev`).
   */
  documents: StoredDocument[];
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
  failure: FuzzFailure | null;
}

// ————————————————————————————————————————————————————————— generators

const EXTRA_STRINGS = ['a\u0000b', 'a\u0000', '\u0000', '\u0001', "'", "''", '"', '\\', '%', '_', 'a%', "' OR 1=1 --", '\t', '\n', 'ab', 'a', 'A', '', '𝔸𝔹', 'ÿ', 'Ā', 'é', 'e\u0301', '\uFFFF', '\u{10FFFF}', '[1]', '{"a":1}', 'null', 'true', '0', '-0', '1e3'];
const EXTRA_NUMBERS = [2 ** 53, -(2 ** 53), 2 ** 63, -(2 ** 63), 1e19, 2 ** 64, 5e-324, Number.MAX_VALUE, -Number.MAX_VALUE, 1e-300, 123456789.125, 0.1, -0.5, 1, 0, -1, 3, 1e15, 1e16 + 1];
const EXTRA_KEYS = ['a', 'b', 'é', 'a b', '$', '0', "it's"];
/** The paths the extra fields add, for queries and sorts. */
export const EXTRA_FIELDS = ['txt', 'big', 'deep', 'deep.a', 'deep.a.b', 'deep.é', 'deep.a b', "deep.it's", 'deep.0', 'arr', 'a b', 'é', '$x', 'mixed'] as const;
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

const REGEXES: Array<[string, string]> = [['\\u0000', 'u'], ['^a', ''], ['^$', ''], ['\\d', ''], ["'", ''], ['^.$', 'u'], ['[é𝔸]', 'u'], ['E', 'i'], ['^(a|b)+$', ''], ['\\s', '']];

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
      return condition.in(path, Array.from({ length: rng.int(0, 5) }, () => (rng.chance(0.85) ? scalar(rng) : value(rng, 2))));
    case 7:
      return condition.nin(path, Array.from({ length: rng.int(0, 5) }, () => (rng.chance(0.85) ? scalar(rng) : value(rng, 2))));
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
 * Half the time `randomQuery` from `@pocket/core/testing` as it is; otherwise a query over the
 * extra fields too, sometimes combined with one of `randomQuery`'s filters.
 */
export function fuzzQuery(rng: Random): FindQuery {
  const base = randomQuery(rng);
  if (rng.chance(0.5)) return base;
  let filter: Filter | null = rng.chance(0.05) ? null : extraFilter(rng, 3);
  if (filter !== null && base.filter !== null && rng.chance(0.3)) filter = rng.chance(0.5) ? and(filter, base.filter) : or(filter, base.filter);
  const sort: SortSpec[] = Array.from({ length: rng.int(0, 3) }, () => Object.freeze({ path: rng.pick(ALL_FIELDS), direction: rng.chance(0.5) ? ('asc' as const) : ('desc' as const) }));
  return Object.freeze({ filter, sort: Object.freeze(sort), skip: rng.chance(0.6) ? 0 : rng.int(0, 30), limit: rng.chance(0.5) ? null : rng.int(0, 25) });
}

// ————————————————————————————————————————————————————————— checking


/** What `exec`, `count` and `first` of `query` get wrong on `collection`, or null when all three agree with the evaluator. */
export async function difference(collection: Collection<AnyDocument>, query: FindQuery, docs: readonly StoredDocument[]): Promise<string | null> {
  const builder = buildQuery(collection, query);
  try {
    const rows = evaluatorDifference(await builder.exec(), query, docs);
    if (rows !== null) return `exec() differs from the evaluator at ${rows}`;
    const count = await builder.count();
    const expectedCount = docs.filter((d) => matches(query.filter, d)).length;
    if (count !== expectedCount) return `count() is ${count}, the evaluator counts ${expectedCount}`;
    const firstRow = await builder.first();
    const first = evaluatorDifference(firstRow === null ? [] : [firstRow], { ...query, limit: Math.min(query.limit ?? 1, 1) }, docs);
    if (first !== null) return `first() differs from the evaluator: ${first}`;
    return query.limit !== null && query.limit > 0 ? await pagesDifference(collection, query, docs) : null;
  } catch (error) {
    return `threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
  }
}

/** Pages through the query `limit` at a time (without its skip), or says how the pages differ from the evaluator. */
async function pagesDifference(collection: Collection<AnyDocument>, query: FindQuery, docs: readonly StoredDocument[]): Promise<string | null> {
  const sorted: FindQuery = { ...query, sort: query.sort.length > 0 ? query.sort : [{ path: '_id', direction: 'asc' }], skip: 0, limit: null };
  const base = buildQuery(collection, { ...query, skip: 0 });
  const seen: AnyDocument[] = [];
  let page = await base.page();
  seen.push(...page.docs);
  for (let n = 0; page.next !== null; n++) {
    if (n > docs.length) return 'page() never returned next: null';
    page = await base.after(page.next).page();
    if (page.docs.length > query.limit!) return `a page of ${page.docs.length} rows, over its limit of ${query.limit}`;
    seen.push(...page.docs);
  }
  const wrong = evaluatorDifference(seen, sorted, docs);
  return wrong === null ? null : `pages of ${query.limit} differ from the evaluator: ${wrong}`;
}

let collections = 0;
async function freshCollection(options: FuzzOptions, label: string): Promise<Collection<AnyDocument>> {
  collections += 1;
  const db = await Database.create({ name: `fuzz_${options.adapter}`, storage: await options.createStorage() });
  return db.collection(`fuzz_${label}_${collections}_${Math.floor(Math.random() * 1e9).toString(36)}`);
}

// ————————————————————————————————————————————————————————— writes between queries

function randomPatch(rng: Random): JsonObject {
  const { _id, ...source } = fuzzDocuments(rng, 1)[0]!;
  const patch: JsonObject = {};
  for (const [key, v] of Object.entries(source)) if (rng.chance(0.4)) patch[key] = v;
  if (rng.chance(0.2)) patch[rng.pick(['name', 'txt', 'deep', 'tags'])] = null;
  return patch;
}

/** The revision of a document of `reference`, which holds documents as stored. */
const revisionOf = (doc: StoredDocument): number => doc._rev as number;

/**
 * One seeded random write, applied to the collection and to `reference` (the documents as
 * stored, each write moving `_rev` on by one); a description of what went wrong, or null.
 */
async function randomWrite(c: Collection<AnyDocument>, reference: Map<string, StoredDocument>, rng: Random, serial: number): Promise<string | null> {
  const ids = [...reference.keys()];
  const someId = () => rng.pick(ids);
  const kind = reference.size < 5 ? 9 : rng.int(0, 9);
  let op = '';
  try {
    if (kind < 3) {
      const id = someId();
      const patch = randomPatch(rng);
      op = `update(${JSON.stringify(id)}, ${JSON.stringify(patch)})`;
      const current = reference.get(id)!;
      const expected = withRevision({ ...current, ...patch }, revisionOf(current) + 1);
      reference.set(id, expected);
      return rowDifference([await c.update(id, patch)], [expected]);
    }
    if (kind < 5) {
      const updates = [...new Set(Array.from({ length: rng.int(2, 5) }, someId))].map((id) => ({ id, changes: randomPatch(rng) }));
      op = `bulkUpdate(${JSON.stringify(updates)})`;
      const expected = updates.map(({ id, changes }) => {
        const current = reference.get(id)!;
        const next = withRevision({ ...current, ...changes }, revisionOf(current) + 1);
        reference.set(id, next);
        return next;
      });
      return rowDifference(await c.bulkUpdate(updates), expected);
    }
    if (kind < 7) {
      const doc = { ...fuzzDocuments(rng, 1)[0]!, _id: someId() };
      op = `upsert(${JSON.stringify(doc)})`;
      const expected = withRevision(doc, revisionOf(reference.get(doc._id)!) + 1);
      reference.set(doc._id, expected);
      return rowDifference([await c.upsert(doc)], [expected]);
    }
    if (kind < 8) {
      const gone = [...new Set(Array.from({ length: rng.int(1, 3) }, someId))];
      op = `bulkDelete(${JSON.stringify(gone)})`;
      for (const id of gone) reference.delete(id);
      const deleted = await c.bulkDelete([...gone, 'never-there']);
      return deleted === gone.length ? null : `deleted ${deleted}, expected ${gone.length}`;
    }
    const docs = fuzzDocuments(rng, rng.int(1, 3)).map((d, i) => ({ ...d, _id: `w${serial}-${i}` }));
    op = `bulkInsert(${JSON.stringify(docs)})`;
    // Ids no write used before (`w<serial>-…`), so no tombstone: revision 1.
    const expected = docs.map((d) => withRevision(d, 1));
    for (const d of expected) reference.set(d._id, d);
    return rowDifference(await c.bulkInsert(docs), expected);
  } catch (error) {
    return `${op} threw ${error instanceof Error ? error.message : String(error)}`;
  }
}

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
        c.values.forEach((_, i) => out.push(q({ filter: replaceNode(filter, node, condition[c.op](c.path, c.values.filter((__, j) => j !== i))) })));
      }
    }
  }
  if (query.limit !== null && query.limit > 1) out.push(q({ limit: 1 }));
  if (query.skip > 1) out.push(q({ skip: Math.floor(query.skip / 2) }));
  return out;
}

async function shrink(options: FuzzOptions, docs: StoredDocument[], query: FindQuery): Promise<{ docs: StoredDocument[]; query: FindQuery; problem: string | null; steps: number }> {
  const budget = options.shrinkBudget ?? 400;
  let steps = 0;
  // The round's documents as stored carry the revisions of its writes; a fresh insert starts
  // them at 1, so the shrinker inserts them without `_rev` and checks against what the insert
  // returns: the documents as stored now.
  docs = docs.map(({ _rev: _gone, ...fields }) => fields as StoredDocument);
  const failing = async (d: StoredDocument[], q: FindQuery): Promise<string | null> => {
    steps += 1;
    const c = await freshCollection(options, 'shrink');
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
  for (let changed = true; changed && steps < budget; ) {
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

// ————————————————————————————————————————————————————————— the run

/** Runs `cases` random queries in rounds of fresh documents; stops at the first failure and shrinks it. */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const { seed, cases } = options;
  const perRound = options.queriesPerRound ?? 50;
  const documents = options.documentsPerRound ?? 60;
  const report: FuzzReport = { adapter: options.adapter, seed, cases: 0, rounds: 0, documents: 0, writes: 0, failure: null };
  for (let round = 0; report.cases < cases; round++) {
    report.rounds += 1;
    const rng = createRandom(seed * 1000 + round);
    const docs = fuzzDocuments(rng, rng.int(Math.ceil(documents / 3), documents));
    report.documents += docs.length;
    const c = await freshCollection(options, `r${round}`);
    const fail = (caseIndex: number, problem: string, query: FindQuery | null, failing: StoredDocument[], extra: Partial<FuzzFailure> = {}): FuzzReport => {
      report.failure = { adapter: options.adapter, seed, round, caseIndex, problem, query, documents: failing, originalDocuments: failing.length, shrinkSteps: 0, reproduced: false, ...extra };
      return report;
    };
    // The evaluator's input is the documents as stored: the generated ones at revision 1.
    const stored = docs.map((d) => withRevision(d, 1));
    try {
      const inserted = await c.bulkInsert(docs);
      const wrong = rowDifference(inserted, stored) ?? evaluatorDifference(await c.find().exec(), { filter: null, sort: [], skip: 0, limit: null }, stored);
      if (wrong !== null) return fail(-1, `bulkInsert of the round's documents: ${wrong}`, null, docs);
    } catch (error) {
      return fail(-1, `bulkInsert of the round's documents threw ${String(error)}`, null, docs);
    }
    const reference = new Map(stored.map((d) => [d._id, d]));
    for (let i = 0; i < perRound && report.cases < cases; i++) {
      if (i > 0 && i % 10 === 0) {
        for (let w = 0; w < 3; w++) {
          report.writes += 1;
          const wrong = await randomWrite(c, reference, rng, report.writes);
          if (wrong !== null) return fail(-1, `random write ${report.writes}: ${wrong}`, null, [...reference.values()]);
        }
      }
      const query = fuzzQuery(rng);
      const caseIndex = report.cases;
      report.cases += 1;
      const current = [...reference.values()];
      const problem = await difference(c, query, current);
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
  return report;
}

/** The message a failing fuzz test prints: the seed, the minimal case and the command that reruns it. */
export function describeFailure(failure: FuzzFailure, cases: number): string {
  const where = failure.caseIndex >= 0 ? `case ${failure.caseIndex} of ${cases}` : 'a write';
  return [
    `Fuzz failure on ${failure.adapter}: seed ${failure.seed}, round ${failure.round}, ${where}.`,
    `Problem: ${failure.problem}`,
    failure.reproduced
      ? `Minimal case (${failure.documents.length} of ${failure.originalDocuments} documents, ${failure.shrinkSteps} shrinking runs), inserted into an empty collection:`
      : `The failure did not reproduce on freshly inserted documents (it depends on the writes before it); the round's documents at that point:`,
    `  documents: ${JSON.stringify(failure.documents)}`,
    `  query: ${JSON.stringify(failure.query)}`,
    `Rerun: node scripts/fuzz.mjs --seed ${failure.seed} --cases ${cases} --adapters ${failure.adapter}`,
  ].join('\n');
}
