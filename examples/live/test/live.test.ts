import { reset, runInDurableObject } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import type { WithRev } from '@pocket/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_TITLE_LENGTH, PAGE_SIZE, type ServerMessage, type Todo } from '../src/live-todos.js';

/** A todo as the object answers it: with the `_rev` Pocket keeps. */
type StoredTodo = WithRev<Todo>;

const open: WebSocket[] = [];
beforeEach(async () => {
  await reset();
});
afterEach(() => {
  for (const ws of open.splice(0)) ws.close(1000, 'test over');
});

/** A WebSocket client of one list, with a queue of the messages it received. */
async function connect(list: string) {
  const response = await exports.default.fetch(new Request(`http://example.com/lists/${list}/live`, { headers: { upgrade: 'websocket' } }));
  expect(response.status).toBe(101);
  const ws = response.webSocket!;
  const queue: ServerMessage[] = [];
  const waiting: Array<(message: ServerMessage) => void> = [];
  ws.addEventListener('message', (event) => {
    const message = JSON.parse(event.data as string) as ServerMessage;
    const waiter = waiting.shift();
    if (waiter) waiter(message);
    else queue.push(message);
  });
  ws.accept();
  open.push(ws);
  return {
    ws,
    /** The next message, waiting up to `timeoutMs` for it. */
    next(timeoutMs = 5000): Promise<ServerMessage> {
      const queued = queue.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(deliver), 1);
          reject(new Error(`no message within ${timeoutMs} ms`));
        }, timeoutMs);
        const deliver = (message: ServerMessage) => {
          clearTimeout(timer);
          resolve(message);
        };
        waiting.push(deliver);
      });
    },
    /** The titles of the next `todos` message. */
    async titles(timeoutMs?: number): Promise<string[]> {
      const message = await this.next(timeoutMs);
      if (message.type !== 'todos') throw new Error(`expected a todos message, got ${JSON.stringify(message)}`);
      return message.todos.map((t) => t.title);
    },
    send(message: unknown): void {
      ws.send(typeof message === 'string' ? message : JSON.stringify(message));
    },
    /** How many messages arrived and were not read yet. */
    get unread(): number {
      return queue.length;
    },
  };
}

async function http(method: string, path: string, body?: unknown): Promise<Response> {
  return exports.default.fetch(
    new Request(`http://example.com${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
    }),
  );
}

async function add(list: string, title: string): Promise<StoredTodo> {
  const response = await http('POST', `/lists/${list}/todos`, { title });
  expect(response.status).toBe(201);
  return response.json<StoredTodo>();
}

function stubOf(list: string) {
  return env.LIVE_TODOS.get(env.LIVE_TODOS.idFromName(list));
}

describe('a live query over WebSockets', () => {
  it('sends the current list on connect, then the new list after another request inserts', async () => {
    await add('home', 'Existing');
    const client = await connect('home');
    expect(await client.titles()).toEqual(['Existing']);

    await add('home', 'Inserted by another request');
    // Newest first.
    expect(await client.titles()).toEqual(['Inserted by another request', 'Existing']);
  });

  it('pushes updates and deletes to every client of the list', async () => {
    const a = await connect('home');
    const b = await connect('home');
    expect(await a.titles()).toEqual([]);
    expect(await b.titles()).toEqual([]);

    const todo = await add('home', 'Shared');
    expect(await a.titles()).toEqual(['Shared']);
    expect(await b.titles()).toEqual(['Shared']);

    expect((await http('PUT', `/lists/home/todos/${todo._id}`, { completed: true })).status).toBe(200);
    const [updateA, updateB] = [await a.next(), await b.next()];
    expect(updateA).toEqual({ type: 'todos', todos: [{ ...todo, completed: true, _rev: 2 }] });
    expect(updateB).toEqual(updateA);

    expect((await http('DELETE', `/lists/home/todos/${todo._id}`)).status).toBe(204);
    expect(await a.titles()).toEqual([]);
    expect(await b.titles()).toEqual([]);
  });

  it('gives a client that connects later the current list', async () => {
    const first = await connect('home');
    expect(await first.titles()).toEqual([]);
    await add('home', 'Before the second client');
    expect(await first.titles()).toEqual(['Before the second client']);

    const second = await connect('home');
    expect(await second.titles()).toEqual(['Before the second client']);
  });

  it('accepts writes and refreshes over the socket', async () => {
    const writer = await connect('home');
    const reader = await connect('home');
    expect(await writer.titles()).toEqual([]);
    expect(await reader.titles()).toEqual([]);

    writer.send({ type: 'add', title: 'Sent over the socket' });
    expect(await reader.titles()).toEqual(['Sent over the socket']);
    expect(await writer.titles()).toEqual(['Sent over the socket']);

    reader.send({ type: 'refresh' });
    expect(await reader.titles()).toEqual(['Sent over the socket']);

    reader.send('not json');
    expect(await reader.next()).toMatchObject({ type: 'error' });
    reader.send({ type: 'shout' });
    expect(await reader.next()).toMatchObject({ type: 'error' });
  });

  it('answers malformed and oversized messages with an error frame, and keeps the socket open', async () => {
    const client = await connect('home');
    expect(await client.titles()).toEqual([]);
    const refused: Array<[unknown, string]> = [
      ['null', 'Send a JSON object'],
      ['[]', 'Send a JSON object'],
      ['"add"', 'Send a JSON object'],
      [{ type: 'add' }, '"title" must be a non-empty string'],
      [{ type: 'add', title: 42 }, '"title" must be a non-empty string'],
      [{ type: 'add', title: '   ' }, '"title" must be a non-empty string'],
      [{ type: 'add', title: 'x'.repeat(MAX_TITLE_LENGTH + 1) }, `the limit is ${MAX_TITLE_LENGTH}`],
      [JSON.stringify({ type: 'add', title: 'x'.repeat(1_000_000) }), 'Messages are at most'],
    ];
    for (const [message, error] of refused) {
      client.send(message);
      const reply = await client.next();
      expect(reply, JSON.stringify(message).slice(0, 60)).toMatchObject({ type: 'error', message: expect.stringContaining(error) });
    }
    // The socket still works, and nothing was added.
    client.send({ type: 'add', title: 'x'.repeat(MAX_TITLE_LENGTH) });
    expect(await client.titles()).toEqual(['x'.repeat(MAX_TITLE_LENGTH)]);
    expect(client.unread).toBe(0);
  });

  it('coalesces a burst: 3,000 adds over the socket send a few lists, and the last one is the final state', async () => {
    const writer = await connect('burst');
    const reader = await connect('burst');
    expect(await writer.titles()).toEqual([]);
    expect(await reader.titles()).toEqual([]);
    const count = 3000;
    for (let i = 0; i < count; i++) writer.send({ type: 'add', title: `t${i}` });
    // Messages are handled in order: the answer to this refresh is the state after every add.
    writer.send({ type: 'refresh' });
    let final: string[];
    do final = await writer.titles(50_000);
    while (!final.includes(`t${count - 1}`));
    expect(final).toHaveLength(PAGE_SIZE);
    // The reader gets lists until one is the final state, and nothing after it.
    const lists: string[][] = [];
    do lists.push(await reader.titles(50_000));
    while (JSON.stringify(lists.at(-1)) !== JSON.stringify(final));
    expect(lists.length).toBeLessThan(count / 10);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(reader.unread).toBe(0);
    const total = await runInDurableObject(stubOf('burst'), (_instance, state) => state.storage.sql.exec('SELECT count(*) AS n FROM pocket_todos').one().n);
    expect(total).toBe(count);
  }, 60_000);

  it('keeps lists apart', async () => {
    const home = await connect('home');
    expect(await home.titles()).toEqual([]);
    await add('work', 'Work only');
    await add('home', 'Home only');
    expect(await home.titles()).toEqual(['Home only']);
    expect(home.unread).toBe(0);
  });
});

describe('hibernation', () => {
  /** Whether the live object currently running for the list has started its live query. */
  function observing(list: string): Promise<boolean> {
    return runInDurableObject(stubOf(list), (instance) => instance.observing);
  }

  /**
   * Waits until workerd evicts the idle object from memory. With only hibernatable sockets
   * open, it does so after about 10 s without events; the sockets stay connected. Checking
   * wakes a new instance (whose live query has not started) or reaches the old one.
   */
  async function waitForEviction(list: string): Promise<void> {
    for (let attempt = 0; attempt < 4; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 11_000));
      if (!(await observing(list))) return;
    }
    throw new Error('the object was never evicted');
  }

  /** Reads `todos` messages until one has exactly these titles (a wake-up may send one more). */
  async function expectList(client: Awaited<ReturnType<typeof connect>>, titles: string[]): Promise<void> {
    const seen: string[][] = [];
    while (seen.length < 3) {
      seen.push(await client.titles());
      if (JSON.stringify(seen.at(-1)) === JSON.stringify(titles)) return;
    }
    expect(seen.at(-1)).toEqual(titles);
  }

  it('survives eviction: a fresh instance re-creates the database and the live query, woken by a message or a request', async () => {
    const client = await connect('home');
    expect(await client.titles()).toEqual([]);
    expect(await observing('home')).toBe(true);

    await waitForEviction('home');
    client.send({ type: 'add', title: 'Added after a wake-up by a message' });
    await expectList(client, ['Added after a wake-up by a message']);

    await waitForEviction('home');
    await add('home', 'Added after a wake-up by a request');
    await expectList(client, ['Added after a wake-up by a request', 'Added after a wake-up by a message']);
  }, 120_000);

  it('stops the live query when the last client leaves', async () => {
    const client = await connect('home');
    expect(await client.titles()).toEqual([]);
    client.ws.close(1000, 'bye');
    open.length = 0;
    await expect.poll(() => runInDurableObject(stubOf('home'), (instance) => instance.observing)).toBe(false);
  });
});

describe('plain HTTP', () => {
  it('serves the list, validates input and refuses non-WebSocket requests to /live', async () => {
    await add('home', 'One');
    expect((await (await http('GET', '/lists/home/todos')).json<StoredTodo[]>()).map((t) => t.title)).toEqual(['One']);
    expect((await http('POST', '/lists/home/todos', { title: '' })).status).toBe(400);
    expect((await http('PUT', '/lists/home/todos/nope', { completed: true })).status).toBe(404);
    expect((await http('GET', '/lists/home/live')).status).toBe(426);
    expect((await http('GET', '/lists/Bad Name/todos')).status).toBe(404);
  });

  it('answers 400 to malformed input: bad percent-encoding, bad JSON, an oversized title', async () => {
    const todo = await add('home', 'One');
    const cases: Array<[string, string, unknown, string]> = [
      ['PUT', '/lists/home/todos/%E0%A4%A', undefined, 'percent-encoding'],
      ['DELETE', '/lists/home/todos/%', undefined, 'percent-encoding'],
      ['POST', '/lists/home/todos', '{"title":', 'must be JSON'],
      ['POST', '/lists/home/todos', 'null', 'JSON object'],
      ['POST', '/lists/home/todos', { title: 'x'.repeat(MAX_TITLE_LENGTH + 1) }, `the limit is ${MAX_TITLE_LENGTH}`],
      ['PUT', `/lists/home/todos/${todo._id}`, '{', 'must be JSON'],
      ['PUT', `/lists/home/todos/${todo._id}`, { completed: 'yes' }, 'true or false'],
      ['GET', '/lists/home/todos?after=not-a-cursor', undefined, ''],
    ];
    for (const [method, path, body, message] of cases) {
      const response = await exports.default.fetch(
        new Request(`http://example.com${path}`, { method, body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body) }),
      );
      expect(response.status, `${method} ${path}`).toBe(400);
      expect(await response.json(), `${method} ${path}`).toMatchObject({ message: expect.stringContaining(message) });
    }
    expect((await (await http('GET', '/lists/home/todos')).json<StoredTodo[]>()).map((t) => t.title)).toEqual(['One']);
  });

  it('pages the list, newest first: the Link header leads to the next page until the last', async () => {
    const count = PAGE_SIZE * 2 + 5;
    for (let i = 0; i < count; i++) await add('long', `t${i}`);
    const seen: string[] = [];
    let path: string | null = '/lists/long/todos';
    let pages = 0;
    while (path !== null) {
      const response = await http('GET', path);
      expect(response.status).toBe(200);
      const page = await response.json<StoredTodo[]>();
      expect(page.length).toBeLessThanOrEqual(PAGE_SIZE);
      seen.push(...page.map((t) => t.title));
      path = /^<([^>]+)>; rel="next"$/.exec(response.headers.get('link') ?? '')?.[1] ?? null;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen.toSorted()).toEqual(Array.from({ length: count }, (_, i) => `t${i}`).toSorted());
  });
});
