import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { d1SchemaSql } from '@pocket/storage-edge';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codeBlocks } from './markdown.js';
import { here } from './typecheck.js';

// The commands the docs give for writing migrations, run as printed, in a scratch project whose
// node_modules is the docs' own (so @pocket/storage-edge is the built package).
const docsDir = join(here(import.meta.url), '..');
const blocksOf = (page: string) => codeBlocks(page, readFileSync(join(docsDir, page), 'utf8'));
const script = blocksOf('schema-migrations.md').find((b) => b.code.startsWith('// scripts/pocket-migration.mjs'))!;
const oneLiner = blocksOf('getting-started.md')
  .flatMap((b) => b.code.split('\n'))
  .find((line) => line.startsWith('node --input-type=module'))!;

let project: string;
beforeEach(() => {
  project = mkdtempSync(join(tmpdir(), 'pocket-docs-migrations-'));
  symlinkSync(join(docsDir, 'node_modules'), join(project, 'node_modules'), 'dir');
});
afterEach(() => rmSync(project, { recursive: true, force: true }));

describe('the migration script of schema-migrations.md', () => {
  it('writes the whole schema as the next numbered migration, each time it runs', () => {
    mkdirSync(join(project, 'scripts'));
    writeFileSync(join(project, 'scripts/pocket-migration.mjs'), script.code);
    mkdirSync(join(project, 'migrations'));
    writeFileSync(join(project, 'migrations/0001_init.sql'), '-- an earlier migration\n');
    const run = (name: string) => execFileSync('node', ['scripts/pocket-migration.mjs', name], { cwd: project, encoding: 'utf8' });

    expect(run('add_index')).toContain('Wrote migrations/0002_add_index.sql.');
    run('again');
    expect(readdirSync(join(project, 'migrations')).sort()).toEqual(['0001_init.sql', '0002_add_index.sql', '0003_again.sql']);
    const expected = `-- Written by scripts/pocket-migration.mjs.\n${d1SchemaSql({ collections: ['todos'], indexes: { todos: [['userId', 'createdAt']] } })}`;
    expect(readFileSync(join(project, 'migrations/0002_add_index.sql'), 'utf8')).toBe(expected);
    expect(readFileSync(join(project, 'migrations/0003_again.sql'), 'utf8')).toBe(expected);
  });

  it('refuses a missing or malformed name and writes nothing', () => {
    mkdirSync(join(project, 'scripts'));
    writeFileSync(join(project, 'scripts/pocket-migration.mjs'), script.code);
    for (const args of [[], ['Add Index']]) {
      const result = spawnSync('node', ['scripts/pocket-migration.mjs', ...args], { cwd: project, encoding: 'utf8' });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('Usage: node scripts/pocket-migration.mjs <name>');
    }
    expect(readdirSync(project)).not.toContain('migrations');
  });
});

describe("getting-started.md's one-line migration", () => {
  it('writes what d1SchemaSql gives for its schema', () => {
    mkdirSync(join(project, 'migrations'));
    execFileSync('sh', ['-c', oneLiner], { cwd: project });
    expect(readFileSync(join(project, 'migrations/0001_init.sql'), 'utf8')).toBe(
      d1SchemaSql({ collections: ['todos'], indexes: { todos: [['userId', 'createdAt']] } }),
    );
  });
});
