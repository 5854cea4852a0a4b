#!/usr/bin/env node
// Starts every example under `wrangler dev` (local D1, KV and Durable Objects, a throw-away state
// directory) and sends it a few HTTP requests. The examples' vitest suites run the same code in
// workerd, but not the way wrangler loads it: for instance, a main module that exports anything
// besides handlers and Durable Object classes passes the tests and fails to start here.
// Needs the packages built first (wrangler bundles @pocket/* from dist).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expectStatus, freePort, startWrangler } from './lib/process.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const json = { 'content-type': 'application/json' };

/** Per example: requests as [method, path, headers, body, expected status]. */
const examples = {
  'd1-worker': [
    ['POST', '/todos', json, { title: 'check', userId: 'u1' }, 201],
    ['GET', '/todos?userId=u1', {}, undefined, 200],
  ],
  hono: [
    ['POST', '/todos', json, { title: 'check' }, 201],
    ['PUT', '/todos/missing', json, { completed: true }, 404],
  ],
  'error-handling': [
    ['POST', '/todos', json, { _id: 'a', title: 'check' }, 201],
    ['POST', '/todos', json, { _id: 'a', title: 'again' }, 409],
    ['GET', '/todos?limit=-1', {}, undefined, 400],
  ],
  'kv-cache': [
    ['POST', '/todos', { ...json, 'x-user-id': 'u1' }, { title: 'check' }, 201],
    ['GET', '/todos', { 'x-user-id': 'u1' }, undefined, 200],
  ],
  'durable-object': [
    ['POST', '/todos', { ...json, 'x-user-id': 'u1' }, { title: 'check' }, 201],
    ['GET', '/todos', { 'x-user-id': 'u2' }, undefined, 200],
  ],
  'multi-tenant': [
    ['POST', '/shared/todos', { ...json, 'x-tenant-id': 'acme' }, { title: 'check' }, 201],
    ['POST', '/object/notes', { ...json, 'x-tenant-id': 'acme' }, { title: 'check' }, 201],
    ['GET', '/prefixed/todos', { 'x-tenant-id': "acme'; --" }, undefined, 400],
  ],
  live: [
    ['POST', '/lists/home/todos', json, { title: 'check' }, 201],
    ['GET', '/lists/home/todos', {}, undefined, 200],
  ],
};

let failed = false;
for (const [name, requests] of Object.entries(examples)) {
  const state = mkdtempSync(join(tmpdir(), `pocket-${name}-`));
  const port = await freePort();
  let server;
  try {
    server = await startWrangler(join(root, 'examples', name), port, { extraArgs: ['--persist-to', state] });
    for (const [method, path, headers, body, status] of requests) {
      await expectStatus(`http://127.0.0.1:${port}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }, status);
    }
    console.log(`✓ ${name}: wrangler dev serves ${requests.length} requests as expected`);
  } catch (error) {
    failed = true;
    console.error(`✗ ${name}: ${error instanceof Error ? error.message : error}`);
  } finally {
    server?.stop();
    await new Promise((r) => setTimeout(r, 500));
    rmSync(state, { recursive: true, force: true });
  }
}
process.exit(failed ? 1 : 0);
