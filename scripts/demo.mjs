#!/usr/bin/env node
// The Pocket demo: the d1-worker example running locally under `wrangler dev`, on a local D1
// database, filled with sample todos over HTTP. No Cloudflare account, login or network needed.
//
//   node scripts/demo.mjs           build, migrate, start, fill, then keep serving until Ctrl-C
//   node scripts/demo.mjs --smoke   the same, then query and check the answers, stop, exit 0/1
//
// Steps: build the packages (wrangler bundles @pocket/* from their dist builds), apply
// examples/d1-worker/migrations to a fresh local database, start `wrangler dev` on a free port,
// wait until it answers, and drive it over HTTP like any client.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './lib/process.mjs';

const smoke = process.argv.includes('--smoke');
const root = fileURLToPath(new URL('..', import.meta.url));
const example = join(root, 'examples', 'd1-worker');
// A state directory of the demo's own, wiped on every run, so each demo starts from the same
// data and never touches the state of your own `wrangler dev` sessions in the example.
const state = join(example, '.wrangler', 'demo-state');
const logFile = join(example, '.wrangler', 'demo-wrangler.log');
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' };
const started = Date.now();

/** @type {import('node:child_process').ChildProcess | null} */
let server = null;
let stopping = false;

function step(text) {
  console.log(`\n▸ ${text}`);
}
function done(text) {
  console.log(`  ✓ ${text}`);
}
function seconds(since) {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

/** Runs a command to completion, quietly; on failure prints its output and exits. */
function run(command, args, cwd) {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (error) => fail(`could not run ${command}: ${error.message}`));
    child.on('close', (code) => {
      if (code === 0) resolvePromise(output);
      else fail(`\`${command} ${args.join(' ')}\` failed (exit ${code}) in ${relative(root, cwd) || '.'}:\n${output}`);
    });
  });
}

/** Stops wrangler dev and everything it started (workerd), then resolves. */
function stopServer() {
  return new Promise((resolvePromise) => {
    if (!server || server.exitCode !== null || server.signalCode !== null) return resolvePromise();
    const timer = setTimeout(() => killGroup('SIGKILL'), 5000);
    server.once('exit', () => {
      clearTimeout(timer);
      killGroup('SIGKILL'); // anything of the group still around (workerd), best effort
      resolvePromise();
    });
    killGroup('SIGTERM');
  });
}

function killGroup(signal) {
  try {
    process.kill(-server.pid, signal); // the whole process group: npx, wrangler, workerd
  } catch {
    // already gone
  }
}

async function fail(message) {
  console.error(`\n✗ ${message}`);
  stopping = true;
  await stopServer();
  process.exit(1);
}

async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping wrangler dev…`);
  await stopServer();
  console.log('Stopped. Bye!');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGHUP', () => void shutdown('SIGHUP'));
// If this script dies any other way, do not leave wrangler behind.
process.on('exit', () => {
  if (server && server.exitCode === null && server.signalCode === null) killGroup('SIGKILL');
});

if (smoke) {
  // CI must never hang on the demo.
  setTimeout(() => void fail('the smoke run took longer than 90 s'), 90_000).unref();
}

// ---- 1. build -------------------------------------------------------------------------------
step('Building @pocket/core and @pocket/storage-edge');
let t = Date.now();
await run('npx', ['-y', 'pnpm@12.4.2', 'run', 'build'], root);
done(`built in ${seconds(t)}`);

// ---- 2. migrate -----------------------------------------------------------------------------
step('Applying examples/d1-worker/migrations to a fresh local D1 database');
rmSync(state, { recursive: true, force: true });
t = Date.now();
await run('npx', ['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state], example);
done(`0001_init.sql applied in ${seconds(t)} (state in ${relative(root, state)})`);

// ---- 3. start -------------------------------------------------------------------------------
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
step(`Starting wrangler dev on ${base}`);
t = Date.now();
mkdirSync(join(example, '.wrangler'), { recursive: true });
const log = createWriteStream(logFile);
let serverOutput = '';
server = spawn(
  'npx',
  ['wrangler', 'dev', '--ip', '127.0.0.1', '--port', String(port), '--persist-to', state, '--show-interactive-dev-session=false'],
  // Its own process group, so stopping it stops workerd too, and Ctrl-C reaches only us.
  { cwd: example, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
);
let echoRequests = false;
for (const stream of [server.stdout, server.stderr]) {
  stream.on('data', (chunk) => {
    log.write(chunk);
    serverOutput += chunk;
    if (echoRequests) {
      for (const line of String(chunk).split('\n')) if (/\[wrangler:(info|error)\]/.test(line)) console.log(`  ${line.trim()}`);
    }
  });
}
server.on('exit', (code, signal) => {
  if (!stopping) void fail(`wrangler dev stopped unexpectedly (${signal ?? `exit ${code}`}):\n${serverOutput}`);
});

for (let ready = false; !ready;) {
  if (Date.now() - t > 60_000) await fail(`wrangler dev did not answer within 60 s:\n${serverOutput}`);
  try {
    await fetch(`${base}/todos`);
    ready = true;
  } catch {
    await new Promise((r) => setTimeout(r, 200));
  }
}
done(`answering after ${seconds(t)} (its log: ${relative(root, logFile)})`);

// ---- 4. fill --------------------------------------------------------------------------------
async function api(method, path, body, expected) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== expected) await fail(`${method} ${path} answered ${response.status}, expected ${expected}: ${text}`);
  return text === '' ? null : JSON.parse(text);
}

const samples = [
  { title: 'Read the Pocket README', userId: 'alice' },
  { title: 'Create a D1 database', userId: 'alice' },
  { title: 'Write the first migration', userId: 'alice' },
  { title: 'Deploy the Worker', userId: 'alice' },
  { title: 'Add a KV cache', userId: 'bob' },
  { title: 'Try live queries', userId: 'bob' },
];
step(`Filling it with ${samples.length} sample todos over HTTP`);
const created = [];
for (const sample of samples) created.push(await api('POST', '/todos', sample, 201));
await api('PUT', `/todos/${created[0]._id}`, { completed: true }, 200);
await api('PUT', `/todos/${created[1]._id}`, { completed: true }, 200);
await api('PUT', `/todos/${created[4]._id}`, { completed: true }, 200);
done(`POST /todos ×${samples.length}, then PUT /todos/:id {"completed":true} ×3`);

// ---- 5. query and show ----------------------------------------------------------------------
const all = await api('GET', '/todos', undefined, 200);
const aliceOpen = await api('GET', '/todos?userId=alice&completed=false', undefined, 200);
step(`GET /todos → ${all.length} todos`);
for (const todo of all) console.log(`  ${todo.completed ? '[x]' : '[ ]'} ${todo.userId.padEnd(6)} ${todo.title.padEnd(28)} ${todo._id}`);
step(`GET /todos?userId=alice&completed=false → ${aliceOpen.length} todos`);
for (const todo of aliceOpen) console.log(`  [ ] ${todo.title}`);

if (smoke) {
  // ---- smoke: check the answers, then stop ----------------------------------------------------
  step('Smoke checks');
  const check = async (ok, what) => {
    if (!ok) await fail(`smoke check failed: ${what}`);
  };
  await check(all.length === samples.length, `GET /todos returned ${all.length} todos, expected ${samples.length}`);
  await check(all.filter((x) => x.completed).length === 3, 'three todos should be completed');
  await check(
    JSON.stringify(aliceOpen.map((x) => x.title).sort()) === JSON.stringify(['Deploy the Worker', 'Write the first migration']),
    `alice's open todos: ${JSON.stringify(aliceOpen.map((x) => x.title))}`,
  );
  const one = await api('GET', `/todos/${created[5]._id}`, undefined, 200);
  await check(one.title === 'Try live queries', 'GET /todos/:id returns the todo');
  await api('DELETE', `/todos/${created[5]._id}`, undefined, 204);
  await api('GET', `/todos/${created[5]._id}`, undefined, 404);
  await api('PUT', '/todos/no-such-id', { completed: true }, 404);
  await api('POST', '/todos', { userId: 'alice' }, 400);
  done('list, filters, read, delete, 404 and 400 answered as expected');
  stopping = true;
  await stopServer();
  console.log(`\nSmoke run passed in ${seconds(started)}; wrangler dev stopped.`);
  process.exit(0);
}

// ---- interactive: keep serving ------------------------------------------------------------------
const first = created[2]._id;
console.log(`
Pocket's d1-worker example is running at ${base} (ready in ${seconds(started)}).
Try it from another terminal:

  curl ${base}/todos
  curl '${base}/todos?userId=alice&completed=false'
  curl -X POST ${base}/todos -H 'content-type: application/json' -d '{"title":"Buy milk","userId":"alice"}'
  curl -X PUT ${base}/todos/${first} -H 'content-type: application/json' -d '{"completed":true}'
  curl -X DELETE ${base}/todos/${first}

The code is in examples/d1-worker (see its README). Requests are logged below.
Press Ctrl-C to stop.
`);
echoRequests = true;
