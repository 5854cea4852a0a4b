declare namespace Cloudflare {
  interface Env {
    DB: D1Database;
    KV_OBJECT: DurableObjectNamespace;
    SQL_OBJECT: DurableObjectNamespace;
  }
}
