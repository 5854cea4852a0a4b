import type { ChangeEvent, ChangeHub, ChangeListener } from './changes.js';
import type { AnyDocument, BaseDocument, DocumentPatch, JsonObject, NewDocument } from './document.js';
import { assertId, describe, toJsonObject } from './document.js';
import { DuplicateKeyError, QueryError, ValidationError } from './errors.js';
import { project } from './evaluator/evaluate.js';
import { observeQuery } from './live/observe.js';
import type { Filter, FindQuery } from './query/ast.js';
import { EMPTY_QUERY } from './query/ast.js';
import { filterFromObject, QueryBuilder, type FilterObject, type QueryRunner } from './query/builder.js';
import { parseQuery } from './query/parse.js';
import type { CollectionStore, StorageAdapter, StoredDocument, WriteOperation, WriteResult } from './storage/adapter.js';

/** One change of a bulk update: the id and the fields to merge into it. */
export interface DocumentUpdate<T extends BaseDocument> {
  id: string;
  changes: DocumentPatch<T>;
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

  /** @internal Use `db.collection(name)`. */
  constructor(name: string, store: CollectionStore, hub: ChangeHub, storage: Pick<StorageAdapter, 'name' | 'capabilities'>) {
    this.name = name;
    this.#store = store;
    this.#hub = hub;
    const { cursorPages = false, projections = false } = storage.capabilities;
    this.#runner = {
      find: (query) => {
        if (query.after != null && !cursorPages) {
          return Promise.reject(new QueryError(`The "${storage.name}" storage adapter does not support cursor pages (after() and page()); use sort() with skip() and limit() instead.`));
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
      observe: (query, listener, onError) =>
        observeQuery(hub, name, () => this.#runner.find(query), listener, onError),
    };
  }

  /** Stores a new document and returns it as stored. Without `_id`, a UUID is generated. */
  async insert(doc: NewDocument<T>): Promise<T> {
    const [result] = this.#announce(await this.#store.write([{ type: 'insert', doc: newDocument(doc) }]));
    return (result as { doc: StoredDocument }).doc as unknown as T;
  }

  /** The document with this id, or `null`. */
  async get(id: string): Promise<T | null> {
    assertId(id, 'id');
    const [doc] = await this.#store.getMany([id]);
    return (doc ?? null) as T | null;
  }

  /** Documents by id, in the same order, `null` for each id that has none. */
  async getMany(ids: readonly string[]): Promise<Array<T | null>> {
    if (!Array.isArray(ids)) throw new ValidationError(`getMany() takes an array of ids, got ${describe(ids)}.`);
    ids.forEach((id) => assertId(id, 'id'));
    if (ids.length === 0) return [];
    return (await this.#store.getMany(ids)) as Array<T | null>;
  }

  /**
   * Merges `patch` into the top level of the document and returns the whole new document.
   * Fields set to `undefined` are left as they are. Throws `DocumentNotFoundError` if there is
   * no document with this id.
   */
  async update(id: string, patch: DocumentPatch<T>): Promise<T> {
    const [result] = this.#announce(await this.#store.write([updateOperation(id, patch)]));
    return (result as { doc: StoredDocument }).doc as unknown as T;
  }

  /** Creates the document, or replaces the whole document with this `_id`. */
  async upsert(doc: NewDocument<T>): Promise<T> {
    const [result] = this.#announce(await this.#store.write([{ type: 'upsert', doc: newDocument(doc) }]));
    return (result as { doc: StoredDocument }).doc as unknown as T;
  }

  /** Deletes the document; `true` if there was one, `false` if not. */
  async delete(id: string): Promise<boolean> {
    assertId(id, 'id');
    const [result] = this.#announce(await this.#store.write([{ type: 'delete', id }]));
    return (result as { deleted: boolean }).deleted;
  }

  /** Inserts many documents at once: all or nothing where the storage is atomic. */
  async bulkInsert(docs: ReadonlyArray<NewDocument<T>>): Promise<T[]> {
    if (!Array.isArray(docs)) throw new ValidationError(`bulkInsert() takes an array of documents, got ${describe(docs)}.`);
    const ops = docs.map((doc) => ({ type: 'insert' as const, doc: newDocument(doc) }));
    const seen = new Set<string>();
    for (const { doc } of ops) {
      if (seen.has(doc._id)) throw new DuplicateKeyError(this.name, doc._id, { repeatedInBatch: true });
      seen.add(doc._id);
    }
    if (ops.length === 0) return [];
    return this.#announce(await this.#store.write(ops)).map((r) => (r as { doc: StoredDocument }).doc as unknown as T);
  }

  /** Applies many updates at once (`[{ id, changes }]`): all or nothing where the storage is atomic. */
  async bulkUpdate(updates: ReadonlyArray<DocumentUpdate<T>>): Promise<T[]> {
    if (!Array.isArray(updates)) {
      throw new ValidationError(`bulkUpdate() takes an array of { id, changes }, got ${describe(updates)}.`);
    }
    const ops = updates.map((u, i) => {
      if (typeof u !== 'object' || u === null) {
        throw new ValidationError(`bulkUpdate() item ${i} must be { id, changes }, got ${describe(u)}.`);
      }
      return updateOperation(u.id, u.changes);
    });
    if (ops.length === 0) return [];
    return this.#announce(await this.#store.write(ops)).map((r) => (r as { doc: StoredDocument }).doc as unknown as T);
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
   * Starts a query. `find({ userId: 'u1', completed: false })` is shorthand for
   * `find().where('userId').equals('u1').where('completed').equals(false)`.
   */
  find(filter?: FilterObject<T>): QueryBuilder<T> {
    // From EMPTY_QUERY so the sort list is frozen too: toQuery() hands it out as part of the AST.
    const start: FindQuery = { ...EMPTY_QUERY, filter: filter === undefined ? null : filterFromObject(filter as Record<string, unknown>) };
    return new QueryBuilder<T>(this.#runner, start);
  }

  /**
   * Continues a query from its AST: one built here and sent over RPC, cached, or received as
   * JSON. The AST is checked as the builder checks its input, so a malformed or hostile one
   * is a `QueryError`.
   */
  query(ast: FindQuery | unknown): QueryBuilder<T> {
    return new QueryBuilder<T>(this.#runner, parseQuery(ast));
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
      this.#hub.emit(results.filter((r) => r.type !== 'delete' || r.deleted).map((r) => toChange(this.name, r)));
    }
    return results;
  }
}

export function toChange(collection: string, result: WriteResult): ChangeEvent {
  return result.type === 'delete'
    ? { type: 'delete', collection, id: result.id }
    : // A copy: a listener that changes its document must not change what the caller got back.
      { type: result.type, collection, id: result.doc._id, doc: structuredClone(result.doc) };
}

function newDocument(input: unknown): StoredDocument {
  const doc = toJsonObject(input);
  if (doc._id === undefined) return { _id: crypto.randomUUID(), ...doc };
  assertId(doc._id);
  return doc as StoredDocument;
}

// Keys a SQL JSON path cannot address; refused everywhere so every adapter behaves alike.
const UNPATCHABLE_KEY = /^$|["\\\u0000-\u001f]/;

function updateOperation(id: unknown, patch: unknown): WriteOperation {
  assertId(id, 'id');
  const changes: JsonObject = toJsonObject(patch, 'patch');
  if (changes._id !== undefined && changes._id !== id) {
    throw new ValidationError(`The patch sets _id to ${JSON.stringify(changes._id)} but updates "${id}"; _id cannot change.`, { path: '_id' });
  }
  delete changes._id;
  for (const key of Object.keys(changes)) {
    if (UNPATCHABLE_KEY.test(key)) {
      throw new ValidationError(`Patch field ${JSON.stringify(key)} is empty or contains a double quote, backslash or control character; such fields can only be written with upsert().`, { path: key });
    }
  }
  return { type: 'update', id, patch: changes };
}

export type { Filter };
