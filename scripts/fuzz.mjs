#!/usr/bin/env node
// Differential fuzzing at scale: seeded random documents, queries and writes on every adapter —
// memory in Node, D1, Durable Object KV and SQLite-backed Durable Objects in workerd — compared
// with core's evaluator. A failure prints its seed, the minimal case the shrinker found and the
// command that reruns it.
//
//   node scripts/fuzz.mjs [--cases 5000] [--seed 123] [--adapters memory,d1,do-kv,do-sql]
//
// Without --seed a random one is used (and printed). The normal test run covers a bounded number
// of cases with a fixed seed; this passes FUZZ_CASES and FUZZ_SEED to the same test files (the
// storage-edge vitest config hands them to the test Worker as bindings).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const ADAPTERS = {
  memory: { cwd: 'packages/core', file: 'test/fuzz.test.ts' },
  d1: { cwd: 'packages/storage-edge', file: 'test/fuzz-d1.test.ts' },
  'do-kv': { cwd: 'packages/storage-edge', file: 'test/fuzz-do-kv.test.ts' },
  'do-sql': { cwd: 'packages/storage-edge', file: 'test/fuzz-do-sql.test.ts' },
  // Configurations that share a file with another: named so a failure's rerun command works.
  'd1-indexed': { cwd: 'packages/storage-edge', file: 'test/fuzz-d1.test.ts' },
  'do-sql-tiny-limits': { cwd: 'packages/storage-edge', file: 'test/fuzz-do-sql.test.ts' },
};

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '5000' },
    seed: { type: 'string' },
    adapters: { type: 'string', default: Object.keys(ADAPTERS).join(',') },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log('node scripts/fuzz.mjs [--cases 5000] [--seed 123] [--adapters memory,d1,do-kv,do-sql]');
  process.exit(0);
}
const cases = Number(values.cases);
const seed = values.seed === undefined ? 1 + Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
if (!Number.isSafeInteger(cases) || cases < 1) throw new Error(`--cases must be a positive whole number, got ${values.cases}`);
if (!Number.isSafeInteger(seed) || seed < 0 || seed > 2 ** 40) throw new Error(`--seed must be a whole number from 0 to 2^40, got ${values.seed}`);
const adapters = values.adapters
  .split(',')
  .map((a) => a.trim())
  .filter(Boolean);
for (const a of adapters) if (!(a in ADAPTERS)) throw new Error(`Unknown adapter "${a}"; choose from ${Object.keys(ADAPTERS).join(', ')}`);

console.log(`fuzz: ${cases} cases per adapter on ${adapters.join(', ')}, seed ${seed} (rerun with --seed ${seed})`);

/** Runs one package's fuzz files in one vitest process; resolves with its exit code and the [fuzz] lines. */
function runVitest(cwd, files) {
  return new Promise((resolve) => {
    const child = spawn('npx', ['vitest', 'run', ...files], {
      cwd: `${root}/${cwd}`,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FUZZ_CASES: String(cases), FUZZ_SEED: String(seed), WRANGLER_SEND_METRICS: 'false', FORCE_COLOR: '0', NO_COLOR: '1' },
    });
    const lines = [];
    let output = '';
    const collect = (chunk) => {
      const text = chunk.toString();
      output += text;
      for (const line of text.split('\n')) if (line.includes('[fuzz]')) lines.push(line.trim());
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('close', (code) => resolve({ code: code ?? 1, lines, output }));
  });
}

const started = Date.now();
const byPackage = new Map();
for (const a of adapters) {
  const { cwd, file } = ADAPTERS[a];
  const files = byPackage.get(cwd) ?? [];
  if (!files.includes(file)) byPackage.set(cwd, [...files, file]);
}
let failed = false;
const summary = [];
// One package at a time: the storage-edge files already run in parallel inside vitest.
for (const [cwd, files] of byPackage) {
  const result = await runVitest(cwd, files);
  summary.push(...result.lines);
  if (result.code !== 0) {
    failed = true;
    // The failing test's message holds the seed, the minimal case and the rerun command.
    const start = result.output.indexOf('Failed Tests');
    console.error(start >= 0 ? result.output.slice(start) : result.output);
  }
}
for (const line of summary) console.log(line);
console.log(`fuzz: ${failed ? 'FAILED' : 'passed'} in ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${seed}, ${cases} cases per adapter)`);
process.exit(failed ? 1 : 0);
