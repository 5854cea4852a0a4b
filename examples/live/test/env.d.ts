// The bindings the tests see (from wrangler.jsonc), and the Worker's module, which types
// `exports.default` from 'cloudflare:workers'.
declare namespace Cloudflare {
  interface Env {
    LIVE_TODOS: DurableObjectNamespace<import('../src/live-todos.js').LiveTodos>;
  }
  interface GlobalProps {
    mainModule: typeof import('../src/index.js');
  }
}
