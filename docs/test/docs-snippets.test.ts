import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeBlocks, isTypeScript } from './markdown.js';
import { here, typecheck } from './typecheck.js';

// Every TypeScript block in docs/ is a complete module: it must compile against the published
// types of our packages exactly as written.
const docsDir = join(here(import.meta.url), '..');
const blocks = readdirSync(docsDir)
  .filter((f) => f.endsWith('.md'))
  .flatMap((f) => codeBlocks(f, readFileSync(join(docsDir, f), 'utf8')))
  .filter(isTypeScript);
const files = blocks.map((b) => ({ name: `${b.file.replace('.md', '')}-${b.line}.ts`, code: /^\s*(import|export) /m.test(b.code) ? b.code : `${b.code}\nexport {};\n` }));
const errors = typecheck(docsDir, files);

describe('code blocks in docs/', () => {
  it('finds the blocks, and the checker reports errors when there are some', () => {
    expect(blocks.length).toBeGreaterThan(15);
    const bad = typecheck(docsDir, [
      { name: 'bad.ts', code: `import { Database } from '@pocket/core';\nconst db = Database.open({ name: 'x', storage: 42 });\ndb.collection<{ _id: string; n: number }>('c').find().where('n').equals('text');\nexport {};\n` },
    ]).get('bad.ts');
    expect(bad).toHaveLength(2);
    expect(bad!.join('\n')).toMatch(/bad.ts:2: .*number.*StorageAdapter/s);
  });
  it.each(files.map((f) => [f.name]))('%s compiles', (name) => {
    expect(errors.get(name)).toEqual([]);
  });
});
