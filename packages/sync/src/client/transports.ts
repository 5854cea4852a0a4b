import type { Filter } from '@pocket/core';
import {
  CLOSE_CODES,
  encodeMessage,
  parsePullResponse,
  parsePushResponse,
  parseServerMessage,
  SYNC_PROTOCOL_VERSION,
  type PullRequest,
  type PullResponse,
  type PushRequest,
  type PushResponse,
  type ServerMessage,
} from '../protocol.js';

/** The part of the WebSocket API the client uses: the browser's, Node 22's, Cloudflare's and the `ws` package's all have it. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'close' | 'error' | 'message', listener: (event: any) => void): void;
}

export type WebSocketFactory = new (url: string) => WebSocketLike;

export interface TransportEvents {
  open(): void;
  /** The connection ended; the client reconnects after a pause. */
  close(reason: Error): void;
  /** A page of changes the server sent on its own (live transports only). */
  changes(message: Extract<ServerMessage, { type: 'changes' }>): void;
  /** An error frame the server sent that answers no push: a refused subscription (`ref: 'subscribe:<collection>'`) or a bad message. */
  error(code: string, message: string, ref?: string): void;
}

/** How the client reaches the server: a live WebSocket, or HTTP requests it repeats. */
export interface Transport {
  readonly live: boolean;
  connect(events: TransportEvents): void;
  subscribe(collection: string, filter: Filter | null, since: string | null): void;
  pull(request: PullRequest): Promise<PullResponse>;
  push(request: PushRequest): Promise<PushResponse>;
  close(): void;
}

/** An error the server answered a request with. `code` is the protocol's (`FORBIDDEN`, `BAD_MESSAGE`, …). */
export class SyncRequestError extends Error {
  override readonly name = 'SyncRequestError';
  constructor(
    readonly code: string,
    message: string,
    /** Whether trying again later can succeed (a lost connection, a 5xx), or not (refused credentials, a bad message). */
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** Answers that don't come within this many milliseconds count as a lost connection. */
const REQUEST_TIMEOUT_MS = 30_000;

export class WebSocketTransport implements Transport {
  readonly live = true;
  readonly #url: string;
  readonly #WebSocket: WebSocketFactory;
  #socket: WebSocketLike | null = null;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve(r: PushResponse): void; reject(e: Error): void; timer: ReturnType<typeof setTimeout> }>();

  constructor(url: string, WebSocket: WebSocketFactory) {
    this.#url = url;
    this.#WebSocket = WebSocket;
  }

  connect(events: TransportEvents): void {
    let socket: WebSocketLike;
    try {
      socket = new this.#WebSocket(this.#url);
    } catch (error) {
      setTimeout(() => events.close(new SyncRequestError('CLOSED', `Could not open the sync connection: ${(error as Error).message}`, false)), 0);
      return;
    }
    this.#socket = socket;
    let ended = false;
    const end = (reason: Error) => {
      if (ended) return;
      ended = true;
      if (this.#socket === socket) this.#socket = null;
      this.#failPending(reason);
      events.close(reason);
    };
    socket.addEventListener('open', () => events.open());
    socket.addEventListener('close', (event: { code?: number; reason?: string }) =>
      end(
        new SyncRequestError(
          'CLOSED',
          `The sync connection closed (${event.code ?? 'no code'}${event.reason ? `: ${event.reason}` : ''}).`,
          // Refused credentials or another protocol version: waiting does not help.
          event.code !== CLOSE_CODES.unsupportedVersion && event.code !== CLOSE_CODES.unauthorized,
        ),
      ),
    );
    socket.addEventListener('error', () => end(new SyncRequestError('CLOSED', 'The sync connection failed.', true)));
    socket.addEventListener('message', (event: { data: unknown }) => {
      let message: ServerMessage;
      try {
        message = parseServerMessage(event.data as string);
      } catch (error) {
        events.error('BAD_MESSAGE', (error as Error).message);
        socket.close(4400, 'bad message from server');
        return;
      }
      if (message.type === 'changes') events.changes(message);
      else if (message.type === 'push-result') this.#settle(message.id, message);
      else if (message.ref?.startsWith('push:'))
        this.#settle(Number(message.ref.slice(5)), new SyncRequestError(message.code, message.message, message.code === 'INTERNAL'));
      else events.error(message.code, message.message, message.ref);
    });
  }

  subscribe(collection: string, filter: Filter | null, since: string | null): void {
    this.#socket?.send(encodeMessage({ v: 1, type: 'subscribe', collection, filter, since }));
  }

  pull(): Promise<PullResponse> {
    return Promise.reject(new Error('A WebSocket transport receives changes; it does not pull.'));
  }

  push(request: PushRequest): Promise<PushResponse> {
    const socket = this.#socket;
    if (socket === null) return Promise.reject(new SyncRequestError('CLOSED', 'Not connected.', true));
    const id = this.#nextId++;
    return new Promise<PushResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new SyncRequestError('TIMEOUT', `The server did not answer a push within ${REQUEST_TIMEOUT_MS / 1000} s.`, true));
        socket.close(4408, 'push timed out');
      }, REQUEST_TIMEOUT_MS);
      this.#pending.set(id, { resolve, reject, timer });
      socket.send(encodeMessage({ v: 1, type: 'push', id, ...request }));
    });
  }

  close(): void {
    const socket = this.#socket;
    this.#socket = null;
    socket?.close(1000, 'client stopped');
    this.#failPending(new SyncRequestError('CLOSED', 'The client stopped.', true));
  }

  #settle(id: number, outcome: PushResponse | Error): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve(outcome);
  }

  #failPending(reason: Error): void {
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      clearTimeout(pending.timer);
      pending.reject(reason);
    }
  }
}

export class HttpTransport implements Transport {
  readonly live = false;
  readonly #base: string;
  readonly #fetch: typeof fetch;
  readonly #headers: () => HeadersInit | Promise<HeadersInit>;

  constructor(url: string, fetchImpl: typeof fetch, headers: () => HeadersInit | Promise<HeadersInit>) {
    this.#base = url;
    this.#fetch = fetchImpl;
    this.#headers = headers;
  }

  connect(events: TransportEvents): void {
    events.open();
  }

  subscribe(): void {
    // Polling pulls each collection itself.
  }

  async pull(request: PullRequest): Promise<PullResponse> {
    return parsePullResponse(await this.#post('pull', request));
  }

  async push(request: PushRequest): Promise<PushResponse> {
    return parsePushResponse(await this.#post('push', request));
  }

  close(): void {}

  async #post(action: 'pull' | 'push', body: object): Promise<unknown> {
    let response: Response;
    try {
      const headers = new Headers(await this.#headers());
      headers.set('content-type', 'application/json');
      // The endpoint is the base URL's path plus /pull or /push; its query (a token, say) stays.
      const url = new URL(this.#base);
      url.pathname = `${url.pathname.replace(/\/+$/, '')}/${action}`;
      response = await this.#fetch(url.href, {
        method: 'POST',
        headers,
        body: JSON.stringify({ v: SYNC_PROTOCOL_VERSION, ...body }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new SyncRequestError('CLOSED', `The sync server could not be reached: ${(error as Error).message}`, true);
    }
    const answer = (await response.json().catch(() => null)) as { v?: number; error?: { code?: string; message?: string } } | null;
    if (!response.ok || answer === null) {
      const code = answer?.error?.code ?? `HTTP_${response.status}`;
      throw new SyncRequestError(
        code,
        answer?.error?.message ?? `The sync server answered ${response.status}.`,
        response.status >= 500 || response.status === 429,
      );
    }
    if (answer.v !== SYNC_PROTOCOL_VERSION)
      throw new SyncRequestError(
        'UNSUPPORTED_VERSION',
        `The server answered protocol version ${String(answer.v)}; this client speaks ${SYNC_PROTOCOL_VERSION}.`,
        false,
      );
    return answer;
  }
}
