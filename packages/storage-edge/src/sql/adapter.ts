import { ValidationError, type StorageAdapter } from '@pocket/core';
import { describeValue as describe } from '@pocket/core/adapter';
import { assertTablePrefix } from './identifiers.js';
import { DEFAULT_TABLE_PREFIX, indexKeys, type IndexKey, type SqlIndexes } from './schema.js';
import type { SqlDriver } from './statement.js';
import { createSqlStore } from './store.js';
import { DEFAULT_SQL_LIMITS, type SqlLimits } from './limits.js';

export interface SqlAdapterOptions {
  /** The adapter's name for messages: `'d1'`, `'durable-object-sql'`. */
  name: string;
  /** How the factory names itself in errors: `'createD1Storage()'`. */
  where: string;
  driver: SqlDriver;
  /** The D1 binding or the object's storage: what the isolate remembers created indexes by. */
  backend: object;
  atomicWrites: boolean;
  /** As the user gave it; checked here. `undefined` means `'pocket_'`. */
  tablePrefix: unknown;
  indexes: SqlIndexes | undefined;
  limits: Partial<SqlLimits> | undefined;
}

/**
 * A storage adapter over a SQLite backend: one table per collection, named
 * `<tablePrefix><collection>`. D1 and SQLite-backed Durable Objects differ only in their driver.
 */
export function createSqlAdapter(options: SqlAdapterOptions): StorageAdapter {
  const { name, where, driver, backend, atomicWrites, indexes } = options;
  let tablePrefix = DEFAULT_TABLE_PREFIX;
  // The default needs no check: a Worker may make an adapter on every request.
  if (options.tablePrefix !== undefined) {
    assertTablePrefix(options.tablePrefix, where);
    tablePrefix = options.tablePrefix;
  }
  const limits: SqlLimits = options.limits == null ? DEFAULT_SQL_LIMITS : checkedLimits(options.limits, where);
  const declared = indexes === undefined ? undefined : checkedIndexes(indexes, where);
  return {
    name,
    capabilities: { atomicWrites, cursorPages: true, projections: true, revisions: true, fieldOperators: true, changeFeed: true },
    collection(collection, context) {
      const metered = { storage: name, context, collection };
      return createSqlStore({ collection, table: tablePrefix + collection, driver, backend, limits, indexes: declared?.get(collection) ?? [], metered });
    },
  };
}

function checkedIndexes(indexes: SqlIndexes, where: string): Map<string, Array<readonly IndexKey[]>> {
  if (typeof indexes !== 'object' || indexes === null)
    throw new ValidationError(`${where}: indexes must be an object of collection names, got ${describe(indexes)}.`);
  return new Map(Object.entries(indexes).map(([collection, declared]) => [collection, indexKeys(declared, where)]));
}

function checkedLimits(given: Partial<SqlLimits>, where: string): SqlLimits {
  if (typeof given !== 'object' || given === null) throw new ValidationError(`${where}: limits must be an object, got ${describe(given)}.`);
  for (const [key, value] of Object.entries(given)) {
    if (!Object.hasOwn(DEFAULT_SQL_LIMITS, key)) {
      throw new ValidationError(`${where}: unknown limit "${key}"; the limits are ${Object.keys(DEFAULT_SQL_LIMITS).join(', ')}.`);
    }
    // Only the parameter limit may be 0 (pack every query); a 0-byte limit would refuse everything.
    const least = key === 'maxBoundParameters' ? 0 : 1;
    if (!Number.isSafeInteger(value) || (value as number) < least)
      throw new ValidationError(`${where}: limits.${key} must be a whole number of ${least} or more, got ${describe(value)}.`);
  }
  return { ...DEFAULT_SQL_LIMITS, ...given };
}
