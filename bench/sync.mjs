#!/usr/bin/env node
// The sync benchmark: @pocket/sync served by Miniflare on real sockets (sync-worker/), with Node
// clients (`createSyncClient`, `ws`, a local Database on memory storage).
//
// 1. Initial sync of 10,000 ~200-byte documents to a new client: over a WebSocket from the
//    Durable Object, and over HTTP from the same object and from D1.
// 2. Fan-out: 100 clients connected over WebSockets; a server-side write, and the time until each
//    client has it in its local database (p50/p99 over many changes), next to a hand-written
//    WebSocket broadcast of the same update from the same object. Then writes made by one of
//    the clients, until the other clients have them.
// 3. Rows read by an incremental pull (10 changes) from a 100,000-document collection, on D1 and
//    on SQLite storage, counted with `Database.create({ onOperation })`, next to the same feed
//    statement by hand.
// 4. Bytes on the wire per change: WebSocket frames and HTTP bodies of a ~200-byte todo update.
//
//   node sync.mjs [--quick] [--clients N] [--changes N] [--out results/sync-latest.json] [--markdown results/sync-latest.md]
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Miniflare } from 'miniflare';
import { WebSocket } from 'ws';
import { Database, createMemoryStorage } from '@pocket/core';
import { createSyncClient } from '@pocket/sync/client';
import { bundleWorker } from './lib/build-worker.mjs';
import { fmtMs, fmtRatio } from './lib/format.mjs';
import { quantile } from './lib/stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    clients: { type: 'string' },
    changes: { type: 'string' },
    out: { type: 'string', default: 'results/sync-latest.json' },
    markdown: { type: 'string', default: 'results/sync-latest.md' },
  },
});
const quick = args.quick;
const INITIAL_DOCS = 10_000;
/** New clients per transport in the initial-sync phase. */
const INITIAL_REPS = quick ? 1 : 5;
const CLIENTS = Number(args.clients ?? 100);
/** Documents of the fan-out room; each change updates another one. */
const FAN_DOCS = 100;
const CHANGES = Number(args.changes ?? (quick ? 10 : 50));
const CLIENT_WRITES = quick ? 5 : 20;
const BIG_DOCS = quick ? 20_000 : 100_000;
const PULL_CHANGES = 10;
const PULL_ROUNDS = quick ? 2 : 5;
/** Pulls per timed batch: D1 pulls take milliseconds, SQLite storage pulls microseconds. */
const PULL_REPEAT = { d1: quick ? 5 : 20, 'do-sql': quick ? 100 : 400 };
const SEED_REQUEST = 20_000;
if (CHANGES > FAN_DOCS) throw new Error(`--changes is at most ${FAN_DOCS}: each change updates another document of the fan-out room`);

const n = (x) => x.toLocaleString('en');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const p = (values, q) => quantile(values, q);

/** Waits for `done()` to be true, checking every millisecond, or fails after `ms` saying what it waited for. */
async function until(done, what, ms = 30_000) {
  const t0 = performance.now();
  while (!done()) {
    if (performance.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(1);
  }
}

console.log(`Pocket sync benchmark — ${quick ? 'quick' : 'full'} run: ${CLIENTS} clients, ${CHANGES} changes, ${n(BIG_DOCS)}-document pull probe`);
const started = Date.now();
const workerFile = join(here, 'dist/sync-worker.js');
await bundleWorker({ entry: join(here, 'sync-worker/index.ts'), outfile: workerFile });
const stateDir = join(here, '.state/sync');
rmSync(stateDir, { recursive: true, force: true });
mkdirSync(stateDir, { recursive: true });
const mf = new Miniflare({
  modules: true,
  scriptPath: workerFile,
  compatibilityDate: '2026-04-01',
  host: '127.0.0.1',
  port: 0,
  d1Databases: { DB: 'bench-sync' },
  d1Persist: join(stateDir, 'd1'),
  durableObjects: { ROOM: { className: 'BenchSyncRoom', useSQLite: true } },
  durableObjectsPersist: join(stateDir, 'do'),
});
const base = await mf.ready;
const httpBase = base.href.replace(/\/$/, '');
const wsBase = httpBase.replace(/^http/, 'ws');

/** POSTs to an admin endpoint of the Worker (`/d1/admin/…`) or of a room (`/rooms/<room>/admin/…`). */
async function admin(path, body = {}) {
  const response = await fetch(`${httpBase}${path}`, { method: 'POST', body: JSON.stringify(body) });
  const json = await response.json();
  if (!response.ok) throw new Error(`${path} ${JSON.stringify(body)} failed: ${json.error}\n${json.stack ?? ''}`);
  return json;
}

/** A `ws` WebSocket class that records the size of every message each way into `log`. */
function recordingWebSocket(log) {
  return class RecordingWebSocket extends WebSocket {
    constructor(url) {
      super(url);
      this.addEventListener('message', (event) =>
        log.push({ dir: 'in', t: performance.now(), bytes: Buffer.byteLength(event.data), text: String(event.data) }),
      );
    }
    send(data) {
      log.push({ dir: 'out', bytes: Buffer.byteLength(data), text: String(data) });
      super.send(data);
    }
  };
}

/** A `fetch` that records each sync request's body and answer. */
function recordingFetch(log) {
  return async (url, init) => {
    const response = await fetch(url, init);
    const text = await response.text();
    const headerBytes = [...response.headers].reduce(
      (sum, [k, v]) => sum + k.length + v.length + 4,
      `HTTP/1.1 ${response.status} ${response.statusText}\r\n\r\n`.length,
    );
    log.push({
      t: performance.now(),
      url: String(url),
      requestBytes: Buffer.byteLength(init?.body ?? ''),
      request: String(init?.body ?? ''),
      responseBytes: Buffer.byteLength(text),
      responseHeaderBytes: headerBytes,
      response: text,
    });
    return new Response(text, { status: response.status, headers: response.headers });
  };
}

/** A client with its own local memory database; `synced` is asked before `start()`, so it waits for the first full pull. */
async function newClient(url, { log = [], pollInterval = 60_000 } = {}) {
  const db = await Database.create({ name: `client-${Math.random().toString(36).slice(2)}`, storage: createMemoryStorage() });
  const client = createSyncClient({
    database: db,
    url,
    collections: { todos: true },
    WebSocket: recordingWebSocket(log),
    fetch: recordingFetch(log),
    pollInterval,
  });
  const errors = [];
  client.on('error', (error) => errors.push(error.message));
  return { db, client, log, errors };
}

/** WebSocket frame size on the wire: payload plus header (2, 4 or 10 bytes) plus a 4-byte mask from a client. */
const frameBytes = (payload, fromClient) => payload + (payload < 126 ? 2 : payload < 65_536 ? 4 : 10) + (fromClient ? 4 : 0);

const output = {
  date: new Date().toISOString(),
  quick,
  machine: { nproc: os.availableParallelism(), cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version },
};
try {
  const clock = await admin('/d1/admin/clock', { work: 3e7 });
  if (!(clock.compute > 1)) throw new Error('the Worker clock does not advance during computation; in-Worker timings would be wrong.');

  // --- seed ---------------------------------------------------------------------------------
  const s0 = Date.now();
  await admin('/rooms/main/admin/seed', { collection: 'todos', from: 0, to: INITIAL_DOCS });
  await admin('/d1/admin/seed', { collection: 'todos', from: 0, to: INITIAL_DOCS });
  await admin('/rooms/fan/admin/seed', { collection: 'todos', from: 0, to: FAN_DOCS });
  await admin('/rooms/fan/admin/seed-raw', { collection: 'todos', from: 0, to: FAN_DOCS });
  for (let from = 0; from < BIG_DOCS; from += SEED_REQUEST) {
    const to = Math.min(from + SEED_REQUEST, BIG_DOCS);
    await admin('/rooms/main/admin/seed', { collection: 'big', from, to });
    await admin('/d1/admin/seed', { collection: 'big', from, to });
    process.stdout.write(`\rseeding: ${n(to)} of ${n(BIG_DOCS)} big documents on D1 and SQLite storage, ${((Date.now() - s0) / 1000).toFixed(0)} s`);
  }
  console.log(`\nseeded in ${((Date.now() - s0) / 1000).toFixed(1)} s`);

  // --- 1. initial sync ----------------------------------------------------------------------
  const TRANSPORTS = {
    'ws-do': `${wsBase}/rooms/main/sync`,
    'http-do': `${httpBase}/rooms/main/sync`,
    'http-d1': `${httpBase}/d1/sync`,
  };
  const initial = Object.fromEntries(Object.keys(TRANSPORTS).map((t) => [t, []]));
  console.log(`\ninitial sync of ${n(INITIAL_DOCS)} documents, ${INITIAL_REPS} new clients per transport`);
  // rep -1 warms up each path (the isolate's and Node's JIT); it is kept in the JSON, not in the table.
  for (let rep = -1; rep < INITIAL_REPS; rep++) {
    const order = (rep + 2) % 2 === 0 ? Object.keys(TRANSPORTS) : Object.keys(TRANSPORTS).reverse();
    for (const transport of order) {
      const c = await newClient(TRANSPORTS[transport]);
      const t0 = performance.now();
      const synced = c.client.synced();
      await c.client.start();
      await synced;
      const ms = performance.now() - t0;
      await c.client.stop();
      const count = await c.db.collection('todos').count();
      if (count !== INITIAL_DOCS)
        throw new Error(`${transport}: the new client holds ${count} documents after synced(), not ${INITIAL_DOCS} (errors: ${c.errors.join('; ')})`);
      const bytesIn = transport.startsWith('ws')
        ? c.log.filter((m) => m.dir === 'in').reduce((s, m) => s + m.bytes, 0)
        : c.log.reduce((s, r) => s + (r.responseBytes ?? 0), 0);
      const received = transport.startsWith('ws') ? c.log.filter((m) => m.dir === 'in') : c.log;
      // When the last frame or response arrived: the rest of the time is the client writing it locally.
      const lastMs = Math.max(...received.map((m) => m.t)) - t0;
      initial[transport].push({ ms, lastMs, bytesIn, messages: received.length, warmUp: rep < 0 });
      console.log(
        `  ${transport.padEnd(8)} ${fmtMs(ms)} ms (last ${transport.startsWith('ws') ? 'frame' : 'response'} at ${fmtMs(lastMs)} ms), ${n(bytesIn)} bytes in ${received.length} ${transport.startsWith('ws') ? 'frames' : 'responses'}${rep < 0 ? ', warm-up' : ''}`,
      );
    }
  }
  // The wire alone: the same first sync read by hand, without a client applying it (a subscribe
  // on a plain socket until the caught-up frame; pulls with fetch until caughtUp), to tell the
  // server's and the network's share from the client's.
  const wire = { 'ws-do': [], 'http-do': [], 'http-d1': [] };
  for (let rep = 0; rep < INITIAL_REPS; rep++) {
    for (const transport of Object.keys(wire)) {
      const t0 = performance.now();
      let docs = 0;
      if (transport === 'ws-do') {
        const ws = new WebSocket(TRANSPORTS[transport]);
        await new Promise((resolve, reject) => {
          ws.on('open', () => ws.send(JSON.stringify({ v: 1, type: 'subscribe', collection: 'todos', filter: null, since: null })));
          ws.on('message', (data) => {
            const message = JSON.parse(String(data));
            docs += message.changes.length;
            if (message.caughtUp) resolve();
          });
          ws.on('error', reject);
        });
        ws.close();
      } else {
        for (let since = null; ;) {
          const response = await fetch(`${TRANSPORTS[transport]}/pull`, {
            method: 'POST',
            body: JSON.stringify({ v: 1, collection: 'todos', filter: null, since, limit: 2000 }),
          });
          const page = await response.json();
          docs += page.changes.length;
          since = page.checkpoint;
          if (page.caughtUp) break;
        }
      }
      if (docs !== INITIAL_DOCS) throw new Error(`${transport}: the hand-made first sync received ${docs} documents, not ${INITIAL_DOCS}`);
      wire[transport].push(performance.now() - t0);
    }
  }
  console.log(
    `  the wire alone (no client): ${Object.entries(wire)
      .map(([t, ms]) => `${t} ${fmtMs(p(ms, 0.5))} ms`)
      .join(', ')}`,
  );
  output.initial = { documents: INITIAL_DOCS, reps: INITIAL_REPS, samples: initial, wire };

  // --- 2. fan-out ---------------------------------------------------------------------------
  console.log(`\nfan-out: connecting ${CLIENTS} sync clients and ${CLIENTS} baseline sockets to a room of ${FAN_DOCS} documents`);
  const clients = [];
  for (let k = 0; k < CLIENTS; k++) {
    const c = await newClient(`${wsBase}/rooms/fan/sync`);
    c.seen = new Map();
    c.db.onChange((changes) => {
      const now = performance.now();
      for (const change of changes)
        if (change.collection === 'todos' && change.type !== 'delete') c.seen.set(`${change.id}/${change.doc.completed}/${change.doc.title}`, now);
    });
    const synced = c.client.synced();
    await c.client.start();
    clients.push({ ...c, synced });
  }
  await Promise.all(clients.map((c) => c.synced));
  for (const c of clients)
    if ((await c.db.collection('todos').count()) !== FAN_DOCS)
      throw new Error(`a fan-out client holds ${await c.db.collection('todos').count()} documents, not ${FAN_DOCS}`);
  const raw = [];
  for (let k = 0; k < CLIENTS; k++) {
    const ws = new WebSocket(`${wsBase}/rooms/fan/raw`);
    const socket = { ws, seen: new Map(), bytes: [] };
    ws.on('message', (data) => {
      const now = performance.now();
      const message = JSON.parse(String(data));
      socket.seen.set(`${message.id}/${message.doc.completed}/${message.doc.title}`, now);
      socket.bytes.push(Buffer.byteLength(data));
    });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    raw.push(socket);
  }
  const sockets = await admin('/rooms/fan/admin/sockets');
  if (sockets.sync !== CLIENTS || sockets.raw !== CLIENTS)
    throw new Error(`the room holds ${sockets.sync} sync and ${sockets.raw} baseline sockets, not ${CLIENTS} each`);
  console.log(`  connected; all ${CLIENTS} clients hold the room's ${FAN_DOCS} documents`);
  await admin('/rooms/fan/admin/meter');

  const docs = (await clients[0].db.collection('todos').find().exec()).sort((a, b) => (a._id < b._id ? -1 : 1));
  const docByIndex = (i) => docs.find((d) => d.title.endsWith(`(#${i})`));
  const fan = { pocket: [], raw: [], perChange: [], feed: [] };
  for (let c = 0; c < CHANGES; c++) {
    for (const variant of c % 2 === 0 ? ['pocket', 'raw'] : ['raw', 'pocket']) {
      const i = c;
      // Each variant toggles `completed` of document i in its own table; both start from the seed's value.
      const k = docByIndex(i).completed ? 1 : 0;
      const key = `${docByIndex(i)._id}/${k % 2 === 0}/${docByIndex(i).title}`;
      const t0 = performance.now();
      await admin(`/rooms/fan/admin/${variant === 'pocket' ? 'write' : 'raw-write'}`, { collection: 'todos', i, k });
      const targets = variant === 'pocket' ? clients : raw;
      await until(() => targets.every((t) => t.seen.has(key)), `${variant} change ${c} to reach ${targets.length} clients`);
      const latencies = targets.map((t) => t.seen.get(key) - t0);
      fan[variant].push(...latencies);
      fan.perChange.push({ change: c, variant, p50: p(latencies, 0.5), max: Math.max(...latencies) });
      if (variant === 'pocket') fan.feed.push(await admin('/rooms/fan/admin/meter'));
      await sleep(10);
    }
  }
  const ratio = (q) => p(fan.pocket, q) / p(fan.raw, q);
  console.log(
    `  server write → ${CLIENTS} clients (${CHANGES} changes): pocket p50 ${fmtMs(p(fan.pocket, 0.5))} ms, p99 ${fmtMs(p(fan.pocket, 0.99))} ms; hand-written broadcast p50 ${fmtMs(p(fan.raw, 0.5))} ms, p99 ${fmtMs(p(fan.raw, 0.99))} ms (${fmtRatio(ratio(0.5))}× and ${fmtRatio(ratio(0.99))}×)`,
  );

  // A client's own write: pushed over its socket, applied, and sent to the others.
  const writer = clients[0];
  const others = clients.slice(1);
  const clientWrites = [];
  const pushFrames = [];
  for (let w = 0; w < CLIENT_WRITES; w++) {
    const doc = docByIndex(FAN_DOCS - 1 - w);
    const title = `${doc.title} (edited ${w})`;
    const key = `${doc._id}/${doc.completed}/${title}`;
    const logFrom = writer.log.length;
    const t0 = performance.now();
    await writer.db.collection('todos').update(doc._id, { title });
    await until(() => others.every((o) => o.seen.has(key)), `client write ${w} to reach ${others.length} clients`);
    clientWrites.push(...others.map((o) => o.seen.get(key) - t0));
    await writer.client.synced();
    pushFrames.push(writer.log.slice(logFrom));
    await sleep(10);
  }
  console.log(
    `  client write → ${others.length} other clients (${CLIENT_WRITES} writes): p50 ${fmtMs(p(clientWrites, 0.5))} ms, p99 ${fmtMs(p(clientWrites, 0.99))} ms`,
  );
  const feedRows = fan.feed.map((f) => f.feedRowsRead);
  console.log(`  feed reads per fan-out: ${[...new Set(fan.feed.map((f) => f.feedReads))].join(', ')}; rows read ${[...new Set(feedRows)].join(', ')}`);

  // Bytes: a change frame as the clients received it, the baseline's frame, the writer's push and its answer.
  const changeFrame = clients[1].log.filter((m) => m.dir === 'in' && m.text.includes('"type":"changes"')).at(-CLIENT_WRITES - 1);
  const pushOut = pushFrames[0].find((m) => m.dir === 'out' && m.text.includes('"type":"push"'));
  const pushIn = pushFrames[0].find((m) => m.dir === 'in' && m.text.includes('"type":"push-result"'));
  const wsBytes = {
    change: changeFrame.bytes,
    push: pushOut.bytes,
    pushResult: pushIn.bytes,
    raw: raw[0].bytes[0],
    examples: { change: changeFrame.text, push: pushOut.text, pushResult: pushIn.text },
  };
  output.fanout = {
    clients: CLIENTS,
    documents: FAN_DOCS,
    changes: CHANGES,
    pocket: { p50: p(fan.pocket, 0.5), p90: p(fan.pocket, 0.9), p99: p(fan.pocket, 0.99), max: Math.max(...fan.pocket) },
    raw: { p50: p(fan.raw, 0.5), p90: p(fan.raw, 0.9), p99: p(fan.raw, 0.99), max: Math.max(...fan.raw) },
    ratio: { p50: ratio(0.5), p99: ratio(0.99) },
    clientWrites: {
      writes: CLIENT_WRITES,
      receivers: others.length,
      p50: p(clientWrites, 0.5),
      p90: p(clientWrites, 0.9),
      p99: p(clientWrites, 0.99),
      max: Math.max(...clientWrites),
    },
    feed: { reads: fan.feed.map((f) => f.feedReads), rowsRead: feedRows },
    perChange: fan.perChange,
  };
  for (const c of clients) {
    await c.client.stop();
    if (c.errors.length > 0) console.log(`  a client reported: ${c.errors[0]}`);
  }
  for (const s of raw) s.ws.close();

  // --- 3. rows read by an incremental pull ------------------------------------------------
  console.log(`\nincremental pull of ${PULL_CHANGES} changes from ${n(BIG_DOCS)} documents (${PULL_ROUNDS} rounds)`);
  const pulls = { d1: [], 'do-sql': [] };
  for (let round = 0; round < PULL_ROUNDS; round++) {
    for (const [backend, path] of [
      ['d1', '/d1/admin/probe'],
      ['do-sql', '/rooms/main/admin/probe'],
    ]) {
      const r = await admin(path, { collection: 'big', changes: PULL_CHANGES, round, repeat: PULL_REPEAT[backend] });
      if (r.pocket.returned !== PULL_CHANGES || r.raw.returned !== PULL_CHANGES)
        throw new Error(`${backend}: the pull returned ${r.pocket.returned} changes (hand-written: ${r.raw.returned}), not ${PULL_CHANGES}`);
      pulls[backend].push(r);
      console.log(
        `  ${backend.padEnd(6)} round ${round + 1}: rows read pocket ${r.pocket.rowsRead}, by hand ${r.raw.rowsRead}; ms pocket ${fmtMs(p(r.ms.pocket, 0.5))}, by hand ${fmtMs(p(r.ms.raw, 0.5))}`,
      );
    }
  }
  output.pulls = { documents: BIG_DOCS, changes: PULL_CHANGES, rounds: PULL_ROUNDS, repeat: PULL_REPEAT, results: pulls };

  // --- 4. HTTP bytes per change --------------------------------------------------------------
  const httpLog = [];
  const h = await newClient(`${httpBase}/d1/sync`, { log: httpLog, pollInterval: 50 });
  const hs = h.client.synced();
  await h.client.start();
  await hs;
  const target = (await h.db.collection('todos').find().limit(1).exec())[0];
  const from = httpLog.length;
  await h.db.collection('todos').update(target._id, { completed: !target.completed });
  await h.client.synced();
  const pushed = httpLog.slice(from).find((r) => r.url.endsWith('/push'));
  // Someone else's write reaches this client by its next poll.
  await admin('/d1/admin/probe', { collection: 'todos', changes: 1, round: 0, repeat: 0 });
  const polled = httpLog.length;
  await until(
    () => httpLog.slice(polled).some((r) => r.url.endsWith('/pull') && JSON.parse(r.response).changes.length === 1),
    'a poll that carries the change',
  );
  const pulled = httpLog.slice(polled).find((r) => r.url.endsWith('/pull') && JSON.parse(r.response).changes.length === 1);
  const empty =
    httpLog.slice(polled).find((r) => r.url.endsWith('/pull') && JSON.parse(r.response).changes.length === 0) ??
    httpLog.find((r) => r.url.endsWith('/pull') && JSON.parse(r.response).changes.length === 0);
  await h.client.stop();
  const docBytes = Buffer.byteLength(JSON.stringify(JSON.parse(pulled.response).changes[0].doc));
  output.bytes = {
    document: docBytes,
    ws: wsBytes,
    http: {
      pullRequest: pulled.requestBytes,
      pullResponse: pulled.responseBytes,
      pullResponseHeaders: pulled.responseHeaderBytes,
      emptyPoll: empty === undefined ? null : { request: empty.requestBytes, response: empty.responseBytes },
      pushRequest: pushed.requestBytes,
      pushResponse: pushed.responseBytes,
      examples: { pull: pulled.response, push: pushed.request },
    },
  };
  output.elapsedSeconds = (Date.now() - started) / 1000;
  const md = markdown(output);
  console.log(`\n${md}`);
  const outFile = join(here, args.out);
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, JSON.stringify(output, null, 1));
  writeFileSync(join(here, args.markdown), md);
  console.log(`wrote ${args.out} and ${args.markdown} (${output.elapsedSeconds.toFixed(0)} s)`);
} finally {
  await mf.dispose();
}

function markdown(out) {
  const { initial, fanout, pulls, bytes } = out;
  const med = (xs) => p(xs, 0.5);
  const lines = [
    `#### Sync: ${out.quick ? 'quick' : 'full'} run, Miniflare on ${out.machine.nproc} × ${out.machine.cpu}, Node ${out.machine.node} clients on memory storage`,
    '',
    `**Initial sync of ${n(initial.documents)} documents** (~200 B each) to a new client, from \`start()\` to \`synced()\` with every document in the local database (${initial.reps} new clients per transport, median and range):`,
    '',
    '| transport | time to synced() | the same pages read by hand, no client | received | messages |',
    '|---|---:|---:|---:|---:|',
  ];
  const label = { 'ws-do': 'WebSocket, Durable Object (SQLite storage)', 'http-do': 'HTTP pull, same Durable Object', 'http-d1': 'HTTP pull, D1' };
  for (const [t, samples] of Object.entries(initial.samples)) {
    const timed = samples.filter((s) => !s.warmUp);
    const ms = timed.map((s) => s.ms);
    lines.push(
      `| ${label[t]} | ${fmtMs(med(ms))} ms (${fmtMs(Math.min(...ms))}–${fmtMs(Math.max(...ms))}) | ${fmtMs(med(initial.wire[t]))} ms | ${(med(timed.map((s) => s.bytesIn)) / 1024 / 1024).toFixed(2)} MiB | ${timed[0].messages} |`,
    );
  }
  lines.push(
    '',
    `**A change reaching ${fanout.clients} connected WebSocket clients** (all in one Node process), from the start of the write request to the change in each client's local database, ${fanout.changes} changes × ${fanout.clients} clients:`,
    '',
    '| | p50 | p90 | p99 | max |',
    '|---|---:|---:|---:|---:|',
    `| Pocket: server write, \`DurableObjectSync\` fan-out, client applies it | ${fmtMs(fanout.pocket.p50)} ms | ${fmtMs(fanout.pocket.p90)} ms | ${fmtMs(fanout.pocket.p99)} ms | ${fmtMs(fanout.pocket.max)} ms |`,
    `| hand-written: \`UPDATE … RETURNING\`, the document to every socket, client parses it | ${fmtMs(fanout.raw.p50)} ms | ${fmtMs(fanout.raw.p90)} ms | ${fmtMs(fanout.raw.p99)} ms | ${fmtMs(fanout.raw.max)} ms |`,
    `| Pocket ÷ hand-written | **${fmtRatio(fanout.ratio.p50)}×** | | **${fmtRatio(fanout.ratio.p99)}×** | |`,
    `| Pocket: a client's local write, pushed, to the ${fanout.clientWrites.receivers} others (${fanout.clientWrites.writes} writes) | ${fmtMs(fanout.clientWrites.p50)} ms | ${fmtMs(fanout.clientWrites.p90)} ms | ${fmtMs(fanout.clientWrites.p99)} ms | ${fmtMs(fanout.clientWrites.max)} ms |`,
    '',
    `Each fan-out read the feed ${[...new Set(fanout.feed.reads)].join(' or ')} time(s) for all ${fanout.clients} sockets (they share a checkpoint), ${[...new Set(fanout.feed.rowsRead)].join(' or ')} row(s) read.`,
    '',
    `**Rows read by an incremental pull**: ${pulls.changes} documents updated in a ${n(pulls.documents)}-document collection, then one pull of the changes since the checkpoint before them (\`SyncServer.pull\`, as \`POST …/pull\` runs it; rows from \`Database.create({ onOperation })\`), next to the same feed statement by hand (D1 \`meta.rows_read\`, SQLite cursor \`rowsRead\`). ${pulls.rounds} rounds; time per pull is the median over 6 alternating batches (${pulls.repeat.d1} pulls each on D1, ${pulls.repeat['do-sql']} on SQLite storage):`,
    '',
    '| backend | collection | changes | rows read: Pocket | by hand | ratio | ms/pull: Pocket | by hand | ratio |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const [backend, results] of Object.entries(pulls.results)) {
    const rp = med(results.map((r) => r.pocket.rowsRead));
    const rh = med(results.map((r) => r.raw.rowsRead));
    const mp = med(results.map((r) => med(r.ms.pocket)));
    const mh = med(results.map((r) => med(r.ms.raw)));
    const ratios = results.map((r) => med(r.ms.pocket) / med(r.ms.raw));
    lines.push(
      `| ${backend === 'd1' ? 'D1' : 'Durable Object, SQLite storage'} | ${n(pulls.documents)} | ${pulls.changes} | ${n(rp)} | ${n(rh)} | ${fmtRatio(rp / rh)}× | ${fmtMs(mp)} | ${fmtMs(mh)} | ${fmtRatio(med(ratios))}× |`,
    );
  }
  const ws = bytes.ws;
  const http = bytes.http;
  lines.push(
    '',
    `**Bytes on the wire per change**: one todo update (\`completed\` toggled, or a new \`title\`), the document ${bytes.document} bytes of JSON. WebSocket sizes are payloads (a frame adds 2–4 bytes from the server, 6–8 from a client); HTTP sizes are bodies (headers as received: ${http.pullResponseHeaders} bytes on a pull answer, before HTTP framing).`,
    '',
    '| message | bytes |',
    '|---|---:|',
    `| WebSocket \`changes\` frame to each subscribed client | ${ws.change} |`,
    `| the hand-written broadcast's frame | ${ws.raw} |`,
    `| WebSocket \`push\` of one local update (client → server) | ${ws.push} |`,
    `| its \`push-result\` | ${ws.pushResult} |`,
    `| HTTP \`POST …/pull\` request | ${http.pullRequest} |`,
    `| its answer carrying the one change | ${http.pullResponse} |`,
    `| a poll's answer with nothing new | ${http.emptyPoll?.response ?? '—'} |`,
    `| HTTP \`POST …/push\` of one local update | ${http.pushRequest} |`,
    `| its answer | ${http.pushResponse} |`,
    '',
    '<details><summary>The frames</summary>',
    '',
    '```',
    ws.examples.change,
    ws.examples.push,
    ws.examples.pushResult,
    http.examples.pull,
    '```',
    '',
    '</details>',
    '',
  );
  return lines.join('\n');
}
