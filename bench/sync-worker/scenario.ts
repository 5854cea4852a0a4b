// What the sync benchmark does with a database, the same on D1 (in the Worker) and on SQLite
// storage (in the Durable Object): seed documents through Pocket, make changes, and pull the
// changes since a checkpoint through the sync server, counting rows read, next to the same feed
// statement written by hand.
import type { Database } from '@pocket/core';
import type { SyncRules, SyncServer } from '@pocket/sync/server';
import { makeTodo, type Todo } from '../worker/data.js';
import type { RowsMeter } from './meter.js';

export interface User {
  id: string;
}

/** Every connection is the same user, who reads and writes everything: the bench measures sync, not rules. */
export const rules: SyncRules<User> = {
  authenticate: () => ({ id: 'bench' }),
  collections: { todos: {}, big: {} },
};

/** The documents of a collection: the main bench's ~200-byte todos under the collection's own ids. */
export const docOf = (collection: string, i: number): Todo => makeTodo(i, collection);

const INSERT_CHUNK = 1000;
/** Timed batches of each variant's pulls in a probe, alternating. */
const TIMED_ROUNDS = 6;

export async function seed(database: Database, collection: string, from: number, to: number): Promise<{ ms: number; count: number }> {
  const todos = database.collection<Todo>(collection);
  const t0 = Date.now();
  for (let i = from; i < to; i += INSERT_CHUNK) {
    await todos.bulkInsert(Array.from({ length: Math.min(INSERT_CHUNK, to - i) }, (_, k) => docOf(collection, i + k)));
  }
  return { ms: Date.now() - t0, count: await todos.count() };
}

/** The head of a collection's feed: pulls until nothing is left. */
export async function head(database: Database, collection: string): Promise<string | null> {
  let since: string | null = null;
  for (;;) {
    const page: { changes: unknown[]; checkpoint: string } = await database.collection(collection).changes({ since, limit: 10_000 });
    if (page.changes.length === 0) return since;
    since = page.checkpoint;
  }
}

/** A typical todo update: one field of document `i`, toggled. */
export async function touch(database: Database, collection: string, i: number, k: number): Promise<void> {
  await database.collection<Todo>(collection).update(docOf(collection, i)._id, { completed: k % 2 === 0 });
}

/** Runs `pull` through the hook's meter: its answer and the rows and statements it cost. */
async function metered<T>(meter: RowsMeter, pull: () => Promise<T>): Promise<{ answer: T; rowsRead: number; statements: string[] }> {
  meter.take();
  const answer = await pull();
  const { rowsRead, operations } = meter.take();
  return { answer, rowsRead, statements: operations.flatMap((o) => o.statements) };
}

export interface HandPull {
  /** The same feed statement as Pocket's, run by hand (documents parsed, as a server would before sending them): rows returned and rows the backend read. */
  (since: number, limit: number): Promise<{ rows: number; rowsRead: number }>;
  sql: string;
}

/** A row of the feed statement. */
export interface FeedRow {
  _id: string;
  data: string;
  _seq: number;
  _deleted: number | null;
}

/** What a hand-written server does with the rows: the documents, parsed; a tombstone is `null`. */
export function parseRows(rows: FeedRow[]): Array<{ id: string; doc: unknown }> {
  return rows.map((row) => ({ id: row._id, doc: row._deleted === null ? JSON.parse(row.data) : null }));
}

/**
 * The incremental pull: from the head of `collection`, `changes` documents are updated, then
 * one pull through the sync server (as `POST …/pull` makes it) and the hand-written statement
 * read the changes since the head. Then batches of `repeat` pulls of each, timed, alternating.
 */
export async function probePull(
  database: Database,
  server: SyncServer<User>,
  meter: RowsMeter,
  hand: HandPull,
  collection: string,
  changes: number,
  round: number,
  repeat: number,
) {
  const since = await head(database, collection);
  const size = await database.collection(collection).count();
  const first = Math.floor(((round * 7919) % 1000) * (size / 1000));
  for (let k = 0; k < changes; k++) await touch(database, collection, (first + k * 97) % size, round);
  const user = { id: 'bench' };
  const request = { collection, filter: null, since, limit: 1000 };
  const pocket = await metered(meter, () => server.pull(user, request));
  const raw = await hand(Number(since ?? 0), 1000);
  // Timed in batches: a pull on SQLite storage takes well under the Worker clock's millisecond.
  const ms = { pocket: [] as number[], raw: [] as number[] };
  for (let r = 0; r < TIMED_ROUNDS && repeat > 0; r++) {
    for (const v of r % 2 === 0 ? (['pocket', 'raw'] as const) : (['raw', 'pocket'] as const)) {
      const t0 = performance.now();
      for (let k = 0; k < repeat; k++) {
        if (v === 'pocket') await server.pull(user, request);
        else await hand(Number(since ?? 0), 1000);
      }
      ms[v].push((performance.now() - t0) / repeat);
    }
  }
  return {
    collection: size,
    changes,
    pocket: { returned: pocket.answer.changes.length, rowsRead: pocket.rowsRead, statements: pocket.statements, caughtUp: pocket.answer.caughtUp },
    raw: { returned: raw.rows, rowsRead: raw.rowsRead, sql: hand.sql },
    ms,
  };
}

/** The hand-written feed statement on a SQL table of Pocket's (the same text as Pocket's store sends). */
export function feedSql(collection: string): string {
  return `SELECT _id, data, _seq, _deleted FROM "pocket_${collection}" WHERE _seq > ? AND _id <> '' ORDER BY _seq LIMIT ?`;
}
