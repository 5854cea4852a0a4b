declare namespace Cloudflare {
  interface Env {
    DB: D1Database;
    TODO_LIST: DurableObjectNamespace;
    /** JSON: the SQL code blocks of docs/*.md, as { file, line, code }. */
    DOCS_SQL: string;
  }
}
