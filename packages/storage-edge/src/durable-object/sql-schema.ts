import { feedUpgradeStatements, lacksFeedColumns, schemaStatements, upgradeNotNeeded, type SqlSchemaOptions } from '../sql/schema.js';
import { failedSqlOf, withFailedSql } from '../sql/statement.js';
import { DurableObjectStorageError } from './errors.js';
import { assertSqlStorage, type DurableObjectSqlStorageLike } from './sql-storage.js';

/** The collections whose tables (and declared indexes) `initializeDurableObjectSqlSchema` creates. */
export type DurableObjectSqlSchemaOptions = SqlSchemaOptions;

/**
 * Creates the tables and declared indexes of the given collections in the object's SQLite
 * database now, in one transaction: D1's `initializeD1Schema` for SQLite-backed Durable Objects.
 * Existing tables and indexes are left alone, and a table made by the first release gets the
 * change feed's columns, so it is safe in the constructor of every object. Synchronous, as
 * `storage.sql` is.
 *
 * Without it, each table is created by its collection's first write, and declared indexes are
 * created on a table that exists the first time the isolate uses it.
 *
 * @example
 * constructor(ctx: DurableObjectState, env: Env) {
 *   super(ctx, env);
 *   initializeDurableObjectSqlSchema(ctx.storage, { collections: ['todos'], indexes: { todos: ['userId'] } });
 * }
 */
export function initializeDurableObjectSqlSchema(storage: DurableObjectSqlStorageLike, options: DurableObjectSqlSchemaOptions): void {
  const where = 'initializeDurableObjectSqlSchema()';
  assertSqlStorage(storage, where);
  const statements = schemaStatements(options, where);
  const run = () =>
    storage.transactionSync(() =>
      statements.forEach((sql) => {
        try {
          storage.sql.exec(sql);
        } catch (error) {
          throw withFailedSql(error, sql);
        }
      }),
    );
  try {
    run();
  } catch (error) {
    if (!lacksFeedColumns(error)) throw new DurableObjectStorageError('initialize schema', error, failedSqlOf(error));
    // A table of the first release: give each table the change feed's columns, then try again.
    for (const sql of feedUpgradeStatements(options)) {
      try {
        storage.sql.exec(sql);
      } catch (upgradeError) {
        if (!upgradeNotNeeded(upgradeError)) throw new DurableObjectStorageError('initialize schema', upgradeError, sql);
      }
    }
    try {
      run();
    } catch (retryError) {
      throw new DurableObjectStorageError('initialize schema', retryError, failedSqlOf(retryError));
    }
  }
}
