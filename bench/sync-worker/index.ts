// The sync benchmark's Worker (sync.mjs): a SQLite-backed Durable Object that serves sync with
// `DurableObjectSync` (WebSockets with hibernation, and HTTP), plus a hand-written WebSocket
// broadcast in the same object as the baseline for the fan-out; and HTTP sync on D1 in the
// Worker. Both databases count rows read through `Database.create({ onOperation })`. JSON
// endpoints under …/admin/ seed, write and probe; the driver keeps no state in the Worker.
import { DurableObject } from 'cloudflare:workers';
import { Database } from '@pocket/core';
import { createD1Storage, createDurableObjectSqlStorage } from '@pocket/storage-edge';
import { DurableObjectSync, SyncServer, handleSyncHttp } from '@pocket/sync/server';
import { RowsMeter } from './meter.js';
import { docOf, feedSql, parseRows, probePull, rules, seed, touch, type FeedRow, type HandPull, type User } from './scenario.js';

interface Env {
  DB: D1Database;
  ROOM: DurableObjectNamespace<BenchSyncRoom>;
}

interface AdminBody {
  collection: string;
  from: number;
  to: number;
  i: number;
  k: number;
  changes: number;
  round: number;
  repeat: number;
  work?: number;
}

type Admin = (action: string, body: AdminBody) => Promise<unknown>;

/** Answers a POST to …/admin/<action> with the action's result as JSON, or 500 with the error. */
async function adminResponse(request: Request, admin: Admin): Promise<Response> {
  const action = new URL(request.url).pathname.split('/').pop()!;
  try {
    return Response.json((await admin(action, (await request.json()) as AdminBody)) ?? null);
  } catch (error) {
    const e = error as Error;
    return Response.json({ error: `${e.name}: ${e.message}`, stack: e.stack }, { status: 500 });
  }
}

/** Tag of the baseline's sockets, which the sync handler never sees. */
const RAW = 'raw';

export class BenchSyncRoom extends DurableObject<Env> {
  readonly meter = new RowsMeter();
  readonly database: Promise<Database>;
  readonly sync: Promise<DurableObjectSync<User>>;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.database = Database.create({ name: 'room', storage: createDurableObjectSqlStorage({ storage: ctx.storage }), onOperation: this.meter.hook });
    this.sync = this.database.then((database) => new DurableObjectSync(ctx, { database, rules }));
    ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS raw_todos (id TEXT PRIMARY KEY, data TEXT NOT NULL)');
  }

  override async fetch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path.includes('/admin/')) return adminResponse(request, (action, body) => this.admin(action, body));
    if (path.endsWith('/raw')) {
      const { 0: client, 1: socket } = new WebSocketPair();
      this.ctx.acceptWebSocket(socket, [RAW]);
      return new Response(null, { status: 101, webSocket: client });
    }
    return (await this.sync).fetch(request);
  }
  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (this.ctx.getTags(ws).includes(RAW)) return;
    return (await this.sync).webSocketMessage(ws, message);
  }
  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    if (this.ctx.getTags(ws).includes(RAW)) return ws.close(code === 1005 || code === 1006 ? 1000 : code, 'closed');
    (await this.sync).webSocketClose(ws, code);
  }
  override async webSocketError(ws: WebSocket): Promise<void> {
    await this.webSocketClose(ws, 1011);
  }

  async admin(action: string, body: AdminBody): Promise<unknown> {
    const database = await this.database;
    const sql = this.ctx.storage.sql;
    switch (action) {
      case 'seed':
        return seed(database, body.collection, body.from, body.to);
      case 'seed-raw':
        // The baseline's own table: the same documents, as a hand-written app would keep them.
        for (let i = body.from; i < body.to; i++) {
          const doc = docOf(body.collection, i);
          sql.exec('INSERT OR REPLACE INTO raw_todos (id, data) VALUES (?, ?)', doc._id, JSON.stringify(doc));
        }
        return { count: sql.exec<{ n: number }>('SELECT count(*) AS n FROM raw_todos').one().n };
      case 'write':
        // A server-side write; the sync handler's change listener starts the fan-out.
        await touch(database, body.collection, body.i, body.k);
        return { ok: true };
      case 'raw-write': {
        // The baseline: the same update by hand, then the document to every baseline socket.
        const id = docOf(body.collection, body.i)._id;
        const { data } = sql
          .exec<{ data: string }>(
            `UPDATE raw_todos SET data = json_set(data, '$.completed', json(?)) WHERE id = ? RETURNING data`,
            String(body.k % 2 === 0),
            id,
          )
          .one();
        const frame = `{"type":"change","id":${JSON.stringify(id)},"doc":${data}}`;
        for (const ws of this.ctx.getWebSockets(RAW)) ws.send(frame);
        return { ok: true, sockets: this.ctx.getWebSockets(RAW).length };
      }
      case 'meter': {
        const { operations } = this.meter.take();
        const feed = operations.filter((o) => o.operation === 'changes');
        return {
          feedReads: feed.length,
          feedRowsRead: feed.reduce((sum, o) => sum + o.rowsRead, 0),
          rowsRead: operations.reduce((sum, o) => sum + o.rowsRead, 0),
          operations: operations.length,
        };
      }
      case 'probe': {
        const text = feedSql(body.collection);
        const hand: HandPull = Object.assign(
          async (since: number, limit: number) => {
            const cursor = sql.exec<Record<string, SqlStorageValue>>(text, since, limit);
            const rows = parseRows(cursor.toArray() as unknown as FeedRow[]);
            return { rows: rows.length, rowsRead: cursor.rowsRead };
          },
          { sql: text },
        );
        return probePull(database, (await this.sync).server, this.meter, hand, body.collection, body.changes, body.round, body.repeat);
      }
      case 'sockets':
        return { sync: this.ctx.getWebSockets().length - this.ctx.getWebSockets(RAW).length, raw: this.ctx.getWebSockets(RAW).length };
      default:
        throw new Error(`unknown action "${action}"`);
    }
  }
}

/** D1: one database and sync server per isolate, as a Worker would keep them. */
let d1: { database: Database; server: SyncServer<User>; meter: RowsMeter } | null = null;
async function d1Sync(env: Env) {
  if (d1 === null) {
    const meter = new RowsMeter();
    const database = await Database.create({ name: 'd1', storage: createD1Storage({ database: env.DB }), onOperation: meter.hook });
    d1 = { database, server: new SyncServer({ database, rules }), meter };
  }
  return d1;
}

async function d1Admin(env: Env, action: string, body: AdminBody): Promise<unknown> {
  const { database, server, meter } = await d1Sync(env);
  switch (action) {
    case 'clock': {
      const t0 = performance.now();
      let x = 0;
      for (let i = 0; i < (body.work ?? 2e7); i++) x = (x + i * 7) % 1_000_003;
      return { compute: performance.now() - t0, x };
    }
    case 'seed':
      return seed(database, body.collection, body.from, body.to);
    case 'probe': {
      const text = feedSql(body.collection);
      const statement = env.DB.prepare(text);
      const hand: HandPull = Object.assign(
        async (since: number, limit: number) => {
          const { results, meta } = await statement.bind(since, limit).all<FeedRow>();
          return { rows: parseRows(results).length, rowsRead: meta.rows_read };
        },
        { sql: text },
      );
      return probePull(database, server, meter, hand, body.collection, body.changes, body.round, body.repeat);
    }
    default:
      throw new Error(`unknown action "${action}"`);
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const room = /^\/rooms\/([a-z0-9-]{1,40})\//.exec(url.pathname);
    if (room !== null) return env.ROOM.get(env.ROOM.idFromName(room[1]!)).fetch(request);
    if (url.pathname.startsWith('/d1/admin/')) return adminResponse(request, (action, body) => d1Admin(env, action, body));
    if (url.pathname.startsWith('/d1/sync/')) return handleSyncHttp((await d1Sync(env)).server, request);
    return new Response('not found', { status: 404 });
  },
} satisfies ExportedHandler<Env>;
