import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeBlocks, isTypeScript, looksLikeSql } from './markdown.js';
import { completions } from './seed-completions.js';
import { here, typecheck } from './typecheck.js';

// The user-facing page our packages must satisfy lives outside the repository, beside it.
const seedPath = join(here(import.meta.url), '../../../shared/seed/edge-runtime.md');
const docsDir = join(here(import.meta.url), '..');
const blocks = codeBlocks('edge-runtime.md', readFileSync(seedPath, 'utf8')).filter((b) => isTypeScript(b) && !looksLikeSql(b));

const files = blocks.map((block) => {
  const completion = completions.find((c) => block.code.includes(c.match));
  let code = block.code;
  for (const [from, to] of completion?.replace ?? []) {
    if (!code.includes(from)) throw new Error(`completion for line ${block.line} expects ${JSON.stringify(from)}`);
    code = code.replace(from, to);
  }
  code = `${completion?.prelude ?? ''}${code}\n${completion?.append ?? ''}`;
  if (!/^\s*(import|export) /m.test(code)) code += 'export {};\n';
  return { name: completion?.file ?? `seed/line-${block.line}.ts`, code, block, completion };
});
const errors = typecheck(docsDir, files);

describe('TypeScript snippets of the seed page', () => {
  it('every block has a reviewed completion', () => {
    expect(blocks.length).toBe(14);
    expect(files.filter((f) => f.completion === undefined).map((f) => f.block.line)).toEqual([]);
  });
  it.each(files.map((f) => [f.block.line, f.name]))('the block at line %i (%s) compiles against our packages', (_line, name) => {
    expect(errors.get(name)).toEqual([]);
  });
});
