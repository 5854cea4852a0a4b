import type { JsonObject } from '../document.js';
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
}

export interface CollectionContext {
  /** The `name` given to `Database.create`. */
  readonly database: string;
}

/** A stored document: a JSON object with a string `_id`. */
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
  readonly suggestedIndex: { readonly fields: ReadonlyArray<string | { readonly path: string; readonly direction: 'asc' | 'desc' }>; readonly sql: string } | null;
}

export type WriteOperation =
  /** Create; fails with `DuplicateKeyError` if the id exists. */
  | { readonly type: 'insert'; readonly doc: StoredDocument }
  /** Merge top-level fields into an existing document; `DocumentNotFoundError` if there is none. */
  | { readonly type: 'update'; readonly id: string; readonly patch: JsonObject }
  /** Create, or replace the whole document. */
  | { readonly type: 'upsert'; readonly doc: StoredDocument }
  /** Remove, if present. */
  | { readonly type: 'delete'; readonly id: string };

export type WriteResult =
  | { readonly type: 'insert'; readonly doc: StoredDocument }
  | { readonly type: 'update'; readonly doc: StoredDocument }
  | { readonly type: 'upsert'; readonly doc: StoredDocument }
  | { readonly type: 'delete'; readonly id: string; readonly deleted: boolean };
