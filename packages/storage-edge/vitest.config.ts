import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import { sourceAliases } from '../../vitest.shared.js';

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: './test/wrangler.jsonc' },
      // The fuzz tests' case count and seed, from `node scripts/fuzz.mjs --cases N --seed S`.
      miniflare: { bindings: { FUZZ_CASES: process.env.FUZZ_CASES ?? '', FUZZ_SEED: process.env.FUZZ_SEED ?? '' } },
    }),
  ],
  resolve: { alias: sourceAliases },
  test: {
    name: 'storage-edge',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
