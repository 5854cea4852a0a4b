import { ValidationError, type StorageAdapter } from '@pocket/core';
import { describeValue as describe, type OperationMeter } from '@pocket/core/adapter';
import { createSqlAdapter } from '../sql/adapter.js';
import type { SqlIndexes } from '../sql/schema.js';
import { failedSqlOf, withFailedSql, type Row, type SqlDriver, type SqlStatement } from '../sql/statement.js';
import type { SqlLimits } from '../sql/limits.js';
import { DurableObjectStorageError } from './errors.js';

/**
 * The parts of a SQLite-backed Durable Object's storage Pocket uses; `this.ctx.storage` fits.
 * Declared here so the package has no type dependency on `@cloudflare/workers-types`.
 */
export interface DurableObjectSqlStorageLike {
  readonly sql: {
    exec(query: string, ...bindings: unknown[]): { toArray(): Array<Record<string, unknown>>; readonly rowsRead: number; readonly rowsWritten: number };
  };
  transactionSync<T>(closure: () => T): T;
}

export interface DurableObjectSqlStorageOptions {
  /** The object's storage: `this.ctx.storage` in a class declared under `new_sqlite_classes`. */
  storage: DurableObjectSqlStorageLike;
  /** Prepended to each collection name to name its table. Default `'pocket_'`. */
  tablePrefix?: string;
  /** Indexes to create with a collection's table: `{ todos: ['userId', ['userId', 'createdAt']] }`. */
  indexes?: SqlIndexes;
  /** SQLite-backed Durable Objects share D1's limits (2 MB rows, 100 KB statements). */
  limits?: Partial<SqlLimits>;
}

/**
 * Stores each collection in a table of the object's own SQLite database, with the same tables,
 * compiler and semantics as D1. Statements run synchronously through `storage.sql.exec`; each
 * write batch runs inside `transactionSync`, so it is all-or-nothing.
 */
export function createDurableObjectSqlStorage(options: DurableObjectSqlStorageOptions): StorageAdapter {
  if (typeof options !== 'object' || options === null) {
    throw new ValidationError(`createDurableObjectSqlStorage() takes { storage: this.ctx.storage }, got ${describe(options)}.`);
  }
  const { storage } = options;
  assertSqlStorage(storage);
  return createSqlAdapter({
    name: 'durable-object-sql',
    where: 'createDurableObjectSqlStorage()',
    driver: sqlDriver(storage),
    backend: storage,
    atomicWrites: true,
    tablePrefix: options.tablePrefix,
    indexes: options.indexes,
    limits: options.limits,
  });
}

function sqlDriver(storage: DurableObjectSqlStorageLike): SqlDriver {
  const run = (s: SqlStatement, meter?: OperationMeter): Row[] => {
    let cursor: ReturnType<DurableObjectSqlStorageLike['sql']['exec']>;
    let rows: Row[];
    try {
      cursor = storage.sql.exec(s.sql, ...s.params);
      rows = cursor.toArray();
    } catch (error) {
      throw withFailedSql(error, s.sql);
    }
    if (meter !== undefined) {
      // Read once the rows are: the cursor counts as it goes.
      meter.statements.push(s.sql);
      meter.rowsRead += cursor.rowsRead;
      meter.rowsWritten += cursor.rowsWritten;
    }
    return rows;
  };
  return {
    // Synchronous, as sql.exec is: the store passes the rows on without a promise in between.
    all: run,
    batch(statements, meter) {
      // transactionSync rolls every statement back when one throws.
      return statements.length === 1 ? [run(statements[0]!, meter)] : storage.transactionSync(() => statements.map((s) => run(s, meter)));
    },
    wrap(error, operation) {
      return error instanceof DurableObjectStorageError ? error : new DurableObjectStorageError(operation, error, failedSqlOf(error));
    },
  };
}

/** Storage objects already found to have SQLite: an object's backend never changes. */
const checkedSqlStorage = new WeakSet<object>();

/**
 * A KV-backed class has a `storage.sql` whose every call throws. Finding out now, with a
 * statement that touches nothing, turns a confusing failure at the first query into a clear
 * configuration error. Once per storage object, so an adapter made per request costs no
 * statement after the first.
 */
export function assertSqlStorage(storage: unknown, where = 'createDurableObjectSqlStorage()'): asserts storage is DurableObjectSqlStorageLike {
  if (typeof storage === 'object' && storage !== null && checkedSqlStorage.has(storage)) return;
  const s = storage as { sql?: { exec?: unknown }; transactionSync?: unknown } | null | undefined;
  let enabled = false;
  let cause: unknown;
  try {
    if (typeof s === 'object' && s !== null && typeof s.sql?.exec === 'function' && typeof s.transactionSync === 'function') {
      (s as DurableObjectSqlStorageLike).sql.exec('SELECT 1').toArray();
      enabled = true;
    }
  } catch (error) {
    cause = error;
  }
  if (enabled) {
    checkedSqlStorage.add(s as object);
    return;
  }
  if (cause === undefined && (typeof s !== 'object' || s === null || typeof s.sql !== 'object')) {
    throw new ValidationError(
      `${where} needs a Durable Object's storage, got ${describe(storage)}. Pass this.ctx.storage from inside your DurableObject class.`,
    );
  }
  throw new ValidationError(
    `This Durable Object class has no SQLite storage, which ${where} needs. Declare the class under "new_sqlite_classes" (not "new_classes") in the migrations of your wrangler config — a class already deployed as KV-backed cannot be converted, so use a new class name — or use createDurableObjectStorage() for KV-backed classes.`,
    { cause },
  );
}
