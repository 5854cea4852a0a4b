#!/usr/bin/env node
// Durability test: writers stream creates, updates and deletes to examples/d1-worker under
// `wrangler dev` (local D1, its own --persist-to state in a temp dir); at a seeded random moment
// the whole process group (wrangler and workerd) is killed with SIGKILL; wrangler is restarted
// on the same state, and everything is read back through the Worker's API:
//   - every create acknowledged with 201 is there, with the acknowledged update (or the one in
//     flight at the kill) applied; every delete acknowledged with 204 stays deleted;
//   - every todo listed parses and has the todo shape; none appears that nobody wrote (a row not
//     acknowledged must be one of the writes in flight when the process died).
// Then the writers go on, and the next round kills it again. Exits 1 on any loss or corruption.
//
//   node scripts/durability.mjs [--rounds 3] [--writers 4] [--seed 1] [--min-ms 1000] [--max-ms 4000]
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { checkTodoShape, createRandom, migrate, startWorker, tempState, workerDir } from './lib/d1-worker.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    writers: { type: 'string', default: '4' },
    seed: { type: 'string', default: '1' },
    'min-ms': { type: 'string', default: '1000' },
    'max-ms': { type: 'string', default: '4000' },
    log: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    // Self-check: after the first kill, delete one acknowledged todo behind the Worker's back
    // (wrangler d1 execute on the same state). The run must then fail with LOST.
    'inject-loss': { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const writers = Number(values.writers);
const seed = Number(values.seed);
const minMs = Number(values['min-ms']);
const maxMs = Number(values['max-ms']);
if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= 50)) throw new Error('--rounds is 1 to 50');
if (!(Number.isInteger(writers) && writers >= 1 && writers <= 64)) throw new Error('--writers is 1 to 64');
if (!(minMs >= 0 && maxMs >= minMs && maxMs <= 60_000)) throw new Error('--min-ms and --max-ms: 0 <= min <= max <= 60000');

const watchdog = setTimeout(
  () => {
    console.error('durability: watchdog fired; giving up');
    process.exit(2);
  },
  (rounds * (maxMs / 1000 + 90) + 120) * 1000,
);
watchdog.unref();

const rng = createRandom(seed);
const state = tempState('durability');
console.log(`durability: ${rounds} kill/restart rounds, ${writers} writers, seed ${seed}, state in ${state.dir}`);
migrate(state.dir);

/**
 * What the writers know. For each todo: the body of the acknowledged create, the changes of
 * acknowledged updates, and the writes sent but never answered (the process died first), which
 * may or may not have happened.
 */
const todos = new Map(); // id -> { acked: todo, pending: changes | null, deleted: boolean, deletePending: boolean }
const pendingCreates = new Map(); // title -> body sent without an answer
const GROUP = 40; // todos per userId, well under the list route's limit of 100
let serial = 0;
const counts = { creates: 0, updates: 0, deletes: 0, unanswered: 0, unansweredApplied: 0, restarts: 0, checked: 0 };
const problems = [];

async function send(url, method, body) {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null };
}

async function writer(w, base, stop) {
  const wrng = createRandom(seed * 7919 + w + serial);
  while (!stop.killed) {
    const mine = [...todos.entries()].filter(([, t]) => !t.deleted && !t.deletePending && t.acked.userId.startsWith(`dur-${seed}-w${w}-`));
    const roll = wrng.next();
    if (mine.length < 5 || roll < 0.6) {
      serial += 1;
      const n = serial;
      const body = { title: `dur ${seed} w${w} #${n} 'quote' é😀`, userId: `dur-${seed}-w${w}-g${Math.floor(n / GROUP)}` };
      pendingCreates.set(body.title, body);
      try {
        const r = await send(`${base}/todos`, 'POST', body);
        if (r.status !== 201) problems.push(`create answered ${r.status}: ${JSON.stringify(r.json)}`);
        else {
          todos.set(r.json._id, { acked: r.json, pending: null, deleted: false, deletePending: false });
          counts.creates += 1;
        }
        pendingCreates.delete(body.title);
      } catch {
        counts.unanswered += 1;
        return; // the process is gone; this create stays pending
      }
    } else if (roll < 0.85) {
      const [id, t] = mine[wrng.int(0, mine.length - 1)];
      const changes = { completed: !t.acked.completed, title: `${t.acked.title.split(' ~')[0]} ~${wrng.int(0, 1e6)}` };
      t.pending = changes;
      try {
        const r = await send(`${base}/todos/${encodeURIComponent(id)}`, 'PUT', changes);
        if (r.status !== 200) problems.push(`update of ${id} answered ${r.status}`);
        else {
          t.acked = { ...t.acked, ...changes };
          counts.updates += 1;
        }
        t.pending = null;
      } catch {
        counts.unanswered += 1;
        return;
      }
    } else {
      const [id, t] = mine[wrng.int(0, mine.length - 1)];
      t.deletePending = true;
      try {
        const r = await send(`${base}/todos/${encodeURIComponent(id)}`, 'DELETE');
        if (r.status !== 204) problems.push(`delete of ${id} answered ${r.status}`);
        else {
          t.deleted = true;
          counts.deletes += 1;
        }
        t.deletePending = false;
      } catch {
        counts.unanswered += 1;
        return;
      }
    }
  }
}

const same = (a, b) => ['_id', 'title', 'userId', 'completed', 'createdAt'].every((k) => a[k] === b[k]);

/** Reads everything back after a restart and settles what the kill left undecided. */
async function verify(base) {
  // Every acknowledged todo, one by one.
  for (const [id, t] of todos) {
    const r = await send(`${base}/todos/${encodeURIComponent(id)}`, 'GET');
    counts.checked += 1;
    if (t.deleted) {
      if (r.status !== 404) problems.push(`${id} was deleted (204) but reads back with ${r.status}`);
      continue;
    }
    if (r.status === 404) {
      if (t.deletePending) {
        t.deleted = true; // the unanswered delete happened
        counts.unansweredApplied += 1;
      } else problems.push(`LOST: ${id} was acknowledged (201) but is gone`);
      t.deletePending = false;
      continue;
    }
    if (r.status !== 200) {
      problems.push(`${id} reads back with ${r.status}`);
      continue;
    }
    const shape = checkTodoShape(r.json);
    if (shape.length > 0) problems.push(`CORRUPT: ${id} (${shape.join(', ')}): ${JSON.stringify(r.json)}`);
    if (same(r.json, t.acked)) t.pending = null;
    else if (t.pending !== null && same(r.json, { ...t.acked, ...t.pending })) {
      t.acked = r.json; // the unanswered update happened
      t.pending = null;
      counts.unansweredApplied += 1;
    } else
      problems.push(
        `${id} reads back as ${JSON.stringify(r.json)}; acknowledged ${JSON.stringify(t.acked)}${t.pending ? `, or with ${JSON.stringify(t.pending)}` : ''}`,
      );
    t.deletePending = false;
  }
  // Everything, through the list route, group by group: each row parses and has the shape, and
  // every row is either acknowledged or one of the creates the kill left unanswered.
  const groups = new Set([...todos.values()].map((t) => t.acked.userId));
  for (const body of pendingCreates.values()) groups.add(body.userId);
  let listed = 0;
  for (const userId of groups) {
    const r = await send(`${base}/todos?userId=${encodeURIComponent(userId)}`, 'GET');
    if (r.status !== 200 || !Array.isArray(r.json)) {
      problems.push(`list of ${userId} answered ${r.status}`);
      continue;
    }
    for (const row of r.json) {
      listed += 1;
      const shape = checkTodoShape(row);
      if (shape.length > 0) problems.push(`CORRUPT row in ${userId} (${shape.join(', ')}): ${JSON.stringify(row)}`);
      const known = todos.get(row._id);
      if (known !== undefined) {
        if (known.deleted) problems.push(`${row._id} was deleted but is listed`);
        else if (!same(row, known.acked)) problems.push(`${row._id} is listed as ${JSON.stringify(row)}, acknowledged ${JSON.stringify(known.acked)}`);
        continue;
      }
      const sent = pendingCreates.get(row.title);
      if (sent !== undefined && sent.userId === row.userId) {
        // An unanswered create that did happen: from now on it is known.
        todos.set(row._id, { acked: row, pending: null, deleted: false, deletePending: false });
        pendingCreates.delete(row.title);
        counts.unansweredApplied += 1;
      } else problems.push(`APPEARED: ${JSON.stringify(row)} was never written`);
    }
    const expected = [...todos.values()].filter((t) => !t.deleted && t.acked.userId === userId).length;
    const got = r.json.length;
    if (got !== expected) problems.push(`list of ${userId}: ${got} rows, ${expected} known live todos`);
  }
  pendingCreates.clear(); // what did not show up never happened
  return listed;
}

let worker = await startWorker(state.dir, { log: values.log });
for (let round = 1; round <= rounds; round++) {
  const stop = { killed: false };
  const running = Array.from({ length: writers }, (_, w) => writer(w, worker.url, stop));
  const delay = minMs + Math.floor(rng.next() * (maxMs - minMs + 1));
  await new Promise((r) => setTimeout(r, delay));
  // Killed while the writers are in full flow: whatever they had in flight goes unanswered.
  await worker.kill();
  stop.killed = true;
  await Promise.all(running);
  console.log(
    `durability: round ${round}: SIGKILL after ${delay} ms; ${counts.creates} creates, ${counts.updates} updates, ${counts.deletes} deletes acknowledged so far, ${counts.unanswered} unanswered`,
  );
  if (values['inject-loss'] && round === 1) {
    const [victim] = [...todos.entries()].find(([, t]) => !t.deleted && !t.deletePending) ?? [];
    const sql = `DELETE FROM pocket_todos WHERE _id = '${String(victim).replaceAll("'", "''")}'`;
    const result = spawnSync('npx', ['wrangler', 'd1', 'execute', 'DB', '--local', '--persist-to', state.dir, '--command', sql], {
      cwd: workerDir,
      encoding: 'utf8',
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
    });
    console.log(`durability: --inject-loss: deleted acknowledged todo ${victim} behind the Worker's back (exit ${result.status})`);
  }
  worker = await startWorker(state.dir, { log: values.log });
  counts.restarts += 1;
  const listed = await verify(worker.url);
  console.log(
    `durability: round ${round}: restarted; ${listed} todos listed, ${problems.length === 0 ? 'every acknowledged write present' : `${problems.length} problems`}`,
  );
  if (problems.length > 0) break;
}
await worker.stop();
if (!values.keep) state.remove();

const live = [...todos.values()].filter((t) => !t.deleted).length;
console.log(
  `durability: ${counts.restarts} SIGKILLs, ${counts.creates} creates, ${counts.updates} updates and ${counts.deletes} deletes acknowledged, ${counts.unanswered} writes cut off by the kill (${counts.unansweredApplied} of them had happened), ${live} todos live and read back after the last restart`,
);
if (problems.length > 0) {
  console.error(`durability: FAILED\n  ${problems.slice(0, 30).join('\n  ')}`);
  process.exit(1);
}
console.log('durability: passed — nothing acknowledged was lost, nothing read back was corrupt or unwritten');
process.exit(0);
