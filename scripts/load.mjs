#!/usr/bin/env node
// Load test: concurrent clients creating, updating, reading, listing and deleting todos against
// examples/d1-worker under `wrangler dev` on 127.0.0.1 (local D1, fresh state in a temp dir) for a
// fixed time. Each client owns one userId and keeps a model of what the Worker acknowledged, so
// every read is checked exactly: a GET returns what the last acknowledged write left, a list
// returns exactly the client's live todos. Passes with zero 5xx, zero network errors and zero
// mismatches, and reports throughput and p50/p99 latency per operation.
//
//   node scripts/load.mjs [--duration 20] [--clients 16] [--seed 1] [--json report.json] [--log]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checkTodoShape, createRandom, migrate, percentile, startWorker, tempState } from './lib/d1-worker.mjs';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '20' },
    clients: { type: 'string', default: '16' },
    seed: { type: 'string', default: '1' },
    json: { type: 'string' },
    log: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const duration = Number(values.duration);
const clients = Number(values.clients);
const seed = Number(values.seed);
if (!(duration > 0 && duration <= 3600)) throw new Error('--duration is seconds, from 1 to 3600');
if (!(Number.isInteger(clients) && clients >= 1 && clients <= 256)) throw new Error('--clients is 1 to 256');

// Bounded whatever happens: the run stops itself, and a watchdog ends the process.
const watchdog = setTimeout(
  () => {
    console.error('load: watchdog fired (the run took far longer than --duration); giving up');
    process.exit(2);
  },
  (duration + 180) * 1000,
);
watchdog.unref();

const OPS = ['create', 'update', 'get', 'list', 'delete', 'getMissing'];
const stats = Object.fromEntries(OPS.map((op) => [op, { count: 0, latencies: [], status: {} }]));
const problems = [];
let networkErrors = 0;
let serverErrors = 0;
const MAX_LIVE = 60; // each client keeps fewer live todos than the list route's limit of 100

const state = tempState('load');
console.log(`load: ${clients} clients for ${duration} s against examples/d1-worker (state in ${state.dir})`);
migrate(state.dir);
const worker = await startWorker(state.dir, { log: values.log });
console.log(`load: wrangler dev on ${worker.url}`);

async function call(op, method, path, body) {
  const started = performance.now();
  let response;
  try {
    response = await fetch(`${worker.url}${path}`, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    networkErrors += 1;
    problems.push(`${op} ${method} ${path}: ${error.message}`);
    return null;
  }
  const text = await response.text();
  const elapsed = performance.now() - started;
  const s = stats[op];
  s.count += 1;
  s.latencies.push(elapsed);
  s.status[response.status] = (s.status[response.status] ?? 0) + 1;
  if (response.status >= 500) {
    serverErrors += 1;
    problems.push(`${op} ${method} ${path}: ${response.status} ${text.slice(0, 200)}`);
  }
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    problems.push(`${op} ${method} ${path}: response is not JSON: ${text.slice(0, 200)}`);
  }
  return { status: response.status, json };
}

function expectTodo(op, got, want) {
  const shape = checkTodoShape(got);
  if (shape.length > 0) return problems.push(`${op}: malformed todo (${shape.join(', ')}): ${JSON.stringify(got)}`);
  for (const key of ['_id', 'title', 'userId', 'completed', 'createdAt']) {
    if (got[key] !== want[key]) return problems.push(`${op}: ${key} is ${JSON.stringify(got[key])}, the acknowledged writes say ${JSON.stringify(want[key])}`);
  }
}

async function client(index, deadline) {
  const rng = createRandom(seed * 1000 + index);
  const userId = `load-${seed}-${index}`;
  const live = new Map(); // id -> todo, as acknowledged
  const gone = [];
  let serial = 0;
  while (performance.now() < deadline && problems.length < 50) {
    const ids = [...live.keys()];
    const pick = () => ids[rng.int(0, ids.length - 1)];
    const roll = rng.next();
    if (ids.length === 0 || (roll < 0.35 && ids.length < MAX_LIVE)) {
      serial += 1;
      const title = `c${index} #${serial} ${rng.chance(0.2) ? `'; DROP TABLE pocket_todos; -- é😀` : 'todo'}`;
      const r = await call('create', 'POST', '/todos', { title, userId });
      if (r?.status === 201) {
        expectTodo('create', r.json, { ...r.json, title, userId, completed: false });
        live.set(r.json._id, r.json);
      } else if (r) problems.push(`create: status ${r.status}`);
    } else if (roll < 0.6) {
      const id = pick();
      const changes = rng.chance(0.5) ? { completed: rng.chance(0.5) } : { title: `c${index} renamed ${rng.int(0, 1e6)}`, completed: rng.chance(0.5) };
      const r = await call('update', 'PUT', `/todos/${encodeURIComponent(id)}`, changes);
      if (r?.status === 200) {
        const want = { ...live.get(id), ...changes };
        expectTodo('update', r.json, want);
        live.set(id, want);
      } else if (r) problems.push(`update ${id}: status ${r.status}`);
    } else if (roll < 0.75) {
      const id = pick();
      const r = await call('get', 'GET', `/todos/${encodeURIComponent(id)}`);
      if (r?.status === 200) expectTodo('get', r.json, live.get(id));
      else if (r) problems.push(`get ${id}: status ${r.status}, expected 200`);
    } else if (roll < 0.9) {
      const r = await call('list', 'GET', `/todos?userId=${encodeURIComponent(userId)}`);
      if (r?.status === 200) {
        const got = new Map(r.json.map((t) => [t._id, t]));
        if (got.size !== live.size || ids.some((id) => !got.has(id))) problems.push(`list for ${userId}: ${got.size} todos, ${live.size} acknowledged`);
        for (const [id, todo] of got) if (live.has(id)) expectTodo('list', todo, live.get(id));
      } else if (r) problems.push(`list: status ${r.status}`);
    } else if (roll < 0.97 || gone.length === 0) {
      const id = pick();
      const r = await call('delete', 'DELETE', `/todos/${encodeURIComponent(id)}`);
      if (r?.status === 204) {
        live.delete(id);
        gone.push(id);
      } else if (r) problems.push(`delete ${id}: status ${r.status}`);
    } else {
      const id = gone[rng.int(0, gone.length - 1)];
      const r = await call('getMissing', 'GET', `/todos/${encodeURIComponent(id)}`);
      if (r && r.status !== 404) problems.push(`get of deleted ${id}: status ${r.status}, expected 404`);
    }
  }
  return { userId, live };
}

const started = performance.now();
const deadline = started + duration * 1000;
const models = await Promise.all(Array.from({ length: clients }, (_, i) => client(i, deadline)));
const elapsed = (performance.now() - started) / 1000;

// After the load: every client's todos are exactly what its acknowledged writes left.
let finalTodos = 0;
for (const { userId, live } of models) {
  const r = await call('list', 'GET', `/todos?userId=${encodeURIComponent(userId)}`);
  if (r?.status !== 200) continue;
  finalTodos += r.json.length;
  const ids = new Set(r.json.map((t) => t._id));
  if (ids.size !== live.size || [...live.keys()].some((id) => !ids.has(id)))
    problems.push(`final list for ${userId}: ${ids.size} todos, ${live.size} acknowledged`);
  for (const todo of r.json) if (live.has(todo._id)) expectTodo('final list', todo, live.get(todo._id));
}
const acknowledgedLive = models.reduce((n, m) => n + m.live.size, 0);
await worker.stop();
if (!values.keep) state.remove();

const total = OPS.reduce((n, op) => n + stats[op].count, 0);
const report = {
  clients,
  durationSeconds: Number(elapsed.toFixed(1)),
  requests: total,
  throughput: Number((total / elapsed).toFixed(1)),
  serverErrors,
  networkErrors,
  mismatches: problems.length - serverErrors - networkErrors,
  finalTodos,
  acknowledgedLive,
  operations: Object.fromEntries(
    OPS.filter((op) => stats[op].count > 0).map((op) => {
      const s = stats[op];
      return [
        op,
        {
          count: s.count,
          perSecond: Number((s.count / elapsed).toFixed(1)),
          p50ms: Number(percentile(s.latencies, 50).toFixed(1)),
          p99ms: Number(percentile(s.latencies, 99).toFixed(1)),
          status: s.status,
        },
      ];
    }),
  ),
};

console.log(`\nload: ${total} requests in ${report.durationSeconds} s = ${report.throughput} req/s, ${clients} clients`);
console.log('operation    count    req/s    p50 ms   p99 ms   statuses');
for (const [op, s] of Object.entries(report.operations)) {
  console.log(
    `${op.padEnd(12)} ${String(s.count).padStart(6)} ${String(s.perSecond).padStart(8)} ${String(s.p50ms).padStart(9)} ${String(s.p99ms).padStart(8)}   ${JSON.stringify(s.status)}`,
  );
}
console.log(
  `5xx: ${serverErrors}, network errors: ${networkErrors}, mismatches: ${report.mismatches}; final todos ${finalTodos}, acknowledged live ${acknowledgedLive}`,
);
if (values.json) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
if (problems.length > 0) {
  console.error(`load: FAILED\n  ${problems.slice(0, 20).join('\n  ')}`);
  process.exit(1);
}
console.log('load: passed');
process.exit(0);
