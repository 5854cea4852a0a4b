import type { ChangeEvent, ChangeHub, ChangeListener } from './changes.js';
import type { AnyDocument, BaseDocument, NewDocument, WithRev } from './document.js';
import { assertId, describe } from './document.js';
import { deleteOperation, insertOperation, updateOperation, upsertOperation, type DocumentPatch, type UpsertDocument, type WriteOptions } from './patch.js';
import { ConflictError, DuplicateKeyError, QueryError, ValidationError } from './errors.js';
import { validateDocument, type StandardSchemaV1 } from './schema.js';
import { applyWrite, type DocumentState } from './storage/apply.js';
import { project } from './evaluator/evaluate.js';
import { observeQuery } from './live/observe.js';
import type { Filter, FindQuery } from './query/ast.js';
import { EMPTY_QUERY } from './query/ast.js';
import { filterFromObject, QueryBuilder, type FilterObject, type QueryRunner } from './query/builder.js';
import { parseQuery } from './query/parse.js';
import type { CollectionStore, StorageAdapter, StoredDocument, WriteOperation, WriteResult } from './storage/adapter.js';

/** One change of a bulk update: the id, the fields to merge into it, and optionally the revision it must be at. */
export interface DocumentUpdate<T extends BaseDocument> {
  id: string;
  changes: DocumentPatch<T>;
  expectedRev?: number;
}

/** Where `changes()` starts, and how many changes it returns at most. */
export interface ChangesOptions {
  /** A `checkpoint` from an earlier call; without one, the feed starts at the beginning. */
  since?: string | null;
  /** At most this many changes (1 to 10,000; default 100). */
  limit?: number;
}

/** One entry of the change feed: a document at its latest state, or the tombstone of its delete. */
export interface Change<D> {
  id: string;
  rev: number;
  deleted: boolean;
  /** The document now; `null` when it was deleted. */
  doc: D | null;
}

/** A page of the change feed; pass `checkpoint` as the next call's `since`. */
export interface ChangesPage<D> {
  changes: Array<Change<D>>;
  checkpoint: string;
}

/**
 * A typed collection of documents. Every method validates its input before anything reaches
 * storage, so a rejected call has written nothing.
 */
export class Collection<T extends BaseDocument = AnyDocument> {
  readonly name: string;
  readonly #store: CollectionStore;
  readonly #hub: ChangeHub;
  readonly #runner: QueryRunner<T>;
  readonly #storage: Pick<StorageAdapter, 'name' | 'capabilities'>;
  /** The collection's Standard Schema validator, when it was opened with one. */
  readonly schema: StandardSchemaV1 | undefined;

  /** @internal Use `db.collection(name)`. */
  constructor(name: string, store: CollectionStore, hub: ChangeHub, storage: Pick<StorageAdapter, 'name' | 'capabilities'>, schema?: StandardSchemaV1) {
    this.name = name;
    this.schema = schema;
    this.#store = store;
    this.#hub = hub;
    this.#storage = storage;
    const { cursorPages = false, projections = false } = storage.capabilities;
    this.#runner = {
      find: (query) => {
        if (query.after != null && !cursorPages) {
          return Promise.reject(
            new QueryError(
              `The "${storage.name}" storage adapter does not support cursor pages (after() and page()); use sort() with skip() and limit() instead.`,
            ),
          );
        }
        const select = query.select;
        if (select != null && !projections) {
          // The adapter returns whole documents; trim them here.
          return store.find({ ...query, select: null }).then((docs) => docs.map((doc) => project(doc, select))) as Promise<unknown[]> as Promise<T[]>;
        }
        return store.find(query) as Promise<unknown[]> as Promise<T[]>;
      },
      count: (filter) => store.count(filter),
      explain: (query) =>
        store.explain?.(query) ??
        Promise.resolve({
          sql: null,
          params: [],
          plan: [`SCAN ${name} in memory: every document is read and tested`],
          fullScan: true,
          sortsAllMatches: query.sort.length > 0,
          suggestedIndex: null,
        }),
      observe: (query, listener, onError) => observeQuery(hub, name, () => this.#runner.find(query), listener, onError),
    };
  }

  /** Stores a new document and returns it as stored, with `_rev` 1. Without `_id`, a UUID is generated. */
  async insert(doc: NewDocument<T>): Promise<WithRev<T>> {
    const op = insertOperation(doc);
    // Without a schema nothing is awaited before the store has the write, so writes reach it in call order.
    const [result] = this.#announce(await this.#store.write([this.schema === undefined ? op : await this.#valid(op)]));
    return (result as { doc: StoredDocument }).doc as unknown as WithRev<T>;
  }

  /** The document with this id, or `null`. */
  async get(id: string): Promise<WithRev<T> | null> {
    assertId(id, 'id');
    const [doc] = await this.#store.getMany([id]);
    return (doc ?? null) as WithRev<T> | null;
  }

  /** Documents by id, in the same order, `null` for each id that has none. */
  async getMany(ids: readonly string[]): Promise<Array<WithRev<T> | null>> {
    if (!Array.isArray(ids)) throw new ValidationError(`getMany() takes an array of ids, got ${describe(ids)}.`);
    ids.forEach((id) => assertId(id, 'id'));
    if (ids.length === 0) return [];
    return (await this.#store.getMany(ids)) as Array<WithRev<T> | null>;
  }

  /**
   * Merges `patch` into the top level of the document and returns the whole new document.
   * Fields set to `undefined` are left as they are; field operators (`increment(1)`,
   * `arrayUnion('x')`, `deleteField()`) change a field from its stored value, atomically. With
   * `{ expectedRev }`, the write happens only if the document is at that revision, else it is a
   * `ConflictError`. Throws `DocumentNotFoundError` if there is no document with this id.
   */
  async update(id: string, patch: DocumentPatch<T>, options?: WriteOptions): Promise<WithRev<T>> {
    const [result] = this.#announce(await this.#write([this.#checked(updateOperation(id, patch, options))]));
    return (result as { doc: StoredDocument }).doc as unknown as WithRev<T>;
  }

  /**
   * Creates the document, or replaces the whole document with this `_id`. Field operators in it
   * apply to the replaced document's values (`increment(1)` counts from 0 for a new document).
   * With `{ expectedRev }` the document must be at that revision (`0`: must not exist yet).
   */
  async upsert(doc: UpsertDocument<T>, options?: WriteOptions): Promise<WithRev<T>> {
    const [result] = this.#announce(await this.#write([this.#checked(upsertOperation(doc, options))]));
    return (result as { doc: StoredDocument }).doc as unknown as WithRev<T>;
  }

  /**
   * Deletes the document; `true` if there was one, `false` if not. With `{ expectedRev }` the
   * document must exist at that revision, else it is a `ConflictError`.
   */
  async delete(id: string, options?: WriteOptions): Promise<boolean> {
    const [result] = this.#announce(await this.#store.write([this.#checked(deleteOperation(id, options))]));
    return (result as { deleted: boolean }).deleted;
  }

  /** Inserts many documents at once: all or nothing where the storage is atomic. */
  async bulkInsert(docs: ReadonlyArray<NewDocument<T>>): Promise<Array<WithRev<T>>> {
    if (!Array.isArray(docs)) throw new ValidationError(`bulkInsert() takes an array of documents, got ${describe(docs)}.`);
    let ops = docs.map((doc) => insertOperation(doc));
    const seen = new Set<string>();
    for (const { doc } of ops) {
      if (seen.has(doc._id)) throw new DuplicateKeyError(this.name, doc._id, { repeatedInBatch: true });
      seen.add(doc._id);
    }
    if (ops.length === 0) return [];
    if (this.schema !== undefined) ops = await Promise.all(ops.map((op) => this.#valid(op)));
    return this.#announce(await this.#store.write(ops)).map((r) => (r as { doc: StoredDocument }).doc as unknown as WithRev<T>);
  }

  /**
   * Applies many updates at once (`[{ id, changes, expectedRev? }]`): all or nothing where the
   * storage is atomic. One conflict or missing document fails the whole call.
   */
  async bulkUpdate(updates: ReadonlyArray<DocumentUpdate<T>>): Promise<Array<WithRev<T>>> {
    if (!Array.isArray(updates)) {
      throw new ValidationError(`bulkUpdate() takes an array of { id, changes }, got ${describe(updates)}.`);
    }
    const ops = updates.map((u, i) => {
      if (typeof u !== 'object' || u === null) {
        throw new ValidationError(`bulkUpdate() item ${i} must be { id, changes }, got ${describe(u)}.`);
      }
      return this.#checked(
        updateOperation(u.id, u.changes, u.expectedRev === undefined ? undefined : { expectedRev: u.expectedRev }, `changes of bulkUpdate() item ${i}`),
      );
    });
    if (ops.length === 0) return [];
    return this.#announce(await this.#write(ops)).map((r) => (r as { doc: StoredDocument }).doc as unknown as WithRev<T>);
  }

  /** Deletes many documents at once and returns how many existed. */
  async bulkDelete(ids: readonly string[]): Promise<number> {
    if (!Array.isArray(ids)) throw new ValidationError(`bulkDelete() takes an array of ids, got ${describe(ids)}.`);
    ids.forEach((id) => assertId(id, 'id'));
    const ops = [...new Set(ids)].map((id) => ({ type: 'delete' as const, id }));
    if (ops.length === 0) return 0;
    return this.#announce(await this.#store.write(ops)).filter((r) => r.type === 'delete' && r.deleted).length;
  }

  /**
   * The stored change feed: the documents written after `since` (a checkpoint from an earlier
   * call; from the beginning without one), each once at its latest state, in the order of their
   * last write, at most `limit` (default 100) of them. A deleted document is a tombstone:
   * `{ deleted: true, doc: null }`. Pass the returned `checkpoint` as the next `since`: nothing
   * is lost or repeated, whoever else writes meanwhile. The feed is storage, so every
   * `Database`, isolate and Worker on the same D1 database or object reads the same feed.
   */
  async changes(options: ChangesOptions = {}): Promise<ChangesPage<WithRev<T>>> {
    const store = this.#feed('changes()');
    if (typeof options !== 'object' || options === null) throw new QueryError(`changes() takes { since?, limit? }, got ${describe(options)}.`);
    const since = parseCheckpoint(options.since);
    const { limit = DEFAULT_CHANGES_LIMIT } = options;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_CHANGES_LIMIT) {
      throw new QueryError(`changes() limit must be a whole number from 1 to ${MAX_CHANGES_LIMIT}, got ${describe(limit)}.`);
    }
    const page = await store.changes!(since, limit);
    return {
      changes: page.changes.map(({ id, rev, deleted, doc }) => ({ id, rev, deleted, doc: doc as WithRev<T> | null })),
      checkpoint: String(page.checkpoint),
    };
  }

  /**
   * Removes the tombstones that deletes left in the change feed, up to and including the
   * checkpoint `through` (all of them without it), and returns how many it removed. A client
   * whose checkpoint is older than a purged tombstone never learns of that delete: keep
   * tombstones for longer than your clients stay offline, or have such clients sync from the start.
   */
  async purgeTombstones(options: { through?: string } = {}): Promise<number> {
    const store = this.#feed('purgeTombstones()');
    if (typeof options !== 'object' || options === null) throw new QueryError(`purgeTombstones() takes { through? }, got ${describe(options)}.`);
    return store.purgeTombstones!(options.through === undefined ? null : parseCheckpoint(options.through));
  }

  /** An insert or upsert whose document passed the schema (the schema's output in its place); as it is without one. */
  async #valid<W extends Extract<WriteOperation, { type: 'insert' | 'upsert' }>>(op: W): Promise<W> {
    return this.schema === undefined ? op : { ...op, doc: await validateDocument(this.schema, this.name, op.doc) };
  }

  /**
   * Writes updates and upserts. Without a schema they go to the store as they are, which merges
   * and applies operators where the document is. With one, the document each write would make
   * must pass the schema first, so it is made here: the current documents are read, the writes
   * applied to them as every store would (`applyWrite`), the results validated, and each
   * written as a replacement conditional on the revision that was read. A write that lands in
   * between makes that a conflict, and the whole call is tried again (at most 5 times) unless
   * the caller gave its own `expectedRev`.
   */
  #write(ops: readonly WriteOperation[]): Promise<WriteResult[]> {
    const schema = this.schema;
    // Not an async method: without a schema the store's promise is the answer, with no layer around it.
    if (schema === undefined) return this.#store.write(ops);
    return this.#writeValidated(schema, ops);
  }

  async #writeValidated(schema: StandardSchemaV1, ops: readonly WriteOperation[]): Promise<WriteResult[]> {
    // Upserts without operators are whole documents already: validate them, nothing to read.
    const plain = ops.every((op) => op.type !== 'update' && !(op.type === 'upsert' && op.operators !== undefined));
    if (plain) return this.#store.write(await Promise.all(ops.map((op) => (op.type === 'upsert' ? this.#valid(op) : op))));
    // One at a time per collection of this Database: writers here then never conflict with
    // each other, only with writers elsewhere (other isolates, other Databases).
    const run = this.#validatedQueue.then(() => this.#readValidateWrite(schema, ops));
    this.#validatedQueue = run.catch(() => undefined);
    return run;
  }

  #validatedQueue: Promise<unknown> = Promise.resolve();

  async #readValidateWrite(schema: StandardSchemaV1, ops: readonly WriteOperation[]): Promise<WriteResult[]> {
    const retry = ops.every((op) => !('expectedRev' in op) || op.expectedRev === undefined);
    for (let attempt = 1; ; attempt++) {
      const ids = [...new Set(ops.map((op) => (op.type === 'insert' || op.type === 'upsert' ? op.doc._id : op.id)))];
      const read = await this.#store.getMany(ids);
      const states = new Map<string, DocumentState | undefined>(
        ids.map((id, i) => [id, read[i] ? { doc: read[i], rev: (read[i]._rev as number | undefined) ?? 1 } : undefined]),
      );
      const writes: WriteOperation[] = [];
      for (const op of ops) {
        const id = op.type === 'insert' || op.type === 'upsert' ? op.doc._id : op.id;
        const before = states.get(id);
        const { next } = applyWrite(this.name, op, before);
        if (next === null || next.doc === null) {
          writes.push(op);
          continue;
        }
        const doc = await validateDocument(schema, this.name, next.doc);
        writes.push({ type: 'upsert', doc, expectedRev: before?.doc ? before.rev : 0 });
        states.set(id, { doc, rev: next.rev });
      }
      try {
        const results = await this.#store.write(writes);
        // They were written as replacements; they are still the updates the caller asked for.
        return results.map((r, i) => (ops[i]!.type === 'update' && r.type === 'upsert' ? { type: 'update', doc: r.doc } : r));
      } catch (error) {
        if (!(retry && error instanceof ConflictError && attempt < MAX_SCHEMA_ATTEMPTS)) throw error;
      }
    }
  }

  /** The store, when it keeps a change feed; else a clear error. */
  #feed(what: string): CollectionStore {
    if (!this.#storage.capabilities.changeFeed || this.#store.changes === undefined || this.#store.purgeTombstones === undefined) {
      throw new QueryError(
        `The "${this.#storage.name}" storage adapter keeps no change feed, so ${what} cannot run. Use storage that does (memory, D1, Durable Objects).`,
      );
    }
    return this.#store;
  }

  /** The operation, once the storage can do what it asks (check revisions, apply operators). */
  #checked<W extends WriteOperation>(op: W): W {
    const { capabilities, name } = this.#storage;
    if ('expectedRev' in op && op.expectedRev !== undefined && !capabilities.revisions) {
      throw new ValidationError(
        `The "${name}" storage adapter keeps no revisions, so expectedRev cannot be checked. Drop expectedRev, or use storage that keeps them.`,
      );
    }
    if ('operators' in op && op.operators !== undefined && !capabilities.fieldOperators) {
      throw new ValidationError(
        `The "${name}" storage adapter cannot apply field operators such as ${op.operators[0]!.kind}(). Read the document and write the new value instead.`,
      );
    }
    return op;
  }

  /**
   * Starts a query. `find({ userId: 'u1', completed: false })` is shorthand for
   * `find().where('userId').equals('u1').where('completed').equals(false)`.
   */
  find(filter?: FilterObject<T>): QueryBuilder<T, WithRev<T>> {
    // From EMPTY_QUERY so the sort list is frozen too: toQuery() hands it out as part of the AST.
    const start: FindQuery = { ...EMPTY_QUERY, filter: filter === undefined ? null : filterFromObject(filter as Record<string, unknown>) };
    return new QueryBuilder<T, WithRev<T>>(this.#runner, start);
  }

  /**
   * Continues a query from its AST: one built here and sent over RPC, cached, or received as
   * JSON. The AST is checked as the builder checks its input, so a malformed or hostile one
   * is a `QueryError`.
   */
  query(ast: FindQuery | unknown): QueryBuilder<T, WithRev<T>> {
    return new QueryBuilder<T, WithRev<T>>(this.#runner, parseQuery(ast));
  }

  /** How many documents match `filter` (all of them without one). */
  count(filter?: FilterObject<T>): Promise<number> {
    return this.find(filter).count();
  }

  /** Calls `listener` after each write to this collection made through this database. */
  onChange(listener: ChangeListener): () => void {
    return this.#hub.subscribe((changes) => {
      const mine = changes.filter((c) => c.collection === this.name);
      if (mine.length > 0) listener(mine);
    });
  }

  /**
   * Tells change listeners about a write that went through, and hands its results back. Called
   * by each method right after awaiting the store, not from a shared async helper: on SQLite
   * storage a whole write takes a few microseconds, and another awaited layer is a share of it.
   */
  #announce(results: WriteResult[]): WriteResult[] {
    // A delete that found nothing changed nothing: observers must not hear of a document that never was.
    if (this.#hub.listening) {
      this.#hub.emit((documents) => results.filter((r) => r.type !== 'delete' || r.deleted).map((r) => toChange(this.name, r, documents)));
    }
    return results;
  }
}

/** The event of one write; `documents: false` leaves the document out (only listeners that asked for no documents receive such events). */
export function toChange(collection: string, result: WriteResult, documents = true): ChangeEvent {
  if (result.type === 'delete') return { type: 'delete', collection, id: result.id };
  if (!documents) return { type: result.type, collection, id: result.doc._id } as ChangeEvent;
  // A copy: a listener that changes its document must not change what the caller got back.
  return { type: result.type, collection, id: result.doc._id, doc: structuredClone(result.doc) };
}

const DEFAULT_CHANGES_LIMIT = 100;
/** How often a validated update is tried when other writes keep changing its document. */
const MAX_SCHEMA_ATTEMPTS = 5;
const MAX_CHANGES_LIMIT = 10_000;

/** A checkpoint's sequence number: 0 without one; a `QueryError` for anything `changes()` did not return. */
function parseCheckpoint(checkpoint: unknown): number {
  if (checkpoint === undefined || checkpoint === null) return 0;
  if (typeof checkpoint === 'string' && /^(0|[1-9][0-9]{0,15})$/.test(checkpoint) && Number.isSafeInteger(Number(checkpoint))) return Number(checkpoint);
  throw new QueryError(
    `A change-feed checkpoint is a string that changes() returned, got ${typeof checkpoint === 'string' ? JSON.stringify(checkpoint.slice(0, 40)) : describe(checkpoint)}.`,
  );
}

export type { Filter };
