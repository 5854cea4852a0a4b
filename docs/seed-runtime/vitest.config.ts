import { fileURLToPath } from 'node:url';
import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import { sourceAliases } from '../../vitest.shared.js';
import { generateSeedWorker } from './generate.js';

const main = generateSeedWorker(
  fileURLToPath(new URL('../../../shared/seed/edge-runtime.md', import.meta.url)),
  fileURLToPath(new URL('./generated', import.meta.url)),
);

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
