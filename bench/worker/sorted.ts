// The Worker of the sorted-query scenario (sorted.mjs): seeds 100,000 documents into D1, probes
// each variant's queries through the recording wrapper (documents, statements, rows read, query
// plans) and times loops of them. D1 only; the main bench Worker is index.ts.
import { initializeD1Schema } from '@pocket/storage-edge';
import { hash32 } from './data.js';
import { d1Admin } from './d1-raw.js';
import {
  COLLECTION,
  PLAIN_INDEXES,
  PLAIN_TABLE,
  POCKET_INDEXES,
  POCKET_TABLE,
  SORTED_COUNT,
  SORTED_OPS,
  SORTED_VARIANTS,
  sortedTodo,
  sortedUser,
  type SortedOp,
  type SortedVariant,
} from './sorted-variants.js';
import { newTrace, traceD1 } from './trace.js';
import { clockWork, jsonEndpoint, variantCache } from './endpoint.js';

interface Env {
  DB: D1Database;
}

interface Body {
  variant: string;
  op: SortedOp;
  n: number;
  round: number;
  rep: number;
  work?: number;
}

/** ~400 KB of JSON per statement: well under D1's limits, few enough statements to seed quickly. */
const SEED_CHUNK = 2000;

/**
 * Raw's and Drizzle's table with its plain indexes, created after the rows (cheaper than keeping
 * them up to date row by row); then Pocket's, made by `initializeD1Schema` with its declared
 * indexes, filled with the same rows in one statement.
 */
async function seed(db: D1Database): Promise<{ plain: number; pocket: number; ms: Record<string, number> }> {
  const plain = `"${PLAIN_TABLE}"`;
  const ms: Record<string, number> = {};
  let t0 = Date.now();
  const lap = (name: string) => ((ms[name] = Date.now() - t0), (t0 = Date.now()));
  await db.batch([
    db.prepare(`DROP TABLE IF EXISTS ${plain}`),
    db.prepare(`DROP TABLE IF EXISTS "${POCKET_TABLE}"`),
    db.prepare(
      `CREATE TABLE ${plain} (_id TEXT PRIMARY KEY, data TEXT NOT NULL, created_at INTEGER DEFAULT (unixepoch()), updated_at INTEGER DEFAULT (unixepoch()))`,
    ),
  ]);
  const insert = db.prepare(`INSERT INTO ${plain} (_id, data) SELECT value ->> '$._id', value FROM json_each(?)`);
  for (let i = 0; i < SORTED_COUNT; i += SEED_CHUNK) {
    const docs = Array.from({ length: Math.min(SEED_CHUNK, SORTED_COUNT - i) }, (_, k) => sortedTodo(i + k));
    await insert.bind(JSON.stringify(docs)).run();
  }
  lap('insert');
  await db.batch(PLAIN_INDEXES.map((columns, k) => db.prepare(`CREATE INDEX "${PLAIN_TABLE}_${k}" ON ${plain} ${columns}`)));
  lap('plainIndexes');
  await initializeD1Schema(db, { collections: [COLLECTION], indexes: POCKET_INDEXES });
  await db.prepare(`INSERT INTO "${POCKET_TABLE}" (_id, data) SELECT _id, data FROM ${plain}`).run();
  lap('pocketTable');
  const count = async (table: string) => (await db.prepare(`SELECT count(*) AS n FROM "${table}"`).first<number>('n')) ?? 0;
  return { plain: await count(PLAIN_TABLE), pocket: await count(POCKET_TABLE), ms };
}

/** The k-th input of a request: users and timestamps rotate from one request to the next, the same for every variant. */
function inputOf(op: SortedOp, round: number, rep: number, k: number): string {
  const j = (hash32(`sorted/${round}/${rep}`) + k * 7919) % SORTED_COUNT;
  if (op === 'userNewest' || op === 'userAny') return sortedUser(j);
  // Older than document j, with at least a page of documents older still.
  if (op === 'olderThan') return sortedTodo(Math.max(j, 1000)).createdAt;
  return '';
}

/** Inputs of the probe: four ordinary ones (rows read are reported over these), then edge cases for the check only. */
const PROBE_TYPICAL = 4;
function probeInputs(op: SortedOp): string[] {
  const typical = Array.from({ length: PROBE_TYPICAL }, (_, k) => inputOf(op, 1_000_000, 0, k));
  if (op === 'userNewest' || op === 'userAny') return [...typical, 'user-nobody'];
  if (op === 'olderThan') return [...typical, sortedTodo(5).createdAt, sortedTodo(0).createdAt];
  return typical.slice(0, 1);
}

/** One timed request: n operations; inputs are made before the clock starts. */
async function run(v: SortedVariant, { op, n, round, rep }: Body) {
  const inputs = Array.from({ length: n }, (_, k) => inputOf(op, round, rep, k));
  const query = v[op];
  let sink = 0;
  const t0 = performance.now();
  for (const input of inputs) sink += (await query(input)).length;
  return { ms: performance.now() - t0, n, sink };
}

/** Each operation once per probe input through the recording wrapper: documents, statements, rows read, and the plan of the first. */
async function probe(db: D1Database, variant: string) {
  const make = SORTED_VARIANTS[variant]!;
  const admin = d1Admin(db);
  const out: Record<string, unknown[]> = {};
  for (const op of SORTED_OPS) {
    out[op] = [];
    for (const [i, input] of probeInputs(op).entries()) {
      const trace = newTrace(true);
      const docs = await make(traceD1(db, trace))[op](input);
      const rowsRead = trace.statements.reduce((sum, s) => sum + (s.rowsRead ?? NaN), 0);
      const plans = i === 0 ? await Promise.all(trace.statements.map((s) => admin.plan(s.sql, s.params))) : undefined;
      // A limit without a sort may return any of the matches: the check needs them all (from raw's table, by hand).
      const matches = op === 'userAny' && variant === 'raw' ? await allOfUser(db, input) : undefined;
      out[op].push({ input, typical: i < PROBE_TYPICAL, docs, rowsRead, calls: trace.calls, statements: trace.statements, plans, matches });
    }
  }
  return out;
}

async function allOfUser(db: D1Database, user: string) {
  const rows = await db.prepare(`SELECT data FROM "${PLAIN_TABLE}" WHERE json_extract(data, '$.userId') = ?`).bind(user).raw<[string]>();
  return rows.map((r) => JSON.parse(r[0]) as unknown);
}

/** Variants are made once per isolate, as a Worker would keep them. */
const variants = variantCache(SORTED_VARIANTS);
const variantOf = (env: Env, name: string): SortedVariant => variants.of(name, env.DB);

async function handle(action: string, body: Body, env: Env): Promise<unknown> {
  switch (action) {
    case 'clock':
      return clockWork(body.work);
    case 'seed':
      variants.clear();
      return seed(env.DB);
    case 'probe':
      variantOf(env, body.variant);
      return probe(env.DB, body.variant);
    case 'run':
      return run(variantOf(env, body.variant), body);
    default:
      throw new Error(`unknown action "${action}"`);
  }
}

export default { fetch: jsonEndpoint(handle) } satisfies ExportedHandler<Env>;
