import { fileURLToPath } from 'node:url';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import { sourceAliases } from '../../vitest.shared.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig(async () => {
  // Read in Node (the SQL files), applied inside workerd by test/apply-migrations.ts.
  const migrations = await readD1Migrations(here('./migrations'));
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: here('./wrangler.jsonc') },
        miniflare: { bindings: { TEST_MIGRATIONS: migrations } },
      }),
    ],
    resolve: { alias: sourceAliases },
    test: {
      name: 'd1-worker',
      include: ['test/**/*.test.ts'],
      setupFiles: ['./test/apply-migrations.ts'],
    },
  };
});
