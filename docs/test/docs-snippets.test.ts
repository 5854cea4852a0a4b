import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeBlocks, isTypeScript } from './markdown.js';
import { here, typecheck } from './typecheck.js';

// Every TypeScript block in docs/ and in the README is a complete module: it must compile against
// the published types of our packages exactly as written.
const docsDir = join(here(import.meta.url), '..');
const pages = [
  ...readdirSync(docsDir)
    .filter((f) => f.endsWith('.md'))
    .map((f) => join(docsDir, f)),
  join(docsDir, '../README.md'),
];
const blocks = pages.flatMap((path) => codeBlocks(basename(path), readFileSync(path, 'utf8'))).filter(isTypeScript);
// A block whose first line names a file (`// src/index.ts`, `// test/env.d.ts`) is that file of one
// small Worker project, so the testing guide's tests import the getting-started Worker as a
// user's tests would, and its env.d.ts declares global types as a real one does.
const projectFile = /^\/\/ ((?:(?:src|test)\/)?[\w.-]+\.ts)\n/;
const files = blocks.map((b) => {
  const path = projectFile.exec(b.code)?.[1];
  const name = path === undefined ? `${b.file.replace('.md', '')}-${b.line}.ts` : `project/${path}`;
  const isModule = /^\s*(import|export) /m.test(b.code) || name.endsWith('.d.ts');
  return { name, code: isModule ? b.code : `${b.code}\nexport {};\n` };
});
const duplicates = files.filter((f, i) => files.findIndex((g) => g.name === f.name) !== i);
if (duplicates.length > 0) throw new Error(`Two blocks in docs/ name the same file: ${duplicates.map((f) => f.name).join(', ')}.`);
// Test files of the project use the pool's `cloudflare:test` module.
const errors = typecheck(docsDir, files, ['@cloudflare/vitest-pool-workers/types']);

describe('code blocks in docs/', () => {
  it('finds the blocks, and the checker reports errors when there are some', () => {
    expect(blocks.length).toBeGreaterThan(15);
    const bad = typecheck(docsDir, [
      {
        name: 'bad.ts',
        code: `import { Database } from '@pocket/core';\nconst db = Database.open({ name: 'x', storage: 42 });\ndb.collection<{ _id: string; n: number }>('c').find().where('n').equals('text');\nexport {};\n`,
      },
    ]).get('bad.ts');
    expect(bad).toHaveLength(2);
    expect(bad!.join('\n')).toMatch(/bad.ts:2: .*number.*StorageAdapter/s);
  });
  it.each(files.map((f) => [f.name]))('%s compiles', (name) => {
    expect(errors.get(name)).toEqual([]);
  });
});
