export { createD1Storage, type D1StorageOptions } from './d1/d1-storage.js';
export { initializeD1Schema, d1SchemaSql, type D1SchemaOptions, type D1Indexes } from './d1/d1-schema.js';
export type { IndexField, SqlIndexes, SqlSchemaOptions } from './sql/schema.js';
export { D1Error } from './d1/d1-error.js';
export {
  d1Session,
  d1SessionMiddleware,
  type D1SessionOptions,
  type D1RequestSession,
  type D1SessionLike,
  type D1SessionBindingLike,
  type D1SessionContext,
} from './d1/d1-session.js';
export type { D1DatabaseLike, D1StatementLike, D1ResultLike } from './d1/d1-binding.js';
export { DEFAULT_SQL_LIMITS, type SqlLimits } from './sql/limits.js';
// The query compiler is its own entry, `@pocket/storage-edge/sql` (sql-compiler.ts).
export { createDurableObjectStorage, type DurableObjectStorageOptions } from './durable-object/kv-storage.js';
export type { DurableObjectKvStorageLike } from './durable-object/kv-types.js';
export { createDurableObjectSqlStorage, type DurableObjectSqlStorageOptions, type DurableObjectSqlStorageLike } from './durable-object/sql-storage.js';
export { initializeDurableObjectSqlSchema, type DurableObjectSqlSchemaOptions } from './durable-object/sql-schema.js';
export { DurableObjectStorageError } from './durable-object/errors.js';
