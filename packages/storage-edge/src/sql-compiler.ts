/**
 * `@pocket/storage-edge/sql`: the query compiler on its own, for those who send Pocket's SQL
 * themselves (a diagnostic, a migration, a raw read next to Pocket's). Applications that use
 * `createD1Storage` or `createDurableObjectSqlStorage` never need it. Every function checks what
 * it writes into SQL text, whoever calls it; values are always bound.
 */
export { compileFind, compileCount, type CompiledFind } from './sql/select.js';
export { compileFilter } from './sql/filter.js';
export type { SqlFragment, Row } from './sql/statement.js';
export { splitFilter, type SplitFilter } from './sql/residual.js';
export { DEFAULT_SQL_LIMITS, type SqlLimits } from './sql/limits.js';
