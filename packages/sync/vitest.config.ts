import { defineConfig } from 'vitest/config';
import { sourceAliases } from '../../vitest.shared.js';

// Client and server in one Node process, talking HTTP through Request/Response objects: the
// protocol, the client's bookkeeping and the convergence fuzz. The workerd suite
// (vitest.workers.config.ts) runs the Durable Object handler with real WebSockets.
export default defineConfig({
  resolve: { alias: sourceAliases },
  test: {
    name: 'sync',
    include: ['test/node/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
