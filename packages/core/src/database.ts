import { ChangeHub, type ChangeListener, type ChangeNoticeListener } from './changes.js';
import { Collection } from './collection.js';
import type { AnyDocument, BaseDocument } from './document.js';
import { describe } from './document.js';
import { ValidationError } from './errors.js';
import type { OperationHook, StorageAdapter } from './storage/adapter.js';
import { assertSchema, type SchemaDocument, type StandardSchemaV1 } from './schema.js';

/** Options of `db.collection(name, options)`. */
export interface CollectionOptions {
  /** A Standard Schema v1 validator every write must pass; its output is what is stored. */
  schema?: StandardSchemaV1;
}

export interface DatabaseOptions {
  /** Names the database; adapters may use it to keep databases apart (the memory adapter does). */
  name: string;
  storage: StorageAdapter;
  /**
   * Called once per storage operation with what it sent and what it cost (statements, time,
   * rows read and written, where D1 served it): see `OperationRecord` and docs/observability.md.
   * Without it nothing is measured.
   */
  onOperation?: OperationHook;
}

/**
 * Collection names: a lower-case letter or `_`, then lower-case letters, digits, `_` or `-`; 64
 * characters at most. Lower case because SQL table names ignore case: on D1 `Todos` and `todos`
 * would be one table, while the memory store would keep them apart.
 */
export const COLLECTION_NAME_PATTERN = /^[a-z_][a-z0-9_-]{0,63}$/;

/** Throws a `ValidationError` unless `name` is a valid collection name. */
export function assertCollectionName(name: unknown, where = 'Collection name'): asserts name is string {
  if (typeof name !== 'string' || !COLLECTION_NAME_PATTERN.test(name)) {
    const shown = typeof name === 'string' ? JSON.stringify(name) : describe(name);
    const hint =
      typeof name === 'string' && COLLECTION_NAME_PATTERN.test(name.toLowerCase())
        ? ` Try ${JSON.stringify(name.toLowerCase())} or snake_case: SQL table names ignore case.`
        : '';
    throw new ValidationError(
      `${where} ${shown} is not valid: start with a lower-case letter or "_", then use lower-case letters, digits, "_" or "-", at most 64 characters.${hint}`,
    );
  }
}

/**
 * A database: named collections over one storage adapter. Creating one does no I/O, so a Worker
 * can create it on every request.
 */
export class Database {
  readonly name: string;
  readonly storage: StorageAdapter;
  readonly #collections = new Map<string, Collection<BaseDocument>>();
  readonly #hub = new ChangeHub();

  readonly #onOperation: OperationHook | undefined;

  private constructor(options: DatabaseOptions) {
    this.name = options.name;
    this.storage = options.storage;
    this.#onOperation = options.onOperation;
  }

  /** Opens a database. Cheap: it checks its options and touches no storage. */
  static async create(options: DatabaseOptions): Promise<Database> {
    return Database.open(options);
  }

  /** The synchronous form of `create`, for constructors and module scope. */
  static open(options: DatabaseOptions): Database {
    if (typeof options !== 'object' || options === null) {
      throw new ValidationError(`Database.create() takes { name, storage }, got ${describe(options)}.`);
    }
    const { name, storage } = options;
    if (typeof name !== 'string' || name.length === 0 || name.length > 128) {
      throw new ValidationError(`Database name must be a non-empty string of at most 128 characters, got ${describe(name)}.`);
    }
    if (typeof storage !== 'object' || storage === null || typeof storage.collection !== 'function') {
      throw new ValidationError(
        `Database "${name}" needs a storage adapter such as createMemoryStorage() or createD1Storage({ database: env.DB }), got ${describe(storage)}.`,
      );
    }
    const { onOperation } = options;
    if (onOperation !== undefined && typeof onOperation !== 'function') {
      throw new ValidationError(`Database "${name}": onOperation must be a function that takes an operation record, got ${describe(onOperation)}.`);
    }
    return new Database({ name, storage, ...(onOperation === undefined ? {} : { onOperation: guardedHook(onOperation) }) });
  }

  /**
   * The collection with this name; the same object every time for the same name. With
   * `{ schema }` (any Standard Schema v1 validator: zod 4, valibot 1, arktype…) every write is
   * validated before it is stored, and the document type is the schema's output.
   */
  collection<S extends StandardSchemaV1>(name: string, options: { schema: S }): Collection<SchemaDocument<S>>;
  collection<T extends BaseDocument = AnyDocument>(name: string, options?: CollectionOptions): Collection<T>;
  collection(name: string, options?: CollectionOptions): Collection<BaseDocument> {
    const schema = options?.schema;
    let collection = this.#collections.get(name);
    if (!collection) {
      assertCollectionName(name);
      if (options !== undefined && (typeof options !== 'object' || options === null)) {
        throw new ValidationError(`db.collection("${name}", options) takes { schema }, got ${describe(options)}.`);
      }
      if (schema !== undefined) assertSchema(schema, name);
      const context = this.#onOperation === undefined ? { database: this.name } : { database: this.name, onOperation: this.#onOperation };
      collection = new Collection(name, this.storage.collection(name, context), this.#hub, this.storage, schema);
      this.#collections.set(name, collection);
    } else if (schema !== undefined && schema !== collection.schema) {
      throw new ValidationError(
        `Collection "${name}" of database "${this.name}" is already open${collection.schema === undefined ? ' without a schema' : ' with another schema'}; give the schema the first time it is opened, and the same one after.`,
      );
    }
    return collection;
  }

  /**
   * Calls `listener` after each write made through this database, with what changed. With
   * `{ documents: false }` the changes carry no documents (type, collection and id only), which
   * spares copying every written document for a listener that does not read them.
   */
  onChange(listener: ChangeListener, options?: { documents?: true }): () => void;
  onChange(listener: ChangeNoticeListener, options: { documents: false }): () => void;
  onChange(listener: ChangeListener | ChangeNoticeListener, options: { documents?: boolean } = {}): () => void {
    return options.documents === false
      ? this.#hub.subscribe(listener as ChangeNoticeListener, { documents: false })
      : this.#hub.subscribe(listener as ChangeListener);
  }
}

/** The hook, made safe to call from storage: a throw is logged, never the operation's failure. */
function guardedHook(hook: OperationHook): OperationHook {
  return (record) => {
    try {
      hook(record);
    } catch (error) {
      console.error('[pocket] the onOperation hook threw:', error);
    }
  };
}
