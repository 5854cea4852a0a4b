import { defineConfig } from 'vitest/config';

// Each package (and each example) has its own vitest config; this runs them all.
export default defineConfig({
  test: {
    projects: [
      'packages/*/vitest.config.ts',
      'packages/*/vitest.node.config.ts',
      'packages/*/vitest.workers.config.ts',
      'examples/*/vitest.config.ts',
      'docs/vitest.config.ts',
      'docs/seed-runtime/vitest.config.ts',
    ],
  },
});
