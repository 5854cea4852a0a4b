import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { codeBlocks, isTypeScript } from '../test/markdown.js';

/**
 * Writes the seed page's Worker, Durable Object and Hono snippets, as the page has them, into
 * `generated/`, plus an entry Worker that exports the Durable Object class and sends each
 * request to one of the three apps by the `x-snippet` header. Only what a bundler needs is
 * added (the `Env` the Durable Object file names is a type and disappears).
 */
export function generateSeedWorker(seedPath: string, outDir: string): string {
  const blocks = codeBlocks('edge-runtime.md', readFileSync(seedPath, 'utf8')).filter(isTypeScript);
  const pick = (marker: string) => {
    const block = blocks.find((b) => b.code.includes(marker));
    if (!block) throw new Error(`The seed page has no TypeScript block containing ${JSON.stringify(marker)}.`);
    return block.code;
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'd1-worker.ts'), pick(`// src/index.ts\nimport { Database } from '@pocket/core';`));
  writeFileSync(join(outDir, 'todo-list.ts'), pick('// src/todo-list.ts'));
  writeFileSync(join(outDir, 'do-router.ts'), pick(`import { TodoListDO } from './todo-list';`));
  writeFileSync(join(outDir, 'hono-app.ts'), pick(`import { Hono } from 'hono';`));
  const entry = join(outDir, 'index.ts');
  writeFileSync(
    entry,
    [
      `import d1Worker from './d1-worker';`,
      `import doRouter, { TodoListDO } from './do-router';`,
      `import honoApp from './hono-app';`,
      `export { TodoListDO };`,
      `const apps: Record<string, { fetch(request: Request, env: any, ctx: any): Response | Promise<Response> }> = { d1: d1Worker, 'durable-object': doRouter, hono: honoApp };`,
      `export default {`,
      `  fetch(request: Request, env: unknown, ctx: unknown) {`,
      `    const app = apps[request.headers.get('x-snippet') ?? ''];`,
      `    return app ? app.fetch(request, env, ctx) : new Response('pick a snippet with x-snippet', { status: 400 });`,
      `  },`,
      `};`,
      ``,
    ].join('\n'),
  );
  return entry;
}
