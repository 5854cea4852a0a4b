import { fileURLToPath } from 'node:url';
import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import { sourceAliases } from '../../vitest.shared.js';

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: fileURLToPath(new URL('./wrangler.jsonc', import.meta.url)) },
      // The tests sign their own tokens with this key; a deployed Worker gets its own as a secret.
      miniflare: { bindings: { JWT_SECRET: 'a-test-only-secret-of-32-characters!' } },
    }),
  ],
  resolve: { alias: sourceAliases },
  test: {
    name: 'hono',
    include: ['test/**/*.test.ts'],
  },
});
