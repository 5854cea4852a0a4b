import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import { sourceAliases } from '../../vitest.shared.js';

export default defineConfig({
  plugins: [cloudflareTest({ wrangler: { configPath: './test/wrangler.jsonc' } })],
  resolve: { alias: sourceAliases },
  test: {
    name: 'storage-edge',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
