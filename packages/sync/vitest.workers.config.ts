import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import { sourceAliases } from '../../vitest.shared.js';

// The Durable Object handler in workerd: real WebSockets (hibernation API), SQLite storage, D1.
export default defineConfig({
  plugins: [cloudflareTest({ wrangler: { configPath: './test/workers/wrangler.jsonc' } })],
  resolve: { alias: sourceAliases },
  test: {
    name: 'sync-workers',
    include: ['test/workers/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
