import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { d1SchemaSql } from '@pocket/storage-edge';
import { afterAll, describe, expect, it } from 'vitest';
import { codeBlocks } from './markdown.js';
import { here } from './typecheck.js';

// The Worker of getting-started.md, tested by the tests of testing.md, each file exactly as the
// pages print it, in workerd with a real local D1: what a reader who follows both pages gets.
const docsDir = join(here(import.meta.url), '..');
const blocksOf = (page: string) => codeBlocks(page, readFileSync(join(docsDir, page), 'utf8'));
const fileName = /^\/\/ ((?:(?:src|test)\/)?[\w.-]+\.ts)\n/;

const files = new Map<string, string>();
for (const block of [...blocksOf('getting-started.md'), ...blocksOf('testing.md')]) {
  if (block.lang === 'jsonc' && block.file === 'getting-started.md') files.set('wrangler.jsonc', block.code);
  const name = fileName.exec(block.code)?.[1];
  if (block.lang === 'ts' && name !== undefined) files.set(name, block.code);
}

const project = mkdtempSync(join(tmpdir(), 'pocket-docs-guide-'));
afterAll(() => rmSync(project, { recursive: true, force: true }));

describe('the getting-started Worker under the testing guide', () => {
  it('has every file the two pages name', () => {
    expect([...files.keys()].sort()).toEqual([
      'src/index.ts',
      'test/apply-migrations.ts',
      'test/env.d.ts',
      'test/storage.test.ts',
      'test/todos.test.ts',
      'vitest.config.ts',
      'wrangler.jsonc',
    ]);
  });

  it("passes the guide's tests in workerd", () => {
    for (const [name, code] of files) {
      mkdirSync(join(project, dirname(name)), { recursive: true });
      writeFileSync(join(project, name), code);
    }
    // Step 6's migration (migration-commands.test.ts checks that its command writes this).
    mkdirSync(join(project, 'migrations'));
    writeFileSync(join(project, 'migrations/0001_init.sql'), d1SchemaSql({ collections: ['todos'], indexes: { todos: [['userId', 'createdAt']] } }));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ private: true, type: 'module' }));
    symlinkSync(join(docsDir, 'node_modules'), join(project, 'node_modules'), 'dir');

    // A vitest of its own, as the reader runs it; this run's VITEST_* variables would confuse it.
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST')));
    const run = spawnSync(join(project, 'node_modules/.bin/vitest'), ['run'], { cwd: project, env, encoding: 'utf8', timeout: 170_000 });
    const output = `${run.stdout}\n${run.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
    expect(output).toMatch(/Tests\s+3 passed \(3\)/);
    expect(run.status, output).toBe(0);
  }, 180_000);
});
