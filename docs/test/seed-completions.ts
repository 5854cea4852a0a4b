/**
 * The seed page's snippets are partly fragments. Each is completed here with the declarations
 * it plainly assumes (imports, `env`, `Env`, a `Todo` type) and nothing more; a placeholder the
 * page writes as `...` is filled with the least code that compiles. Every completion is listed
 * with its reason, so a reader can judge that the snippet itself is unchanged.
 */
export interface Completion {
  /** A line that identifies the block. */
  match: string;
  /** Virtual file name, for blocks that others import (`./todo-list`). */
  file?: string;
  prelude?: string;
  replace?: Array<[from: string, to: string]>;
  /** Appended after the block. */
  append?: string;
  why: string;
}

// With @cloudflare/workers-types, `request.json()` is `Promise<unknown>`; the page was written
// against the DOM typing, where it is `Promise<any>` (it spreads and dereferences the body).
const domJson = `declare global {\n  interface Body {\n    json(): Promise<any>;\n  }\n}\n`;
const pocketImports = `import { Database } from '@pocket/core';\nimport { createD1Storage } from '@pocket/storage-edge';\n`;

export const completions: Completion[] = [
  { match: `// src/index.ts\nimport { Database } from '@pocket/core';`, prelude: domJson, why: 'request.json() typed as in the DOM lib' },
  { match: `tablePrefix: 'app_',`, prelude: `declare const env: { DB: D1Database };\n`, why: 'the binding the page assumes' },
  { match: `await initializeD1Schema(env.DB`, prelude: `declare const env: { DB: D1Database };\n`, why: 'the binding the page assumes' },
  {
    match: `// src/todo-list.ts`,
    file: 'src/todo-list.ts',
    prelude: `${domJson}interface Env {}\n`,
    why: 'request.json() typed as in the DOM lib; the Env the class names',
  },
  { match: `import { TodoListDO } from './todo-list';`, file: 'src/index-durable-object.ts', why: 'imports the Durable Object block' },
  { match: `storage: state.storage,`, prelude: `declare const state: DurableObjectState;\n`, why: 'the state the page assumes' },
  {
    match: `import { Hono } from 'hono';`,
    append: `declare module 'hono' {\n  interface ContextVariableMap {\n    db: Database;\n  }\n}\n`,
    why: "Hono types c.set('db') only for declared variables; this is Hono's documented declaration for them",
  },
  {
    match: `// Using D1 with tenant isolation`,
    prelude: `${pocketImports}interface Env {\n  DB: D1Database;\n  TENANT_DO: DurableObjectNamespace;\n}\n`,
    why: 'imports and the Env the page assumes',
  },
  { match: `tenantId: string; // Tenant identifier`, prelude: `import { Database } from '@pocket/core';\n`, why: 'the import' },
  {
    match: `async function getCachedTodos(`,
    prelude: `${pocketImports}interface Todo {\n  _id: string;\n  title: string;\n  userId: string;\n}\n`,
    why: 'imports and the Todo the page assumes',
  },
  {
    match: `import { D1Error } from '@pocket/storage-edge';`,
    prelude: `import { Database } from '@pocket/core';\nimport { createD1Storage } from '@pocket/storage-edge';\ninterface Env {\n  DB: D1Database;\n}\n`,
    replace: [[`// ... handle request`, `return new Response(String(db.name));`]],
    why: 'imports and Env; the elided request handling returns a response',
  },
  {
    match: `class MyDO implements DurableObject {`,
    prelude: `import { Database, type DatabaseOptions } from '@pocket/core';\ndeclare const options: DatabaseOptions;\n`,
    replace: [
      [`Database.create({ ... })`, `Database.create({ ...options })`],
      [
        `      this.db = await Database.create({ ...options });\n    }\n    return this.db;\n  }\n`,
        `      this.db = await Database.create({ ...options });\n    }\n    return this.db;\n  }\n  async fetch(): Promise<Response> {\n    return new Response(String((await this.getDb()).name));\n  }\n`,
      ],
    ],
    why: 'the elided options; the fetch() a DurableObject must have',
  },
  {
    match: `await db.collection('todos').bulkInsert(todos);`,
    prelude: `import type { Database, DocumentUpdate, AnyDocument } from '@pocket/core';\ndeclare const db: Database;\ndeclare const todos: AnyDocument[];\ndeclare const updates: DocumentUpdate<AnyDocument>[];\n`,
    why: 'the database and data the page assumes',
  },
  {
    match: `const results = await todos\n  .find()\n  .limit(100)`,
    prelude: `import type { Collection } from '@pocket/core';\ndeclare const todos: Collection;\n`,
    why: 'the collection the page assumes',
  },
];
