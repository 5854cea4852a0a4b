import { env } from 'cloudflare:workers';
import { condition, Database } from '@pocket/core';
import { createD1Storage, d1SchemaSql } from '@pocket/storage-edge';
import { compileFind } from '@pocket/storage-edge/sql';
import { describe, expect, it } from 'vitest';

interface Block {
  file: string;
  line: number;
  code: string;
}

// Every SQL block of docs/ that defines a schema is run against D1; the others are excerpts of
// statements Pocket builds, with `…` where they elide, and are compared with what Pocket builds.
const blocks = JSON.parse(env.DOCS_SQL) as Block[];
const schemaBlocks = blocks.filter((b) => /^\s*CREATE /i.test(b.code));

/** Runs a block's statements one by one, as a migration would. */
async function run(sql: string): Promise<void> {
  for (const statement of sql
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean))
    await env.DB.prepare(statement).run();
}

/** The table of Pocket's first release, as the seed page's migration made it. */
const FIRST_RELEASE_TABLE = `CREATE TABLE pocket_todos (_id TEXT PRIMARY KEY, data TEXT NOT NULL, created_at INTEGER DEFAULT (unixepoch()), updated_at INTEGER DEFAULT (unixepoch()))`;

const columnsOf = async (table: string) => (await env.DB.prepare(`SELECT name FROM pragma_table_info('${table}')`).all()).results.map((r) => r.name);

describe('SQL blocks in docs/', () => {
  it('finds them', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    expect(schemaBlocks.length).toBeGreaterThanOrEqual(3);
  });

  it.each(schemaBlocks.map((b) => [`${b.file}:${b.line}`, b]))('%s runs on D1 and gives a table Pocket uses', async (_where, block) => {
    const b = block as Block;
    await env.DB.exec('DROP TABLE IF EXISTS pocket_todos');
    // The index-only blocks in d1.md add to the table the block before them creates.
    if (!/CREATE TABLE/i.test(b.code)) await run(blocks.find((x) => x.file === b.file && /CREATE TABLE/i.test(x.code))!.code);
    await run(b.code);
    const todos = (await Database.create({ name: 'docs', storage: createD1Storage({ database: env.DB }) })).collection('todos');
    await todos.insert({ _id: 'a', userId: 'u1' });
    expect(await todos.find().where('userId').equals('u1').exec()).toEqual([{ _id: 'a', userId: 'u1', _rev: 1 }]);
    // The table has the change feed's columns, so the feed works from the first write.
    await todos.delete('a');
    expect((await todos.changes()).changes).toEqual([{ id: 'a', rev: 2, deleted: true, doc: null }]);
  });

  it('upgrades, with the ALTER TABLE block of d1.md, a table of the first release', async () => {
    const shown = blocks.find((b) => b.file === 'd1.md' && /^\s*ALTER TABLE/i.test(b.code))!;
    await env.DB.exec('DROP TABLE IF EXISTS pocket_todos');
    await env.DB.prepare(FIRST_RELEASE_TABLE).run();
    await env.DB.prepare(`INSERT INTO pocket_todos (_id, data) VALUES ('old', '{"_id":"old","userId":"u1"}')`).run();
    await run(shown.code);
    expect(await columnsOf('pocket_todos')).toEqual(['_id', 'data', 'created_at', 'updated_at', '_seq', '_deleted']);
    const todos = (await Database.create({ name: 'docs', storage: createD1Storage({ database: env.DB }) })).collection('todos');
    expect(await todos.get('old')).toEqual({ _id: 'old', userId: 'u1', _rev: 1 });
    expect((await todos.changes()).changes).toEqual([]);
    await todos.insert({ _id: 'new', userId: 'u2' });
    await todos.update('old', { done: true });
    expect((await todos.changes()).changes.map((c) => [c.id, c.rev])).toEqual([
      ['new', 1],
      ['old', 2],
    ]);
  });

  it('shows the statements Pocket runs itself to upgrade such a table', async () => {
    const shown = blocks.find((b) => b.file === 'd1.md' && /^\s*ALTER TABLE/i.test(b.code))!;
    await env.DB.exec('DROP TABLE IF EXISTS pocket_todos');
    await env.DB.prepare(FIRST_RELEASE_TABLE).run();
    const sent: string[] = [];
    const recording = new Proxy(env.DB, {
      get(target, key) {
        if (key === 'prepare') return (sql: string) => (sent.push(sql), target.prepare(sql));
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const todos = (await Database.create({ name: 'docs', storage: createD1Storage({ database: recording }) })).collection('todos');
    expect(await todos.find().exec()).toEqual([]);
    const upgrade = sent.filter((sql) => /^(ALTER TABLE|CREATE INDEX)/.test(sql));
    expect(upgrade.map((sql) => `${sql};`).join('\n')).toBe(shown.code.trim());
    expect(await columnsOf('pocket_todos')).toContain('_seq');
  });

  it('shows the exact output of d1SchemaSql', () => {
    const shown = blocks.find((b) => b.file === 'd1.md' && b.code.includes('"pocket_todos_userId'));
    expect(shown?.code + '\n').toBe(d1SchemaSql({ collections: ['todos'], indexes: { todos: ['userId'] } }));
  });

  it('quotes the ORDER BY Pocket builds, where queries.md shows it', () => {
    const shown = blocks.find((b) => b.file === 'queries.md' && b.code.includes('ORDER BY'))!;
    const { sql } = compileFind('"pocket_todos"', { filter: null, sort: [{ path: 'createdAt', direction: 'desc' }], skip: 20, limit: 10 });
    for (const part of shown.code.split('…')) expect(squash(sql)).toContain(squash(part));
  });

  it('quotes, in performance.md, the statement Pocket builds for the scan query', () => {
    const shown = blocks.find((b) => b.file === 'performance.md' && b.code.startsWith('SELECT'))!;
    const { sql } = compileFind('"pocket_todos"', {
      filter: condition.gte('priority', 5),
      sort: [{ path: 'createdAt', direction: 'desc' }],
      skip: 0,
      limit: 20,
    });
    expect(squash(shown.code)).toBe(squash(sql));
  });
});

function squash(sql: string): string {
  return sql.replace(/\s+/g, ' ').trim();
}
