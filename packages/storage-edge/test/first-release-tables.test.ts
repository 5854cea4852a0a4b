// Tables made before revisions (by the seed page's migration, or by the first release) keep
// working: Pocket adds the change feed's columns and index itself, rows written by plain SQL read
// as revision 1, and they enter the feed at their next write through Pocket.
import { env } from 'cloudflare:test';
import { Database, increment } from '@pocket/core';
import { describe, expect, it } from 'vitest';
import { createD1Storage, createDurableObjectSqlStorage, d1SchemaSql, initializeD1Schema } from '../src/index.js';
import { inObject } from './do-helpers.js';

/** The seed page's migration, verbatim but for the table name. */
const SEED_MIGRATION = (table: string) => [
  `CREATE TABLE IF NOT EXISTS ${table} (_id TEXT PRIMARY KEY, data TEXT NOT NULL, created_at INTEGER DEFAULT (unixepoch()), updated_at INTEGER DEFAULT (unixepoch()))`,
  `CREATE INDEX IF NOT EXISTS idx_${table}_created ON ${table}(json_extract(data, '$._id'))`,
  `INSERT INTO ${table} (_id, data) VALUES ('a', '{"_id":"a","n":1}'), ('b', '{"_id":"b","n":2}')`,
];

interface Backend {
  raw(sql: string): Promise<Array<Record<string, unknown>>>;
  db(prefix: string): Database;
}

async function checkFirstReleaseTable(backend: Backend, prefix: string): Promise<void> {
  const table = `${prefix}todos`;
  for (const sql of SEED_MIGRATION(table)) await backend.raw(sql);
  const todos = backend.db(prefix).collection<{ _id: string; n: number }>('todos');

  // Reads work at once, each row at revision 1; nothing is in the feed yet.
  expect(await todos.get('a')).toEqual({ _id: 'a', n: 1, _rev: 1 });
  expect(await todos.find().sort('_id').exec()).toEqual([
    { _id: 'a', n: 1, _rev: 1 },
    { _id: 'b', n: 2, _rev: 1 },
  ]);
  expect(await todos.changes()).toEqual({ changes: [], checkpoint: '0' });

  // The first write enters the feed, conditional writes and operators work on the old rows.
  expect(await todos.update('b', { n: increment(1) }, { expectedRev: 1 })).toEqual({ _id: 'b', n: 3, _rev: 2 });
  expect(await todos.delete('a')).toBe(true);
  const feed = await todos.changes();
  expect(feed.changes.map((c) => [c.id, c.rev, c.deleted])).toEqual([
    ['b', 2, false],
    ['a', 2, true],
  ]);

  // The table has the columns and the feed's index now, beside the migration's own.
  const columns = (await backend.raw(`SELECT name FROM pragma_table_info('${table}')`)).map((r) => r.name);
  expect(columns).toEqual(['_id', 'data', 'created_at', 'updated_at', '_seq', '_deleted']);
  const indexes = (await backend.raw(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '${table}' AND sql IS NOT NULL ORDER BY name`)).map(
    (r) => r.name,
  );
  expect(indexes).toEqual([`idx_${table}_created`, `${table}:deleted`, `${table}:seq`]);

  // Another database on the same table (another isolate, say) finds the columns there.
  const again = backend.db(prefix).collection<{ _id: string; n: number }>('todos');
  expect((await again.changes({ since: feed.checkpoint })).changes).toEqual([]);
  await again.insert({ _id: 'c', n: 0 });
  expect((await todos.changes({ since: feed.checkpoint })).changes.map((c) => c.id)).toEqual(['c']);
}

describe('tables of the first release', () => {
  it('on D1: get the feed columns lazily, and their rows read with a revision', async () => {
    await checkFirstReleaseTable(
      {
        raw: async (sql) => (await env.DB.prepare(sql).all()).results as Array<Record<string, unknown>>,
        db: (prefix) => Database.open({ name: 'old', storage: createD1Storage({ database: env.DB, tablePrefix: prefix }) }),
      },
      'old_d1_',
    );
  });

  it('on SQLite-backed Durable Objects: the same', async () => {
    await inObject('SQL_OBJECT', 'first-release-table', async (storage) => {
      await checkFirstReleaseTable(
        {
          raw: async (sql) => storage.sql.exec(sql).toArray() as Array<Record<string, unknown>>,
          db: (prefix) => Database.open({ name: 'old', storage: createDurableObjectSqlStorage({ storage, tablePrefix: prefix }) }),
        },
        'old_do_',
      );
    });
  });

  it('initializeD1Schema upgrades such a table, and d1SchemaSql makes new tables with the feed', async () => {
    const table = 'old_init_todos';
    for (const sql of SEED_MIGRATION(table)) await env.DB.prepare(sql).run();
    await initializeD1Schema(env.DB, { collections: ['todos'], tablePrefix: 'old_init_' });
    await initializeD1Schema(env.DB, { collections: ['todos'], tablePrefix: 'old_init_' }); // idempotent
    const columns = (await env.DB.prepare(`SELECT name FROM pragma_table_info('${table}')`).all()).results.map((r) => r.name);
    expect(columns).toContain('_seq');
    expect(columns).toContain('_deleted');
    expect(d1SchemaSql({ collections: ['todos'] })).toBe(
      'CREATE TABLE IF NOT EXISTS "pocket_todos" (_id TEXT PRIMARY KEY, data TEXT NOT NULL, created_at INTEGER DEFAULT (unixepoch()), updated_at INTEGER DEFAULT (unixepoch()), _seq INTEGER, _deleted INTEGER);\n' +
        'CREATE INDEX IF NOT EXISTS "pocket_todos:seq" ON "pocket_todos" (_seq);\n' +
        'CREATE INDEX IF NOT EXISTS "pocket_todos:deleted" ON "pocket_todos" (_deleted) WHERE _deleted IS NOT NULL;\n',
    );
  });
});
