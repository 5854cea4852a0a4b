// A storage failure Pocket cannot explain (D1Error, DurableObjectStorageError) carries the SQL
// that failed, for logs: which statement a 503 came from. Never the bound values, and never in
// toJSON(), which is what a client may be sent.
import { Database, StorageError, type StorageAdapter } from '@pocket/core';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createD1Storage, createDurableObjectSqlStorage, D1Error, DurableObjectStorageError, initializeDurableObjectSqlSchema } from '../src/index.js';
import { inObject } from './do-helpers.js';

const SECRET = 'secret-value-42';
/** A table Pocket did not make, without the `data` column every statement names. */
const ALIEN_TABLE = `CREATE TABLE alien_todos (_id TEXT PRIMARY KEY, other TEXT)`;

async function failuresCarrySql(storage: StorageAdapter, errorClass: typeof D1Error | typeof DurableObjectStorageError): Promise<void> {
  const todos = Database.open({ name: 'x', storage }).collection('todos');
  const read = await todos
    .find()
    .where('title')
    .equals(SECRET)
    .exec()
    .catch((e: unknown) => e);
  expect(read).toBeInstanceOf(errorClass);
  const { sql } = read as D1Error;
  expect(sql).toMatch(/^SELECT data FROM "alien_todos" WHERE _deleted IS NULL AND \(\(json_extract\(data, '\$\.title'\) = \?\)/);
  expect(sql).not.toContain(SECRET);
  expect(JSON.stringify(read)).not.toContain('SELECT');
  expect(JSON.stringify((read as StorageError).toJSON())).not.toContain('alien_todos');

  const write = await todos
    .bulkInsert([
      { _id: 'a', title: SECRET },
      { _id: 'b', title: SECRET },
    ])
    .catch((e: unknown) => e);
  expect(write).toBeInstanceOf(errorClass);
  expect((write as D1Error).sql).toContain('INSERT INTO "alien_todos"');
  expect((write as D1Error).sql).not.toContain(SECRET);
}

describe('storage errors carry the SQL that failed', () => {
  it('D1Error.sql', async () => {
    await env.DB.exec(ALIEN_TABLE);
    await failuresCarrySql(createD1Storage({ database: env.DB, tablePrefix: 'alien_' }), D1Error);
    // Without batch, each statement on its own: the one that failed.
    const error = await Database.open({ name: 'x', storage: createD1Storage({ database: env.DB, tablePrefix: 'alien_', useBatch: false }) })
      .collection('todos')
      .find()
      .exec()
      .catch((e: unknown) => e);
    expect((error as D1Error).sql).toBe('SELECT data FROM "alien_todos" WHERE _deleted IS NULL');
  });

  it('DurableObjectStorageError.sql', async () => {
    await inObject('SQL_OBJECT', 'error-sql', async (storage) => {
      storage.sql.exec(ALIEN_TABLE);
      await failuresCarrySql(createDurableObjectSqlStorage({ storage, tablePrefix: 'alien_' }), DurableObjectStorageError);
      // The schema function names the statement too.
      const error = (() => {
        try {
          initializeDurableObjectSqlSchema(storage, { collections: ['todos'], tablePrefix: 'alien_', indexes: { todos: ['title'] } });
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(DurableObjectStorageError);
      expect((error as DurableObjectStorageError).sql).toMatch(/^CREATE INDEX IF NOT EXISTS "alien_todos/);
    });
  });
});
