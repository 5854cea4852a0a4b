import { DurableObject } from 'cloudflare:workers';
import { Database, type StorageAdapter } from '@pocket/core';
import { createD1Storage, createDurableObjectSqlStorage, createDurableObjectStorage } from '@pocket/storage-edge';
import { COLLECTION, DOC_COUNT, makeTodo } from './data.js';
import { d1Admin, rawD1 } from './d1-raw.js';
import { pocketD1, pocketD1PerRequest } from './d1-pocket.js';
import { drizzleD1 } from './d1-drizzle.js';
import { kvAdmin, pocketKv, rawKv } from './do-kv.js';
import { pocketSql, pocketSqlHooked, rawSql, sqlAdmin } from './do-sql.js';
import { bulkIds, checkVariant, profileVariant, runOp, type Backend, type OpProfile, type RunSpec, type Variant } from './harness.js';
import { traceD1, traceDurableObjectStorage } from './trace.js';
import { d1Runner, doSqlRunner, pocketSqlByHand } from './pocket-sql.js';
import { jsonEndpoint } from './endpoint.js';

export interface Env {
  DB: D1Database;
  KV_OBJECT: DurableObjectNamespace<BenchKvObject>;
  SQL_OBJECT: DurableObjectNamespace<BenchSqlObject>;
}

/** The variants of each backend; `raw` is the baseline every ratio is taken against. */
const D1_VARIANTS: Record<string, (db: D1Database) => Variant> = {
  raw: (db) => rawD1(db),
  'raw-batch': (db) => rawD1(db, 'batch'),
  pocket: pocketD1,
  'pocket-per-request': pocketD1PerRequest,
  drizzle: drizzleD1,
  'pocket-sql': (db) => pocketSqlByHand(d1Runner(db)),
};
const KV_VARIANTS: Record<string, (storage: DurableObjectStorage) => Variant> = {
  raw: (storage) => rawKv(storage),
  'raw-text': (storage) => rawKv(storage, { text: true }),
  'raw-txn': (storage) => rawKv(storage, { transaction: true }),
  'raw-checked': (storage) => rawKv(storage, { checked: true }),
  pocket: pocketKv,
};
const SQL_VARIANTS: Record<string, (storage: DurableObjectStorage) => Variant> = {
  raw: (storage) => rawSql(storage),
  'raw-loop': (storage) => rawSql(storage, 'loop'),
  pocket: pocketSql,
  'pocket-hooked': pocketSqlHooked,
  'pocket-sql': (storage) => pocketSqlByHand(doSqlRunner(storage)),
};

function variantOf<B>(table: Record<string, (binding: B) => Variant>, name: string, binding: B): Variant {
  const make = table[name];
  if (make === undefined) throw new Error(`unknown variant "${name}"; known: ${Object.keys(table).join(', ')}`);
  return make(binding);
}

/**
 * What `Database.create` with a new adapter and `db.collection()` cost, without any I/O: the
 * price of creating the database per request instead of keeping one.
 */
async function createCost(n: number, storage: () => StorageAdapter): Promise<{ ms: number; n: number }> {
  let sink = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const db = await Database.create({ name: 'bench', storage: storage() });
    sink += db.collection(COLLECTION).name.length;
  }
  return { ms: performance.now() - t0, n: sink > 0 ? n : 0 };
}

const SEED_CHUNK = 1000;
const seedDocs = (from: number) => Array.from({ length: Math.min(SEED_CHUNK, DOC_COUNT - from) }, (_, k) => makeTodo(from + k));

/** Plans of the SQL statements a read sent, so the report shows what scans and what uses an index. */
async function withPlans(profile: Record<string, OpProfile>, plan: (sql: string, params: unknown[]) => Promise<string[]> | string[]) {
  for (const op of ['get', 'byUser', 'range', 'count']) {
    const p = profile[op];
    if (p !== undefined) p.plans = await Promise.all(p.statements.map((s) => plan(s.sql, s.params)));
  }
  return profile;
}

/**
 * A Durable Object with KV-backed storage (declared under `new_classes`). Each variant has its
 * own instance, named after it, holding its own copy of the 10,000 documents.
 */
export class BenchKvObject extends DurableObject<Env> {
  #variants = new Map<string, Variant>();

  #variant(name: string): Variant {
    let v = this.#variants.get(name);
    if (v === undefined) this.#variants.set(name, (v = variantOf(KV_VARIANTS, name, this.ctx.storage)));
    return v;
  }

  async seed(variant: string): Promise<number> {
    await this.ctx.storage.deleteAll();
    this.#variants.clear();
    const admin = kvAdmin(this.ctx.storage, variant);
    for (let i = 0; i < DOC_COUNT; i += SEED_CHUNK) await admin.insert(seedDocs(i));
    return admin.count();
  }

  run(spec: RunSpec) {
    return runOp(this.#variant(spec.variant), spec);
  }

  createCost(n: number) {
    return createCost(n, () => createDurableObjectStorage({ storage: this.ctx.storage }));
  }

  async cleanup(variant: string, round: number, rep: number, batches: number) {
    await kvAdmin(this.ctx.storage, variant).remove(bulkIds(variant, round, rep, batches));
  }

  check(variant: string) {
    const admin = kvAdmin(this.ctx.storage, variant);
    return checkVariant(
      this.#variant(variant),
      variant,
      (ids) => admin.read(ids),
      (ids) => admin.remove(ids),
    );
  }

  profile(variant: string) {
    const admin = kvAdmin(this.ctx.storage, variant);
    return profileVariant(
      variant,
      'do-kv',
      (trace) => variantOf(KV_VARIANTS, variant, traceDurableObjectStorage(this.ctx.storage, trace)),
      (ids) => admin.remove(ids),
    );
  }
}

/**
 * A Durable Object with SQLite storage (declared under `new_sqlite_classes`). One instance holds
 * the table; every variant works on it, as every D1 variant works on the one D1 table.
 */
export class BenchSqlObject extends DurableObject<Env> {
  #variants = new Map<string, Variant>();

  #variant(name: string): Variant {
    let v = this.#variants.get(name);
    if (v === undefined) this.#variants.set(name, (v = variantOf(SQL_VARIANTS, name, this.ctx.storage)));
    return v;
  }

  async seed(): Promise<number> {
    const admin = sqlAdmin(this.ctx.storage);
    admin.reset();
    this.#variants.clear();
    for (let i = 0; i < DOC_COUNT; i += SEED_CHUNK) admin.insert(seedDocs(i));
    return admin.count();
  }

  run(spec: RunSpec) {
    return runOp(this.#variant(spec.variant), spec);
  }

  createCost(n: number) {
    return createCost(n, () => createDurableObjectSqlStorage({ storage: this.ctx.storage }));
  }

  async cleanup(variant: string, round: number, rep: number, batches: number) {
    sqlAdmin(this.ctx.storage).remove(bulkIds(variant, round, rep, batches));
  }

  check(variant: string) {
    const admin = sqlAdmin(this.ctx.storage);
    return checkVariant(
      this.#variant(variant),
      variant,
      async (ids) => admin.read(ids),
      async (ids) => admin.remove(ids),
    );
  }

  async profile(variant: string) {
    const admin = sqlAdmin(this.ctx.storage);
    const profile = await profileVariant(
      variant,
      'do-sql',
      (trace) => variantOf(SQL_VARIANTS, variant, traceDurableObjectStorage(this.ctx.storage, trace)),
      async (ids) => admin.remove(ids),
    );
    return withPlans(profile, (sql, params) => admin.plan(sql, params));
  }
}

/** D1 variants are made once per isolate, as a Worker would keep its database object. */
const d1Variants = new Map<string, Variant>();
function d1Variant(env: Env, name: string): Variant {
  let v = d1Variants.get(name);
  if (v === undefined) d1Variants.set(name, (v = variantOf(D1_VARIANTS, name, env.DB)));
  return v;
}

const kvStub = (env: Env, variant: string) => env.KV_OBJECT.get(env.KV_OBJECT.idFromName(variant));
const sqlStub = (env: Env) => env.SQL_OBJECT.get(env.SQL_OBJECT.idFromName('shared'));

interface Body {
  backend: Backend;
  variant: string;
  round?: number;
  rep?: number;
  batches?: number;
  work?: number;
  n?: number;
}

async function handle(action: string, body: Body, env: Env): Promise<unknown> {
  const { backend, variant } = body;
  switch (action) {
    case 'variants':
      return { d1: Object.keys(D1_VARIANTS), 'do-kv': Object.keys(KV_VARIANTS), 'do-sql': Object.keys(SQL_VARIANTS) };
    case 'clock': {
      // A fixed amount of computation, then one D1 round trip: run.mjs compares the clock here with its own.
      const t0 = performance.now();
      let x = 0;
      for (let i = 0; i < (body.work ?? 2e7); i++) x = (x + i * 7) % 1_000_003;
      const compute = performance.now() - t0;
      await env.DB.prepare('SELECT 1').run();
      return { compute, total: performance.now() - t0, x };
    }
    case 'seed': {
      if (backend === 'd1') {
        const admin = d1Admin(env.DB);
        await admin.reset();
        d1Variants.clear();
        for (let i = 0; i < DOC_COUNT; i += SEED_CHUNK) await admin.insert(seedDocs(i));
        return admin.count();
      }
      if (backend === 'do-kv') return kvStub(env, variant).seed(variant);
      return sqlStub(env).seed();
    }
    case 'run': {
      const spec = body as unknown as RunSpec;
      if (backend === 'd1') return runOp(d1Variant(env, variant), spec);
      if (backend === 'do-kv') return kvStub(env, variant).run(spec);
      return sqlStub(env).run(spec);
    }
    case 'create-cost': {
      const n = body.n ?? 1000;
      if (backend === 'd1') return createCost(n, () => createD1Storage({ database: env.DB }));
      if (backend === 'do-kv') return kvStub(env, 'pocket').createCost(n);
      return sqlStub(env).createCost(n);
    }
    case 'cleanup': {
      const { round = 0, rep = 0, batches = 0 } = body;
      if (backend === 'd1') return d1Admin(env.DB).remove(bulkIds(variant, round, rep, batches));
      if (backend === 'do-kv') return kvStub(env, variant).cleanup(variant, round, rep, batches);
      return sqlStub(env).cleanup(variant, round, rep, batches);
    }
    case 'check': {
      if (backend === 'd1') {
        const admin = d1Admin(env.DB);
        return checkVariant(
          d1Variant(env, variant),
          variant,
          (ids) => admin.read(ids),
          (ids) => admin.remove(ids),
        );
      }
      if (backend === 'do-kv') return kvStub(env, variant).check(variant);
      return sqlStub(env).check(variant);
    }
    case 'profile': {
      if (backend === 'd1') {
        const admin = d1Admin(env.DB);
        const profile = await profileVariant(
          variant,
          'd1',
          (trace) => variantOf(D1_VARIANTS, variant, traceD1(env.DB, trace)),
          (ids) => admin.remove(ids),
        );
        return withPlans(profile, (sql, params) => admin.plan(sql, params));
      }
      if (backend === 'do-kv') return kvStub(env, variant).profile(variant);
      return sqlStub(env).profile(variant);
    }
    default:
      throw new Error(`unknown action "${action}"`);
  }
}

export default { fetch: jsonEndpoint(handle) } satisfies ExportedHandler<Env>;
