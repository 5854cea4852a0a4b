export { createD1Storage, type D1StorageOptions } from './d1/d1-storage.js';
export { initializeD1Schema, d1SchemaSql, type D1SchemaOptions } from './d1/d1-schema.js';
export { D1Error } from './d1/d1-error.js';
export { compileFind, compileCount, type CompiledFind } from './sql/select.js';
export { compileFilter, splitFilter, type SqlFragment } from './sql/filter.js';
export { DEFAULT_SQL_LIMITS, type SqlLimits } from './sql/writes.js';
export { createDurableObjectStorage, type DurableObjectStorageOptions } from './durable-object/kv-storage.js';
export type { DurableObjectKvStorageLike, DurableObjectKvOperations } from './durable-object/kv-types.js';
export { DurableObjectStorageError } from './durable-object/errors.js';
