/**
 * `@pocket/core/adapter`: what a storage adapter is built from, apart from what applications
 * use. The contract's types are exported from `@pocket/core` as well (an application names
 * `StorageAdapter` when it passes one around); the helpers here are for writing one:
 * - the reference evaluator, whose semantics every store must reproduce (`evaluate`,
 *   `matches`, the value order and paths);
 * - the write semantics for stores that hold documents in JavaScript (`applyWrite`,
 *   `applyOperators`, `checkRevision`);
 * - the meter behind the operation hook (`measured`);
 * - the operations collection methods hand a store (`insertOperation`, `updateOperation`,
 *   `upsertOperation`, `deleteOperation`), so a store's own tests can write what a call writes;
 * - `describeValue`, for error messages that never quote a value.
 */
export type * from './storage/adapter.js';
export { evaluate, compareBy, isAfter, project } from './evaluator/evaluate.js';
export { matches } from './evaluator/matches.js';
export { compareValues, compareStrings, typeRank, readPath, MISSING, type Found } from './evaluator/values.js';
export { applyWrite, applyOperators, checkRevision, type DocumentState } from './storage/apply.js';
export { insertOperation, updateOperation, upsertOperation, deleteOperation } from './patch.js';
export { measured, type OperationMeter, type MeteredStore } from './storage/measure.js';
export { describe as describeValue } from './document.js';
