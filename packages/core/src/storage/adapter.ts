import type { JsonObject, JsonValue } from '../document.js';
import type { Filter, FindQuery } from '../query/ast.js';

/**
 * The storage-adapter contract. An adapter is an object from a factory
 * (`createMemoryStorage()`, `createD1Storage(...)`) that hands out one store per collection.
 * Core validates every document, id, patch and query before an adapter sees it, so adapters
 * only store and fetch.
 */
export interface StorageAdapter {
  /** A short name for messages: `'memory'`, `'d1'`, `'durable-object'`. */
  readonly name: string;
  readonly capabilities: StorageCapabilities;
  /**
   * Returns the store for one collection of one database. Called once per collection per
   * `Database`, so it must be cheap and must not do I/O (create tables lazily instead).
   */
  collection(name: string, context: CollectionContext): CollectionStore;
}

export interface StorageCapabilities {
  /**
   * Whether `write()` is all-or-nothing: when one operation of a batch fails, none is applied.
   * Defaults to nothing; each adapter states it.
   */
  readonly atomicWrites: boolean;
  /**
   * Whether `find()` applies a query's `after` position (cursor pages, `page()`/`after()`), with
   * the semantics of core's `evaluate`. Without it core refuses such queries with a `QueryError`
   * rather than let the adapter return the wrong page.
   */
  readonly cursorPages?: boolean;
  /**
   * Whether `find()` applies a query's `select` itself, returning only `_id` and those fields.
   * Without it core trims the whole documents the adapter returns.
   */
  readonly projections?: boolean;
  /**
   * Whether the store keeps revisions: it stores the `_rev` each write assigns (1 for a new
   * document, the previous revision + 1 for any other write, a delete included), and checks
   * `expectedRev` inside the write. Without it core refuses `expectedRev`, since it could not be
   * checked, and documents read back carry whatever `_rev` the store returns.
   */
  readonly revisions?: boolean;
  /** Whether `write()` applies `operators` (increment, arrayUnion, …) atomically. Without it core refuses them. */
  readonly fieldOperators?: boolean;
  /** Whether the store has `changes()` and `purgeTombstones()`: a stored change feed, with tombstones for deletes. */
  readonly changeFeed?: boolean;
}

export interface CollectionContext {
  /** The `name` given to `Database.create`. */
  readonly database: string;
  /**
   * The database's operation hook (`Database.create({ onOperation })`), when one is installed:
   * the store calls it once per operation, when the operation has finished, with what it sent
   * and what that cost. Absent, the store must not measure anything (it costs nothing then).
   */
  readonly onOperation?: OperationHook;
}

/** Receives one record per storage operation; see `OperationRecord`. It must not throw (a throw is logged and ignored). */
export type OperationHook = (record: OperationRecord) => void;

/**
 * What one operation of a store did: for the hook of `Database.create({ onOperation })`, to log,
 * trace or bill queries by. Counts come from the backend itself where it has them (D1's `meta`,
 * a SQLite cursor's `rowsRead`/`rowsWritten`), else from the store (keys of KV storage,
 * documents of memory storage).
 */
export interface OperationRecord {
  /** The adapter's name: `'d1'`, `'durable-object-sql'`, `'durable-object'`, `'memory'`. */
  readonly storage: string;
  readonly database: string;
  readonly collection: string;
  /** `get` (get and getMany), `find`, `count`, `explain`, `write` (every write method), `changes`, `purge`. */
  readonly operation: 'get' | 'find' | 'count' | 'explain' | 'write' | 'changes' | 'purge';
  /** Each statement sent, as SQL text with `?` placeholders and no values; empty where there is no SQL. */
  readonly statements: readonly string[];
  /**
   * Milliseconds from the call to its answer, by `performance.now()`. In a Worker the clock
   * advances only across I/O, so this is the time spent waiting on the backend; computation in
   * between reads as 0.
   */
  readonly durationMs: number;
  /** Rows (SQL) or documents (memory) read; D1 bills these. */
  readonly rowsRead: number;
  /** Rows written, index entries included where the backend counts them (D1, SQLite). */
  readonly rowsWritten: number;
  /** KV storage: keys read and written (or deleted). */
  readonly keysRead?: number;
  readonly keysWritten?: number;
  /** D1: whether the primary database answered, and where (`meta.served_by_primary`, `meta.served_by_region`), from the last statement. */
  readonly servedByPrimary?: boolean;
  readonly servedByRegion?: string;
  /** The error the operation failed with; absent when it succeeded. */
  readonly error?: unknown;
}

/** A stored document: a JSON object with a string `_id` (and, where the store keeps revisions, `_rev`). */
export type StoredDocument = JsonObject & { _id: string };

export interface CollectionStore {
  /** Documents by id, in the order asked, `null` where there is none. Ids may repeat. */
  getMany(ids: readonly string[]): Promise<Array<StoredDocument | null>>;
  /** Runs a query with exactly the semantics of core's `evaluate`. */
  find(query: FindQuery): Promise<StoredDocument[]>;
  /** Counts the documents matching a filter (`null`: all of them). */
  count(filter: Filter | null): Promise<number>;
  /**
   * How the store would run a query: its statement and the backend's plan. Optional: for a store
   * without it, core explains the query as a scan in memory.
   */
  explain?(query: FindQuery): Promise<QueryExplanation>;
  /**
   * Applies writes in order and returns one result per operation. A failing operation throws
   * the matching `PocketError` (`DuplicateKeyError`, `DocumentNotFoundError`, a
   * `ValidationError` for a document over the backend's size limit); when
   * `capabilities.atomicWrites` is true, nothing of the batch is then applied.
   */
  write(operations: readonly WriteOperation[]): Promise<WriteResult[]>;
  /**
   * The documents changed after sequence number `since`, each once at its latest state, in the
   * order of their last write, at most `limit` of them. A delete is a tombstone (`deleted: true`,
   * `doc: null`) until purged. `checkpoint` is the sequence number of the last change returned,
   * or `since` when there is none. Required with `capabilities.changeFeed`.
   */
  changes?(since: number, limit: number): Promise<{ changes: StoredChange[]; checkpoint: number }>;
  /**
   * Removes the tombstones of deletes at or before sequence number `through` (all of them when
   * null) and returns how many it removed. Required with `capabilities.changeFeed`.
   */
  purgeTombstones?(through: number | null): Promise<number>;
}

/** One entry of the change feed: a document at its latest revision, or the tombstone of its delete. */
export interface StoredChange {
  readonly id: string;
  readonly rev: number;
  readonly deleted: boolean;
  /** The document as stored now; `null` for a tombstone. */
  readonly doc: StoredDocument | null;
  /** The sequence number of the write: increasing in commit order, never reused. */
  readonly seq: number;
}

/** What `query.explain()` returns: how a query runs, and what would make it cheaper. */
export interface QueryExplanation {
  /** The statement the store sends, with `?` placeholders; `null` where there is no SQL. */
  readonly sql: string | null;
  /** The statement's bound values, in order. */
  readonly params: readonly unknown[];
  /** The backend's plan, a line per step (SQLite's `EXPLAIN QUERY PLAN` details). */
  readonly plan: readonly string[];
  /** Whether every document of the collection is read (a table scan, or a scan in memory). */
  readonly fullScan: boolean;
  /** Whether every match is read and sorted before the first result (no index serves the sort). */
  readonly sortsAllMatches: boolean;
  /**
   * An index that would serve the query, when the plan shows a scan or a full sort: the fields
   * to declare (`indexes: { todos: [fields] }`), and the statement that creates it.
   */
  readonly suggestedIndex: {
    readonly fields: ReadonlyArray<string | { readonly path: string; readonly direction: 'asc' | 'desc' }>;
    readonly sql: string;
  } | null;
}

/**
 * A field operator of a patch, as the store applies it to the stored value of a top-level field
 * (see `applyOperators` for the exact semantics every store follows).
 */
export type FieldUpdate =
  | { readonly field: string; readonly kind: 'increment'; readonly by: number }
  | { readonly field: string; readonly kind: 'arrayUnion' | 'arrayRemove'; readonly values: readonly JsonValue[] }
  | { readonly field: string; readonly kind: 'deleteField' };

/**
 * One write. `expectedRev`, where given, is checked inside the write: a document at another
 * revision (or none, for `delete` and `upsert`) fails it with a `ConflictError` and nothing of
 * the batch is written. For `upsert`, `expectedRev: 0` means "no document has this id".
 * Documents of inserts and upserts arrive with `_rev: 1`; the store replaces it with the
 * revision it assigns.
 */
export type WriteOperation =
  /** Create; fails with `DuplicateKeyError` if the id exists. A tombstone's id is free, and the revision continues from it. */
  | { readonly type: 'insert'; readonly doc: StoredDocument }
  /** Merge top-level fields into an existing document, then apply `operators`; `DocumentNotFoundError` if there is none. */
  | { readonly type: 'update'; readonly id: string; readonly patch: JsonObject; readonly operators?: readonly FieldUpdate[]; readonly expectedRev?: number }
  /** Create, or replace the whole document; `operators` apply to the replaced document's values (or to missing fields). */
  | { readonly type: 'upsert'; readonly doc: StoredDocument; readonly operators?: readonly FieldUpdate[]; readonly expectedRev?: number }
  /** Remove, if present, leaving a tombstone where the store keeps a change feed. */
  | { readonly type: 'delete'; readonly id: string; readonly expectedRev?: number };

export type WriteResult =
  | { readonly type: 'insert'; readonly doc: StoredDocument }
  | { readonly type: 'update'; readonly doc: StoredDocument }
  | { readonly type: 'upsert'; readonly doc: StoredDocument }
  /** `rev` is the tombstone's revision, where the store keeps revisions and a document was deleted. */
  | { readonly type: 'delete'; readonly id: string; readonly deleted: boolean; readonly rev?: number };
