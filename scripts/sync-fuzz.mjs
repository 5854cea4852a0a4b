#!/usr/bin/env node
// The sync convergence fuzz at scale: seeded runs of clients that write, disconnect, reload and
// lose requests and answers while syncing with one server over in-process HTTP, each run checked
// for divergence, lost writes and unreported conflicts (packages/sync/test/node/convergence.test.ts).
//
//   node scripts/sync-fuzz.mjs [--steps 2000] [--seed 1] [--runs 5]
//
// Runs --runs seeds from --seed on (a random first seed when omitted; it is printed). The normal
// test run covers 3 seeds of 150 steps; this passes FUZZ_SYNC_STEPS, FUZZ_SYNC_SEED and
// FUZZ_SYNC_RUNS to the same test file.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '2000' },
    seed: { type: 'string' },
    runs: { type: 'string', default: '5' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log('node scripts/sync-fuzz.mjs [--steps 2000] [--seed 1] [--runs 5]');
  process.exit(0);
}
const steps = Number(values.steps);
const runs = Number(values.runs);
const seed = values.seed === undefined ? 1 + Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
if (!Number.isSafeInteger(steps) || steps < 1) throw new Error(`--steps must be a positive whole number, got ${values.steps}`);
if (!Number.isSafeInteger(runs) || runs < 1) throw new Error(`--runs must be a positive whole number, got ${values.runs}`);
if (!Number.isSafeInteger(seed) || seed < 0 || seed > 2 ** 31) throw new Error(`--seed must be a whole number from 0 to 2^31, got ${values.seed}`);

console.log(`fuzz:sync: ${runs} run(s) of ${steps} steps from seed ${seed} (rerun with --seed ${seed})`);
const started = Date.now();
const child = spawn('npx', ['vitest', 'run', 'test/node/convergence.test.ts'], {
  cwd: `${root}/packages/sync`,
  stdio: ['ignore', 'pipe', 'pipe'],
  env: { ...process.env, FUZZ_SYNC_STEPS: String(steps), FUZZ_SYNC_SEED: String(seed), FUZZ_SYNC_RUNS: String(runs), FORCE_COLOR: '0', NO_COLOR: '1' },
});
let output = '';
const reports = [];
const collect = (chunk) => {
  const text = chunk.toString();
  output += text;
  for (const line of text.split('\n')) if (line.includes('[fuzz:sync]')) reports.push(JSON.parse(line.slice(line.indexOf('{'))));
};
child.stdout.on('data', collect);
child.stderr.on('data', collect);
const code = await new Promise((resolve) => child.on('close', (c) => resolve(c ?? 1)));

for (const r of reports) {
  console.log(
    `seed ${r.seed}: ${r.clients} clients, ${r.steps} steps, ${r.localWrites} local + ${r.serverWrites} server writes, ${r.acceptedMutations} accepted, ${r.conflicts} conflicts, ${r.rejections} rejections, ${r.restarts} restarts, ${r.reloads} reloads, ${r.network.lostRequests} lost requests, ${r.network.lostResponses} lost answers, ${(r.ms / 1000).toFixed(1)} s: converged`,
  );
}
const sum = (key) => reports.reduce((s, r) => s + r[key], 0);
console.log(
  `${reports.length}/${runs} runs converged; ${sum('localWrites')} local writes, ${sum('acceptedMutations')} accepted, ${sum('conflicts')} conflicts reported, ${((Date.now() - started) / 1000).toFixed(0)} s`,
);
if (code !== 0) {
  console.error(output);
  console.error('A failure above gives its seed, what went wrong and the trace of the run; rerun one seed with --seed S --runs 1.');
  process.exit(1);
}
