#!/usr/bin/env node
// The JavaScript each data layer runs per operation, without any I/O: Pocket, Drizzle and the
// raw code of the bench Worker, in Node, against a D1 binding that answers at once with canned
// rows of the right shape. Local D1 costs about a millisecond per round trip and varies by tens
// of percent on a busy machine, which hides differences of a few microseconds; this does not.
//
//   node cpu.mjs [--rounds 9]
import { parseArgs } from 'node:util';
import { Database } from '@pocket/core';
import { createD1Storage } from '@pocket/storage-edge';
import { count, desc, eq, gte, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { median, summary } from './lib/stats.mjs';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '9' } } });
const ROUNDS = Number(args.rounds);

const doc = {
  _id: '3f2a9c1e-0b7d-4e21-8c55-1a2b3c4d5e6f',
  title: 'Buy groceries before the weekend (#42)',
  completed: false,
  userId: 'user-042',
  priority: 7,
  createdAt: '2025-01-01T00:42:00.000Z',
  tags: ['home', 'errand'],
};
const text1 = JSON.stringify(doc);

/** A D1 binding that never leaves the isolate: every statement returns `rows` (objects; arrays for raw()). */
function instantD1() {
  const state = { rows: [] };
  const arrays = new WeakMap(); // raw() rows, made once per set of rows so no layer pays for the fake
  const statement = {
    bind: () => statement,
    all: async () => ({ results: state.rows, success: true, meta: {} }),
    raw: async () => {
      if (!arrays.has(state.rows))
        arrays.set(
          state.rows,
          state.rows.map((r) => Object.values(r)),
        );
      return arrays.get(state.rows);
    },
    run: async () => ({ results: [], success: true, meta: { changes: 1 } }),
    first: async () => state.rows[0] ?? null,
  };
  return { state, db: { prepare: () => statement, batch: async (list) => list.map(() => ({ results: state.rows, success: true, meta: {} })) } };
}

const { state, db: d1 } = instantD1();
const todos = Database.open({ name: 'cpu', storage: createD1Storage({ database: d1 }) }).collection('todos');
const table = sqliteTable('pocket_todos', {
  id: text('_id').primaryKey(),
  data: text('data', { mode: 'json' }).notNull(),
  createdAt: integer('created_at').default(sql`(unixepoch())`),
  updatedAt: integer('updated_at').default(sql`(unixepoch())`),
});
const orm = drizzle(d1);
const byUserExpr = sql`json_extract(${table.data}, '$.userId')`;
const priorityExpr = sql`json_extract(${table.data}, '$.priority')`;
const createdAtExpr = sql`json_extract(${table.data}, '$.createdAt')`;
const stmt = d1.prepare('');

// Rows as each operation's statement returns them, and what each layer runs for it.
const docRows = (n) => Array.from({ length: n }, () => ({ data: text1 }));
const OPS = [
  {
    op: 'get',
    rows: { raw: [{ data: text1 }], pocket: [{ _id: doc._id, data: text1 }], drizzle: [{ data: text1 }] },
    raw: async () => JSON.parse((await stmt.bind(doc._id).raw())[0][0]),
    pocket: () => todos.get(doc._id),
    drizzle: async () => (await orm.select({ data: table.data }).from(table).where(eq(table.id, doc._id)).get())?.data,
  },
  {
    op: 'byUser',
    rows: docRows(100),
    raw: async () => (await stmt.bind('user-042').raw()).map((r) => JSON.parse(r[0])),
    pocket: () => todos.find().where('userId').equals('user-042').limit(100).exec(),
    drizzle: async () => (await orm.select({ data: table.data }).from(table).where(eq(byUserExpr, 'user-042')).orderBy(table.id).limit(100)).map((r) => r.data),
  },
  {
    op: 'range',
    rows: docRows(20),
    raw: async () => (await stmt.bind(5).raw()).map((r) => JSON.parse(r[0])),
    pocket: () => todos.find().where('priority').gte(5).sort('createdAt', 'desc').limit(20).exec(),
    drizzle: async () =>
      (await orm.select({ data: table.data }).from(table).where(gte(priorityExpr, 5)).orderBy(desc(createdAtExpr)).limit(20)).map((r) => r.data),
  },
  {
    op: 'count',
    rows: [{ n: 10000 }],
    raw: async () => (await stmt.raw())[0][0],
    pocket: () => todos.count(),
    drizzle: async () => (await orm.select({ n: count() }).from(table).get()).n,
  },
  {
    op: 'update',
    rows: [{ _id: doc._id, data: text1, too_large: null }],
    raw: () => stmt.bind('true', doc._id).run(),
    pocket: () => todos.update(doc._id, { completed: true }),
    drizzle: () =>
      orm
        .update(table)
        .set({ data: sql`json_set(${table.data}, '$.completed', json(${'true'}))`, updatedAt: sql`(unixepoch())` })
        .where(eq(table.id, doc._id))
        .run(),
  },
  {
    op: 'delete',
    rows: [{ _id: doc._id }],
    raw: () => stmt.bind(doc._id).run(),
    pocket: () => todos.delete(doc._id),
    drizzle: () => orm.delete(table).where(eq(table.id, doc._id)).run(),
  },
];

const VARIANTS = ['raw', 'pocket', 'drizzle'];
console.log(`JavaScript per operation, no I/O (Node ${process.version}; median of ${ROUNDS} interleaved rounds, µs)`);
console.log(`${'operation'.padEnd(10)}${VARIANTS.map((v) => v.padStart(10)).join('')}${'pocket − raw'.padStart(15)}${'drizzle − raw'.padStart(15)}`);
const results = [];
for (const o of OPS) {
  const times = Object.fromEntries(VARIANTS.map((v) => [v, []]));
  const loop = async (fn, n) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await fn();
    return ((performance.now() - t0) / n) * 1000;
  };
  const run = (v, n) => {
    state.rows = Array.isArray(o.rows) ? o.rows : o.rows[v];
    return loop(o[v], n);
  };
  for (const v of VARIANTS) await run(v, 2000); // warm up the JIT
  // Size a round to ~100 ms of the slowest variant.
  let slowest = 0;
  for (const v of VARIANTS) slowest = Math.max(slowest, await run(v, 500));
  const n = Math.max(200, Math.round(100_000 / slowest));
  for (let r = 0; r < ROUNDS; r++) for (const v of r % 2 ? [...VARIANTS].reverse() : VARIANTS) times[v].push(await run(v, n));
  const med = Object.fromEntries(VARIANTS.map((v) => [v, median(times[v])]));
  results.push({ op: o.op, ...Object.fromEntries(VARIANTS.map((v) => [v, summary(times[v])])) });
  console.log(
    `${o.op.padEnd(10)}${VARIANTS.map((v) => med[v].toFixed(2).padStart(10)).join('')}${(med.pocket - med.raw).toFixed(2).padStart(15)}${(med.drizzle - med.raw).toFixed(2).padStart(15)}`,
  );
}

// Bulk insert of 1,000 documents: the JavaScript before the one statement (or batch) is sent.
const batch = Array.from({ length: 1000 }, (_, i) => ({ ...doc, _id: `${doc._id.slice(0, -6)}${String(i).padStart(6, '0')}`, title: `${doc.title} ${i}` }));
state.rows = [];
let k = 0;
const fresh = () => batch.map((d) => ({ ...d, _id: `${d._id}-${k++}` }));
const bulk = {
  raw: (docs) => stmt.bind(JSON.stringify(docs)).run(),
  pocket: (docs) => todos.bulkInsert(docs),
  drizzle: (docs) => {
    const statements = [];
    for (let i = 0; i < docs.length; i += 50) statements.push(orm.insert(table).values(docs.slice(i, i + 50).map((d) => ({ id: d._id, data: d }))));
    return orm.batch(statements);
  },
};
const bulkTimes = Object.fromEntries(VARIANTS.map((v) => [v, []]));
for (let r = 0; r < ROUNDS + 2; r++) {
  for (const v of r % 2 ? [...VARIANTS].reverse() : VARIANTS) {
    const inputs = Array.from({ length: 10 }, fresh);
    const t0 = performance.now();
    for (const docs of inputs) await bulk[v](docs);
    if (r >= 2) bulkTimes[v].push((performance.now() - t0) / inputs.length);
  }
}
const bulkMed = Object.fromEntries(VARIANTS.map((v) => [v, median(bulkTimes[v])]));
console.log(`bulk insert of 1,000 documents (ms): ${VARIANTS.map((v) => `${v} ${bulkMed[v].toFixed(2)}`).join(', ')}`);
results.push({ op: 'bulkInsert (ms)', ...Object.fromEntries(VARIANTS.map((v) => [v, summary(bulkTimes[v])])) });
