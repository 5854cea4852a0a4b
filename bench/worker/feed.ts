// The Worker of the change-feed scenario (feed.mjs): writes 100,000 documents into D1 through
// Pocket, then updates and deletes some; probes pulls of the stored change feed through the
// recording wrapper (changes, statements, rows read, query plans), Pocket's `changes()` and the
// same SQL by hand, and times loops of them. D1 only.
import { Database, type Collection } from '@pocket/core';
import { createD1Storage, initializeD1Schema } from '@pocket/storage-edge';
import { hash32, type Todo } from './data.js';
import { d1Admin } from './d1-raw.js';
import { COLLECTION, POCKET_INDEXES, POCKET_TABLE, SORTED_COUNT, sortedTodo } from './sorted-variants.js';
import { newTrace, traceD1, type Trace } from './trace.js';
import { clockWork, jsonEndpoint, variantCache } from './endpoint.js';

interface Env {
  DB: D1Database;
}

const FEED_COUNT = SORTED_COUNT;
/** Documents per `bulkInsert` while seeding; a checkpoint is taken after each. */
const INSERT_CHUNK = 2000;
const UPDATES = 1000;
const UPDATE_CHUNK = 100;
const DELETES = 100;
/** Changes per pull. */
const PULL_LIMIT = 100;

const FEED_OPS = ['updates', 'middle', 'head'] as const;
type FeedOp = (typeof FEED_OPS)[number];

/** What the driver keeps between requests (the Worker keeps nothing): checkpoints, as `changes()` returned them. */
interface Checkpoints {
  /** After each chunk of the seed: `seeded[k]` follows the first (k + 1) × INSERT_CHUNK documents. */
  seeded: string[];
  /** Before the updates and deletes (the head after seeding). */
  before: string;
  /** The head after them. */
  head: string;
}

interface Body {
  variant: string;
  op: FeedOp;
  n: number;
  round: number;
  rep: number;
  from: number;
  to: number;
  since: string | null;
  checkpoints: Checkpoints;
  beforeTime: number;
  work?: number;
}

/** One change as both variants return it; `doc` is the document, null for a delete. */
interface FeedChange {
  id: string;
  rev: number;
  deleted: boolean;
  doc: Todo | null;
}
type Pull = (since: string) => Promise<{ changes: FeedChange[]; checkpoint: string }>;

const T = `"${POCKET_TABLE}"`;
/** The pull as Pocket sends it (store.ts), written by hand. */
const PULL_SQL = `SELECT _id, data, _seq, _deleted FROM ${T} WHERE _seq > ? AND _id <> '' ORDER BY _seq LIMIT ${PULL_LIMIT}`;
/** What a user without a feed might write: rows changed after a time, by the migration's updated_at column (no index). */
const NAIVE_SQL = `SELECT _id, data FROM ${T} WHERE updated_at > ? ORDER BY updated_at LIMIT ${PULL_LIMIT}`;

/** Pocket with the sorted scenario's declared indexes, as an application would create it. */
function pocketCollection(db: D1Database): Collection<Todo> {
  const storage = createD1Storage({ database: db, indexes: POCKET_INDEXES });
  return Database.open({ name: 'feed', storage }).collection<Todo>(COLLECTION);
}

function pocketPull(db: D1Database): Pull {
  const todos = pocketCollection(db);
  return (since) => todos.changes({ since, limit: PULL_LIMIT }) as Promise<{ changes: FeedChange[]; checkpoint: string }>;
}

/** The same statement by hand, prepared once, rows with `all()`; the checkpoint is the last row's `_seq`. */
function rawPull(db: D1Database): Pull {
  const pull = db.prepare(PULL_SQL);
  return async (since) => {
    const { results } = await pull.bind(Number(since)).all<{ _id: string; data: string; _seq: number; _deleted: number | null }>();
    const changes = results.map((row): FeedChange => {
      const doc = JSON.parse(row.data) as Todo & { _rev: number };
      const deleted = row._deleted !== null;
      return { id: row._id, rev: doc._rev, deleted, doc: deleted ? null : doc };
    });
    return { changes, checkpoint: results.length === 0 ? since : String(results[results.length - 1]!._seq) };
  };
}

const VARIANTS: Record<string, (db: D1Database) => Pull> = { raw: rawPull, pocket: pocketPull };

/** The table, made as the guide says (`initializeD1Schema`, with the declared indexes): empty. */
async function reset(db: D1Database) {
  await db.prepare(`DROP TABLE IF EXISTS ${T}`).run();
  await initializeD1Schema(db, { collections: [COLLECTION], indexes: POCKET_INDEXES });
  return { ok: true };
}

/**
 * Documents `from`..`to` through Pocket's `bulkInsert`, INSERT_CHUNK at a time; after each chunk
 * a pull of INSERT_CHUNK changes from the last checkpoint must return the chunk's ids in order,
 * and its checkpoint is kept.
 */
async function insert(db: D1Database, { from, to, since }: Body) {
  const todos = pocketCollection(db);
  const checkpoints: string[] = [];
  const ms = { insert: 0, pull: 0 };
  let last = since;
  for (let i = from; i < to; i += INSERT_CHUNK) {
    const docs = Array.from({ length: Math.min(INSERT_CHUNK, to - i) }, (_, k) => sortedTodo(i + k));
    let t0 = Date.now();
    await todos.bulkInsert(docs);
    ms.insert += Date.now() - t0;
    t0 = Date.now();
    const page = await todos.changes({ since: last, limit: INSERT_CHUNK });
    ms.pull += Date.now() - t0;
    const got = page.changes.map((c) => c.id);
    if (got.length !== docs.length || got.some((id, k) => id !== docs[k]!._id || page.changes[k]!.rev !== 1)) {
      throw new Error(
        `the feed after inserting documents ${i}..${i + docs.length - 1} returned ${got.length} changes, not the chunk's ${docs.length} ids in insert order (first ${got[0]}, expected ${docs[0]!._id})`,
      );
    }
    checkpoints.push((last = page.checkpoint));
  }
  return { checkpoints, ms };
}

/** Distinct document numbers, derived from `salt`: the same every run. */
function picks(salt: string, count: number): number[] {
  const chosen = new Set<number>();
  for (let k = 0; chosen.size < count; k++) chosen.add(hash32(`${salt}/${k}`) % FEED_COUNT);
  return [...chosen];
}
const updated = () => picks('feed-update', UPDATES);
const deleted = () => picks('feed-delete', DELETES);

/**
 * UPDATES random documents through `bulkUpdate` (UPDATE_CHUNK at a time), then DELETES through
 * one `bulkDelete`; then the head checkpoint, by pulling from `since` (the checkpoint before
 * them) until nothing is left.
 */
async function writes(db: D1Database, { since }: Body) {
  const todos = pocketCollection(db);
  const beforeTime = (await db.prepare('SELECT unixepoch() AS t').first<number>('t'))!;
  const ms = { update: 0, delete: 0 };
  const up = updated();
  let t0 = Date.now();
  for (let i = 0; i < up.length; i += UPDATE_CHUNK) {
    await todos.bulkUpdate(
      up.slice(i, i + UPDATE_CHUNK).map((j, k) => ({ id: sortedTodo(j)._id, changes: { completed: (i + k) % 2 === 0, priority: (i + k) % 10 } })),
    );
  }
  ms.update = Date.now() - t0;
  t0 = Date.now();
  const removed = await todos.bulkDelete(deleted().map((j) => sortedTodo(j)._id));
  ms.delete = Date.now() - t0;
  const live = (await db.prepare(`SELECT count(*) AS n FROM ${T} WHERE _deleted IS NULL AND _id <> ''`).first<number>('n')) ?? 0;
  let head = since!;
  for (let page = await todos.changes({ since: head, limit: 10_000 }); page.changes.length > 0; page = await todos.changes({ since: head, limit: 10_000 }))
    head = page.checkpoint;
  return { updated: up.length, removed, live, beforeTime, head, ms };
}

/**
 * The ids the feed must return after the writes, in order: the updated documents that were not
 * deleted afterwards, in update order, then the deleted ones, in delete order (each document
 * once, at its last write).
 */
function expectedAfterWrites(): { ids: string[]; deleted: Set<string> } {
  const gone = deleted().map((j) => sortedTodo(j)._id);
  const goneSet = new Set(gone);
  const ids = [
    ...updated()
      .map((j) => sortedTodo(j)._id)
      .filter((id) => !goneSet.has(id)),
    ...gone,
  ];
  return { ids, deleted: goneSet };
}

const rowsOf = (trace: Trace) => trace.statements.reduce((sum, s) => sum + (s.rowsRead ?? NaN), 0);
const clear = (trace: Trace) => ((trace.calls.length = 0), (trace.statements.length = 0));

/** The pull's inputs for the probe (each op once): fixed checkpoints. */
function probeSince(op: FeedOp, c: Checkpoints): string {
  if (op === 'updates') return c.before;
  if (op === 'middle') return c.seeded[FEED_COUNT / INSERT_CHUNK / 2 - 1]!; // after 50,000 documents
  return c.head;
}

/** The k-th input of a timed request: `middle` rotates over the seed's checkpoints (never the last, so a full page follows), the same for both variants. */
function inputOf(op: FeedOp, c: Checkpoints, round: number, rep: number, k: number): string {
  if (op !== 'middle') return probeSince(op, c);
  const choices = c.seeded.length - 1;
  return c.seeded[(hash32(`feed/${round}/${rep}`) + k * 7919) % choices]!;
}

/**
 * Each variant's pulls once through the recording wrapper, counting rows read: the changes, the
 * statements and their plans. Pocket's first call in an isolate also sends its declared indexes'
 * DDL (once per binding): that call is reported on its own, and the pulls after it are the
 * steady state. Then a full drain from the checkpoint before the writes (every page of
 * PULL_LIMIT, checked against what the writes did), and the naive query for comparison.
 */
async function probe(db: D1Database, { checkpoints, beforeTime }: Body) {
  const admin = d1Admin(db);
  const out: Record<string, unknown> = {};
  for (const [name, make] of Object.entries(VARIANTS)) {
    const trace = newTrace(true);
    const pull = make(traceD1(db, trace));
    await pull(checkpoints.head);
    const first = { calls: [...trace.calls], statements: [...trace.statements], rowsRead: rowsOf(trace) };
    const pulls: Record<string, unknown> = {};
    for (const op of FEED_OPS) {
      clear(trace);
      const since = probeSince(op, checkpoints);
      const page = await pull(since);
      const plans = await Promise.all(trace.statements.map((s) => admin.plan(s.sql, s.params)));
      pulls[op] = {
        since,
        changes: page.changes,
        checkpoint: page.checkpoint,
        rowsRead: rowsOf(trace),
        calls: [...trace.calls],
        statements: [...trace.statements],
        plans,
      };
    }
    // The drain: pages of PULL_LIMIT from before the writes until a page comes back empty.
    clear(trace);
    const ids: string[] = [];
    const tombstones: string[] = [];
    let since = checkpoints.before;
    let pages = 0;
    for (;;) {
      const page = await pull(since);
      pages++;
      for (const c of page.changes) (c.deleted ? tombstones : ids).push(c.id);
      if (page.changes.length === 0) break;
      since = page.checkpoint;
    }
    out[name] = {
      first,
      pulls,
      drain: {
        pages,
        changes: ids.length + tombstones.length,
        ids: [...ids, ...tombstones],
        tombstones,
        checkpoint: since,
        rowsRead: rowsOf(trace),
        statements: trace.statements.length,
      },
    };
  }
  const expected = expectedAfterWrites();
  // The naive alternative, on the same table: a range on updated_at, which has no index.
  const trace = newTrace(true);
  const naive = await traceD1(db, trace).prepare(NAIVE_SQL).bind(beforeTime).all<{ _id: string }>();
  out.naive = {
    sql: NAIVE_SQL,
    params: [beforeTime],
    returned: naive.results.length,
    rowsRead: rowsOf(trace),
    plans: await admin.plan(NAIVE_SQL, [beforeTime]),
  };
  out.expected = { ids: expected.ids, tombstones: [...expected.deleted] };
  out.table = {
    rows: await db.prepare(`SELECT count(*) AS n FROM ${T}`).first<number>('n'),
    maxSeq: await db.prepare(`SELECT max(_seq) AS n FROM ${T}`).first<number>('n'),
    indexes: (await db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?`).bind(POCKET_TABLE).all<{ name: string }>()).results.map(
      (r) => r.name,
    ),
  };
  return out;
}

/** One timed request: n pulls; inputs are made before the clock starts. */
async function run(pull: Pull, { op, n, round, rep, checkpoints }: Body) {
  const inputs = Array.from({ length: n }, (_, k) => inputOf(op, checkpoints, round, rep, k));
  let sink = 0;
  let first = '';
  const t0 = performance.now();
  for (const since of inputs) {
    const page = await pull(since);
    sink += page.changes.length;
    first ||= `${page.checkpoint}:${page.changes[0]?.id ?? ''}`;
  }
  // Variants' requests run different numbers of pulls, but the first pull's input is the same: its checkpoint and first id must be too.
  return { ms: performance.now() - t0, n, sink, first };
}

/** Variants are made once per isolate, as a Worker would keep them. */
const variants = variantCache(VARIANTS);
const variantOf = (env: Env, name: string): Pull => variants.of(name, env.DB);

async function handle(action: string, body: Body, env: Env): Promise<unknown> {
  switch (action) {
    case 'clock':
      return clockWork(body.work);
    case 'reset':
      variants.clear();
      return reset(env.DB);
    case 'insert':
      return insert(env.DB, body);
    case 'writes':
      return writes(env.DB, body);
    case 'probe':
      return probe(env.DB, body);
    case 'run':
      return run(variantOf(env, body.variant), body);
    default:
      throw new Error(`unknown action "${action}"`);
  }
}

export default { fetch: jsonEndpoint(handle) } satisfies ExportedHandler<Env>;
