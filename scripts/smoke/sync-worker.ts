// A sync server as a user would write it after `npm install @pocket/core @pocket/storage-edge @pocket/sync`.
import { DurableObject } from 'cloudflare:workers';
import { Database } from '@pocket/core';
import { createDurableObjectSqlStorage } from '@pocket/storage-edge';
import { DurableObjectSync, type SyncRules } from '@pocket/sync/server';

interface Env {
  LISTS: DurableObjectNamespace<TodoList>;
}

const rules: SyncRules<{ id: string }> = {
  authenticate(request) {
    const user = new URL(request.url).searchParams.get('user');
    return user === null ? null : { id: user };
  },
  collections: { todos: { read: (_user, q) => q.where('listId').exists() } },
};

export class TodoList extends DurableObject<Env> {
  readonly db = Database.open({ name: 'list', storage: createDurableObjectSqlStorage({ storage: this.ctx.storage }) });
  readonly sync = new DurableObjectSync(this.ctx, { database: this.db, rules });

  override fetch(request: Request): Promise<Response> {
    return this.sync.fetch(request);
  }
  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    return this.sync.webSocketMessage(ws, message);
  }
  override webSocketClose(ws: WebSocket, code: number): void {
    this.sync.webSocketClose(ws, code);
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const match = /^\/lists\/([\w-]{1,64})\/sync(?:\/(?:pull|push))?$/.exec(new URL(request.url).pathname);
    if (match === null) return new Response('Not found', { status: 404 });
    return env.LISTS.get(env.LISTS.idFromName(match[1]!)).fetch(request);
  },
};
