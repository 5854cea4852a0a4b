#!/usr/bin/env node
// The sorted-query scenario: 100,000 documents in D1, five limited queries (four an index serves,
// one none does), each raw, with Pocket and with Drizzle. Reports the rows each query reads (D1's
// meta.rows_read, through the recording wrapper of trace.ts) and its time per operation, with
// ratios to raw paired as in run.mjs. Every variant must return raw's documents, or the run fails.
//
//   node sorted.mjs [--quick] [--rounds N] [--reps N] [--target MS] [--ops newest,userAny]
//                   [--out results/sorted-latest.json] [--markdown results/sorted-latest.md]
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startD1Scenario } from './lib/d1-scenario.mjs';
import { fmtMs, fmtRatio } from './lib/format.mjs';
import { median, summary } from './lib/stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    reps: { type: 'string' },
    target: { type: 'string' },
    ops: { type: 'string' },
    out: { type: 'string', default: 'results/sorted-latest.json' },
    markdown: { type: 'string', default: 'results/sorted-latest.md' },
  },
});

const OPS = ['newest', 'userNewest', 'olderThan', 'userAny', 'unindexed'];
const OP_LABEL = {
  newest: 'newest 20 by createdAt',
  userNewest: "one user's newest 20",
  olderThan: 'createdAt < t, newest first, 20',
  userAny: 'userId = ?, limit 20, no sort',
  unindexed: 'priority = 3, sort by title, 20 (no index)',
};
const VARIANTS = ['raw', 'pocket', 'drizzle'];
/** An unsorted query returns some `limit` matches; which ones is the backend's choice. */
const UNORDERED = new Set(['userAny']);

const quick = args.quick;
const ROUNDS = Number(args.rounds ?? (quick ? 2 : 20));
const REPS = Number(args.reps ?? (quick ? 1 : 2));
const TARGET_MS = Number(args.target ?? (quick ? 40 : 100));
const ops = args.ops ? args.ops.split(',') : OPS;
for (const o of ops) {
  if (OPS.includes(o)) continue;
  console.error(`bench: --ops: unknown operation "${o}" (${OPS.join(', ')})`);
  process.exit(1);
}

/** Documents as raw's statements return them: Pocket's `_rev` is its own bookkeeping, which raw code does not keep. */
const withoutRev = (docs) => docs.map(({ _rev, ...doc }) => doc);

/** Stops the run with a message, by throwing, so that Miniflare is disposed of. */
class BenchFailure extends Error {}
function fail(message) {
  throw new BenchFailure(message);
}
const fmtRows = (rows) => (rows.min === rows.max ? rows.min.toLocaleString('en') : `${rows.min.toLocaleString('en')}–${rows.max.toLocaleString('en')}`);

console.log(
  `Pocket sorted-query benchmark — ${quick ? 'quick' : 'full'} run: ${ROUNDS} rounds × ${REPS} requests per variant and operation, ${TARGET_MS} ms requests`,
);
const started = Date.now();
const { mf, post } = await startD1Scenario(here, 'sorted');

try {
  const s0 = Date.now();
  const seeded = await post('seed');
  const seedSeconds = (Date.now() - s0) / 1000;
  if (seeded.plain !== 100_000 || seeded.pocket !== 100_000) fail(`seeding left ${seeded.plain} and ${seeded.pocket} documents, not 100,000`);
  console.log(
    `seeded 100,000 documents into each table in ${seedSeconds.toFixed(1)} s (${Object.entries(seeded.ms)
      .map(([k, ms]) => `${k} ${(ms / 1000).toFixed(1)} s`)
      .join(', ')})`,
  );

  // Probe: each query through the recording wrapper; documents must match raw's, rows read are kept.
  const probes = {};
  for (const v of VARIANTS) probes[v] = await post('probe', { variant: v });
  const ids = (docs) => docs.map((d) => d._id);
  for (const op of ops) {
    for (const v of VARIANTS.slice(1)) {
      probes.raw[op].forEach((base, i) => {
        const mine = probes[v][op][i];
        const same = UNORDERED.has(op) ? sameUnordered(op, v, base, mine) : JSON.stringify(base.docs) === JSON.stringify(withoutRev(mine.docs));
        if (!same)
          fail(`check failed: ${op} (${JSON.stringify(base.input)}): ${v} returned [${ids(mine.docs).join(', ')}], raw [${ids(base.docs).join(', ')}]`);
      });
    }
    console.log(`check ${op}: ${VARIANTS.join(', ')} agree (${probes.raw[op].map((p) => p.docs.length).join('/')} documents)`);
  }

  /**
   * The same documents as raw's, in any order; or, since a limit without a sort may return any of
   * the matches (the index read decides which), as many as raw's, each one of the matches, none twice.
   */
  function sameUnordered(op, variant, base, mine) {
    const key = (docs) =>
      docs
        .map((d) => JSON.stringify(d))
        .sort()
        .join('\n');
    if (key(base.docs) === key(withoutRev(mine.docs))) return true;
    const matches = new Set(base.matches.map((d) => JSON.stringify(d)));
    const texts = withoutRev(mine.docs).map((d) => JSON.stringify(d));
    if (mine.docs.length !== base.docs.length || new Set(texts).size !== texts.length || !texts.every((t) => matches.has(t))) return false;
    console.log(
      `  note: ${op} (${base.input}): ${variant} returned ${mine.docs.length} of the ${matches.size} matches, not the ones raw returned — a limit without a sort may return any`,
    );
    return true;
  }

  const rowsRead = {};
  for (const op of ops) {
    rowsRead[op] = {};
    for (const v of VARIANTS) {
      const typical = probes[v][op].filter((p) => p.typical).map((p) => p.rowsRead);
      rowsRead[op][v] = { min: Math.min(...typical), max: Math.max(...typical), median: median(typical) };
    }
  }

  // Calibration, which is also the warm-up: size each request to about TARGET_MS.
  const samples = [];
  const calibrated = {};
  const request = async (op, variant, round, rep, n) => post('run', { variant, op, n, round, rep });
  console.log(`\nwarm-up and calibration (target ${TARGET_MS} ms per request)…`);
  for (const op of ops) {
    for (const v of VARIANTS) {
      let n = 2;
      let r;
      for (let attempt = 0; ; attempt++) {
        r = await request(op, v, -1 - attempt, 0, n);
        if (r.ms >= TARGET_MS / 3 || attempt >= 4) break;
        n = r.ms < 1 ? n * 10 : Math.ceil((n * TARGET_MS) / r.ms);
      }
      calibrated[`${op}/${v}`] = Math.max(1, Math.round((n * TARGET_MS) / Math.max(r.ms, 1)));
    }
    console.log(`  ${op.padEnd(10)} ops per request: ${VARIANTS.map((v) => `${v} ${calibrated[`${op}/${v}`]}`).join(', ')}`);
  }

  // Rounds: the variants' requests alternate (A B C, then C B A), the order flips each round.
  console.log(`\nmeasuring: ${ROUNDS} rounds`);
  for (let round = 0; round < ROUNDS; round++) {
    for (const op of ops) {
      for (let rep = 0; rep < REPS; rep++) {
        for (const v of (round + rep) % 2 === 0 ? VARIANTS : [...VARIANTS].reverse()) {
          const n = calibrated[`${op}/${v}`];
          const r = await request(op, v, round, rep, n);
          samples.push({ op, variant: v, round, rep, n, ms: r.ms, perOp: r.ms / n, perOpSink: r.sink / n });
        }
      }
    }
    console.log(`  round ${round + 1}/${ROUNDS} done (load ${os.loadavg()[0].toFixed(2)})`);
  }
  const baseOf = (s) => samples.find((b) => b.op === s.op && b.round === s.round && b.rep === s.rep && b.variant === 'raw');
  for (const s of samples) {
    if (Math.abs(baseOf(s).perOpSink - s.perOpSink) > 1e-9)
      fail(`${s.op} round ${s.round + 1}: ${s.variant} returned ${s.perOpSink} documents per operation, raw ${baseOf(s).perOpSink}`);
  }

  // Report: rows read with their ratio to raw; median time per operation, and the median of the
  // ratios of each request to raw's request next to it (same round and rep), with quartiles.
  const report = [];
  for (const op of ops) {
    for (const v of VARIANTS) {
      const mine = samples.filter((s) => s.op === op && s.variant === v);
      const time = summary(mine.map((s) => s.perOp));
      const paired = summary(mine.map((s) => s.perOp / baseOf(s).perOp));
      const rows = rowsRead[op][v];
      report.push({
        op,
        variant: v,
        rowsRead: rows,
        rowsRatio: rows.median / rowsRead[op].raw.median,
        opsPerRequest: calibrated[`${op}/${v}`],
        ...time,
        ratio: paired.median,
        ratioQ1: paired.q1,
        ratioQ3: paired.q3,
      });
    }
  }
  const elapsed = (Date.now() - started) / 1000;
  const output = {
    date: new Date().toISOString(),
    quick,
    rounds: ROUNDS,
    reps: REPS,
    targetMs: TARGET_MS,
    machine: {
      nproc: os.availableParallelism(),
      cpu: os.cpus()[0]?.model ?? 'unknown',
      node: process.version,
      load: os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' '),
    },
    seedSeconds,
    seed: seeded.ms,
    report,
    probes: Object.fromEntries(
      VARIANTS.map((v) => [v, Object.fromEntries(ops.map((op) => [op, probes[v][op].map(({ docs, matches, ...rest }) => ({ ...rest, ids: ids(docs) }))]))]),
    ),
    samples,
    elapsedSeconds: elapsed,
  };
  const md = markdown(output);
  console.log(`\n${md}`);
  console.log(`whole run ${elapsed.toFixed(0)} s (seeding ${seedSeconds.toFixed(0)} s)`);
  const outFile = join(here, args.out);
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, JSON.stringify(output, null, 1));
  writeFileSync(join(here, args.markdown), md);
  console.log(`wrote ${args.out} and ${args.markdown}`);
} catch (error) {
  if (!(error instanceof BenchFailure)) throw error;
  console.error(`\nbench: ${error.message}`);
  process.exitCode = 1;
} finally {
  await mf.dispose();
}

/** The results table, then each query's SQL and plan per variant. */
function markdown(out) {
  const row = (op, v) => out.report.find((r) => r.op === op && r.variant === v);
  const lines = [
    `#### 100,000 documents on D1: rows read and time per operation (${out.rounds} rounds × ${out.reps}; ratios to raw paired per request, Q1–Q3)`,
    '',
    '| operation | rows read: raw | pocket | drizzle | ms/op: raw | pocket | drizzle |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const op of ops) {
    const rows = VARIANTS.map((v, i) => (i === 0 ? fmtRows(row(op, v).rowsRead) : `${fmtRows(row(op, v).rowsRead)} (${fmtRatio(row(op, v).rowsRatio)}×)`));
    const times = VARIANTS.map((v, i) => {
      const r = row(op, v);
      return i === 0 ? fmtMs(r.median) : `${fmtMs(r.median)} (**${fmtRatio(r.ratio)}×**, ${fmtRatio(r.ratioQ1)}–${fmtRatio(r.ratioQ3)})`;
    });
    lines.push(`| ${OP_LABEL[op]} | ${rows.join(' | ')} | ${times.join(' | ')} |`);
  }
  lines.push('', '<details><summary>What each query sends, and its plan</summary>', '');
  for (const op of ops) {
    lines.push(`**${OP_LABEL[op]}**`, '');
    for (const v of VARIANTS) {
      const p = out.probes[v][op][0];
      lines.push(`- ${v}: \`${p.statements.map((s) => s.sql).join('; ')}\` — ${p.plans.flat().join('; ')}`);
    }
    lines.push('');
  }
  lines.push('</details>', '');
  return lines.join('\n');
}
