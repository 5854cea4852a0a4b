import { SELF } from 'cloudflare:test';
import type { WebSocketLike } from '@pocket/sync/client';

type Listener = (event: any) => void;

/**
 * The browser's WebSocket API over workerd's own sockets: a Worker cannot dial itself by URL, so
 * the upgrade request goes through `SELF.fetch`. The sync client uses it as it would a browser's.
 */
export class WorkerWebSocket implements WebSocketLike {
  readyState = 0;
  #socket: WebSocket | null = null;
  readonly #listeners = new Map<string, Set<Listener>>();

  constructor(url: string) {
    SELF.fetch(url.replace(/^ws/, 'http'), { headers: { upgrade: 'websocket' } }).then(
      (response) => this.#opened(response),
      (error: unknown) => this.#closed(1006, `fetch failed: ${String(error)}`),
    );
  }

  #opened(response: Response): void {
    const socket = response.webSocket;
    if (socket === null) return this.#closed(1006, `upgrade refused: ${response.status}`);
    socket.accept();
    this.#socket = socket;
    socket.addEventListener('message', (event) => this.#emit('message', { data: event.data }));
    socket.addEventListener('close', (event) => this.#closed(event.code, event.reason));
    this.readyState = 1;
    this.#emit('open', {});
  }

  #closed(code: number, reason: string): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.#emit('close', { code, reason });
  }

  send(data: string): void {
    if (this.#socket === null) throw new Error('The socket is not open.');
    this.#socket.send(data);
  }

  close(code = 1000, reason = ''): void {
    try {
      this.#socket?.close(code, reason);
    } catch {
      // Already closed.
    }
    this.#closed(code, reason);
  }

  addEventListener(type: string, listener: Listener): void {
    const set = this.#listeners.get(type) ?? new Set();
    set.add(listener);
    this.#listeners.set(type, set);
  }

  #emit(type: string, event: unknown): void {
    for (const listener of this.#listeners.get(type) ?? []) listener(event);
  }
}
