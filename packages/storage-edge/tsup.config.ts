import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', sql: 'src/sql-compiler.ts' },
  format: ['esm'],
  dts: true,
  clean: true,
  target: 'es2022',
  external: ['@pocket/core'],
});
