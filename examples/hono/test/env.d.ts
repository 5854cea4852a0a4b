// The bindings the tests see (from wrangler.jsonc), and the Worker's module, which types
// `exports.default` from 'cloudflare:workers'.
declare namespace Cloudflare {
  interface Env {
    DB: D1Database;
    JWT_SECRET: string;
  }
  interface GlobalProps {
    mainModule: typeof import('../src/index.js');
  }
}
