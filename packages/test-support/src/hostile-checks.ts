// The hostile-input checks every adapter runs: each takes a Database over the adapter under
// test, feeds it one category of the catalogue in hostile-inputs.ts and returns how many
// inputs it tried. Core runs them on the memory adapter; storage-edge on D1 and both Durable
// Object stores.
import {
  QueryError,
  ValidationError,
  type AnyDocument,
  type Collection,
  type Database,
  type FindQuery,
  type JsonObject,
  type StoredDocument,
} from '@pocket/core';
import { matches } from '@pocket/core/adapter';
import { queryBuilderFor, expectEvaluatorResult } from '@pocket/core/testing';
import { expect } from 'vitest';
import {
  expectNoPollution,
  expectRefused,
  HOSTILE_IDS,
  HOSTILE_KEYS,
  HOSTILE_TEXT,
  nonObjects,
  prototypeSnapshot,
  REFUSED_COLLECTION_NAMES,
  REFUSED_PATHS,
  refusedFields,
  refusedIds,
  refusedPatches,
  refusedQueries,
  snapshot,
  storedDocuments,
  storedPatches,
} from './hostile-inputs.js';

let counter = 0;
/** A collection of its own for each check, so checks never see each other's documents. */
function fresh(db: Database, label: string): Collection<AnyDocument> {
  counter += 1;
  return db.collection(`hostile_${label}_${counter}`);
}

/** Non-objects and documents with a refused field: every write refuses them, nothing is written. */
export async function checkRefusedDocuments(db: Database): Promise<number> {
  const before = prototypeSnapshot();
  const c = fresh(db, 'docs');
  await c.insert({ _id: 'base', v: 1 });
  const kept = await snapshot(c);
  const inputs = [
    ...nonObjects().map((i) => ({ ...i, path: undefined })),
    ...refusedFields(),
    ...refusedIds().map((i) => ({ ...i, value: { _id: i.value, v: 1 } })),
  ];
  for (const { label, value, path } of inputs) {
    await expectRefused(() => c.insert(value as never), ValidationError, `insert ${label}`, path);
    await expectRefused(() => c.upsert(value as never), ValidationError, `upsert ${label}`, path);
    await expectRefused(() => c.bulkInsert([{ _id: 'ok-before' }, value as never, { _id: 'ok-after' }]), ValidationError, `bulkInsert ${label}`, path);
  }
  expect(await snapshot(c)).toEqual(kept);
  expectNoPollution(before);
  return inputs.length;
}

/** Odd but valid documents are stored and read back exactly, by get, getMany and find. */
export async function checkStoredDocuments(db: Database): Promise<number> {
  const before = prototypeSnapshot();
  const c = fresh(db, 'stored');
  const inputs = storedDocuments();
  for (const [i, { label, value, stored }] of inputs.entries()) {
    const id = `doc-${i}`;
    const input = Object.assign(value as object, { _id: id });
    const expected = { ...stored, _id: id, _rev: 1 };
    expect(await c.insert(input as never), `insert ${label}`).toEqual(expected);
    expect(await c.get(id), `get ${label}`).toEqual(expected);
    expect(await c.find().where('_id').equals(id).exec(), `find ${label}`).toEqual([expected]);
  }
  expect(await c.count()).toBe(inputs.length);
  // Also as one bulk insert, in another collection.
  const bulk = fresh(db, 'stored_bulk');
  await bulk.bulkInsert(inputs.map(({ value }, i) => Object.assign(value as object, { _id: `doc-${i}` }) as never));
  expect(await bulk.find().exec()).toEqual(await c.find().exec());
  expectNoPollution(before);
  return inputs.length;
}

/** Hostile but valid `_id`s: stored, found, updated and deleted as themselves, never as another id. */
export async function checkIds(db: Database): Promise<number> {
  const before = prototypeSnapshot();
  const c = fresh(db, 'ids');
  await c.insert({ _id: 'bystander', v: 'untouched' });
  for (const id of HOSTILE_IDS) {
    const label = `_id ${JSON.stringify(id.slice(0, 40))}`;
    expect(await c.insert({ _id: id, v: 1 }), label).toEqual({ _id: id, v: 1, _rev: 1 });
    expect(await c.get(id), label).toEqual({ _id: id, v: 1, _rev: 1 });
    expect(await c.getMany([id, 'bystander', id]), label).toEqual([
      { _id: id, v: 1, _rev: 1 },
      { _id: 'bystander', v: 'untouched', _rev: 1 },
      { _id: id, v: 1, _rev: 1 },
    ]);
    expect(await c.find().where('_id').equals(id).count(), label).toBe(1);
    expect(await c.find().where('_id').in([id]).count(), label).toBe(1);
    expect(await c.update(id, { v: 2 }), label).toEqual({ _id: id, v: 2, _rev: 2 });
    expect(await c.upsert({ _id: id, v: 3 }), label).toEqual({ _id: id, v: 3, _rev: 3 });
    expect(await c.count(), label).toBe(2);
    expect(await c.delete(id), label).toBe(true);
    expect(await c.delete(id), label).toBe(false);
  }
  // All at once, in bulk.
  await c.bulkInsert(HOSTILE_IDS.map((id) => ({ _id: id, v: 1 })));
  expect(await c.count()).toBe(HOSTILE_IDS.length + 1);
  expect(await c.bulkUpdate(HOSTILE_IDS.map((id) => ({ id, changes: { v: 2 } })))).toHaveLength(HOSTILE_IDS.length);
  expect(await c.find().where('v').equals(2).count()).toBe(HOSTILE_IDS.length);
  expect(await c.bulkDelete([...HOSTILE_IDS])).toBe(HOSTILE_IDS.length);
  expect(await c.find().exec()).toEqual([{ _id: 'bystander', v: 'untouched', _rev: 1 }]);

  const refused = refusedIds();
  for (const { label, value } of refused) {
    await expectRefused(() => c.get(value as never), ValidationError, `get ${label}`, '_id');
    await expectRefused(() => c.getMany(['bystander', value as never]), ValidationError, `getMany ${label}`, '_id');
    await expectRefused(() => c.update(value as never, { v: 0 }), ValidationError, `update ${label}`, '_id');
    await expectRefused(() => c.delete(value as never), ValidationError, `delete ${label}`, '_id');
    await expectRefused(() => c.bulkDelete(['bystander', value as never]), ValidationError, `bulkDelete ${label}`, '_id');
    await expectRefused(
      () =>
        c.bulkUpdate([
          { id: 'bystander', changes: { v: 0 } },
          { id: value as never, changes: {} },
        ]),
      ValidationError,
      `bulkUpdate ${label}`,
      '_id',
    );
  }
  expect(await c.find().exec()).toEqual([{ _id: 'bystander', v: 'untouched', _rev: 1 }]);
  expectNoPollution(before);
  return HOSTILE_IDS.length + refused.length;
}

/** Patches: the refused leave the document as it was; the accepted merge exactly. */
export async function checkPatches(db: Database): Promise<number> {
  const before = prototypeSnapshot();
  const c = fresh(db, 'patches');
  const base = { _id: 'base', keep: { nested: [1, 'two', null] }, v: 1 };
  await c.insert(base);
  await c.insert({ _id: 'other', v: 'untouched' });
  const refused = refusedPatches();
  for (const { label, value, path } of refused) {
    await expectRefused(() => c.update('base', value as never), ValidationError, `update with ${label}`, path);
    await expectRefused(
      () =>
        c.bulkUpdate([
          { id: 'other', changes: { v: 'changed' } },
          { id: 'base', changes: value as never },
        ]),
      ValidationError,
      `bulkUpdate with ${label}`,
      path,
    );
  }
  // Refused writes change nothing, the revisions included.
  expect(await snapshot(c)).toEqual([
    { ...base, _rev: 1 },
    { _id: 'other', v: 'untouched', _rev: 1 },
  ]);

  const accepted = storedPatches();
  let current: JsonObject = { ...base, _rev: 1 };
  for (const { label, patch } of accepted) {
    const { _id, ...fields } = patch;
    current = { ...current, ...fields, _rev: (current._rev as number) + 1 };
    expect(await c.update('base', patch as never), label).toEqual(current);
    expect(await c.get('base'), label).toEqual(current);
  }
  // The same patches in one bulkUpdate, on a copy: from revision 1, as many writes as the original had.
  await c.insert({ ...base, _id: 'copy' });
  const bulk = await c.bulkUpdate(accepted.map(({ patch }) => ({ id: 'copy', changes: { ...patch, _id: 'copy' } })));
  expect(bulk.at(-1)).toEqual({ ...current, _id: 'copy' });
  expect(await c.get('copy')).toEqual({ ...current, _id: 'copy' });
  expect(await c.get('other')).toEqual({ _id: 'other', v: 'untouched', _rev: 1 });
  expectNoPollution(before);
  return refused.length + accepted.length;
}

/** Keys that mean something to SQL or JavaScript are stored, queried and sorted as plain keys. */
export async function checkPaths(db: Database): Promise<number> {
  const before = prototypeSnapshot();
  const c = fresh(db, 'paths');
  const docs: AnyDocument[] = HOSTILE_KEYS.map((key, i) => ({
    _id: `k${String(i).padStart(2, '0')}`,
    [key]: HOSTILE_TEXT[i % HOSTILE_TEXT.length]!,
    nested: { [key]: i },
  }));
  // The evaluator's input is the documents as stored, at revision 1.
  const stored: AnyDocument[] = docs.map((doc) => ({ ...doc, _rev: 1 }));
  expect(await c.bulkInsert(docs)).toEqual(stored);
  for (const [i, key] of HOSTILE_KEYS.entries()) {
    const label = `path ${JSON.stringify(key.slice(0, 30))}`;
    const value = HOSTILE_TEXT[i % HOSTILE_TEXT.length]!;
    const queries: FindQuery[] = [
      c.find().where(key).equals(value).toQuery(),
      c.find().where(key).exists().toQuery(),
      c.find().where(key).exists(false).toQuery(),
      c.find().where(`nested.${key}`).equals(i).toQuery(),
      c.find().where(`nested.${key}`).gte(0).sort(`nested.${key}`, 'desc').toQuery(),
      c.find().where(key).startsWith(value.slice(0, 3)).toQuery(),
      c.find().sort(key).sort(`nested.${key}`, 'desc').limit(5).toQuery(),
    ];
    for (const query of queries) await expectSameAsEvaluator(c, query, stored, label);
  }
  for (const path of REFUSED_PATHS) {
    const label = `path ${String(JSON.stringify(path)).slice(0, 30)}`;
    await expectRefused(
      () =>
        c
          .find()
          .where(path as string)
          .equals(1)
          .exec(),
      QueryError,
      `where ${label}`,
    );
    await expectRefused(
      () =>
        c
          .find()
          .sort(path as string)
          .exec(),
      QueryError,
      `sort ${label}`,
    );
  }
  expect(await c.count()).toBe(docs.length);
  expectNoPollution(before);
  return HOSTILE_KEYS.length + REFUSED_PATHS.length;
}

/** Refused collection names never reach the adapter. */
export async function checkCollectionNames(db: Database): Promise<number> {
  for (const name of REFUSED_COLLECTION_NAMES) {
    await expectRefused(() => db.collection(name as never), ValidationError, `collection ${String(JSON.stringify(name)).slice(0, 40)}`);
  }
  return REFUSED_COLLECTION_NAMES.length;
}

/** Every refused query is a QueryError before the adapter is asked anything. */
export async function checkRefusedQueries(db: Database): Promise<number> {
  const before = prototypeSnapshot();
  const c = fresh(db, 'queries');
  // Short enough that a pattern the builder should have refused still finishes (and fails the check) instead of hanging it.
  await c.insert({ _id: 'a', v: 1, s: `${'a'.repeat(16)}b` });
  const queries = refusedQueries();
  for (const { label, build } of queries) {
    await expectRefused(
      async () => {
        const built = build(c.find(), c);
        // Anything the builder let through is run, so a refusal at run time counts too.
        if (built instanceof Promise) await built;
        else if (built !== null && typeof built === 'object' && 'exec' in built) await (built as { exec(): Promise<unknown> }).exec();
      },
      QueryError,
      label,
    );
  }
  expectNoPollution(before);
  return queries.length;
}

/** Queries at the edges of what is allowed: each returns what the evaluator returns. */
export async function checkEdgeQueries(db: Database): Promise<number> {
  const c = fresh(db, 'edges');
  const docs: AnyDocument[] = [
    ...HOSTILE_TEXT.map((s, i) => ({ _id: `s${String(i).padStart(2, '0')}`, s, n: i % 7, tags: [s, i] })),
    { _id: 'zero', n: 0, s: '' },
    { _id: 'null', n: null, s: null },
    { _id: 'missing' },
    { _id: 'nul', s: 'x\u0000y', n: -1 },
    { _id: 'nul2', s: 'x\u0000', n: -2 },
    { _id: 'x', s: 'x', n: 1.5 },
    { _id: 'big', n: Number.MAX_SAFE_INTEGER, s: 'ab'.repeat(500) + 'c' },
    { _id: 'neg', n: -Number.MAX_VALUE, s: '😀😀' },
  ];
  await c.bulkInsert(docs);
  const stored = await c.find().exec();
  const q = () => c.find();
  const queries: FindQuery[] = [
    q().where('n').in([]).toQuery(),
    q().where('n').notIn([]).toQuery(),
    q().where('s').in(HOSTILE_TEXT).toQuery(),
    q().where('s').notIn(HOSTILE_TEXT).toQuery(),
    q()
      .where('s')
      .in(Array.from({ length: 1500 }, (_, i) => `v${i}`).concat(['x']))
      .toQuery(),
    q().limit(0).toQuery(),
    q().skip(1_000_000_000).toQuery(),
    q().limit(Number.MAX_SAFE_INTEGER).toQuery(),
    q().skip(Number.MAX_SAFE_INTEGER).limit(Number.MAX_SAFE_INTEGER).toQuery(),
    q().sort('s').skip(3).limit(4).toQuery(),
    q().where('n').equals(-0).toQuery(),
    q().where('n').between(5, 1).toQuery(),
    q().where('n').gt(-Number.MAX_VALUE).toQuery(),
    q().where('n').lte(Number.MAX_SAFE_INTEGER).sort('n', 'desc').toQuery(),
    q().where('s').equals('').toQuery(),
    q().where('s').startsWith('').toQuery(),
    q().where('s').startsWith('x\u0000').toQuery(),
    q().where('s').startsWith('\u0000').toQuery(),
    q().where('s').startsWith('😀').toQuery(),
    q().where('s').contains('').toQuery(),
    q().where('s').contains('\u0000').toQuery(),
    q().where('s').equals('x\u0000y').toQuery(),
    q().where('s').gt('x').where('s').lt('x\u0001').toQuery(),
    q().where('s').matches('').toQuery(),
    q().where('s').matches('^(ab|c)+$').toQuery(),
    q().where('s').matches('\\u0000', 'u').toQuery(),
    q().where('s').matches('DROP TABLE', 'i').toQuery(),
    q().where('tags').contains(`'); DROP TABLE pocket_todos; --`).toQuery(),
    q().where('tags').contains(3).toQuery(),
    ...HOSTILE_TEXT.map((s) => q().where('s').equals(s).toQuery()),
    ...HOSTILE_TEXT.map((s) => q().where('s').gte(s).sort('s', 'desc').toQuery()),
  ];
  for (const [i, query] of queries.entries()) await expectSameAsEvaluator(c, query, stored, `edge query ${i}: ${JSON.stringify(query).slice(0, 200)}`);
  expect(await c.count()).toBe(docs.length);
  return queries.length;
}

/** `exec()`, `count()` and `first()` agree with the evaluator on `docs`. */
export async function expectSameAsEvaluator(c: Collection<AnyDocument>, query: FindQuery, docs: readonly AnyDocument[], label: string): Promise<void> {
  const builder = queryBuilderFor(c, query);
  expectEvaluatorResult(await builder.exec(), query, docs as StoredDocument[], `exec ${label}`);
  expect(await builder.count(), `count ${label}`).toBe(docs.filter((d) => matches(query.filter, d)).length);
  const first = await builder.first();
  expectEvaluatorResult(first === null ? [] : [first], { ...query, limit: Math.min(query.limit ?? 1, 1) }, docs as StoredDocument[], `first ${label}`);
}

/** Runs every check and returns how many inputs each tried. */
export async function runAllHostileChecks(db: Database): Promise<Record<string, number>> {
  return {
    'refused documents': await checkRefusedDocuments(db),
    'stored documents': await checkStoredDocuments(db),
    ids: await checkIds(db),
    patches: await checkPatches(db),
    paths: await checkPaths(db),
    'collection names': await checkCollectionNames(db),
    'refused queries': await checkRefusedQueries(db),
    'edge queries': await checkEdgeQueries(db),
  };
}
