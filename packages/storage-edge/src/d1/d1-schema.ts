import { feedUpgradeStatements, lacksFeedColumns, schemaStatements, upgradeNotNeeded, type SqlIndexes, type SqlSchemaOptions } from '../sql/schema.js';
import { assertD1Binding, type D1DatabaseLike } from './d1-binding.js';
import { D1Error } from './d1-error.js';

/**
 * Indexes per collection: a field gives a one-field index, an array a compound one, and a field
 * may be descending: `{ todos: ['userId', ['userId', { path: 'createdAt', direction: 'desc' }]] }`.
 */
export type D1Indexes = SqlIndexes;

/** The collections whose tables (and declared indexes) `d1SchemaSql` and `initializeD1Schema` create. */
export type D1SchemaOptions = SqlSchemaOptions;

/**
 * The statements that create the tables and indexes, for a wrangler migration file
 * (`migrations/0001_pocket.sql`). Every statement is idempotent.
 */
export function d1SchemaSql(options: D1SchemaOptions): string {
  return schemaStatements(options, 'd1SchemaSql()')
    .map((s) => `${s};\n`)
    .join('');
}

/**
 * Creates the tables (and declared indexes) of the given collections now, in one batch. Safe to
 * run on every deploy or first request: existing tables and indexes are left alone.
 */
export async function initializeD1Schema(database: D1DatabaseLike, options: D1SchemaOptions): Promise<void> {
  assertD1Binding(database, 'initializeD1Schema()');
  const statements = schemaStatements(options, 'initializeD1Schema()');
  try {
    await database.batch(statements.map((sql) => database.prepare(sql)));
  } catch (error) {
    if (!lacksFeedColumns(error)) throw new D1Error('initialize schema', error, statements.join(';\n'));
    // A table of the first release: give each table the change feed's columns, then try again.
    await addFeedColumns(database, options);
    try {
      await database.batch(statements.map((sql) => database.prepare(sql)));
    } catch (retryError) {
      throw new D1Error('initialize schema', retryError, statements.join(';\n'));
    }
  }
}

/** Each upgrade statement on its own, so that one with nothing to do does not stop the others. */
async function addFeedColumns(database: D1DatabaseLike, options: D1SchemaOptions): Promise<void> {
  for (const sql of feedUpgradeStatements(options)) {
    try {
      await database.batch([database.prepare(sql)]);
    } catch (error) {
      if (!upgradeNotNeeded(error)) throw new D1Error('initialize schema', error, sql);
    }
  }
}
