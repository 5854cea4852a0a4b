// The bindings the tests see (wrangler.jsonc plus the migrations from vitest.config.ts), and the
// Worker's module, which types `exports.default` from 'cloudflare:workers'.
declare namespace Cloudflare {
  interface Env {
    DB: D1Database;
    TEST_MIGRATIONS: import('cloudflare:test').D1Migration[];
  }
  interface GlobalProps {
    mainModule: typeof import('../src/index.js');
  }
}
