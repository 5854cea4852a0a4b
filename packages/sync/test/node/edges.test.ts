// Interleavings a review found, each once a lost write, a divergence or a leak: a crash between
// a local write and its record, a filter changed while offline, a resolver racing a local write,
// a push failing across a reconnect, writes during start(), and the server's answers to
// readers who may not see a document. Storage is the memory adapter; a crash is a write to the
// client's records that fails, as a process dying there would leave them.
import { afterEach, describe, expect, it } from 'vitest';
import { Database, createMemoryStorage, type StorageAdapter } from '@pocket/core';
import type { SyncClient } from '@pocket/sync/client';
import { SyncServer, handleSyncHttp, type SyncRules } from '@pocket/sync/server';
import { contents, ownerRules, startClient, startServer, within, type Todo, type User } from './support.js';

const clients: SyncClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.stop().catch(() => undefined)));
});

async function client(...args: Parameters<typeof startClient>) {
  const started = await startClient(...args);
  clients.push(started.client);
  return started;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The memory adapter, with writes to one collection failing while `failing(name)` says so. */
function failingWrites(failing: (collection: string) => boolean): StorageAdapter {
  const inner = createMemoryStorage();
  return {
    ...inner,
    collection(name, context) {
      const store = inner.collection(name, context);
      return { ...store, write: (ops) => (failing(name) ? Promise.reject(new Error(`${name}: storage failed`)) : store.write(ops)) };
    },
  };
}

describe('the client, at the edges', () => {
  it('a crash right after dropping a document out of view does not delete it on the server', async () => {
    const server = await startServer();
    let crash = false;
    const storage = failingWrites((name) => crash && name === 'pocket_sync');
    const filter = { kind: 'condition', op: 'eq', path: 'listId', value: 'l1' } as const;
    const db = await Database.create({ name: 'c', storage });
    const one = await client(server, 'u1', { database: db, filter });
    await within(one.client.synced());
    // The client's own write moves "m" out of its view; once accepted, the client drops it
    // locally, and the process "dies" before the record of that drop is saved.
    db.onChange((changes) => {
      if (changes.some((c) => c.collection === 'todos' && c.type === 'delete')) crash = true;
    });
    await db.collection<Todo>('todos').insert({ _id: 'm', listId: 'l2', title: 'elsewhere' });
    await within(
      (async () => {
        while (!crash) await sleep(5);
      })(),
    );
    await one.client.stop();
    crash = false;

    const again = await client(server, 'u1', { database: await Database.create({ name: 'c', storage }), filter });
    await within(again.client.synced());
    expect(await contents(server.database)).toEqual([{ _id: 'm', listId: 'l2', title: 'elsewhere' }]);
    expect(await contents(again.db)).toEqual([]);
  });

  it('a filter changed while offline keeps the offline edits and pushes them', async () => {
    const server = await startServer();
    await server.database.collection<Todo>('todos').insert({ _id: 'a', listId: 'l1', title: 'server' });
    const storage = createMemoryStorage();
    const one = await client(server, 'u1', {
      database: await Database.create({ name: 'c', storage }),
      filter: { kind: 'condition', op: 'eq', path: 'listId', value: 'l1' },
    });
    await within(one.client.synced());
    await one.client.stop();
    await one.db.collection<Todo>('todos').update('a', { title: 'edited offline' });
    await one.db.collection<Todo>('todos').insert({ _id: 'n', listId: 'l1', title: 'new offline' });

    const two = await client(server, 'u1', { database: await Database.create({ name: 'c', storage }), filter: null });
    await within(two.client.synced());
    const expected = [
      { _id: 'a', listId: 'l1', title: 'edited offline' },
      { _id: 'n', listId: 'l1', title: 'new offline' },
    ];
    expect(await contents(server.database)).toEqual(expected);
    expect(await contents(two.db)).toEqual(expected);
  });

  it('a document created and deleted while offline, whose id the server holds, ends in a reported conflict', async () => {
    const server = await startServer();
    await server.database.collection<Todo>('todos').insert({ _id: 'd', listId: 'l1', title: 'theirs' });
    const storage = createMemoryStorage();
    const filter = { kind: 'condition', op: 'eq', path: 'listId', value: 'l2' } as const;
    const one = await client(server, 'u1', { database: await Database.create({ name: 'c', storage }), filter });
    await within(one.client.synced());
    await one.client.stop();
    await one.db.collection<Todo>('todos').insert({ _id: 'd', listId: 'l2', title: 'mine' });
    await one.db.collection<Todo>('todos').delete('d');

    const two = await client(server, 'u1', { database: await Database.create({ name: 'c', storage }), filter });
    const conflicts: Array<[string, unknown]> = [];
    two.client.on('conflict', ({ id, local }) => conflicts.push([id, local]));
    await within(two.client.synced());
    // The delete was pushed (not silently dropped as "never synced") and lost to the server's document.
    expect(conflicts).toEqual([['d', null]]);
    expect(await contents(server.database)).toEqual([{ _id: 'd', listId: 'l1', title: 'theirs' }]);
    expect(await contents(two.db)).toEqual([]);
  });

  it('a local write made while the conflict resolver runs is kept and pushed', async () => {
    const server = await startServer();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let resolving = false;
    const { db, client: c } = await client(server, 'u1', {
      resolve: async (conflict) => {
        resolving = true;
        await gate;
        return { ...conflict.local!, title: 'resolved' };
      },
    });
    const conflicts: unknown[] = [];
    c.on('conflict', (conflict) => conflicts.push(conflict.resolution));
    await db.collection<Todo>('todos').insert({ _id: 'x', listId: 'l', title: 'v1' });
    await within(c.synced());
    server.network.online = false;
    await server.database.collection<Todo>('todos').update('x', { title: 'server edit' });
    await db.collection<Todo>('todos').update('x', { title: 'local edit 1' });
    server.network.online = true;
    await within(
      (async () => {
        while (!resolving) await sleep(5);
      })(),
    );
    await db.collection<Todo>('todos').update('x', { title: 'local edit 2, while resolving' });
    release();
    await within(c.synced());
    expect(conflicts).toHaveLength(1);
    expect(await contents(server.database)).toEqual([{ _id: 'x', listId: 'l', title: 'local edit 2, while resolving' }]);
    expect(await contents(db)).toEqual(await contents(server.database));
  });

  it('a push that fails after a reconnect is sent again on the new connection', async () => {
    const server = await startServer();
    let failPushAfter = 0;
    let failPulls = false;
    const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      if (url.endsWith('/push') && failPushAfter > 0) {
        const wait = failPushAfter;
        failPushAfter = 0;
        await sleep(wait);
        throw new TypeError('fetch failed: push lost');
      }
      if (url.endsWith('/pull') && failPulls) throw new TypeError('fetch failed: pull lost');
      return server.fetch(input, init);
    }) as typeof globalThis.fetch;
    const { db, client: c } = await client({ fetch }, 'u1');
    await within(c.synced());
    failPushAfter = 200; // this push hangs, then fails...
    failPulls = true; // ...while a pull fails, so the client reconnects meanwhile
    await db.collection<Todo>('todos').insert({ _id: 'p', listId: 'l', title: 'pending' });
    await sleep(50);
    failPulls = false;
    await within(c.synced(), 3_000);
    expect(await server.database.collection('todos').get('p')).toMatchObject({ title: 'pending' });
  });

  it('writes made while start() reads the local feed are pushed', async () => {
    const server = await startServer();
    const db = await Database.create({ name: 'early', storage: createMemoryStorage() });
    let writes = 0;
    // Each time start() saves its collection record, between reading the local feed and connecting.
    db.onChange((changes) => {
      if (changes.some((c) => c.collection === 'pocket_sync' && c.id === 'c/todos') && writes < 2) {
        writes++;
        void db.collection<Todo>('todos').insert({ _id: `early-${writes}`, listId: 'l', title: 'during start' });
      }
    });
    const { client: c } = await client(server, 'u1', { database: db });
    await sleep(20);
    await within(c.synced());
    expect(writes).toBeGreaterThan(0);
    expect(await contents(server.database)).toEqual(await contents(db));
    expect((await contents(server.database)).length).toBe(writes);
  });

  it('waits longer after each failed reconnect, up to the maximum', async () => {
    let requests = 0;
    const fetch = (async () => {
      requests++;
      return Response.json({ v: 1, error: { code: 'UNAVAILABLE', message: 'down' } }, { status: 503 });
    }) as typeof globalThis.fetch;
    const { client: c } = await client({ fetch }, 'u1', { retry: { min: 50, max: 10_000 } });
    await sleep(1_000);
    await c.stop();
    // 50, 100, 200, 400 ms (±25%): about five requests in a second; a delay that never grew made twenty.
    expect(requests).toBeLessThanOrEqual(7);
    expect(requests).toBeGreaterThanOrEqual(3);
  });
});

describe('the server, with pages larger than a message', () => {
  it('answers a pull of large documents in pages that fit, and the client gets them all', async () => {
    const server = await startServer();
    const text = 'x'.repeat(3_000);
    await server.database.collection<Todo>('todos').bulkInsert(Array.from({ length: 3_000 }, (_, i) => ({ _id: `t${i}`, listId: 'l', title: text })));
    const { db, client: c } = await client(server, 'u1');
    const errors: string[] = [];
    c.on('error', (error) => errors.push(error.message));
    await within(c.synced(), 20_000);
    expect(errors).toEqual([]);
    expect(await db.collection('todos').count()).toBe(3_000);
  });
});

describe('the server, to readers who may not see a document', () => {
  async function serverWith(rules: SyncRules<User>) {
    const database = await Database.create({ name: 'server', storage: createMemoryStorage() });
    const server = new SyncServer({ database, rules });
    const post = async (user: string, path: string, body: unknown) =>
      (
        await handleSyncHttp(server, new Request(`http://sync.test/sync/${path}`, { method: 'POST', headers: { 'x-user': user }, body: JSON.stringify(body) }))
      ).json() as Promise<any>;
    return { database, post };
  }

  it('answers a conflict or a refusal on a document they cannot read without its revision', async () => {
    const { database, post } = await serverWith(ownerRules);
    await database.collection<Todo>('todos').insert({ _id: 'secret', listId: 'l', owner: 'alice', title: 'hers' });
    await database.collection<Todo>('todos').update('secret', { title: 'still hers' });
    const answer = await post('bob', 'push', {
      v: 1,
      clientId: 'bob-client-1',
      mutations: [
        { mid: 1, collection: 'todos', id: 'secret', baseRev: 0, doc: { listId: 'l', owner: 'bob', title: 'mine now' } },
        { mid: 2, collection: 'todos', id: 'secret', baseRev: 2, doc: { listId: 'l', owner: 'bob', title: 'mine now' } },
      ],
    });
    expect(answer.results).toEqual([
      { mid: 1, status: 'conflict', rev: null, doc: null },
      { mid: 2, status: 'conflict', rev: null, doc: null },
    ]);
  });

  it('keeps a client record bounded, however a client numbers its mutations', async () => {
    const { database, post } = await serverWith(ownerRules);
    // Every push resends mid 1, so "the oldest mid of the last push" never moves on.
    for (let round = 0; round < 4; round++) {
      const mids = [1, ...Array.from({ length: 499 }, (_, i) => 2 + round * 499 + i)];
      await post('eve', 'push', {
        v: 1,
        clientId: 'eve-client-1',
        mutations: mids.map((mid) => ({ mid, collection: 'nope', id: `d${mid}`, baseRev: 0, doc: null })),
      });
    }
    const record = (await database.collection('pocket_sync_clients').get('eve-client-1')) as { results: unknown[] } | null;
    expect(record?.results.length).toBe(1_000);
  });

  it('refuses a pull whose filter is too large to test against every document', async () => {
    const { post } = await serverWith(ownerRules);
    const filter = { kind: 'or', filters: Array.from({ length: 500 }, (_, i) => ({ kind: 'condition', op: 'eq', path: 'title', value: `t${i}` })) };
    const answer = await post('eve', 'pull', { v: 1, collection: 'todos', filter, since: null });
    expect(answer.error).toMatchObject({ code: 'BAD_MESSAGE' });
    expect(answer.error.message).toMatch(/filter is larger than 4096 bytes/);
  });

  it('refuses a write whose rule throws, and applies the rest of the push', async () => {
    const rules: SyncRules<User> = {
      authenticate: ownerRules.authenticate,
      collections: {
        todos: {
          write: (_user, { after }) => {
            if (after?.title === 'boom') throw new Error('the rule failed');
            return true;
          },
        },
      },
    };
    const { database, post } = await serverWith(rules);
    const answer = await post('u1', 'push', {
      v: 1,
      clientId: 'u1-client-01',
      mutations: [
        { mid: 1, collection: 'todos', id: 'a', baseRev: 0, doc: { title: 'boom' } },
        { mid: 2, collection: 'todos', id: 'b', baseRev: 0, doc: { title: 'fine' } },
      ],
    });
    expect(answer.results.map((r: { status: string }) => r.status)).toEqual(['rejected', 'accepted']);
    expect(await contents(database)).toEqual([{ _id: 'b', title: 'fine' }]);
  });
});
