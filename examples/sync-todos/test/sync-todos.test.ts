import { SELF } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import { Database, createMemoryStorage } from '@pocket/core';
import { createSyncClient, type SyncClient } from '@pocket/sync/client';
import { MAX_TITLE_LENGTH, MAX_TODOS_PER_LIST, type Todo } from '../src/todo.js';
import { WorkerWebSocket } from './worker-socket.js';

const clients: SyncClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.stop()));
});

/** A page's worth of client: a memory database synced with one list, live or by polling. */
async function open(list: string, user: string, transport: 'ws' | 'http' = 'ws') {
  const db = await Database.create({ name: `${list}-${user}-${clients.length}`, storage: createMemoryStorage() });
  const sync = createSyncClient({
    database: db,
    url: `${transport}://example.com/lists/${list}/sync?user=${encodeURIComponent(user)}`,
    collections: { todos: { filter: (q) => q.where('listId').equals(list) } },
    WebSocket: WorkerWebSocket,
    fetch: (input, init) => SELF.fetch(input as string, init),
    pollInterval: 50,
    retry: { min: 10, max: 100 },
  });
  clients.push(sync);
  await sync.start();
  await sync.synced();
  const todos = db.collection<Todo>('todos');
  return {
    sync,
    todos,
    add: (title: string) => todos.insert({ listId: list, title, completed: false, createdAt: nextTime() }),
    titles: async () => (await todos.find().sort('createdAt').sort('_id').exec()).map((todo) => (todo.completed ? `[x] ${todo.title}` : todo.title)),
  };
}

/**
 * A distinct creation time per todo, so the lists' order is the order of adding: in workerd the
 * clock stands still while code runs, and todos added in one go would share a time.
 */
let clock = Date.UTC(2026, 0, 1);
function nextTime(): string {
  clock += 1_000;
  return new Date(clock).toISOString();
}

/** Retries `check` until it passes; fails with its last error, before the test's 5 s timeout. */
async function eventually(check: () => Promise<void>, ms = 4_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > end) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

function post(path: string, body: string): Promise<Response> {
  return SELF.fetch(`http://example.com${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
}

describe('the Worker', () => {
  it('answers unknown paths and malformed list names 404 with a hint', async () => {
    for (const path of ['/nope', '/lists/home', '/lists/Home/sync', '/lists/a%2Fb/sync', `/lists/${'x'.repeat(65)}/sync`]) {
      const response = await SELF.fetch(`http://example.com${path}`);
      expect(response.status, path).toBe(404);
      expect(await response.json()).toMatchObject({ error: 'NOT_FOUND', message: expect.stringContaining('/lists/<name>/sync') });
    }
  });

  it('refuses a connection or request without a well-formed ?user= (401)', async () => {
    for (const query of ['', '?user=', '?user=%3Cscript%3E', `?user=${'a'.repeat(41)}`]) {
      const socket = await SELF.fetch(`http://example.com/lists/home/sync${query}`, { headers: { upgrade: 'websocket' } });
      expect(socket.status, query).toBe(401);
      expect(socket.webSocket).toBeNull();
      const pull = await post(`/lists/home/sync/pull${query}`, JSON.stringify({ v: 1, collection: 'todos', filter: null, since: null }));
      expect(pull.status, query).toBe(401);
    }
  });

  it('answers a malformed HTTP sync request 400 and keeps serving', async () => {
    expect((await post('/lists/home/sync/push?user=Ann', '{not json')).status).toBe(400);
    expect(
      (await post('/lists/home/sync/pull?user=Ann', JSON.stringify({ v: 1, collection: 'secrets', filter: null, since: null }))).status,
    ).toBeGreaterThanOrEqual(400);
    const ok = await post('/lists/home/sync/pull?user=Ann', JSON.stringify({ v: 1, collection: 'todos', filter: null, since: null }));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ v: 1, changes: [], caughtUp: true });
  });
});

describe('two clients of one list, live over WebSockets', () => {
  it('see each other’s adds, toggles, renames and deletes', async () => {
    const ann = await open('live', 'Ann');
    const ben = await open('live', 'Ben');
    const milk = await ann.add('Buy oat milk');
    await ann.add('Water the plants');
    await eventually(async () => expect(await ben.titles()).toEqual(['Buy oat milk', 'Water the plants']));

    await ben.todos.update(milk._id, { completed: true });
    await eventually(async () => expect(await ann.titles()).toEqual(['[x] Buy oat milk', 'Water the plants']));
    await ann.todos.update(milk._id, { title: 'Buy oat milk (2 l)' });
    await eventually(async () => expect(await ben.titles()).toEqual(['[x] Buy oat milk (2 l)', 'Water the plants']));
    await ben.todos.delete(milk._id);
    await eventually(async () => expect(await ann.titles()).toEqual(['Water the plants']));
  });

  it('edits made while one client is stopped reach the other after start()', async () => {
    const ann = await open('offline', 'Ann');
    const ben = await open('offline', 'Ben');
    const plants = await ann.add('Water the plants');
    await eventually(async () => expect(await ben.titles()).toEqual(['Water the plants']));

    await ann.sync.stop();
    await ann.add('Written offline');
    await ann.todos.update(plants._id, { completed: true });
    await ben.add('Added meanwhile');
    await ben.sync.synced();
    expect(await ben.titles()).toEqual(['Water the plants', 'Added meanwhile']);
    expect(await ann.titles()).toEqual(['[x] Water the plants', 'Written offline']);

    await ann.sync.start();
    await ann.sync.synced();
    await eventually(async () => expect(await ben.titles()).toEqual(['[x] Water the plants', 'Written offline', 'Added meanwhile']));
    expect(await ann.titles()).toEqual(['[x] Water the plants', 'Written offline', 'Added meanwhile']);
  });

  it('keeps lists apart: each is its own object', async () => {
    const home = await open('home', 'Ann');
    const work = await open('work', 'Ann');
    await home.add('At home');
    await work.add('At work');
    await home.sync.synced();
    await work.sync.synced();
    expect(await (await open('home', 'Ben')).titles()).toEqual(['At home']);
    expect(await (await open('work', 'Ben')).titles()).toEqual(['At work']);
  });

  it('a client that polls over HTTP and a live one meet on the same list', async () => {
    const live = await open('mixed', 'Ann');
    const polling = await open('mixed', 'Ben', 'http');
    await polling.add('Pushed over HTTP');
    await eventually(async () => expect(await live.titles()).toEqual(['Pushed over HTTP']));
    await live.add('Pushed over a socket');
    await eventually(async () => expect(await polling.titles()).toEqual(['Pushed over HTTP', 'Pushed over a socket']));
  });
});

describe('the rules', () => {
  it('refuse writes outside the list or of malformed todos, which are undone on the client that made them', async () => {
    const ann = await open('rules', 'Ann');
    const rejected: string[] = [];
    ann.sync.on('rejected', ({ id, code }) => rejected.push(`${id}: ${code}`));
    const ok = await ann.add('Fine');
    await ann.sync.synced();
    await ann.todos.insert({ _id: 'elsewhere', listId: 'other-list', title: 'Sneaky', completed: false, createdAt: nextTime() });
    await ann.todos.insert({ _id: 'too-long', listId: 'rules', title: 'x'.repeat(MAX_TITLE_LENGTH + 1), completed: false, createdAt: nextTime() });
    await ann.todos.insert({ _id: 'extra', listId: 'rules', title: 'Has more', completed: false, createdAt: nextTime(), admin: true } as Todo);
    await ann.todos.update(ok._id, { title: '   ' });
    await ann.sync.synced();

    expect(rejected.sort()).toEqual([`${ok._id}: FORBIDDEN`, 'elsewhere: FORBIDDEN', 'extra: FORBIDDEN', 'too-long: FORBIDDEN'].sort());
    // Each refused write went back to the server's version: absent, or the old title.
    await eventually(async () => expect(await ann.titles()).toEqual(['Fine']));
    expect(await (await open('rules', 'Ben')).titles()).toEqual(['Fine']);
  });

  it('refuse a new todo once the list is full, and still let its todos change', async () => {
    const ann = await open('full', 'Ann');
    const rejected: string[] = [];
    ann.sync.on('rejected', ({ id, code }) => rejected.push(`${id}: ${code}`));
    await ann.todos.bulkInsert(
      Array.from({ length: MAX_TODOS_PER_LIST + 1 }, (_, i) => ({
        _id: `t${String(i).padStart(4, '0')}`,
        listId: 'full',
        title: `Todo ${i}`,
        completed: false,
        createdAt: nextTime(),
      })),
    );
    await ann.sync.synced();
    // Pushed oldest first: the last one found the list full.
    expect(rejected).toEqual([`t${String(MAX_TODOS_PER_LIST).padStart(4, '0')}: FORBIDDEN`]);
    await eventually(async () => expect(await ann.todos.count()).toBe(MAX_TODOS_PER_LIST));
    await ann.todos.update('t0000', { completed: true });
    await ann.sync.synced();
    const ben = await open('full', 'Ben');
    expect(await ben.todos.count()).toBe(MAX_TODOS_PER_LIST);
    expect((await ben.todos.get('t0000'))?.completed).toBe(true);
  });

  it('let a title of exactly the limit through', async () => {
    const ann = await open('limit', 'Ann');
    await ann.add('y'.repeat(MAX_TITLE_LENGTH));
    await ann.sync.synced();
    expect(await (await open('limit', 'Ben')).titles()).toEqual(['y'.repeat(MAX_TITLE_LENGTH)]);
  });
});
