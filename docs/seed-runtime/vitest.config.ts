import { fileURLToPath } from 'node:url';
import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import { sourceAliases } from '../../vitest.shared.js';
import { readdirSync, readFileSync } from 'node:fs';
import { codeBlocks } from '../test/markdown.js';
import { generateSeedWorker } from './generate.js';

const main = generateSeedWorker(
  fileURLToPath(new URL('../../../shared/seed/edge-runtime.md', import.meta.url)),
  fileURLToPath(new URL('./generated', import.meta.url)),
);

// The SQL blocks of docs/, handed to the tests in workerd (which cannot read files) as a binding.
const docsDir = fileURLToPath(new URL('..', import.meta.url));
const docsSql = readdirSync(docsDir)
  .filter((f) => f.endsWith('.md'))
  .flatMap((f) => codeBlocks(f, readFileSync(docsDir + f, 'utf8')))
  .filter((b) => b.lang === 'sql');

// The seed page's wrangler settings: a D1 binding DB and the TODO_LIST Durable Object (new_classes).
export default defineConfig({
  plugins: [
    cloudflareTest({
      main,
      miniflare: {
        compatibilityDate: '2026-04-01',
        compatibilityFlags: ['nodejs_compat'],
        d1Databases: ['DB'],
        durableObjects: { TODO_LIST: 'TodoListDO' },
        bindings: { DOCS_SQL: JSON.stringify(docsSql) },
      },
    }),
  ],
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: { alias: sourceAliases },
  test: {
    name: 'seed-runtime',
    include: ['test/**/*.test.ts'],
  },
});
