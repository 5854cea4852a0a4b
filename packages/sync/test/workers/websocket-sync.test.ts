import { env, SELF } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import { Database, FilterBuilder, createMemoryStorage, type StorageAdapter } from '@pocket/core';
import { createSyncClient, type SyncClient } from '@pocket/sync/client';
import { rawSocket, WorkerWebSocket } from './socket.js';

interface Todo {
  _id: string;
  owner: string;
  listId: string;
  title: string;
}

const clients: SyncClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.stop()));
});

async function client(room: string, user: string, filter: FilterBuilder<any> | null = null) {
  const db = await Database.create({ name: user, storage: createMemoryStorage() });
  const c = createSyncClient({
    database: db,
    url: `ws://sync.test/rooms/${room}/sync?user=${user}`,
    collections: { todos: { filter: filter?.filter ?? null }, notes: true },
    WebSocket: WorkerWebSocket,
    retry: { min: 10, max: 100 },
  });
  clients.push(c);
  await c.start();
  return { db, client: c };
}

function stub(room: string) {
  return env.ROOM.get(env.ROOM.idFromName(room));
}

async function eventually(check: () => Promise<void>, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > end) throw error;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

describe('sync through a Durable Object, live over WebSockets', () => {
  it('a write of one client reaches the other without polling', async () => {
    const a = await client('live', 'u1');
    const b = await client('live', 'u1');
    await a.client.synced();
    await b.client.synced();
    await a.db.collection<Todo>('todos').insert({ _id: 't1', owner: 'u1', listId: 'l', title: 'milk' });
    await eventually(async () => expect(await b.db.collection('todos').get('t1')).toMatchObject({ title: 'milk' }));
    await b.db.collection<Todo>('todos').update('t1', { title: 'oat milk' });
    await eventually(async () => expect(await a.db.collection('todos').get('t1')).toMatchObject({ title: 'oat milk' }));
    expect(await stub('live').contents('todos')).toEqual([{ _id: 't1', owner: 'u1', listId: 'l', title: 'oat milk' }]);
  });

  it('writes made by server code reach subscribers, filtered by rules and subscription, with removals', async () => {
    const mine = await client('scoped', 'u1', new FilterBuilder<Todo>().where('listId').equals('l1'));
    await mine.client.synced();
    const room = stub('scoped');
    await room.write('todos', { _id: 'a', owner: 'u1', listId: 'l1', title: 'mine, l1' });
    await room.write('todos', { _id: 'b', owner: 'u2', listId: 'l1', title: 'theirs' });
    await room.write('todos', { _id: 'c', owner: 'u1', listId: 'l2', title: 'mine, l2' });
    await eventually(async () => expect((await mine.db.collection('todos').find().exec()).map((d) => d._id)).toEqual(['a']));
    await room.write('todos', { _id: 'a', owner: 'u1', listId: 'l2', title: 'moved' });
    await eventually(async () => expect(await mine.db.collection('todos').count()).toBe(0));
  });

  it('a document that two writes of one push move out of a view is removed for a subscriber who saw it', async () => {
    const carol = await client('twice', 'u1', new FilterBuilder<Todo>().where('listId').equals('l1'));
    await carol.client.synced();
    await stub('twice').write('todos', { _id: 'x', owner: 'u1', listId: 'l1', title: 'moving' });
    await eventually(async () => expect(await carol.db.collection('todos').count()).toBe(1));
    // Two writes in one push, so one fan-out carries both: the state before the second write
    // (list l2) was never Carol's, the one before the first was.
    const paul = await rawSocket('http://sync.test/rooms/twice/sync?user=u1');
    const move = (mid: number, list: string) => ({
      mid,
      collection: 'todos',
      id: 'x',
      baseRev: mid,
      doc: { _id: 'x', owner: 'u1', listId: list, title: 'moving' },
    });
    paul.socket.send(JSON.stringify({ v: 1, type: 'push', id: 1, clientId: 'paul-client-1', mutations: [move(1, 'l2'), move(2, 'l3')] }));
    await eventually(async () => expect(await stub('twice').contents('todos')).toEqual([{ _id: 'x', owner: 'u1', listId: 'l3', title: 'moving' }]));
    await eventually(async () => expect(await carol.db.collection('todos').count()).toBe(0));
    paul.socket.close();
  });

  it('a page of changes the client fails to write is received again, not skipped by the next one', async () => {
    let failing = false;
    const inner = createMemoryStorage();
    const storage: StorageAdapter = {
      ...inner,
      collection(name, context) {
        const store = inner.collection(name, context);
        return { ...store, write: (ops) => (failing && name === 'notes' ? Promise.reject(new Error('local storage failed')) : store.write(ops)) };
      },
    };
    const db = await Database.create({ name: 'flaky', storage });
    const c = createSyncClient({
      database: db,
      url: 'ws://sync.test/rooms/flaky/sync?user=u1',
      collections: { notes: true },
      WebSocket: WorkerWebSocket,
      retry: { min: 10, max: 100 },
    });
    clients.push(c);
    const errors: string[] = [];
    c.on('error', (error) => errors.push(error.message));
    await c.start();
    await c.synced();
    failing = true;
    await stub('flaky').write('notes', { _id: 'a', text: 'first' });
    await eventually(async () => expect(errors).toContain('local storage failed'));
    failing = false;
    await stub('flaky').write('notes', { _id: 'b', text: 'second' });
    await eventually(async () => expect((await db.collection('notes').find().exec()).map((d) => d._id)).toEqual(['a', 'b']));
  });

  it('a second client starting late gets everything in its first sync', async () => {
    const room = stub('late');
    for (let i = 0; i < 50; i++) await room.write('notes', { _id: `n${i}`, text: `note ${i}` });
    const late = await client('late', 'u9');
    await late.client.synced();
    expect(await late.db.collection('notes').count()).toBe(50);
  });

  it('resumes after the object restarts mid-sync', async () => {
    const a = await client('restart', 'u1');
    await a.client.synced();
    await a.db.collection('notes').insert({ _id: 'before', text: 'x' });
    await a.client.synced();
    await runInRoomAbort('restart');
    await stub('restart').write('notes', { _id: 'after', text: 'written after the restart' });
    await a.db.collection('notes').insert({ _id: 'offline', text: 'written while disconnected' });
    await eventually(async () => {
      expect((await a.db.collection('notes').find().sort('_id').exec()).map((d) => d._id)).toEqual(['after', 'before', 'offline']);
      expect(((await stub('restart').contents('notes')) as Array<{ _id: string }>).map((d) => d._id)).toEqual(['after', 'before', 'offline']);
    });
  });

  it('answers malformed messages with error frames and close codes, and keeps serving', async () => {
    const { socket, messages, closed } = await rawSocket('http://sync.test/rooms/hostile/sync?user=u1');
    socket.send('null');
    socket.send('{"v":1,"type":"bogus"}');
    socket.send('{"v":1,"type":"push","id":1,"clientId":"short","mutations":[]}');
    socket.send('{"v":1,"type":"subscribe","collection":"secrets","filter":null,"since":null}');
    socket.send(
      '{"v":1,"type":"subscribe","collection":"todos","filter":{"kind":"condition","op":"regex","path":"title","source":"(a+)+$","flags":""},"since":null}',
    );
    socket.send(new Uint8Array([1, 2, 3]));
    await eventually(async () => expect(messages).toHaveLength(6));
    expect(messages.map((m: any) => m.type)).toEqual(Array(6).fill('error'));
    // Messages are handled concurrently, so their answers may come in another order.
    expect(messages.map((m: any) => m.code).sort()).toEqual(['BAD_MESSAGE', 'BAD_MESSAGE', 'BAD_MESSAGE', 'BAD_MESSAGE', 'BAD_MESSAGE', 'FORBIDDEN']);
    expect(messages.find((m: any) => m.code === 'FORBIDDEN')).toMatchObject({ ref: 'subscribe:secrets' });
    expect(messages.find((m: any) => /\(a\+\)\+/.test(m.message))).toMatchObject({ code: 'BAD_MESSAGE' });
    socket.send('{"v":2,"type":"subscribe"}');
    expect((await closed).code).toBe(4426);

    const big = await rawSocket('http://sync.test/rooms/hostile/sync?user=u1');
    big.socket.send(`{"v":1,"type":"push","pad":"${'x'.repeat(4 * 1024 * 1024)}"}`);
    expect((await big.closed).code).toBe(1009);

    const fine = await client('hostile', 'u1');
    await fine.db.collection<Todo>('todos').insert({ _id: 'ok', owner: 'u1', listId: 'l', title: 'still works' });
    await fine.client.synced();
    expect(await stub('hostile').contents('todos')).toHaveLength(1);
  });

  it('a client that pushes 10,000 writes at once: all stored, and all reach a second client', async () => {
    const writer = await client('bulk', 'u1');
    const reader = await client('bulk', 'u1');
    await writer.client.synced();
    await writer.db.collection('notes').bulkInsert(Array.from({ length: 10_000 }, (_, i) => ({ _id: `n${String(i).padStart(5, '0')}`, text: `note ${i}` })));
    await writer.client.synced();
    expect(await stub('bulk').contents('notes')).toHaveLength(10_000);
    await eventually(async () => expect(await reader.db.collection('notes').count()).toBe(10_000), 30_000);
  });

  it('a subscription the rules refuse puts the client in error, with the reason', async () => {
    const db = await Database.create({ name: 'nosy', storage: createMemoryStorage() });
    const c = createSyncClient({ database: db, url: 'ws://sync.test/rooms/refused/sync?user=u1', collections: { secrets: true }, WebSocket: WorkerWebSocket });
    clients.push(c);
    const errors: Error[] = [];
    c.on('error', (e) => errors.push(e));
    await c.start();
    await eventually(async () => expect(c.status).toBe('error'));
    expect(errors.map((e) => (e as { code?: string }).code)).toContain('FORBIDDEN');
    expect(errors[0]!.message).toMatch(/"secrets" is not synced to this user/);
  });

  it('refuses a connection without credentials', async () => {
    const response = await SELF.fetch('http://sync.test/rooms/auth/sync', { headers: { upgrade: 'websocket' } });
    expect(response.status).toBe(401);
  });
});

describe('sync over HTTP on D1', () => {
  it('polling clients converge through pull and push endpoints', async () => {
    const make = async (user: string) => {
      const db = await Database.create({ name: user, storage: createMemoryStorage() });
      const c = createSyncClient({
        database: db,
        url: `http://sync.test/d1/sync?user=${user}`,
        collections: { notes: true },
        fetch: (input, init) => SELF.fetch(withUser(input, user), init),
        pollInterval: 20,
      });
      clients.push(c);
      await c.start();
      return { db, client: c };
    };
    const a = await make('u1');
    const b = await make('u2');
    await a.db.collection('notes').insert({ _id: 'n1', text: 'from a' });
    await a.client.synced();
    await b.client.synced();
    expect(await b.db.collection('notes').get('n1')).toMatchObject({ text: 'from a' });
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name LIKE '%notes%'").first<{ n: number }>();
    expect(rows?.n).toBe(1);
  });
});

function withUser(input: RequestInfo | URL, user: string): string {
  const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
  url.searchParams.set('user', user);
  return url.href;
}

/** Restarts the room object: its in-memory state is gone, its sockets close, storage stays. */
async function runInRoomAbort(room: string): Promise<void> {
  await stub(room)
    .restart()
    .catch(() => undefined);
}
