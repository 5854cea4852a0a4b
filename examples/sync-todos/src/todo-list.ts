// One Durable Object per todo list. Its SQLite storage holds the list's todos; DurableObjectSync
// serves them to the list's clients: live over WebSockets (Hibernation API: connected clients
// cost nothing while quiet, and an evicted object loses nothing), or over HTTP pull and push.
import { DurableObject } from 'cloudflare:workers';
import { Database } from '@pocket/core';
import { createDurableObjectSqlStorage } from '@pocket/storage-edge';
import { DurableObjectSync } from '@pocket/sync/server';
import { rulesFor, type User } from './rules.js';

export class TodoList extends DurableObject {
  readonly #sync: DurableObjectSync<User>;

  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    // Opening a Database does no I/O. A new instance (after an eviction) opens it again and
    // finds everything in storage; each socket's state is in its attachment.
    const database = Database.open({ name: 'todos', storage: createDurableObjectSqlStorage({ storage: ctx.storage }) });
    this.#sync = new DurableObjectSync(ctx, { database, rules: rulesFor(database) });
  }

  override fetch(request: Request): Promise<Response> {
    return this.#sync.fetch(request);
  }
  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    return this.#sync.webSocketMessage(ws, message);
  }
  override webSocketClose(ws: WebSocket, code: number): void {
    this.#sync.webSocketClose(ws, code);
  }
  override webSocketError(ws: WebSocket, error: unknown): void {
    this.#sync.webSocketError(ws, error);
  }
}
