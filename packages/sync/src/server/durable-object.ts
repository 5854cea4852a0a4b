import { PocketError, type Filter, type JsonObject } from '@pocket/core';
import { matches } from '@pocket/core/adapter';
import {
  CLOSE_CODES,
  encodeMessage,
  parseClientMessage,
  SYNC_LIMITS,
  SYNC_PROTOCOL_VERSION,
  SyncProtocolError,
  utf8Length,
  type ClientMessage,
  type PulledChange,
  type ServerMessage,
} from '../protocol.js';
import { errorResponse, handleSyncHttp } from './http.js';
import { visibleFilter } from './rules.js';
import { DEFAULT_PULL_LIMIT, SyncAccessError, SyncServer, visibleChanges, type SyncServerOptions } from './sync-server.js';

/**
 * What a socket remembers across hibernation, in its attachment: the user, and per collection
 * the subscription's filter, the checkpoint sent up to, whether its first sync finished, and a
 * token that tells a subscription from the one that replaced it.
 */
interface SocketState<User> {
  user: User;
  subs: Record<string, { filter: Filter | null; since: string | null; ready: boolean; token: number }>;
}

/** Cloudflare's limit on a WebSocket attachment. */
const MAX_ATTACHMENT_BYTES = 2_048;

/**
 * Sync through a Durable Object: WebSockets with the Hibernation API for live clients, and the
 * HTTP endpoints for clients that poll. Create it in the object's constructor and forward the
 * object's `fetch`, `webSocketMessage`, `webSocketClose` and `webSocketError` to it. All state
 * lives in the sockets' attachments and in storage, so an evicted object loses nothing: the
 * next message or write wakes it and it carries on from the checkpoints it kept.
 *
 * ```ts
 * export class TodoRoom extends DurableObject {
 *   sync = new DurableObjectSync(this.ctx, { database: Database.create({ storage: createDurableObjectSqlStorage(this.ctx.storage) }), rules });
 *   fetch(request: Request) { return this.sync.fetch(request); }
 *   webSocketMessage(ws: WebSocket, message: string | ArrayBuffer) { return this.sync.webSocketMessage(ws, message); }
 *   webSocketClose(ws: WebSocket, code: number) { return this.sync.webSocketClose(ws, code); }
 * }
 * ```
 */
export class DurableObjectSync<User> {
  readonly server: SyncServer<User>;
  readonly #ctx: DurableObjectState;
  readonly #flushing = new Set<string>();
  readonly #again = new Set<string>();
  /**
   * The states of a document before each write this object made for a client since the last
   * fan-out (several, when writes came faster than fan-outs), so the fan-out knows whom a removal
   * concerns: anyone who could see one of them.
   */
  readonly #before = new Map<string, { rev: number | null; befores: Array<JsonObject | null> }>();
  #nextToken = 1;
  /** Collections written since the last fan-out, and whether one is scheduled; pushes in progress hold it back. */
  readonly #changed = new Set<string>();
  #fanOutTimer: ReturnType<typeof setTimeout> | null = null;
  #pushes = 0;

  constructor(ctx: DurableObjectState, options: SyncServerOptions<User>) {
    this.#ctx = ctx;
    this.server = new SyncServer(options);
    this.server.onWrite = (collection, id, before, rev) => {
      const key = `${collection}\u0000${id}`;
      const befores = this.#before.get(key)?.befores ?? [];
      // Told twice per write (before it, then with its revision), with the same state both times.
      if (!befores.includes(before)) befores.push(before);
      this.#before.set(key, { rev, befores });
    };
    // The fan-out reads the change feed; the events only say which collections to read.
    options.database.onChange(
      (changes) => {
        for (const change of changes) if (Object.hasOwn(options.rules.collections, change.collection)) this.#changed.add(change.collection);
        this.#scheduleFanOut();
      },
      { documents: false },
    );
  }

  /** A WebSocket upgrade becomes a live connection; any other request goes to the HTTP endpoints. */
  async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') return handleSyncHttp(this.server, request);
    try {
      const user = await this.server.authenticate(request);
      if (user == null)
        return Response.json(
          { v: SYNC_PROTOCOL_VERSION, error: { code: 'UNAUTHORIZED', message: 'The connection carries no credentials the server accepts.' } },
          { status: 401 },
        );
      const state: SocketState<User> = { user, subs: {} };
      // Measured before the socket is accepted, so a refused one is not left open.
      if (utf8Length(JSON.stringify(state)) > MAX_ATTACHMENT_BYTES)
        return Response.json(
          {
            v: SYNC_PROTOCOL_VERSION,
            error: {
              code: 'TOO_LARGE',
              message: `The user the rules returned is larger than a socket can keep (${MAX_ATTACHMENT_BYTES} bytes with its subscriptions); return only the fields the rules need.`,
            },
          },
          { status: 500 },
        );
      const { 0: client, 1: socket } = new WebSocketPair();
      this.#ctx.acceptWebSocket(socket);
      this.#save(socket, state);
      return new Response(null, { status: 101, webSocket: client });
    } catch (error) {
      return errorResponse(error);
    }
  }

  async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    let message: ClientMessage;
    try {
      message = parseClientMessage(data);
    } catch (error) {
      if (!(error instanceof SyncProtocolError)) throw error;
      if (error.code === 'TOO_LARGE') return ws.close(CLOSE_CODES.messageTooBig, error.message.slice(0, 120));
      this.#send(ws, { v: 1, type: 'error', code: error.code, message: error.message });
      if (error.code === 'UNSUPPORTED_VERSION') ws.close(CLOSE_CODES.unsupportedVersion, 'unsupported sync protocol version');
      return;
    }
    try {
      if (message.type === 'subscribe') await this.#subscribe(ws, message);
      else if (message.type === 'unsubscribe') this.#unsubscribe(ws, message.collection);
      else await this.#push(ws, message);
    } catch (error) {
      const ref = message.type === 'push' ? `push:${message.id}` : `${message.type}:${message.collection}`;
      // The client's mistakes (a bad checkpoint, a filter the store refuses) are answered, not logged.
      if (error instanceof SyncAccessError || error instanceof SyncProtocolError || (error instanceof PocketError && error.status < 500))
        this.#send(ws, { v: 1, type: 'error', code: error.code, message: error.message, ref });
      else {
        console.error('[pocket/sync] a message failed:', error);
        this.#send(ws, { v: 1, type: 'error', code: 'INTERNAL', message: 'The sync server failed to handle this message; try again later.', ref });
      }
    }
  }

  webSocketClose(ws: WebSocket, code: number, _reason?: string, _wasClean?: boolean): void {
    // The client went away; answer its close if the socket is still open (1005/1006 are not sendable).
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, 'closed');
    } catch {
      // Already closed.
    }
  }

  webSocketError(ws: WebSocket, _error: unknown): void {
    this.webSocketClose(ws, 1011);
  }

  async #subscribe(ws: WebSocket, message: Extract<ClientMessage, { type: 'subscribe' }>): Promise<void> {
    const { collection } = message;
    const state = this.#state(ws);
    const visible = visibleFilter(this.server.scope(state.user, collection), message.filter);
    if (!Object.hasOwn(state.subs, collection) && Object.keys(state.subs).length >= SYNC_LIMITS.maxSubscriptions) {
      throw new SyncProtocolError('BAD_MESSAGE', `A connection subscribes to at most ${SYNC_LIMITS.maxSubscriptions} collections.`);
    }
    const token = this.#nextToken++;
    state.subs[collection] = { filter: message.filter, since: message.since, ready: false, token };
    if (!this.#save(ws, state)) {
      delete state.subs[collection];
      throw new SyncProtocolError(
        'TOO_LARGE',
        `This subscription's filter makes the connection's state larger than ${MAX_ATTACHMENT_BYTES} bytes; use a shorter filter.`,
      );
    }
    // The first sync: pages until the end of the feed. Ids sent are remembered so that a
    // document that leaves the view during it is removed, and no other removal is sent.
    const sent = message.since === null ? new Set<string>() : null;
    let since = message.since;
    for (;;) {
      const page = await this.server.readFeed(collection, since, DEFAULT_PULL_LIMIT);
      if (!this.#updateSub(ws, collection, token, { since: page.checkpoint, ready: page.caughtUp })) return;
      this.#sendChanges(ws, collection, visibleChanges(page, visible, sent), since, page);
      since = page.checkpoint;
      if (page.caughtUp) break;
    }
    // Writes made while the first sync ran reach this socket through the next fan-out.
    void this.#flush(collection);
  }

  /** A push's writes go out to other clients in one fan-out when it is done, not one per write. */
  async #push(ws: WebSocket, message: Extract<ClientMessage, { type: 'push' }>): Promise<void> {
    this.#pushes++;
    try {
      const result = await this.server.push(this.#state(ws).user, message);
      this.#send(ws, { v: 1, type: 'push-result', id: message.id, ...result }, `push:${message.id}`);
    } finally {
      this.#pushes--;
      this.#scheduleFanOut();
    }
  }

  /** Fans out on the next turn, so that writes made together (a bulk write, a push) go out together. */
  #scheduleFanOut(): void {
    if (this.#pushes > 0 || this.#fanOutTimer !== null || this.#changed.size === 0) return;
    this.#fanOutTimer = setTimeout(() => {
      this.#fanOutTimer = null;
      const collections = [...this.#changed];
      this.#changed.clear();
      for (const collection of collections) void this.#flush(collection);
    }, 0);
  }

  #unsubscribe(ws: WebSocket, collection: string): void {
    const state = this.#state(ws);
    delete state.subs[collection];
    this.#save(ws, state);
  }

  /** Sends what changed in `collection` to every socket whose first sync finished. One fan-out at a time per collection; writes during one start another. */
  async #flush(collection: string): Promise<void> {
    if (this.#flushing.has(collection)) {
      this.#again.add(collection);
      return;
    }
    this.#flushing.add(collection);
    try {
      do {
        this.#again.delete(collection);
        await this.#fanOut(collection);
      } while (this.#again.has(collection));
    } catch (error) {
      console.error('[pocket/sync] sending changes failed:', error);
    } finally {
      this.#flushing.delete(collection);
      if (this.#flushing.size === 0) this.#before.clear();
    }
  }

  async #fanOut(collection: string): Promise<void> {
    // Sockets at the same checkpoint share one read of the feed.
    const groups = new Map<string | null, WebSocket[]>();
    for (const ws of this.#ctx.getWebSockets()) {
      const sub = this.#stateOrNull(ws)?.subs[collection];
      if (sub?.ready !== true) continue;
      const members = groups.get(sub.since) ?? [];
      members.push(ws);
      groups.set(sub.since, members);
    }
    for (const [start, members] of groups) {
      let since = start;
      for (;;) {
        const page = await this.server.readFeed(collection, since, DEFAULT_PULL_LIMIT);
        if (page.changes.length === 0) break;
        for (const ws of members) {
          const state = this.#stateOrNull(ws);
          const sub = state?.subs[collection];
          if (state === null || sub === undefined || !sub.ready || sub.since !== since) continue;
          let visible: Filter | null;
          try {
            visible = visibleFilter(this.server.scope(state.user, collection), sub.filter);
          } catch {
            continue;
          }
          const changes = visibleChanges(page, visible, null).filter(
            (change) => change.doc !== null || this.#mayHaveSeen(collection, change.id, change.rev, visible),
          );
          this.#updateSub(ws, collection, sub.token, { since: page.checkpoint, ready: true });
          if (changes.length > 0) this.#sendChanges(ws, collection, changes, since, page);
        }
        since = page.checkpoint;
        if (page.caughtUp) break;
      }
    }
  }

  /** Whether a removal may concern this reader: unknown writes may; a write this object made concerns only those who could see the document before. */
  #mayHaveSeen(collection: string, id: string, rev: number, visible: Filter | null): boolean {
    const write = this.#before.get(`${collection}\u0000${id}`);
    if (write === undefined || write.rev !== rev) return true;
    return write.befores.some((before) => before !== null && matches(visible, before));
  }

  #updateSub(ws: WebSocket, collection: string, token: number, change: { since: string; ready: boolean }): boolean {
    const state = this.#stateOrNull(ws);
    const sub = state?.subs[collection];
    if (state === null || sub === undefined || sub.token !== token) return false;
    sub.since = change.since;
    sub.ready = change.ready;
    return this.#save(ws, state);
  }

  #state(ws: WebSocket): SocketState<User> {
    const state = this.#stateOrNull(ws);
    if (state === null) throw new SyncAccessError('This connection has no sync state; reconnect.');
    return state;
  }

  #stateOrNull(ws: WebSocket): SocketState<User> | null {
    return (ws.deserializeAttachment() as SocketState<User> | null) ?? null;
  }

  /** Keeps `state` in the socket's attachment; `false` when it would not fit. */
  #save(ws: WebSocket, state: SocketState<User>): boolean {
    if (utf8Length(JSON.stringify(state)) > MAX_ATTACHMENT_BYTES) return false;
    ws.serializeAttachment(state);
    return true;
  }

  /**
   * Sends a page's changes in frames of at most a quarter of the message limit. Only the last
   * frame carries the page's checkpoint: a client that stores an earlier frame's checkpoint and
   * disconnects resumes before the frames it missed.
   */
  #sendChanges(ws: WebSocket, collection: string, changes: PulledChange[], since: string | null, page: { checkpoint: string; caughtUp: boolean }): void {
    const budget = SYNC_LIMITS.maxMessageBytes / 4;
    let frame: PulledChange[] = [];
    let bytes = 0;
    for (const change of changes) {
      const size = utf8Length(JSON.stringify(change));
      if (frame.length > 0 && bytes + size > budget) {
        this.#send(ws, { v: 1, type: 'changes', collection, changes: frame, checkpoint: since ?? '0', caughtUp: false });
        frame = [];
        bytes = 0;
      }
      frame.push(change);
      bytes += size;
    }
    this.#send(ws, { v: 1, type: 'changes', collection, changes: frame, checkpoint: page.checkpoint, caughtUp: page.caughtUp });
  }

  /** Sends `message`; one too large to send becomes an error frame naming `ref`, the request it answers, so the client is not left waiting. */
  #send(ws: WebSocket, message: ServerMessage, ref?: string): void {
    try {
      ws.send(encodeMessage(message));
    } catch (error) {
      if (error instanceof SyncProtocolError) {
        ws.send(JSON.stringify({ v: 1, type: 'error', code: error.code, message: error.message, ...(ref === undefined ? {} : { ref }) }));
        return;
      }
      // The socket closed meanwhile; its client resumes from its checkpoint when it reconnects.
    }
  }
}
