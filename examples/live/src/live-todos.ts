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

/** The longest title accepted, in characters: it bounds every todo, so every message. */
export const MAX_TITLE_LENGTH = 200;
/** How many todos a socket message or an HTTP page holds: the newest ones. */
export const PAGE_SIZE = 100;
/** The longest client message read, in characters; `add` with the longest title fits. */
const MAX_CLIENT_MESSAGE_LENGTH = 4 * MAX_TITLE_LENGTH + 100;
const USAGE = 'Send {"type":"refresh"} or {"type":"add","title":"…"}.';

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
    // observe coalesces: the writes that land while a run is queued or in flight cost one more
    // run together, so a burst of 3,000 adds sends a few lists, not 3,000.
    this.#stopLiveQuery = this.#newest().observe(
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

  /** The newest todos first: the live query's, and the first HTTP page's. */
  #newest() {
    return this.#todos().find().sort('createdAt', 'desc').limit(PAGE_SIZE);
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
      if (error instanceof BadRequest) return Response.json({ error: 'BAD_REQUEST', message: error.message }, { status: 400 });
      if (!(error instanceof PocketError) || error.status >= 500) console.error('LiveTodos failed:', error);
      // toJSON() is safe to send: for a storage failure (5xx) its message is a fixed one, and
      // the detail stays in the error, logged above.
      if (error instanceof PocketError) {
        const { code, message } = error.toJSON();
        return Response.json({ error: code, message }, { status: error.status });
      }
      return Response.json({ error: 'INTERNAL' }, { status: 500 });
    }
  }

  async #handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const { pathname } = url;
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
      if (request.method === 'GET') return this.#page(url);
      if (request.method === 'POST') {
        const title = checkTitle((await readObject(request)).title);
        if (typeof title === 'object') throw new BadRequest(title.error);
        this.#startLiveQueryIfWatched();
        return Response.json(await this.#add(title), { status: 201 });
      }
    }

    if (action.length === 2 && action[0] === 'todos') {
      const id = decodeSegment(action[1]!);
      if (request.method === 'PUT') {
        const { completed } = await readObject(request);
        if (typeof completed !== 'boolean') throw new BadRequest('"completed" must be true or false.');
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

  /**
   * One page of the list, newest first; `?after=` continues from a page's end. The `Link` header
   * names the next page, and is absent on the last one. A malformed cursor is a QueryError (400).
   */
  async #page(url: URL): Promise<Response> {
    const after = url.searchParams.get('after');
    const { docs, next } = await (after === null ? this.#newest() : this.#newest().after(after)).page();
    const headers = new Headers();
    if (next !== null) headers.set('link', `<${url.pathname}?after=${encodeURIComponent(next)}>; rel="next"`);
    return Response.json(docs, { headers });
  }

  #add(title: string): Promise<WithRev<Todo>> {
    return this.#todos().insert({ title, completed: false, createdAt: new Date().toISOString() });
  }

  // ---- Hibernation API handlers: called on whichever instance is alive, maybe a fresh one. ----

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    // After a wake-up this is the first code to run: bring the live query back first.
    this.#startLiveQuery();
    const parsed = parseClientMessage(message);
    if ('error' in parsed) {
      send(ws, JSON.stringify({ type: 'error', message: parsed.error } satisfies ServerMessage));
      return;
    }
    try {
      if (parsed.type === 'refresh') {
        send(ws, JSON.stringify({ type: 'todos', todos: await this.#newest().exec() } satisfies ServerMessage));
      } else {
        await this.#add(parsed.title); // the live query pushes the new list to every client
      }
    } catch (error) {
      // A throw here would end the socket's connection: tell the client instead.
      console.error('LiveTodos message failed:', error);
      send(ws, JSON.stringify({ type: 'error', message: 'That failed on our side; try again later.' } satisfies ServerMessage));
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

/** A mistake in the request, answered 400 with its message. */
class BadRequest extends Error {}

/** The client's message, or what is wrong with it: anything a client sends ends up here. */
function parseClientMessage(message: string | ArrayBuffer): ClientMessage | { error: string } {
  const length = typeof message === 'string' ? message.length : message.byteLength;
  if (length > MAX_CLIENT_MESSAGE_LENGTH) return { error: `Messages are at most ${MAX_CLIENT_MESSAGE_LENGTH} characters. ${USAGE}` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof message === 'string' ? message : new TextDecoder().decode(message));
  } catch {
    return { error: `Send JSON. ${USAGE}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { error: `Send a JSON object. ${USAGE}` };
  const { type, title } = parsed as Record<string, unknown>;
  if (type === 'refresh') return { type };
  if (type !== 'add') return { error: `Unknown message. ${USAGE}` };
  const checked = checkTitle(title);
  return typeof checked === 'string' ? { type, title: checked } : checked;
}

/** The title, or what is wrong with it. */
function checkTitle(title: unknown): string | { error: string } {
  if (typeof title !== 'string' || title.trim() === '') return { error: '"title" must be a non-empty string.' };
  if (title.length > MAX_TITLE_LENGTH) return { error: `"title" is ${title.length} characters long; the limit is ${MAX_TITLE_LENGTH}.` };
  return title;
}

async function readObject(request: Request): Promise<Record<string, unknown>> {
  const body: unknown = await request.json().catch(() => {
    throw new BadRequest('The request body must be JSON.');
  });
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequest('The request body must be a JSON object.');
  return body as Record<string, unknown>;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BadRequest('The id in the path is not valid percent-encoding.');
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
