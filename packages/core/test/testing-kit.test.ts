import { describe, expect, it } from 'vitest';
import {
  createMemoryStorage,
  Database,
  toJsonObject,
  type CollectionStore,
  type Filter,
  type FindQuery,
  type StorageAdapter,
  type StoredDocument,
} from '@pocket/core';
import { compareValues, evaluate, project, readPath } from '@pocket/core/adapter';
import {
  queryBuilderFor,
  checkAgainstEvaluator,
  checkNumberNeighbours,
  CONFORMANCE_TESTS,
  nextDouble,
  stepsBetween,
  withNeighbours,
  createRandom,
  randomDocuments,
  randomQuery,
  RANDOM_OPERATORS,
  recorder,
  runConformanceSuite,
} from '@pocket/core/testing';

describe('createRandom', () => {
  it('is deterministic per seed and spreads over [0, 1)', () => {
    const a = createRandom(42);
    const b = createRandom(42);
    const first = Array.from({ length: 1000 }, () => a.next());
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(first);
    expect(Array.from({ length: 5 }, createRandom(43).next)).not.toEqual(first.slice(0, 5));
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(first.filter((x) => x < 0.5).length).toBeGreaterThan(400);
    expect(first.filter((x) => x < 0.5).length).toBeLessThan(600);
  });

  it('gives the same numbers on every platform (pinned values)', () => {
    const rng = createRandom(1);
    expect(Array.from({ length: 3 }, () => rng.int(0, 1_000_000))).toEqual([627074, 2735, 527447]);
  });

  it('int covers both bounds; pick and chance behave', () => {
    const rng = createRandom(7);
    const ints = new Set(Array.from({ length: 500 }, () => rng.int(-2, 2)));
    expect([...ints].sort()).toEqual([-1, -2, 0, 1, 2]);
    expect(new Set(Array.from({ length: 200 }, () => rng.pick(['a', 'b', 'c']))).size).toBe(3);
    expect(Array.from({ length: 100 }, () => rng.chance(0)).some(Boolean)).toBe(false);
    expect(Array.from({ length: 100 }, () => rng.chance(1)).every(Boolean)).toBe(true);
    expect(() => rng.pick([])).toThrow(RangeError);
    expect(() => createRandom(1.5)).toThrow(TypeError);
    expect(createRandom(9).seed).toBe(9);
  });
});

describe('randomDocuments', () => {
  const docs = randomDocuments(createRandom(123), 400);
  const values = (field: string) => docs.map((d) => (Object.hasOwn(d, field) ? d[field] : undefined));
  const strings = docs.flatMap((d) => [d.name, (d.profile as { name?: unknown } | null)?.name]).filter((v): v is string => typeof v === 'string');

  it('is deterministic, valid, with unique ids', () => {
    expect(randomDocuments(createRandom(123), 400)).toEqual(docs);
    expect(new Set(docs.map((d) => d._id)).size).toBe(400);
    for (const doc of docs) expect(toJsonObject(doc)).toEqual(doc);
    expect(docs.some((d) => /[^\x20-\x7e]/.test(d._id))).toBe(true);
  });

  it('covers unicode, astral and empty strings', () => {
    expect(strings).toContain('');
    expect(strings.some((s) => /[\u{10000}-\u{10FFFF}]/u.test(s))).toBe(true);
    expect(strings.some((s) => /[\u00C0-\u00FF]/.test(s))).toBe(true);
    expect(strings.some((s) => s.normalize('NFC') !== s)).toBe(true);
  });

  it('covers integers, floats, negatives, booleans, null and missing fields', () => {
    const n = values('n');
    expect(n.some((v) => Number.isInteger(v) && (v as number) < 0)).toBe(true);
    expect(n.some((v) => typeof v === 'number' && !Number.isInteger(v))).toBe(true);
    expect(n).toContain(null);
    expect(n).toContain(undefined);
    expect(values('flag')).toContain(true);
    expect(values('flag')).toContain(false);
    expect(values('score').some((v) => typeof v === 'number' && Math.abs(v) > 1e15)).toBe(true);
  });

  it('covers nested objects, arrays of scalars and whole values', () => {
    const profiles = values('profile');
    expect(profiles.some((p) => typeof (p as { age?: unknown } | null)?.age === 'number')).toBe(true);
    expect(profiles.some((p) => typeof (p as { name?: unknown } | null)?.name === 'string')).toBe(true);
    const tags = values('tags').filter(Array.isArray);
    expect(tags.some((t) => t.length === 0)).toBe(true);
    expect(tags.some((t) => t.length > 1 && t.every((e) => typeof e === 'string'))).toBe(true);
    expect(values('point').some((p) => typeof p === 'object' && p !== null && !Array.isArray(p))).toBe(true);
  });

  it('sometimes holds another type in the same field', () => {
    const types = (field: string) =>
      new Set(values(field).map((v) => (v === undefined ? 'missing' : v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v)));
    expect(types('n')).toEqual(new Set(['number', 'string', 'boolean', 'null', 'missing']));
    expect(types('flag')).toEqual(new Set(['boolean', 'number', 'null', 'missing']));
    expect(types('tags')).toEqual(new Set(['array', 'string', 'null', 'missing']));
    expect(types('profile')).toEqual(new Set(['object', 'array', 'string', 'null', 'missing']));
  });
});

describe('randomQuery', () => {
  const rng = createRandom(99);
  const queries = Array.from({ length: 600 }, () => randomQuery(rng));

  function nodes(filter: Filter | null): Filter[] {
    if (filter === null) return [];
    return filter.kind === 'condition' ? [filter] : [filter, ...filter.filters.flatMap(nodes)];
  }
  function depth(filter: Filter | null): number {
    if (filter === null || filter.kind === 'condition') return 0;
    return 1 + Math.max(...filter.filters.map(depth));
  }
  const all = queries.flatMap((q) => nodes(q.filter));

  it('uses every operator, and/or groups nested, 0 to 2 sorts, skip and limit', () => {
    const ops = new Set(all.map((n) => (n.kind === 'condition' ? n.op : n.kind)));
    for (const op of ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'nin', 'exists', 'startsWith', 'contains', 'regex', 'and', 'or']) expect(ops).toContain(op);
    expect(RANDOM_OPERATORS).toContain('between');
    expect(all.some((n) => n.kind === 'condition' && (n.op === 'in' || n.op === 'nin') && n.values.length === 0)).toBe(true);
    expect(all.some((n) => n.kind === 'condition' && n.path.includes('.'))).toBe(true);
    expect(Math.max(...queries.map((q) => depth(q.filter)))).toBeGreaterThanOrEqual(2);
    expect(queries.some((q) => q.filter === null)).toBe(true);
    expect(new Set(queries.map((q) => q.sort.length))).toEqual(new Set([0, 1, 2]));
    expect(queries.some((q) => q.skip > 0)).toBe(true);
    expect(queries.some((q) => q.limit === null) && queries.some((q) => q.limit === 0) && queries.some((q) => (q.limit ?? 0) > 0)).toBe(true);
  });

  it('is deterministic, frozen, and JSON round-trips', () => {
    const again = createRandom(99);
    expect(Array.from({ length: 600 }, () => randomQuery(again))).toEqual(queries);
    for (const q of queries.slice(0, 50)) {
      expect(Object.isFrozen(q) && Object.isFrozen(q.sort)).toBe(true);
      expect(JSON.parse(JSON.stringify(q))).toEqual(q);
    }
  });

  it('matches some documents and not others', () => {
    const docs = randomDocuments(createRandom(5), 150);
    const sizes = queries.map((q) => evaluate({ ...q, skip: 0, limit: null }, docs).length);
    expect(sizes.filter((n) => n === 0).length).toBeGreaterThan(0);
    expect(sizes.filter((n) => n > 0 && n < 150).length).toBeGreaterThan(queries.length / 3);
  });

  it('queryBuilderFor rebuilds each query through the public builder', () => {
    const collection = Database.open({ name: 'kit', storage: createMemoryStorage() }).collection('docs');
    for (const q of queries) expect(queryBuilderFor(collection, q).toQuery()).toEqual(q);
    // A projection too; an after() position has no builder call and is refused, not dropped.
    const projected = { ...queries[0]!, select: ['name', 'tags'] };
    expect(queryBuilderFor(collection, projected).toQuery()).toEqual(projected);
    expect(() => queryBuilderFor(collection, { ...queries[0]!, after: { values: [], id: 'x' } })).toThrow(TypeError);
  });
});

/** The memory adapter with one behaviour broken, as an adapter bug would break it. */
function broken(find: (inner: CollectionStore, query: FindQuery) => Promise<StoredDocument[]>): () => StorageAdapter {
  return () => {
    const base = createMemoryStorage();
    return {
      name: 'broken',
      capabilities: base.capabilities,
      collection(name, context) {
        const inner = base.collection(name, context);
        return { ...inner, find: (query) => find(inner, query) };
      },
    };
  };
}
const everything: FindQuery = { filter: null, sort: [], skip: 0, limit: null };
/** What SQLite's json_extract does to booleans. */
const booleansAsNumbers = (doc: StoredDocument): StoredDocument =>
  JSON.parse(JSON.stringify(doc, (_k, v: unknown) => (typeof v === 'boolean' ? Number(v) : v)));

describe('checkAgainstEvaluator', () => {
  it('passes for the memory adapter', async () => {
    await checkAgainstEvaluator({ name: 'memory', createStorage: createMemoryStorage, seed: 3, cases: 100, documents: 80 });
  });

  it.each([
    [
      'booleans read back as 1/0',
      broken(async (inner, query) => {
        const docs = await inner.find(everything);
        const ids = evaluate({ ...query, select: null }, docs.map(booleansAsNumbers)).map((d) => d._id);
        // Otherwise right: the documents as stored, projected as asked, so only the booleans differ.
        const found = ids.map((id) => docs.find((d) => d._id === id)!);
        return query.select == null ? found : found.map((doc) => project(doc, query.select!));
      }),
    ],
    [
      'sort ties not broken by _id',
      broken(async (inner, query) => {
        if (query.sort.length === 0) return inner.find(query);
        const rows = (await inner.find({ ...query, skip: 0, limit: null })).reverse();
        const keys = query.sort.map((s) => ({ segments: s.path.split('.'), sign: s.direction === 'asc' ? 1 : -1 }));
        rows.sort((a, b) => {
          for (const { segments, sign } of keys) {
            const order = compareValues(readPath(a, segments), readPath(b, segments));
            if (order !== 0) return sign * order;
          }
          return 0;
        });
        return rows.slice(query.skip, query.limit === null ? undefined : query.skip + query.limit);
      }),
    ],
    ['skip ignored', broken(async (inner, query) => inner.find({ ...query, skip: 0 }))],
    [
      'strings sorted by UTF-16 unit',
      broken(async (inner, query) => {
        const key = query.sort[0];
        const rows = await inner.find({ ...query, skip: 0, limit: null });
        if (key?.path === 'name')
          rows.sort((a, b) => (String(a.name) < String(b.name) ? -1 : String(a.name) > String(b.name) ? 1 : 0) * (key.direction === 'asc' ? 1 : -1));
        return rows.slice(query.skip, query.limit === null ? undefined : query.skip + query.limit);
      }),
    ],
  ])('fails, naming the seed and the query, for an adapter with %s', async (_what, createStorage) => {
    const run = checkAgainstEvaluator({ name: 'broken', createStorage, seed: 11, cases: 300 });
    await expect(run).rejects.toThrow(/seed 11, case \d+ of 300, query \{"filter":/);
  });
});

describe('numbers one step apart', () => {
  it('nextDouble, stepsBetween and withNeighbours step one double at a time, on both sides of 0', () => {
    expect(nextDouble(0.1, 1)).toBe(0.10000000000000002);
    expect(nextDouble(0.1, -1)).toBe(0.09999999999999999);
    expect(nextDouble(-0.1, 1)).toBe(-0.09999999999999999);
    expect(nextDouble(1, 1)).toBe(1 + Number.EPSILON);
    expect(nextDouble(0, 1)).toBe(Number.MIN_VALUE);
    expect(nextDouble(0, -1)).toBe(-Number.MIN_VALUE);
    expect(() => nextDouble(Infinity, 1)).toThrow(RangeError);
    expect(stepsBetween(5e-99, 5.0000000000000005e-99)).toBe(1);
    expect(stepsBetween(1, 1)).toBe(0);
    expect(stepsBetween(1, nextDouble(nextDouble(1, 1), 1))).toBe(2);
    expect(withNeighbours(1e100)).toEqual([nextDouble(1e100, -1), 1e100, nextDouble(1e100, 1)]);
  });

  it('random documents hold numbers one double apart', () => {
    const numbers = new Set(
      randomDocuments(createRandom(3), 400)
        .flatMap((d) => [d.n, d.score])
        .filter((n): n is number => typeof n === 'number'),
    );
    expect([...numbers].some((n) => numbers.has(nextDouble(n, 1)))).toBe(true);
  });

  it('passes for the memory adapter, which reads every double exactly', async () => {
    await checkNumberNeighbours({ name: 'memory', createStorage: createMemoryStorage, seed: 5 });
  });

  it('fails when a store declares a range but reads numbers outside it exactly, so the range can widen', async () => {
    const check = checkNumberNeighbours({ name: 'memory', createStorage: createMemoryStorage, seed: 5, exactNumbers: { min: 1e-80, max: 1e115 } });
    await expect(check).rejects.toThrow(/agreed with the evaluator: the store reads them exactly now\. Widen exactNumbers/);
  });
});

describe('runConformanceSuite', () => {
  it('has unique test names to skip by', () => {
    expect(new Set(CONFORMANCE_TESTS).size).toBe(CONFORMANCE_TESTS.length);
    expect(CONFORMANCE_TESTS.length).toBeGreaterThan(60);
  });

  it('refuses a skip list naming an unknown test, or giving no reason', () => {
    expect(() => runConformanceSuite({ name: 'x', createStorage: createMemoryStorage, skip: { 'no such test': 'because' } })).toThrow(
      '[pocket/testing] skip names an unknown conformance test: "no such test". Names are listed in CONFORMANCE_TESTS.',
    );
    expect(() => runConformanceSuite({ name: 'x', createStorage: createMemoryStorage, skip: { [CONFORMANCE_TESTS[0]!]: ' ' } })).toThrow(/needs a reason/);
  });
});

describe('recorder', () => {
  it('hands out values in order and times out when none comes', async () => {
    const r = recorder<number>();
    r.push(1);
    setTimeout(() => r.push(2), 5);
    expect(await r.next()).toBe(1);
    expect(await r.next()).toBe(2);
    await expect(r.next(20)).rejects.toThrow('No callback within 20 ms (received 2 so far, all taken).');
    r.push(3);
    r.push(4);
    expect(await r.until((v) => v > 3)).toBe(4);
    expect(r.all).toEqual([1, 2, 3, 4]);
  });
});
