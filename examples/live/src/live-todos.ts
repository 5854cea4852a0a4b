// A Durable Object that keeps WebSocket clients up to date with a live Pocket query.
//
// It uses the WebSocket Hibernation API: sockets are accepted with ctx.acceptWebSocket(), so
// the runtime can evict this object from memory while clients stay connected, and wakes it (a
// new instance: the constructor runs again) for the next message or request. Nothing in
// memory survives that, so the Database and the live query are created lazily, by every entry
// point that needs them, and never assumed to exist.
import { DurableObject } from 'cloudflare:workers';
import { Database, PocketError, type WithRev } from '@pocket/core';
import { createDurableObjectSqlStorage } from '@pocket/storage-edge';
import type { Env } from './index.js';

export interface Todo {
  _id: string;
  title: string;
  completed: boolean;
  createdAt: string;
}

/**
 * Messages sent to clients. Each `todos` message is the whole current list, not a diff; every
 * todo in it carries the `_rev` Pocket keeps (1 when added, one more with each write).
 */
export type ServerMessage = { type: 'todos'; todos: Array<WithRev<Todo>> } | { type: 'error'; message: string };

/** Messages clients may send. */
export type ClientMessage = { type: 'refresh' } | { type: 'add'; title: string };

export class LiveTodos extends DurableObject<Env> {
  #db: Database | null = null;
  #stopLiveQuery: (() => void) | null = null;
  /** The live query's latest results, for clients that connect while it is running. */
  #latest: Array<WithRev<Todo>> | null = null;

  /** Whether this instance is running the live query (read by the tests). */
  get observing(): boolean {
    return this.#stopLiveQuery !== null;
  }

  #todos() {
    // Opening a Database does no I/O; the documents are in this object's SQLite storage.
    this.#db ??= Database.open({ name: 'live', storage: createDurableObjectSqlStorage({ storage: this.ctx.storage }) });
    return this.#db.collection<Todo>('todos');
  }

  /**
   * Starts the live query unless it runs already. It subscribes before its first run, so a
   * write made right after this call is not missed. Its first run sends the current list to
   * every connected client; so does each re-run after a write.
   */
  #startLiveQuery(): void {
    if (this.#stopLiveQuery) return;
    this.#stopLiveQuery = this.#todos()
      .find()
      .sort('createdAt')
      .limit(100)
      .observe(
        (todos) => {
          this.#latest = todos;
          this.#broadcast({ type: 'todos', todos });
        },
        (error) => {
          console.error('live query failed:', error);
          this.#broadcast({ type: 'error', message: 'The live query failed; send {"type":"refresh"} to retry.' });
        },
      );
  }

  /** Writes happen only here, through this object's Database, so the live query sees them all. */
  #startLiveQueryIfWatched(): void {
    if (this.ctx.getWebSockets().length > 0) this.#startLiveQuery();
  }

  #broadcast(message: ServerMessage): void {
    const text = JSON.stringify(message);
    for (const ws of this.ctx.getWebSockets()) send(ws, text);
  }

  override async fetch(request: Request): Promise<Response> {
    try {
      return await this.#handle(request);
    } catch (error) {
      if (error instanceof PocketError && error.status < 500) {
        return Response.json({ error: error.code, message: error.message }, { status: error.status });
      }
      console.error('LiveTodos failed:', error);
      return Response.json({ error: 'INTERNAL' }, { status: 500 });
    }
  }

  async #handle(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    const action = pathname.split('/').slice(3); // /lists/:list/<action…>

    if (action.length === 1 && action[0] === 'live') {
      if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
        return Response.json({ error: 'UPGRADE_REQUIRED', message: 'Connect with a WebSocket.' }, { status: 426 });
      }
      const { 0: client, 1: server } = new WebSocketPair();
      this.ctx.acceptWebSocket(server); // hibernatable: the runtime may evict us while it is open
      if (this.#stopLiveQuery && this.#latest) send(server, JSON.stringify({ type: 'todos', todos: this.#latest } satisfies ServerMessage));
      // Otherwise the live query's first run, started now or already in flight, sends to
      // every socket accepted so far, this one included.
      this.#startLiveQuery();
      return new Response(null, { status: 101, webSocket: client });
    }

    if (action.length === 1 && action[0] === 'todos') {
      if (request.method === 'GET') return Response.json(await this.#todos().find().sort('createdAt').limit(100).exec());
      if (request.method === 'POST') {
        const body: unknown = await request.json().catch(() => null);
        const title = (body as { title?: unknown } | null)?.title;
        if (typeof title !== 'string' || title.trim() === '') {
          return Response.json({ error: 'BAD_REQUEST', message: '"title" must be a non-empty string.' }, { status: 400 });
        }
        this.#startLiveQueryIfWatched();
        return Response.json(await this.#add(title), { status: 201 });
      }
    }

    if (action.length === 2 && action[0] === 'todos') {
      const id = decodeURIComponent(action[1]!);
      if (request.method === 'PUT') {
        const body: unknown = await request.json().catch(() => null);
        const completed = (body as { completed?: unknown } | null)?.completed;
        if (typeof completed !== 'boolean') {
          return Response.json({ error: 'BAD_REQUEST', message: '"completed" must be true or false.' }, { status: 400 });
        }
        this.#startLiveQueryIfWatched();
        return Response.json(await this.#todos().update(id, { completed }));
      }
      if (request.method === 'DELETE') {
        this.#startLiveQueryIfWatched();
        await this.#todos().delete(id);
        return new Response(null, { status: 204 });
      }
    }

    return Response.json({ error: 'NOT_FOUND' }, { status: 404 });
  }

  #add(title: string): Promise<WithRev<Todo>> {
    return this.#todos().insert({ title, completed: false, createdAt: new Date().toISOString() });
  }

  // ---- Hibernation API handlers: called on whichever instance is alive, maybe a fresh one. ----

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    // After a wake-up this is the first code to run: bring the live query back first.
    this.#startLiveQuery();
    let parsed: ClientMessage;
    try {
      parsed = JSON.parse(typeof message === 'string' ? message : new TextDecoder().decode(message)) as ClientMessage;
    } catch {
      send(ws, JSON.stringify({ type: 'error', message: 'Send JSON: {"type":"refresh"} or {"type":"add","title":"…"}.' } satisfies ServerMessage));
      return;
    }
    if (parsed.type === 'refresh') {
      const todos = await this.#todos().find().sort('createdAt').limit(100).exec();
      send(ws, JSON.stringify({ type: 'todos', todos } satisfies ServerMessage));
    } else if (parsed.type === 'add' && typeof parsed.title === 'string' && parsed.title.trim() !== '') {
      await this.#add(parsed.title); // the live query pushes the new list to every client
    } else {
      send(ws, JSON.stringify({ type: 'error', message: 'Unknown message; send {"type":"refresh"} or {"type":"add","title":"…"}.' } satisfies ServerMessage));
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    closeQuietly(ws, code, reason);
    // With nobody left to tell, stop re-running the query on every write.
    if (this.ctx.getWebSockets().every((other) => other === ws || other.readyState !== WebSocket.OPEN)) {
      this.#stopLiveQuery?.();
      this.#stopLiveQuery = null;
      this.#latest = null;
    }
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    closeQuietly(ws, 1011, 'error');
  }
}

function send(ws: WebSocket, text: string): void {
  try {
    ws.send(text);
  } catch {
    // The socket is closing or closed; webSocketClose cleans up.
  }
}

function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
  } catch {
    // Already closed.
  }
}
