import { fileURLToPath } from 'node:url';

/**
 * Tests run against the packages' TypeScript sources, not their builds, so a change is tested
 * without rebuilding. Published code resolves `@pocket/*` to `dist` through `exports`.
 */
export const sourceAliases = [
  { find: /^@pocket\/core\/adapter$/, replacement: fileURLToPath(new URL('./packages/core/src/adapter.ts', import.meta.url)) },
  { find: /^@pocket\/core\/testing$/, replacement: fileURLToPath(new URL('./packages/core/src/testing/index.ts', import.meta.url)) },
  { find: /^@pocket\/core$/, replacement: fileURLToPath(new URL('./packages/core/src/index.ts', import.meta.url)) },
  { find: /^@pocket\/storage-edge\/sql$/, replacement: fileURLToPath(new URL('./packages/storage-edge/src/sql-compiler.ts', import.meta.url)) },
  { find: /^@pocket\/sync\/client$/, replacement: fileURLToPath(new URL('./packages/sync/src/client/index.ts', import.meta.url)) },
  { find: /^@pocket\/sync\/server$/, replacement: fileURLToPath(new URL('./packages/sync/src/server/index.ts', import.meta.url)) },
  { find: /^@pocket\/sync$/, replacement: fileURLToPath(new URL('./packages/sync/src/index.ts', import.meta.url)) },
  { find: /^@pocket\/storage-edge$/, replacement: fileURLToPath(new URL('./packages/storage-edge/src/index.ts', import.meta.url)) },
];
