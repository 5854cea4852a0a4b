import { DurableObject } from 'cloudflare:workers';
import { Database } from '@pocket/core';
import { createD1Storage, createDurableObjectSqlStorage } from '@pocket/storage-edge';
import { DurableObjectSync, SyncServer, handleSyncHttp, type SyncRules } from '@pocket/sync/server';

export interface User {
  id: string;
}

/** Users are named by a `user` query parameter (tests only); each reads and writes the todos they own, and every note. */
export const rules: SyncRules<User> = {
  authenticate: (request) => {
    const id = new URL(request.url).searchParams.get('user');
    return id === null ? null : { id };
  },
  collections: {
    todos: { read: (user, q) => q.where('owner').equals(user.id) },
    notes: {},
  },
};

export class SyncRoom extends DurableObject {
  readonly database: Promise<Database>;
  readonly sync: Promise<DurableObjectSync<User>>;

  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    this.database = Database.create({ name: 'room', storage: createDurableObjectSqlStorage({ storage: ctx.storage }) });
    this.sync = this.database.then((database) => new DurableObjectSync(ctx, { database, rules }));
  }

  override async fetch(request: Request): Promise<Response> {
    return (await this.sync).fetch(request);
  }
  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    return (await this.sync).webSocketMessage(ws, message);
  }
  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    (await this.sync).webSocketClose(ws, code);
  }
  /** For tests: write as server code would, outside sync. */
  async write(collection: string, doc: Record<string, unknown> & { _id: string }): Promise<void> {
    await (await this.database).collection(collection).upsert(doc);
  }
  /** For tests: the object restarts, as after an eviction or a deploy (sockets close, storage stays). */
  async restart(): Promise<void> {
    this.ctx.abort('restart for a test');
  }
  async contents(collection: string): Promise<unknown[]> {
    return (await (await this.database).collection(collection).find().sort('_id').exec()).map(({ _rev, ...doc }) => doc);
  }
}

export default {
  async fetch(request: Request, env: Cloudflare.Env): Promise<Response> {
    const url = new URL(request.url);
    const room = /^\/rooms\/([a-z0-9-]{1,40})\/sync(?:\/(pull|push))?$/.exec(url.pathname);
    if (room !== null) return env.ROOM.get(env.ROOM.idFromName(room[1]!)).fetch(request);
    if (url.pathname.startsWith('/d1/sync/')) {
      const database = await Database.create({ name: 'd1', storage: createD1Storage({ database: env.DB }) });
      return handleSyncHttp(new SyncServer({ database, rules }), request);
    }
    return new Response('not found', { status: 404 });
  },
};
