import { assertCollectionName as assertName, ValidationError } from '@pocket/core';
import { describeValue as describe } from '@pocket/core/adapter';
import { assertTableName, assertTablePrefix } from '../sql/identifiers.js';
import { createIndexSql, createTableStatements, DEFAULT_TABLE_PREFIX, indexKeys, type SqlIndexes } from '../sql/schema.js';
import { feedColumnsSql } from '../sql/revisions.js';
import { quoteIdentifier } from '../sql/identifiers.js';
import { assertD1Binding, type D1DatabaseLike } from './d1-binding.js';
import { D1Error } from './d1-error.js';

/**
 * Indexes per collection: a field gives a one-field index, an array a compound one, and a field
 * may be descending: `{ todos: ['userId', ['userId', { path: 'createdAt', direction: 'desc' }]] }`.
 */
export type D1Indexes = SqlIndexes;

export interface D1SchemaOptions {
  collections: readonly string[];
  /** Default `'pocket_'`. */
  tablePrefix?: string;
  /** `{ todos: ['userId', ['userId', { path: 'createdAt', direction: 'desc' }]] }` */
  indexes?: D1Indexes;
}


/**
 * The statements that create the tables and indexes, for a wrangler migration file
 * (`migrations/0001_pocket.sql`). Every statement is idempotent.
 */
export function d1SchemaSql(options: D1SchemaOptions): string {
  return schemaStatements(options, 'd1SchemaSql()').map((s) => `${s};\n`).join('');
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
    if (!String((error as Error)?.message).includes('no such column: _seq')) throw new D1Error('initialize schema', error);
    // A table of the first release: give each table the change feed's columns, then try again.
    await addFeedColumns(database, options);
    try {
      await database.batch(statements.map((sql) => database.prepare(sql)));
    } catch (retryError) {
      throw new D1Error('initialize schema', retryError);
    }
  }
}

/** ALTER TABLE has no IF NOT EXISTS: each table on its own, a column already there is fine. */
async function addFeedColumns(database: D1DatabaseLike, options: D1SchemaOptions): Promise<void> {
  const prefix = options.tablePrefix ?? DEFAULT_TABLE_PREFIX;
  for (const collection of options.collections) {
    for (const sql of feedColumnsSql(quoteIdentifier(prefix + collection))) {
      try {
        await database.batch([database.prepare(sql)]);
      } catch (error) {
        const message = String((error as Error)?.message);
        if (!message.includes('duplicate column') && !message.includes('no such table')) throw new D1Error('initialize schema', error);
      }
    }
  }
}

function schemaStatements(options: D1SchemaOptions, where: string): string[] {
  if (typeof options !== 'object' || options === null || !Array.isArray(options.collections)) {
    throw new ValidationError(`${where} takes { collections: ['todos', …] }, got ${describe(options)}.`);
  }
  const prefix = options.tablePrefix === undefined ? DEFAULT_TABLE_PREFIX : options.tablePrefix;
  assertTablePrefix(prefix, where);
  const indexes = options.indexes ?? {};
  for (const name of Object.keys(indexes)) {
    if (!options.collections.includes(name)) {
      throw new ValidationError(`${where} declares indexes for "${name}", which is not in collections; add it there.`);
    }
  }
  return options.collections.flatMap((collection) => {
    assertCollectionName(collection, where);
    const table = prefix + collection;
    assertTableName(table, collection);
    return [...createTableStatements(table), ...indexKeys(indexes[collection], where).map((keys) => createIndexSql(table, keys))];
  });
}


export function assertCollectionName(name: unknown, where: string): asserts name is string {
  assertName(name, `${where}: collection name`);
}
