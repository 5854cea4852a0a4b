export { Database, COLLECTION_NAME_PATTERN, assertCollectionName, type DatabaseOptions, type CollectionOptions } from './database.js';
export type { StandardSchemaV1, StandardResult, SchemaDocument } from './schema.js';
export { Collection, type DocumentUpdate, type ChangesOptions, type Change, type ChangesPage } from './collection.js';
export {
  increment,
  arrayUnion,
  arrayRemove,
  deleteField,
  isFieldOperator,
  type FieldOperator,
  type Increment,
  type ArrayUnion,
  type ArrayRemove,
  type DeleteField,
  type OperatorFor,
} from './operators.js';
export type { DocumentPatch, UpsertDocument, WriteOptions } from './patch.js';
export type { ChangeEvent, ChangeListener, ChangeNotice, ChangeNoticeListener, ChangeHub } from './changes.js';
export {
  PocketError,
  type PocketErrorOptions,
  ValidationError,
  DocumentNotFoundError,
  DuplicateKeyError,
  ConflictError,
  QueryError,
  type RevisionConflict,
  type ValidationIssue,
  StorageError,
  type PocketErrorCode,
  type PocketErrorStatus,
} from './errors.js';
export {
  toJsonObject,
  toJsonValue,
  assertId,
  MAX_DOCUMENT_DEPTH,
  MAX_ID_LENGTH,
  type AnyDocument,
  type BaseDocument,
  type JsonObject,
  type JsonPrimitive,
  type JsonValue,
  type NewDocument,
  type WithRev,
} from './document.js';
export type * from './query/ast.js';
export { EMPTY_QUERY } from './query/ast.js';
export {
  QueryBuilder,
  FilterBuilder,
  FieldConditions,
  type FilterObject,
  type QueryRunner,
  type QueryPage,
  type Picked,
  type QueryValue,
  type RangeOf,
  type ElementOf,
} from './query/builder.js';
export { condition, and, or } from './query/conditions.js';
export { parseQuery } from './query/parse.js';
export { requireIndexes, FullScanError, type RequireIndexesOptions } from './insight/require-indexes.js';
export { serverTiming, OperationTotals, type ServerTimingContext } from './insight/server-timing.js';
export { parsePath, MAX_PATH_LENGTH, type FieldPath, type PathValue } from './query/path.js';
export { createMemoryStorage } from './storage/memory.js';
export { fromRpcError } from './rpc-errors.js';
export type * from './storage/adapter.js';
// Adapter authors' helpers (the evaluator, the shared write semantics, the meter) are in
// `@pocket/core/adapter`: see adapter.ts.
