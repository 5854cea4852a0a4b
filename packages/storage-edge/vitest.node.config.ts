import { defineConfig } from 'vitest/config';
import { sourceAliases } from '../../vitest.shared.js';

// The compiler is plain functions: its golden SQL runs in Node, next to the workerd suite.
export default defineConfig({
  resolve: { alias: sourceAliases },
  test: {
    name: 'storage-edge-sql',
    include: ['test/**/*.node.ts'],
  },
});
