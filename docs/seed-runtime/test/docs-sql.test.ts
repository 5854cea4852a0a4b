import { env } from 'cloudflare:workers';
import { condition, Database } from '@pocket/core';
import { compileFind, createD1Storage, d1SchemaSql } from '@pocket/storage-edge';
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

describe('SQL blocks in docs/', () => {
  it('finds them', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    expect(schemaBlocks.length).toBeGreaterThanOrEqual(3);
  });

  it.each(schemaBlocks.map((b) => [`${b.file}:${b.line}`, b]))('%s runs on D1 and gives a table Pocket uses', async (_where, block) => {
    const b = block as Block;
    await env.DB.exec('DROP TABLE IF EXISTS pocket_todos');
    // The index-only block in d1.md adds to the table the block before it creates.
    if (!/CREATE TABLE/i.test(b.code)) await env.DB.exec(blocks.find((x) => x.file === b.file && /CREATE TABLE/i.test(x.code))!.code.replace(/\n\s*/g, ' '));
    for (const statement of b.code.split(';').map((s) => s.trim()).filter(Boolean)) await env.DB.prepare(statement).run();
    const todos = (await Database.create({ name: 'docs', storage: createD1Storage({ database: env.DB }) })).collection('todos');
    await todos.insert({ _id: 'a', userId: 'u1' });
    expect(await todos.find().where('userId').equals('u1').exec()).toEqual([{ _id: 'a', userId: 'u1' }]);
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
    const { sql } = compileFind('"pocket_todos"', { filter: condition.gte('priority', 5), sort: [{ path: 'createdAt', direction: 'desc' }], skip: 0, limit: 20 });
    expect(squash(shown.code)).toBe(squash(sql));
  });
});

function squash(sql: string): string {
  return sql.replace(/\s+/g, ' ').trim();
}
