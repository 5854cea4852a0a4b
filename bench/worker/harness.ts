import { newTrace, type Trace } from './trace.js';
import { COLLECTION, DOC_COUNT, makeTodo, pick, seedId, userOf, type Todo } from './data.js';

/**
 * One way of doing the benchmark's operations: raw D1, Pocket on D1, Drizzle on D1, raw Durable
 * Object storage, Pocket on Durable Objects… Each variant does the same job and must return the
 * same documents; how it does it is the variant's business.
 */
export interface Variant {
  /** The document with this id, or null. */
  get(id: string): Promise<Todo | null>;
  /** `userId = ?`, in `_id` order, at most 100 (served by the expression index on userId in SQL). */
  byUser(userId: string): Promise<Todo[]>;
  /** `priority >= ?`, newest `createdAt` first, at most 20 (no index: a scan and a sort). */
  range(minPriority: number): Promise<Todo[]>;
  /** How many documents the collection holds. */
  count(): Promise<number>;
  /** Sets one field of one document. */
  update(id: string, completed: boolean): Promise<unknown>;
  /** Sets one field of each document, each to its own value. */
  bulkUpdate(changes: ReadonlyArray<{ id: string; completed: boolean }>): Promise<unknown>;
  /** Inserts new documents. */
  bulkInsert(docs: Todo[]): Promise<unknown>;
  /** Deletes one document by id. */
  delete(id: string): Promise<unknown>;
}

export const OPS = ['get', 'byUser', 'range', 'count', 'update', 'bulkUpdate', 'bulkInsert', 'delete'] as const;
export type OpName = (typeof OPS)[number];
export type Backend = 'd1' | 'do-kv' | 'do-sql';

export const BY_USER_LIMIT = 100;
export const RANGE_MIN_PRIORITY = 5;
export const RANGE_LIMIT = 20;
export const BULK_UPDATE_SIZE = 100;
export const BULK_INSERT_SIZE = 1000;

export interface RunSpec {
  backend: Backend;
  variant: string;
  op: OpName;
  /** Operations in this request. */
  n: number;
  round: number;
  rep: number;
}

export interface RunResult {
  /** Time of the loop of `n` operations, measured where it ran. */
  ms: number;
  n: number;
  /** A digest of what the operations returned (documents seen, counts…), equal across variants. */
  sink: number;
}

/** The namespace of the ids of the k-th bulk insert of a request; `delete` and cleanup regenerate them. */
export const bulkNamespace = (variant: string, round: number, rep: number, k: number) => `bulk/${variant}/${round}/${rep}/${k}`;

/** New documents for the k-th bulk insert of a request: same fields for every variant, ids of its own. */
export function bulkDocs(variant: string, round: number, rep: number, k: number): Todo[] {
  const ns = bulkNamespace(variant, round, rep, k);
  return Array.from({ length: BULK_INSERT_SIZE }, (_, j) => makeTodo(DOC_COUNT + k * BULK_INSERT_SIZE + j, ns));
}

/** Every id the bulk inserts of a request created, for cleaning up after `delete`. */
export function bulkIds(variant: string, round: number, rep: number, batches: number): string[] {
  const ids: string[] = [];
  for (let k = 0; k < batches; k++) for (const doc of bulkDocs(variant, round, rep, k)) ids.push(doc._id);
  return ids;
}

/**
 * Runs `n` operations of one kind one after another and times the loop. Inputs are built before
 * the clock starts; everything the variant does (building SQL, validating, serialising, the
 * round trips, parsing rows) is inside it.
 *
 * The clock: workerd only advances `performance.now()` across I/O in production; under
 * Miniflare it also advances during computation (checked by run.mjs against wall time), at 1 ms
 * resolution, so requests are sized to take 100 ms or more.
 */
export async function runOp(v: Variant, spec: RunSpec): Promise<RunResult> {
  const { op, n, round, rep, variant } = spec;
  let sink = 0;
  let t0 = 0;
  switch (op) {
    case 'get': {
      const ids = Array.from({ length: n }, (_, k) => seedId(pick(round, rep, k)));
      t0 = performance.now();
      for (const id of ids) if ((await v.get(id))?._id === id) sink++;
      break;
    }
    case 'byUser': {
      const users = Array.from({ length: n }, (_, k) => userOf(pick(round, rep, k)));
      t0 = performance.now();
      for (const u of users) sink += (await v.byUser(u)).length;
      break;
    }
    case 'range': {
      t0 = performance.now();
      for (let k = 0; k < n; k++) sink += (await v.range(RANGE_MIN_PRIORITY)).length;
      break;
    }
    case 'count': {
      t0 = performance.now();
      for (let k = 0; k < n; k++) sink += await v.count();
      break;
    }
    case 'update': {
      const ids = Array.from({ length: n }, (_, k) => seedId(pick(round, rep, k)));
      t0 = performance.now();
      for (let k = 0; k < n; k++) {
        await v.update(ids[k]!, (round + k) % 2 === 0);
        sink++;
      }
      break;
    }
    case 'bulkUpdate': {
      const batches = Array.from({ length: n }, (_, k) =>
        Array.from({ length: BULK_UPDATE_SIZE }, (_, j) => ({ id: seedId(pick(round, rep, k * BULK_UPDATE_SIZE + j)), completed: (round + j) % 2 === 0 })),
      );
      t0 = performance.now();
      for (const batch of batches) {
        await v.bulkUpdate(batch);
        sink += batch.length;
      }
      break;
    }
    case 'bulkInsert': {
      const batches = Array.from({ length: n }, (_, k) => bulkDocs(variant, round, rep, k));
      t0 = performance.now();
      for (const docs of batches) {
        await v.bulkInsert(docs);
        sink += docs.length;
      }
      break;
    }
    case 'delete': {
      // Deletes documents this variant's bulk insert of the same round and rep created.
      const ids = bulkIds(variant, round, rep, Math.ceil(n / BULK_INSERT_SIZE)).slice(0, n);
      t0 = performance.now();
      for (const id of ids) {
        await v.delete(id);
        sink++;
      }
      break;
    }
    default:
      throw new Error(`unknown op ${String(op)}`);
  }
  return { ms: performance.now() - t0, n, sink };
}

/** What the check pass compares across variants: read results, and the state writes leave. */
export interface CheckResult {
  reads: Record<string, unknown>;
  writes: Array<Omit<Todo, '_id'> | null>;
}

export const CHECK_USERS = [userOf(0), userOf(42), userOf(99), 'user-nobody'];
export const CHECK_PRIORITIES = [0, 5, 9, 10];

/**
 * The check pass: the read operations with fixed inputs (full documents, in order), then a
 * small write scenario whose end state is read back with `readBack` (the backend's raw reader,
 * so a variant cannot vouch for itself).
 */
export async function checkVariant(
  v: Variant,
  variant: string,
  readBack: (ids: string[]) => Promise<Array<Todo | null>>,
  removeIds: (ids: string[]) => Promise<void>,
): Promise<CheckResult> {
  const ids = [...Array.from({ length: 10 }, (_, k) => seedId(k * 997)), 'no-such-id'];
  const reads: Record<string, unknown> = {
    get: await Promise.all(ids.map((id) => v.get(id))),
    byUser: await Promise.all(CHECK_USERS.map((u) => v.byUser(u))),
    range: await Promise.all(CHECK_PRIORITIES.map((p) => v.range(p))),
    count: await v.count(),
  };

  const docs = Array.from({ length: 5 }, (_, i) => makeTodo(50_000 + i, `check/${variant}`));
  const docIds = docs.map((d) => d._id);
  await removeIds(docIds); // a previous, interrupted run may have left them
  await v.bulkInsert(docs);
  await v.update(docIds[0]!, !docs[0]!.completed);
  await v.bulkUpdate([
    { id: docIds[1]!, completed: true },
    { id: docIds[2]!, completed: false },
    { id: docIds[3]!, completed: true },
  ]);
  await v.delete(docIds[4]!);
  const after = await readBack(docIds);
  await removeIds(docIds);
  const writes = after.map((doc) => {
    if (doc === null) return null;
    const { _id, ...rest } = doc;
    return rest;
  });
  return { reads, writes };
}

export { COLLECTION };

/** What one operation sends to its backend, for the profile pass. */
export interface OpProfile {
  calls: string[];
  statements: Array<{ sql: string; params: unknown[] }>;
  /** EXPLAIN QUERY PLAN of each SQL statement of a read. */
  plans?: string[][];
}

/**
 * Runs each operation once on a variant built over a recording backend (`make` gets a fresh
 * trace per operation), so the report can say how many round trips and which SQL each
 * operation costs. `delete` removes a document its bulk insert just made; `cleanup` removes
 * the rest.
 */
export async function profileVariant(
  variant: string,
  backend: Backend,
  make: (trace: Trace) => Variant,
  cleanup: (ids: string[]) => Promise<void>,
): Promise<Record<string, OpProfile>> {
  const out: Record<string, OpProfile> = {};
  const round = 1_000_000;
  for (const op of OPS) {
    const trace = newTrace();
    const v = make(trace);
    // Only the operation: what creating the variant sent (a probe, say) is not part of it.
    trace.calls.length = 0;
    trace.statements.length = 0;
    await runOp(v, { backend, variant, op, n: 1, round, rep: 0 });
    out[op] = { calls: trace.calls, statements: trace.statements };
  }
  await cleanup(bulkIds(variant, round, 0, 1));
  return out;
}
