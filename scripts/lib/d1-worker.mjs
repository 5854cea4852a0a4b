// Runs examples/d1-worker under `wrangler dev` on 127.0.0.1 with its own local D1 state
// directory, built from the packages' TypeScript sources (no build step needed), for the load
// and durability scripts. The state directory lives under the OS temp dir unless given.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startWrangler } from './process.mjs';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const workerDir = join(root, 'examples/d1-worker');

/** A fresh temp directory for wrangler's --persist-to, and a function that removes it. */
export function tempState(label) {
  const dir = mkdtempSync(join(tmpdir(), `pocket-${label}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Applies the example's migrations (migrations/0001_init.sql) to the local D1 in `stateDir`. */
export function migrate(stateDir) {
  const result = spawnSync('npx', ['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', stateDir], {
    cwd: workerDir,
    encoding: 'utf8',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
    timeout: 120_000,
  });
  if (result.status !== 0) throw new Error(`wrangler d1 migrations apply failed:\n${result.stdout}\n${result.stderr}`);
}

/**
 * Starts the Worker on a free 127.0.0.1 port. Returns its base URL, `stop()` (SIGTERM to the
 * process group) and `kill()` (SIGKILL to the process group: wrangler, and workerd with it).
 */
export async function startWorker(stateDir, { log = false } = {}) {
  const port = await freePort();
  const inspector = await freePort();
  const alias = (name, path) => ['--alias', `${name}=${join(root, path)}`];
  const worker = await startWrangler(workerDir, port, {
    log,
    extraArgs: [
      '--persist-to',
      stateDir,
      '--inspector-port',
      String(inspector),
      '--log-level',
      'error',
      ...alias('@pocket/core', 'packages/core/src/index.ts'),
      ...alias('@pocket/storage-edge', 'packages/storage-edge/src/index.ts'),
    ],
  });
  const pgid = worker.child.pid;
  const groupAlive = () => {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  };
  // Signals the whole process group and waits until every process of it is gone (SIGKILL after 10 s).
  const signal = async (name) => {
    try {
      process.kill(-pgid, name);
    } catch {}
    const deadline = Date.now() + 10_000;
    while (groupAlive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (groupAlive()) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {}
      while (groupAlive()) await new Promise((r) => setTimeout(r, 50));
    }
  };
  return {
    url: `http://127.0.0.1:${port}`,
    pid: worker.child.pid,
    output: worker.output,
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
  };
}

/** Latency percentiles, in milliseconds, from a list of samples. */
export function percentile(samples, p) {
  if (samples.length === 0) return 0;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** mulberry32, as in @pocket/core/testing: the same seed gives the same run. */
export function createRandom(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (min, max) => min + Math.floor(next() * (max - min + 1)), chance: (p) => next() < p };
}

/** The shape every todo the Worker returns must have. */
export function checkTodoShape(todo) {
  const problems = [];
  if (typeof todo !== 'object' || todo === null || Array.isArray(todo)) return ['not an object'];
  if (typeof todo._id !== 'string' || todo._id.length === 0) problems.push('_id');
  if (typeof todo.title !== 'string') problems.push('title');
  if (typeof todo.userId !== 'string') problems.push('userId');
  if (typeof todo.completed !== 'boolean') problems.push('completed');
  if (typeof todo.createdAt !== 'string' || Number.isNaN(Date.parse(todo.createdAt))) problems.push('createdAt');
  // Pocket's revision: 1 at insert, +1 at every write.
  if (!Number.isSafeInteger(todo._rev) || todo._rev < 1) problems.push('_rev');
  const extra = Object.keys(todo).filter((k) => !['_id', 'title', 'userId', 'completed', 'createdAt', '_rev'].includes(k));
  if (extra.length > 0) problems.push(`unexpected fields ${extra.join(', ')}`);
  return problems;
}
