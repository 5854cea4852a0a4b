#!/usr/bin/env node
// The benchmark driver. Bundles the bench Worker, starts it in Miniflare with a D1 database and
// two Durable Object classes (KV-backed and SQLite-backed) persisted under bench/.state, seeds
// 10,000 documents per data set, checks that every variant returns the same documents, profiles
// what each variant sends to its backend, then runs interleaved rounds and prints medians,
// interquartile ranges and ratios to the raw baseline, per round and overall.
//
//   node run.mjs [--quick] [--rounds N] [--reps N] [--only d1,do-kv,do-sql] [--ops get,count]
//                [--alternatives] [--out results/latest.json] [--markdown results/latest.md]
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Miniflare } from 'miniflare';
import { poster } from './lib/d1-scenario.mjs';
import { bundleWorker } from './lib/build-worker.mjs';
import { fmtMs, fmtRatio, pct } from './lib/format.mjs';
import { median, summary } from './lib/stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    reps: { type: 'string' },
    target: { type: 'string' },
    only: { type: 'string' },
    ops: { type: 'string' },
    alternatives: { type: 'boolean', default: false },
    out: { type: 'string', default: 'results/latest.json' },
    markdown: { type: 'string', default: 'results/latest.md' },
  },
});

const OPS = ['get', 'byUser', 'range', 'count', 'update', 'bulkUpdate', 'bulkInsert', 'delete'];
const OP_LABEL = {
  get: 'get by id',
  byUser: 'userId = ? limit 100 (indexed)',
  range: 'priority >= 5, createdAt desc, limit 20 (scan)',
  count: 'count all',
  update: 'update one field',
  bulkUpdate: 'bulk update 100',
  bulkInsert: 'bulk insert 1,000',
  delete: 'delete by id',
};
const BACKEND_LABEL = { d1: 'D1', 'do-kv': 'Durable Object, KV storage', 'do-sql': 'Durable Object, SQLite storage' };

// Operations per request are calibrated per backend, operation and variant during the warm-up,
// so one request takes about TARGET_MS: long enough that the Worker's 1 ms clock and the fixed
// cost of a request vanish, short enough that slow variants do not stretch the run. Each
// operation starts from START and never exceeds MAX.
const START = { get: 50, byUser: 10, range: 2, count: 10, update: 50, bulkUpdate: 5, bulkInsert: 1, delete: 50 };
const MAX = { get: 20_000, byUser: 2_000, range: 200, count: 2_000, update: 10_000, bulkUpdate: 500, bulkInsert: 10, delete: 10_000 };

/**
 * The variants measured per backend and operation; the first is the baseline. `--alternatives`
 * adds the raw techniques the baseline was chosen over, and diagnostics: `pocket-sql` sends
 * Pocket's SQL the raw way (splitting Pocket's overhead into SQL and JavaScript), `raw-txn`
 * wraps raw KV writes in storage.transaction() as Pocket's KV adapter does for batches over 128
 * keys, `raw-checked` reads a KV bulk insert's keys first to refuse existing ids, as Pocket must.
 */
function variantsFor(backend, op) {
  const bulk = op === 'bulkInsert' || op === 'bulkUpdate';
  const write = bulk || op === 'update' || op === 'delete';
  const list = {
    d1: [
      'raw',
      'pocket',
      'drizzle',
      ...(op === 'get' ? ['pocket-per-request'] : []),
      ...(args.alternatives ? [...(bulk ? ['raw-batch'] : []), 'pocket-sql'] : []),
    ],
    'do-kv': ['raw', 'pocket', ...(args.alternatives ? ['raw-text', ...(write ? ['raw-txn'] : []), ...(op === 'bulkInsert' ? ['raw-checked'] : [])] : [])],
    'do-sql': [
      'raw',
      'pocket',
      ...(op === 'get' || op === 'update' ? ['pocket-hooked'] : []),
      ...(args.alternatives ? [...(bulk ? ['raw-loop'] : []), 'pocket-sql'] : []),
    ],
  };
  return list[backend];
}

const quick = args.quick;
const ROUNDS = Number(args.rounds ?? (quick ? 2 : 6));
const REPS = Number(args.reps ?? (quick ? 1 : 2));
const TARGET_MS = Number(args.target ?? (quick ? 40 : 120));
const backends = (args.only ?? 'd1,do-kv,do-sql').split(',');
const ops = args.ops ? args.ops.split(',') : OPS;
for (const b of backends) if (!BACKEND_LABEL[b]) fail(`--only: unknown backend "${b}" (d1, do-kv, do-sql)`);
for (const o of ops) if (!OPS.includes(o)) fail(`--ops: unknown operation "${o}" (${OPS.join(', ')})`);

class BenchFailure extends Error {}
let miniflareRunning = false;

/** Stops the run with a message; once Miniflare runs, by throwing, so that it is disposed of. */
function fail(message) {
  if (miniflareRunning) throw new BenchFailure(message);
  console.error(`\nbench: ${message}`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// Machine and versions.
const require = createRequire(import.meta.url);
const miniflareVersion = JSON.parse(readFileSync(require.resolve('miniflare/package.json'), 'utf8')).version;
const workerdVersion = JSON.parse(readFileSync(createRequire(require.resolve('miniflare/package.json')).resolve('workerd/package.json'), 'utf8')).version;
const drizzleVersion = JSON.parse(readFileSync(join(here, 'node_modules/drizzle-orm/package.json'), 'utf8')).version;
const machine = {
  nproc: os.availableParallelism(),
  cpu: os.cpus()[0]?.model ?? 'unknown',
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  platform: `${os.type()} ${os.release()} ${os.arch()}`,
  miniflare: miniflareVersion,
  workerd: workerdVersion,
  drizzle: drizzleVersion,
  loadBefore: os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' '),
};
const gitRev = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: here, encoding: 'utf8' }).stdout.trim();
console.log(`Pocket benchmark — ${quick ? 'quick' : 'full'} run: ${ROUNDS} rounds × ${REPS} requests per variant and operation`);
console.log(
  `machine: ${machine.nproc} cores, ${machine.cpu}, ${machine.memoryGiB} GiB; Node ${machine.node}; miniflare ${miniflareVersion}, workerd ${workerdVersion}; load ${machine.loadBefore}; commit ${gitRev}`,
);

// ---------------------------------------------------------------------------------------------
// Bundle the Worker, start Miniflare on a fresh state directory.
const started = Date.now();
const workerFile = join(here, 'dist/bench-worker.js');
await bundleWorker({ entry: join(here, 'worker/index.ts'), outfile: workerFile });
const stateDir = join(here, '.state');
rmSync(stateDir, { recursive: true, force: true });
mkdirSync(join(stateDir, 'd1'), { recursive: true });
mkdirSync(join(stateDir, 'do'), { recursive: true });

const mf = new Miniflare({
  modules: true,
  scriptPath: workerFile,
  compatibilityDate: '2026-04-01',
  d1Databases: { DB: 'bench-d1' },
  durableObjects: {
    KV_OBJECT: { className: 'BenchKvObject' },
    SQL_OBJECT: { className: 'BenchSqlObject', useSQLite: true },
  },
  d1Persist: join(stateDir, 'd1'),
  durableObjectsPersist: join(stateDir, 'do'),
});
await mf.ready;
miniflareRunning = true;
process.on('SIGINT', async () => {
  await mf.dispose();
  process.exit(130);
});

const post = poster(mf);

try {
  // -------------------------------------------------------------------------------------------
  // The clock. workerd in production freezes timers between I/O; check that the Worker's clock
  // here advances with computation and agrees with Node's, or in-Worker timings mean nothing.
  await post('clock', { work: 1e6 });
  const clock = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const c = await post('clock', { work: 3e7 });
    clock.push({ inside: c.compute, insideWithD1: c.total, outside: performance.now() - t0 });
  }
  const clk = clock.sort((a, b) => a.outside - b.outside)[1];
  console.log(
    `clock: computation timed inside the Worker ${clk.inside.toFixed(0)} ms (+ one D1 call: ${clk.insideWithD1.toFixed(0)} ms), whole request seen from Node ${clk.outside.toFixed(0)} ms`,
  );
  if (!(clk.inside > 0.5 * clk.outside)) fail('the Worker clock does not advance during computation; in-Worker timings would be wrong.');

  // -------------------------------------------------------------------------------------------
  // Seed.
  const t0 = Date.now();
  const instancesOf = (backend) => (backend === 'do-kv' ? [...new Set(OPS.flatMap((op) => variantsFor(backend, op)))] : [null]);
  for (const backend of backends) {
    for (const variant of instancesOf(backend)) {
      const n = await post('seed', { backend, variant });
      if (n !== 10_000) fail(`seeding ${backend}${variant ? ` (${variant})` : ''} left ${n} documents, not 10,000`);
    }
  }
  console.log(`seeded 10,000 documents in each data set (${backends.join(', ')}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  // -------------------------------------------------------------------------------------------
  // Check: every variant returns the same documents, in the same order, and leaves the same state.
  // Pocket's `_rev` is its own bookkeeping, which raw code does not keep: the documents are compared without it.
  const canonical = (value) =>
    JSON.stringify(value, (_k, v) =>
      v && typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(
            Object.entries(v)
              .filter(([k]) => k !== '_rev')
              .sort(([a], [b]) => (a < b ? -1 : 1)),
          )
        : v,
    );
  for (const backend of backends) {
    const variants = [...new Set(OPS.flatMap((op) => variantsFor(backend, op)))];
    const results = {};
    for (const variant of variants) results[variant] = await post('check', { backend, variant });
    const base = results[variants[0]];
    for (const variant of variants.slice(1)) {
      for (const part of [...Object.keys(base.reads).map((k) => ['reads', k]), ['writes']]) {
        const a = part.length === 2 ? base.reads[part[1]] : base.writes;
        const b = part.length === 2 ? results[variant].reads[part[1]] : results[variant].writes;
        if (canonical(a) !== canonical(b)) {
          const ja = canonical(a);
          const jb = canonical(b);
          let at = 0;
          while (at < ja.length && ja[at] === jb[at]) at++;
          fail(
            `check failed: ${backend} "${variant}" differs from "${variants[0]}" in ${part.join(' ')}.\n` +
              `  ${variants[0]}: …${ja.slice(Math.max(0, at - 120), at + 120)}…\n  ${variant}: …${jb.slice(Math.max(0, at - 120), at + 120)}…`,
          );
        }
      }
    }
    const r = base.reads;
    console.log(
      `check ${backend}: ${variants.join(', ')} agree — get ${r.get.filter(Boolean).length}/${r.get.length} found, byUser ${r.byUser.map((x) => x.length).join('/')}, range ${r.range.map((x) => x.length).join('/')}, count ${r.count}; write scenario leaves the same documents`,
    );
  }

  // -------------------------------------------------------------------------------------------
  // Profile: round trips and SQL of each operation, once, through recording wrappers.
  const profiles = {};
  for (const backend of backends) {
    profiles[backend] = {};
    const all = new Set(OPS.flatMap((op) => variantsFor(backend, op)));
    const variants = [...all].filter((v) => ['raw', 'pocket', 'drizzle'].includes(v));
    for (const variant of variants) profiles[backend][variant] = await post('profile', { backend, variant });
    if (all.has('pocket-sql')) {
      // The diagnostic variant must send exactly Pocket's statements, or it diagnoses nothing.
      const mine = await post('profile', { backend, variant: 'pocket-sql' });
      for (const op of ops) {
        const a = profiles[backend].pocket[op].statements.map((x) => x.sql).join('\n');
        const b = mine[op].statements.map((x) => x.sql).join('\n');
        if (a !== b)
          console.log(
            `  WARNING: ${backend} pocket-sql ${op} no longer sends Pocket's SQL; update worker/pocket-sql.ts.\n    pocket:     ${a}\n    pocket-sql: ${b}`,
          );
      }
    }
    console.log(`\nprofile ${backend}: backend calls per operation (and statements)`);
    for (const op of ops) {
      const cells = variants.map((v) => {
        const p = profiles[backend][v][op];
        const calls = summarizeCalls(p.calls);
        const scans = (p.plans ?? []).flat().filter((d) => /^SCAN /.test(d) && !/COVERING INDEX/.test(d));
        return `${v}: ${calls}${p.statements.length ? ` [${p.statements.length} stmt]` : ''}${scans.length ? ' SCAN' : ''}`;
      });
      console.log(`  ${op.padEnd(10)} ${cells.join(' | ')}`);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Measure. Round r runs every operation; within it each variant's requests are interleaved
  // (A B C, then C B A), and the order flips from one round to the next.
  const samples = [];
  const orderFor = (variants, round, rep) => ((round + rep) % 2 === 0 ? variants : [...variants].reverse());

  /**
   * One request of `n` operations. Writes leave the data set as they found it: a bulk insert's
   * documents are removed afterwards, and `delete` first inserts (untimed, with the variant's own
   * bulk insert) the documents it deletes.
   */
  async function request(backend, op, variant, round, rep, n) {
    const batches = op === 'bulkInsert' ? n : op === 'delete' ? Math.ceil(n / 1000) : 0;
    if (op === 'delete') await post('run', { backend, variant, op: 'bulkInsert', n: batches, round, rep });
    const w0 = performance.now();
    const r = await post('run', { backend, variant, op, n, round, rep });
    const wall = performance.now() - w0;
    if (batches > 0) await post('cleanup', { backend, variant, round, rep, batches });
    return { ...r, wall };
  }

  // Calibration, which is also the warm-up: grow n until a request takes a third of the target,
  // then size it to the target.
  const calibrated = {};
  const key = (backend, op, variant) => `${backend}/${op}/${variant}`;
  console.log(`\nwarm-up and calibration (target ${TARGET_MS} ms per request)…`);
  for (const backend of backends) {
    for (const op of ops) {
      for (const variant of variantsFor(backend, op)) {
        let n = START[op];
        let r;
        for (let attempt = 0; ; attempt++) {
          r = await request(backend, op, variant, -1 - attempt, 0, n);
          if (r.ms >= TARGET_MS / 3 || n >= MAX[op] || attempt >= 4) break;
          n = Math.min(MAX[op], r.ms < 1 ? n * 10 : Math.ceil((n * TARGET_MS) / r.ms));
        }
        calibrated[key(backend, op, variant)] = Math.max(1, Math.min(MAX[op], Math.round((n * TARGET_MS) / Math.max(r.ms, 1))));
      }
      console.log(
        `  ${backend.padEnd(6)} ${op.padEnd(10)} ops per request: ${variantsFor(backend, op)
          .map((v) => `${v} ${calibrated[key(backend, op, v)]}`)
          .join(', ')}`,
      );
    }
  }

  // The cost of Database.create + a new adapter + collection(), no I/O: what creating the
  // database per request costs next to keeping one.
  const createN = {};
  for (const backend of backends) {
    let n = 1000;
    for (let attempt = 0; attempt < 4; attempt++) {
      const r = await post('create-cost', { backend, n });
      if (r.ms >= TARGET_MS / 3) break;
      n = r.ms < 1 ? n * 10 : Math.ceil((n * TARGET_MS) / r.ms);
    }
    createN[backend] = n;
  }
  const createSamples = [];

  function printRound(backend, op, round) {
    const mine = samples.filter((s) => s.backend === backend && s.op === op && s.round === round);
    const variants = variantsFor(backend, op);
    const med = Object.fromEntries(variants.map((v) => [v, median(mine.filter((s) => s.variant === v).map((s) => s.perOp))]));
    const cells = variants.map((v, i) => (i === 0 ? `${v} ${fmtMs(med[v])} ms` : `${v} ${fmtMs(med[v])} (${fmtRatio(med[v] / med[variants[0]])}×)`));
    console.log(`  r${round + 1} ${backend.padEnd(6)} ${op.padEnd(10)} ${cells.join(' | ')}`);
  }

  console.log(`\nmeasuring: ${ROUNDS} rounds; per round and operation, the median time per operation (ms) and its ratio to raw`);
  for (let round = 0; round < ROUNDS; round++) {
    console.log(`round ${round + 1}/${ROUNDS} (load ${os.loadavg()[0].toFixed(2)})`);
    for (const backend of backends) {
      for (const op of ops) {
        const variants = variantsFor(backend, op);
        for (let rep = 0; rep < REPS; rep++) {
          for (const variant of orderFor(variants, round, rep)) {
            const n = calibrated[key(backend, op, variant)];
            const r = await request(backend, op, variant, round, rep, n);
            samples.push({ backend, op, variant, round, rep, n, ms: r.ms, wall: r.wall, sink: r.sink, perOp: r.ms / n, perOpSink: r.sink / n });
          }
        }
        printRound(backend, op, round);
      }
      const c = await post('create-cost', { backend, n: createN[backend] });
      createSamples.push({ backend, round, n: c.n, ms: c.ms, perOp: c.ms / c.n });
    }
  }

  // Every variant saw the same documents in every request (per operation, as n differs).
  for (const s of samples) {
    const base = samples.find(
      (b) => b.backend === s.backend && b.op === s.op && b.round === s.round && b.rep === s.rep && b.variant === variantsFor(s.backend, s.op)[0],
    );
    if (base && Math.abs(base.perOpSink - s.perOpSink) > 1e-9) {
      fail(
        `${s.backend} ${s.op} round ${s.round + 1}: "${s.variant}" returned ${s.perOpSink} documents/results per operation where ${base.variant} returned ${base.perOpSink}`,
      );
    }
  }

  // -------------------------------------------------------------------------------------------
  // Report.
  const report = [];
  for (const backend of backends) {
    for (const op of ops) {
      const variants = variantsFor(backend, op);
      const per = (v) => samples.filter((s) => s.backend === backend && s.op === op && s.variant === v);
      const baseline = summary(per(variants[0]).map((s) => s.perOp));
      for (const v of variants) {
        const mine = per(v);
        const stats = summary(mine.map((s) => s.perOp));
        const roundRatios = [];
        for (let r = 0; r < ROUNDS; r++) {
          const a = median(mine.filter((s) => s.round === r).map((s) => s.perOp));
          const b = median(
            per(variants[0])
              .filter((s) => s.round === r)
              .map((s) => s.perOp),
          );
          roundRatios.push(a / b);
        }
        // Paired ratios: each request against raw's request of the same round and rep, which ran
        // next to it. The load of a shared machine drifts over minutes; pairs cancel most of it.
        const pairs = mine.map((s) => s.perOp / per(variants[0]).find((b) => b.round === s.round && b.rep === s.rep).perOp);
        const paired = summary(pairs);
        // Pocket against the peer users would pick instead, paired the same way.
        const peer =
          variants.includes('drizzle') && v === 'pocket'
            ? summary(mine.map((s) => s.perOp / per('drizzle').find((b) => b.round === s.round && b.rep === s.rep).perOp))
            : null;
        report.push({
          backend,
          op,
          variant: v,
          opsPerRequest: calibrated[key(backend, op, v)],
          ...stats,
          ratio: paired.median,
          ratioQ1: paired.q1,
          ratioQ3: paired.q3,
          ratioOfMedians: stats.median / baseline.median,
          ...(peer ? { vsDrizzle: peer.median, vsDrizzleQ1: peer.q1, vsDrizzleQ3: peer.q3 } : {}),
          roundRatios,
          overheadMs: median(mine.map((s) => s.wall - s.ms)),
        });
      }
    }
  }

  console.log(
    '\nOverall: median time per operation and its interquartile range (relative to the median); ratio to raw: the median of the\n' +
      'ratios of each request to the raw request next to it (same round and rep), with their quartiles; then the ratio of the medians in each round',
  );
  for (const backend of backends) {
    console.log(`\n${BACKEND_LABEL[backend]}`);
    console.log(
      `  ${'operation'.padEnd(11)}${'variant'.padEnd(20)}${'median ms/op'.padStart(13)}${'IQR'.padStart(8)}${'× raw'.padStart(7)}${'(Q1–Q3)'.padStart(14)}   per round`,
    );
    for (const op of ops) {
      for (const row of report.filter((r) => r.backend === backend && r.op === op)) {
        const first = row.variant === variantsFor(backend, op)[0];
        console.log(
          `  ${(first ? op : '').padEnd(11)}${row.variant.padEnd(20)}${fmtMs(row.median).padStart(13)}${pct(row.relIqr).padStart(8)}${fmtRatio(row.ratio).padStart(7)}${(first ? '' : `${fmtRatio(row.ratioQ1)}–${fmtRatio(row.ratioQ3)}`).padStart(14)}   ${first ? '' : row.roundRatios.map(fmtRatio).join(' ')}`,
        );
      }
    }
  }
  const peerRows = report.filter((r) => r.vsDrizzle !== undefined);
  if (peerRows.length > 0) {
    console.log('\nPocket ÷ Drizzle on D1 (paired the same way; below 1: Pocket is faster)');
    for (const r of peerRows) console.log(`  ${r.op.padEnd(11)}${fmtRatio(r.vsDrizzle).padStart(6)}  (${fmtRatio(r.vsDrizzleQ1)}–${fmtRatio(r.vsDrizzleQ3)})`);
  }
  const createReport = {};
  console.log('\nDatabase.create + new adapter + collection() per request, without I/O, next to a get by id through a kept database:');
  for (const backend of backends) {
    const perCreate = summary(createSamples.filter((s) => s.backend === backend).map((s) => s.perOp));
    const get = report.find((r) => r.backend === backend && r.op === 'get' && r.variant === 'pocket');
    createReport[backend] = { ...perCreate, n: createN[backend], getMedian: get?.median ?? null, share: get ? perCreate.median / get.median : null };
    console.log(
      `  ${backend.padEnd(7)} ${(perCreate.median * 1000).toFixed(2)} µs per create (IQR ${pct(perCreate.relIqr)})${get ? ` = ${pct(perCreate.median / get.median)} of a get (${fmtMs(get.median)} ms)` : ''}`,
    );
  }
  const requestOverhead = median(samples.map((s) => s.wall - s.ms));
  console.log(
    `\nper request, time outside the timed loop (dispatch, RPC to the object, JSON): median ${requestOverhead.toFixed(1)} ms — not part of any number above`,
  );
  machine.loadAfter = os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  const elapsed = (Date.now() - started) / 1000;
  console.log(`load average after: ${machine.loadAfter}; whole run ${elapsed.toFixed(0)} s`);

  const output = {
    date: new Date().toISOString(),
    commit: gitRev,
    quick,
    rounds: ROUNDS,
    reps: REPS,
    machine,
    clock: clk,
    targetMs: TARGET_MS,
    opsPerRequest: calibrated,
    report,
    createCost: createReport,
    profiles,
    samples,
    elapsedSeconds: elapsed,
  };
  const outFile = join(here, args.out);
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, JSON.stringify(output, null, 1));
  const mdFile = join(here, args.markdown);
  writeFileSync(mdFile, markdown(output));
  console.log(`wrote ${args.out} and ${args.markdown}`);
} catch (error) {
  if (!(error instanceof BenchFailure)) throw error;
  console.error(`\nbench: ${error.message}`);
  process.exitCode = 1;
} finally {
  await mf.dispose();
}

function summarizeCalls(calls) {
  if (calls.length === 0) return '0 calls';
  const counts = new Map();
  for (const c of calls) counts.set(c, (counts.get(c) ?? 0) + 1);
  return [...counts].map(([c, k]) => (k > 1 ? `${k}× ${c}` : c)).join(' + ');
}

/** The tables for docs/performance.md: ratios at a glance, then the details. */
function markdown(out) {
  const lines = [];
  const row = (backend, op, v) => out.report.find((r) => r.backend === backend && r.op === op && r.variant === v);
  for (const backend of backends) {
    const variants = [...new Set(ops.flatMap((op) => variantsFor(backend, op)))];
    const others = variants.slice(1);
    lines.push(`#### ${BACKEND_LABEL[backend]}: time per operation, as a ratio to ${variants[0]}`, '');
    const peer = variants.includes('drizzle');
    lines.push(`| operation | ${variants[0]} ms/op | ${others.map((v) => `${v} ÷ ${variants[0]}`).join(' | ')}${peer ? ' | pocket ÷ drizzle' : ''} |`);
    lines.push(`|---|---:|${others.map(() => '---:').join('|')}${peer ? '|---:' : ''}|`);
    for (const op of ops) {
      const cells = others.map((v) => {
        const r = row(backend, op, v);
        return r ? `**${fmtRatio(r.ratio)}** (${fmtRatio(r.ratioQ1)}–${fmtRatio(r.ratioQ3)})` : '';
      });
      if (peer) {
        const r = row(backend, op, 'pocket');
        cells.push(`**${fmtRatio(r.vsDrizzle)}** (${fmtRatio(r.vsDrizzleQ1)}–${fmtRatio(r.vsDrizzleQ3)})`);
      }
      lines.push(`| ${OP_LABEL[op]} | ${fmtMs(row(backend, op, variants[0]).median)} | ${cells.join(' | ')} |`);
    }
    lines.push('', `<details><summary>${BACKEND_LABEL[backend]}: medians, quartiles, operations per request</summary>`, '');
    lines.push('| operation | variant | ops/request | median ms/op | Q1–Q3 ms/op | IQR ÷ median |', '|---|---|---:|---:|---:|---:|');
    for (const op of ops) {
      for (const v of variantsFor(backend, op)) {
        const r = row(backend, op, v);
        lines.push(
          `| ${v === variants[0] ? OP_LABEL[op] : ''} | ${v} | ${r.opsPerRequest} | ${fmtMs(r.median)} | ${fmtMs(r.q1)}–${fmtMs(r.q3)} | ${pct(r.relIqr)} |`,
        );
      }
    }
    lines.push('', '</details>', '');
    const profiled = Object.keys(out.profiles[backend] ?? {});
    if (profiled.length > 0) {
      lines.push(`<details><summary>${BACKEND_LABEL[backend]}: what one operation sends (backend calls; SQL statements; query plan)</summary>`, '');
      lines.push(`| operation | ${profiled.join(' | ')} |`, `|---|${profiled.map(() => '---').join('|')}|`);
      for (const op of ops) {
        const cells = profiled.map((v) => {
          const p = out.profiles[backend][v][op];
          const plan = (p.plans ?? [])
            .flat()
            .filter((d) => /^(SCAN|SEARCH)/.test(d))
            .map((d) => d.replace(/ USING (COVERING )?INDEX sqlite_autoindex_\w+/, ' by primary key').replace('pocket_todos', 'table'));
          return [
            summarizeCalls(p.calls),
            p.statements.length > 0 ? `${p.statements.length} statement${p.statements.length > 1 ? 's' : ''}` : '',
            plan.length ? `\`${plan.join(', ')}\`` : '',
          ]
            .filter(Boolean)
            .join('; ');
        });
        lines.push(`| ${OP_LABEL[op]} | ${cells.join(' | ')} |`);
      }
      lines.push('', '</details>', '');
    }
  }
  return lines.join('\n');
}
