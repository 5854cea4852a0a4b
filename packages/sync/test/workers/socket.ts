import { SELF } from 'cloudflare:test';
import type { WebSocketLike } from '@pocket/sync/client';

type Listener = (event: any) => void;

/**
 * A client-side WebSocket to the test Worker: workerd's own WebSocket, opened with an upgrade
 * request through `SELF.fetch` (a Worker cannot dial itself by URL), behind the browser API.
 */
export class WorkerWebSocket implements WebSocketLike {
  readyState = 0;
  #socket: WebSocket | null = null;
  readonly #listeners = new Map<string, Set<Listener>>();

  constructor(url: string) {
    void SELF.fetch(url.replace(/^ws/, 'http'), { headers: { upgrade: 'websocket' } }).then(
      (response) => {
        const socket = response.webSocket;
        if (socket === null) {
          this.#emit('error', { status: response.status });
          this.#emit('close', { code: 1006, reason: `upgrade refused: ${response.status}` });
          this.readyState = 3;
          return;
        }
        socket.accept();
        this.#socket = socket;
        socket.addEventListener('message', (event) => this.#emit('message', { data: event.data }));
        socket.addEventListener('close', (event) => {
          this.readyState = 3;
          this.#emit('close', { code: event.code, reason: event.reason });
        });
        socket.addEventListener('error', () => this.#emit('error', {}));
        this.readyState = 1;
        this.#emit('open', {});
      },
      (error: unknown) => {
        this.readyState = 3;
        this.#emit('close', { code: 1006, reason: `fetch failed: ${String(error)}` });
      },
    );
  }

  send(data: string): void {
    if (this.#socket === null) throw new Error('not open');
    this.#socket.send(data);
  }

  close(code?: number, reason?: string): void {
    this.readyState = 3;
    try {
      this.#socket?.close(code, reason);
    } catch {
      // already closed
    }
    this.#emit('close', { code: code ?? 1000, reason: reason ?? '' });
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

/** A raw socket to the room, for sending what a client never would. */
export async function rawSocket(url: string): Promise<{ socket: WebSocket; messages: unknown[]; closed: Promise<{ code: number; reason: string }> }> {
  const response = await SELF.fetch(url, { headers: { upgrade: 'websocket' } });
  const socket = response.webSocket;
  if (socket === null) throw new Error(`upgrade refused: ${response.status}`);
  socket.accept();
  const messages: unknown[] = [];
  socket.addEventListener('message', (event) => messages.push(JSON.parse(event.data as string)));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.addEventListener('close', (event) => resolve({ code: event.code, reason: event.reason })),
  );
  return { socket, messages, closed };
}
