#!/usr/bin/env node
// The change-feed scenario: 100,000 documents written into D1 through Pocket's bulkInsert, then
// 1,000 updated and 100 deleted. Pulls of 100 changes — the writes since a checkpoint, a page
// from the middle of the feed, the head with nothing new — through Pocket's `changes()` and
// through the same SQL by hand: the rows each pull reads (D1's meta.rows_read, through the
// recording wrapper of trace.ts), its statements and query plan, and its time, with ratios to raw
// paired as in run.mjs. Both must return the same changes in the same order, or the run fails.
//
//   node feed.mjs [--quick] [--rounds N] [--reps N] [--target MS]
//                 [--out results/feed-latest.json] [--markdown results/feed-latest.md]
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startD1Scenario } from './lib/d1-scenario.mjs';
import { fmtMs, fmtRatio } from './lib/format.mjs';
import { summary } from './lib/stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    reps: { type: 'string' },
    target: { type: 'string' },
    out: { type: 'string', default: 'results/feed-latest.json' },
    markdown: { type: 'string', default: 'results/feed-latest.md' },
  },
});

// As in worker/feed.ts.
const COUNT = 100_000;
const INSERT_CHUNK = 2000;
const UPDATES = 1000;
const DELETES = 100;
const LIMIT = 100;
/** Documents per seeding request: a progress line each. */
const SEED_REQUEST = 20_000;

const OPS = ['updates', 'middle', 'head'];
const OP_LABEL = {
  updates: 'the writes since a checkpoint (1,000 updates, 100 deletes later)',
  middle: 'a page from the middle of the feed',
  head: 'at the head: nothing new',
};
/** How many changes each pull must return. */
const OP_CHANGES = { updates: LIMIT, middle: LIMIT, head: 0 };
const VARIANTS = ['raw', 'pocket'];
const PLAN = /^SEARCH pocket_todos USING INDEX pocket_todos:seq \(_seq>\?\)$/;

const quick = args.quick;
// More rounds than sorted.mjs: pulls are short, and the seed is the only fixed cost.
const ROUNDS = Number(args.rounds ?? (quick ? 2 : 40));
const REPS = Number(args.reps ?? (quick ? 1 : 2));
const TARGET_MS = Number(args.target ?? (quick ? 40 : 100));

/** Stops the run with a message, by throwing, so that Miniflare is disposed of. */
class BenchFailure extends Error {}
function fail(message) {
  throw new BenchFailure(message);
}
const n = (x) => x.toLocaleString('en');

console.log(
  `Pocket change-feed benchmark — ${quick ? 'quick' : 'full'} run: ${ROUNDS} rounds × ${REPS} requests per variant and pull, ${TARGET_MS} ms requests`,
);
const started = Date.now();
const { mf, post } = await startD1Scenario(here, 'feed');

try {
  // Seed through Pocket: every row gets its feed position from a real write.
  const s0 = Date.now();
  await post('reset');
  const seeded = [];
  const seedMs = { insert: 0, pull: 0 };
  for (let from = 0; from < COUNT; from += SEED_REQUEST) {
    const r = await post('insert', { from, to: Math.min(from + SEED_REQUEST, COUNT), since: seeded.at(-1) ?? null });
    seeded.push(...r.checkpoints);
    seedMs.insert += r.ms.insert;
    seedMs.pull += r.ms.pull;
    process.stdout.write(
      `\rseeding through bulkInsert (${n(INSERT_CHUNK)} a call): ${n(from + SEED_REQUEST)} documents, ${((Date.now() - s0) / 1000).toFixed(1)} s`,
    );
  }
  const seedSeconds = (Date.now() - s0) / 1000;
  console.log(
    `\nseeded ${n(COUNT)} documents in ${seedSeconds.toFixed(1)} s: bulkInsert ${(seedMs.insert / 1000).toFixed(1)} s (${fmtMs(seedMs.insert / (COUNT / INSERT_CHUNK))} ms per ${n(INSERT_CHUNK)}), pulls checking each chunk ${(seedMs.pull / 1000).toFixed(1)} s`,
  );

  const before = seeded.at(-1);
  const w0 = Date.now();
  const written = await post('writes', { since: before });
  if (written.removed !== DELETES || written.live !== COUNT - DELETES)
    fail(`the writes removed ${written.removed} documents and left ${written.live}, not ${DELETES} and ${COUNT - DELETES}`);
  console.log(
    `updated ${n(written.updated)} documents (bulkUpdate of 100, ${(written.ms.update / 1000).toFixed(1)} s) and deleted ${written.removed} (one bulkDelete, ${written.ms.delete} ms) in ${((Date.now() - w0) / 1000).toFixed(1)} s`,
  );
  const checkpoints = { seeded, before, head: written.head };

  // Probe: each pull once per variant through the recording wrapper.
  const probed = await post('probe', { checkpoints, beforeTime: written.beforeTime });
  const ids = (changes) => changes.map((c) => c.id);
  for (const op of OPS) {
    const raw = probed.raw.pulls[op];
    const pocket = probed.pocket.pulls[op];
    if (JSON.stringify(raw.changes) !== JSON.stringify(pocket.changes) || raw.checkpoint !== pocket.checkpoint) {
      fail(
        `check failed: ${op} (since ${raw.since}): pocket returned [${ids(pocket.changes).slice(0, 5).join(', ')}, …] to ${pocket.checkpoint}, raw [${ids(raw.changes).slice(0, 5).join(', ')}, …] to ${raw.checkpoint}`,
      );
    }
    if (pocket.changes.length !== OP_CHANGES[op]) fail(`check failed: ${op} returned ${pocket.changes.length} changes, not ${OP_CHANGES[op]}`);
    for (const v of VARIANTS) {
      const plan = probed[v].pulls[op].plans.flat();
      if (plan.length !== 1 || !PLAN.test(plan[0])) fail(`plan of ${v}'s ${op} pull is "${plan.join('; ')}", not ${PLAN}`);
    }
    console.log(
      `check ${op}: raw and pocket agree (${pocket.changes.length} changes, same ids, order, documents and checkpoint); plan ${pocket.plans.flat()[0]}`,
    );
  }
  const { expected } = probed;
  for (const v of VARIANTS) {
    const drain = probed[v].drain;
    if (
      JSON.stringify(drain.ids) !== JSON.stringify(expected.ids) ||
      JSON.stringify(drain.tombstones) !== JSON.stringify(expected.tombstones) ||
      drain.checkpoint !== written.head
    ) {
      fail(
        `check failed: ${v}'s drain from the checkpoint before the writes returned ${drain.changes} changes (${drain.tombstones.length} deletes) to ${drain.checkpoint}, expected ${expected.ids.length} (${expected.tombstones.length}) to ${written.head}, each document once in the order of its last write`,
      );
    }
  }
  const drain = probed.pocket.drain;
  console.log(
    `check drain: both return the ${n(drain.changes)} changed documents once each, in the order of their last write (${drain.tombstones.length} tombstones last), in ${drain.pages} pulls`,
  );

  // Calibration, which is also the warm-up: size each request to about TARGET_MS.
  const samples = [];
  const calibrated = {};
  const request = async (op, variant, round, rep, count) => post('run', { variant, op, n: count, round, rep, checkpoints });
  console.log(`\nwarm-up and calibration (target ${TARGET_MS} ms per request)…`);
  for (const op of OPS) {
    for (const v of VARIANTS) {
      let count = 2;
      let r;
      for (let attempt = 0; ; attempt++) {
        r = await request(op, v, -1 - attempt, 0, count);
        if (r.ms >= TARGET_MS / 3 || attempt >= 4) break;
        count = r.ms < 1 ? count * 10 : Math.ceil((count * TARGET_MS) / r.ms);
      }
      calibrated[`${op}/${v}`] = Math.max(1, Math.round((count * TARGET_MS) / Math.max(r.ms, 1)));
    }
    console.log(`  ${op.padEnd(8)} pulls per request: ${VARIANTS.map((v) => `${v} ${calibrated[`${op}/${v}`]}`).join(', ')}`);
  }

  // Rounds: the variants' requests alternate (A B, then B A), the order flips each round.
  console.log(`\nmeasuring: ${ROUNDS} rounds`);
  for (let round = 0; round < ROUNDS; round++) {
    for (const op of OPS) {
      for (let rep = 0; rep < REPS; rep++) {
        for (const v of (round + rep) % 2 === 0 ? VARIANTS : [...VARIANTS].reverse()) {
          const count = calibrated[`${op}/${v}`];
          const r = await request(op, v, round, rep, count);
          samples.push({ op, variant: v, round, rep, n: count, ms: r.ms, perOp: r.ms / count, perOpSink: r.sink / count, first: r.first });
        }
      }
    }
    console.log(`  round ${round + 1}/${ROUNDS} done (load ${os.loadavg()[0].toFixed(2)})`);
  }
  const baseOf = (s) => samples.find((b) => b.op === s.op && b.round === s.round && b.rep === s.rep && b.variant === 'raw');
  for (const s of samples) {
    const b = baseOf(s);
    if (Math.abs(b.perOpSink - s.perOpSink) > 1e-9 || b.first !== s.first) {
      fail(
        `${s.op} round ${s.round + 1}: ${s.variant} returned ${s.perOpSink} changes per pull, the first pull up to checkpoint:first id ${s.first}; raw ${b.perOpSink}, ${b.first}`,
      );
    }
  }

  const report = [];
  for (const op of OPS) {
    for (const v of VARIANTS) {
      const mine = samples.filter((s) => s.op === op && s.variant === v);
      const p = probed[v].pulls[op];
      const paired = summary(mine.map((s) => s.perOp / baseOf(s).perOp));
      report.push({
        op,
        variant: v,
        changes: p.changes.length,
        rowsRead: p.rowsRead,
        statements: p.statements.length,
        opsPerRequest: calibrated[`${op}/${v}`],
        ...summary(mine.map((s) => s.perOp)),
        ratio: paired.median,
        ratioQ1: paired.q1,
        ratioQ3: paired.q3,
      });
    }
  }
  const elapsed = (Date.now() - started) / 1000;
  const slim = (p) => ({
    since: p.since,
    checkpoint: p.checkpoint,
    ids: ids(p.changes),
    rowsRead: p.rowsRead,
    calls: p.calls,
    statements: p.statements,
    plans: p.plans,
  });
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
    setup: {
      documents: COUNT,
      insertChunk: INSERT_CHUNK,
      updates: UPDATES,
      deletes: DELETES,
      limit: LIMIT,
      seedSeconds,
      seedMs,
      writeMs: written.ms,
      table: probed.table,
    },
    checkpoints: { before, head: written.head, middle: probed.pocket.pulls.middle.since, seeded: seeded.length },
    report,
    probes: Object.fromEntries(
      VARIANTS.map((v) => [
        v,
        {
          first: probed[v].first,
          pulls: Object.fromEntries(OPS.map((op) => [op, slim(probed[v].pulls[op])])),
          drain: { ...probed[v].drain, ids: undefined, tombstones: probed[v].drain.tombstones.length },
        },
      ]),
    ),
    naive: probed.naive,
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

/** The setup, the results table, the drain and the naive query, then what each pull sends and its plan. */
function markdown(out) {
  const row = (op, v) => out.report.find((r) => r.op === op && r.variant === v);
  const { setup, probes, naive } = out;
  const pd = probes.pocket.drain;
  const first = probes.pocket.first;
  const both = setup.updates + setup.deletes - pd.changes;
  const lines = [
    `#### Change feed on D1: ${n(setup.documents)} documents, pulls of ${setup.limit} (${out.rounds} rounds × ${out.reps}; ratios to raw paired per request, Q1–Q3)`,
    '',
    `Setup: table \`pocket_todos\` made by \`initializeD1Schema\` with the sorted scenario's two declared indexes; ` +
      `${n(setup.documents)} documents written through \`bulkInsert\` (${n(setup.insertChunk)} a call, ${setup.seedSeconds.toFixed(0)} s in all), so every row has a feed position; ` +
      `then ${n(setup.updates)} random documents updated (\`bulkUpdate\` of 100) and ${setup.deletes} deleted (\`bulkDelete\`). ` +
      `Pocket is \`collection.changes({ since, limit: ${setup.limit} })\`; raw is the same statement by hand (\`prepare(…).bind(Number(since)).all()\`, documents parsed). ` +
      `Rows read are D1's \`meta.rows_read\` of each statement; the middle pull starts after document 50,000 in the probe and rotates over the seed's checkpoints while timed. ` +
      `Miniflare with local D1, ${out.machine.nproc} × ${out.machine.cpu}, load ${out.machine.load} at the end: time ratios are paired per request, rows read are exact.`,
    '',
    '| pull | changes | rows read: raw | pocket | statements: raw | pocket | ms/pull: raw | pocket |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const op of OPS) {
    const [r, p] = VARIANTS.map((v) => row(op, v));
    lines.push(
      `| ${OP_LABEL[op]} | ${p.changes} | ${n(r.rowsRead)} | ${n(p.rowsRead)} | ${r.statements} | ${p.statements} | ${fmtMs(r.median)} | ${fmtMs(p.median)} (**${fmtRatio(p.ratio)}×**, ${fmtRatio(p.ratioQ1)}–${fmtRatio(p.ratioQ3)}) |`,
    );
  }
  lines.push(
    '',
    `- Drain: all ${n(pd.changes)} changes since the checkpoint before the writes (${pd.changes - pd.tombstones} updated documents, ${pd.tombstones} tombstones; ` +
      `${both} of the deleted documents ${both === 1 ? 'was' : 'were'} updated first, and ${both === 1 ? 'appears' : 'appear'} once) in ${pd.pages} pulls of ${setup.limit}, the last one empty: ` +
      `${n(pd.rowsRead)} rows read by pocket, ${n(probes.raw.drain.rowsRead)} by raw.`,
    `- Without a feed: \`${naive.sql}\` (no index on \`updated_at\`) reads ${n(naive.rowsRead)} rows — ${naive.plans.join('; ')} — ` +
      `and cannot see deletes; \`updated_at\` has one-second resolution, so a client cannot resume inside a second either.`,
    `- Pocket's first pull in an isolate also sends its declared indexes' \`CREATE INDEX IF NOT EXISTS\` (once per binding): ` +
      `${first.statements.length} statements, ${n(first.rowsRead)} ${first.rowsRead === 1 ? 'row' : 'rows'} read in all (${first.statements.map((s) => n(s.rowsRead ?? 0)).join(' + ')}); the pulls above are the ones after it.`,
    '',
    '<details><summary>What each pull sends, and its plan</summary>',
    '',
  );
  for (const op of OPS) {
    lines.push(`**${OP_LABEL[op]}** (since ${probes.pocket.pulls[op].since})`, '');
    for (const v of VARIANTS) {
      const p = probes[v].pulls[op];
      lines.push(`- ${v}: \`${p.statements.map((s) => s.sql).join('; ')}\` — ${p.plans.flat().join('; ')}`);
    }
    lines.push('');
  }
  lines.push('</details>', '');
  return lines.join('\n');
}
