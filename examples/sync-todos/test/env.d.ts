// The bindings the tests see (from wrangler.jsonc), and the Worker's module, which types
// `exports.default` from 'cloudflare:workers'.
declare namespace Cloudflare {
  interface Env {
    TODO_LIST: DurableObjectNamespace<import('../src/todo-list.js').TodoList>;
  }
  interface GlobalProps {
    mainModule: typeof import('../src/index.js');
  }
}
