import { abortAllDurableObjects, listDurableObjectIds, reset, runInDurableObject } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { Database, type WithRev } from '@pocket/core';
import { createDurableObjectStorage } from '@pocket/storage-edge';
import { beforeEach, describe, expect, it } from 'vitest';
import { MAX_TITLE_LENGTH, PAGE_SIZE, type Todo } from '../src/todo-list.js';

/** A todo as the object answers it: with the `_rev` Pocket keeps. */
type StoredTodo = WithRev<Todo>;

beforeEach(async () => {
  await reset();
});

/** A request as `user`; a string body is sent as it is, anything else as JSON. */
async function call(user: string | null, method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = {};
  if (user !== null) headers['x-user-id'] = user;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const text = body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body);
  return exports.default.fetch(new Request(`http://example.com${path}`, { method, headers, body: text }));
}

async function create(user: string, title: string): Promise<StoredTodo> {
  const response = await call(user, 'POST', '/todos', { title });
  expect(response.status).toBe(201);
  return response.json<StoredTodo>();
}

async function titles(user: string): Promise<string[]> {
  const response = await call(user, 'GET', '/todos');
  expect(response.status).toBe(200);
  return (await response.json<StoredTodo[]>()).map((t) => t.title);
}

/** The keys Pocket stored in a user's Durable Object. */
async function storedKeys(user: string): Promise<string[]> {
  const stub = env.TODO_LIST.get(env.TODO_LIST.idFromName(user));
  return runInDurableObject(stub, async (_instance, state) => [...(await state.storage.list({ prefix: 'pocket:' })).keys()]);
}

describe("CRUD in one user's Durable Object", () => {
  it('creates, lists, reads, updates and deletes', async () => {
    const first = await create('alice', 'Book flights');
    expect(first).toEqual({ _id: expect.any(String), title: 'Book flights', completed: false, createdAt: expect.any(String), _rev: 1 });
    const second = await create('alice', 'Pack');
    expect(await titles('alice')).toEqual(['Book flights', 'Pack']);

    expect(await (await call('alice', 'GET', `/todos/${first._id}`)).json()).toEqual(first);

    const put = await call('alice', 'PUT', `/todos/${first._id}`, { completed: true });
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual({ ...first, completed: true, _rev: 2 });

    expect((await call('alice', 'DELETE', `/todos/${second._id}`)).status).toBe(204);
    expect(await titles('alice')).toEqual(['Book flights']);
    expect((await call('alice', 'GET', `/todos/${second._id}`)).status).toBe(404);
    expect((await call('alice', 'DELETE', `/todos/${second._id}`)).status).toBe(204);
  });

  it("stores each todo under pocket:todos:<id> in that user's object", async () => {
    const todo = await create('alice', 'Look inside');
    // The todo is under its own key. Beside it, Pocket keeps the collection's change feed
    // (docs/durable-objects.md): the id's revision record (~<id>), one feed entry per changed id
    // (#<sequence>) and the last sequence number (!seq). list() returns keys in sorted order.
    expect(await storedKeys('alice')).toEqual(['pocket:todos!seq', 'pocket:todos#0000000000000001', `pocket:todos:${todo._id}`, `pocket:todos~${todo._id}`]);

    // A delete removes the document's key; its revision record and a new feed entry stay, as
    // the tombstone that tells the change feed about the delete.
    expect((await call('alice', 'DELETE', `/todos/${todo._id}`)).status).toBe(204);
    expect(await storedKeys('alice')).toEqual(['pocket:todos!seq', 'pocket:todos#0000000000000002', `pocket:todos~${todo._id}`]);
  });

  it('answers 404 for updating a todo that does not exist, and 400 for bad input', async () => {
    const missing = await call('alice', 'PUT', '/todos/nope', { completed: true });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'DOCUMENT_NOT_FOUND' });

    const todo = await create('alice', 'Keep');
    expect((await call('alice', 'PUT', `/todos/${todo._id}`, { completed: 'done' })).status).toBe(400);
    expect((await call('alice', 'PUT', `/todos/${todo._id}`, { title: '' })).status).toBe(400);
    expect((await call('alice', 'POST', '/todos', { title: 7 })).status).toBe(400);
    expect(await (await call('alice', 'GET', `/todos/${todo._id}`)).json()).toEqual(todo);
    expect((await call('alice', 'PATCH', '/todos')).status).toBe(404);
  });

  it('answers 400 to malformed JSON, an oversized title and bad percent-encoding, and writes nothing', async () => {
    const todo = await create('alice', 'Keep');
    const refused: Array<[string, string, unknown, string]> = [
      ['PUT', `/todos/${todo._id}`, '{"completed":', 'must be JSON'],
      ['PUT', `/todos/${todo._id}`, 'null', 'JSON object'],
      ['PUT', `/todos/${todo._id}`, { title: 'x'.repeat(MAX_TITLE_LENGTH + 1) }, `the limit is ${MAX_TITLE_LENGTH}`],
      ['POST', '/todos', '{"title":', 'must be JSON'],
      ['POST', '/todos', { title: 'x'.repeat(MAX_TITLE_LENGTH + 1) }, `the limit is ${MAX_TITLE_LENGTH}`],
      ['GET', '/todos/%E0%A4%A', undefined, 'percent-encoding'],
      ['GET', '/todos?after=not-a-cursor', undefined, ''],
    ];
    for (const [method, path, body, message] of refused) {
      const response = await call('alice', method, path, body);
      expect(response.status, `${method} ${path}`).toBe(400);
      expect(await response.json()).toMatchObject({ message: expect.stringContaining(message) });
    }
    expect(await titles('alice')).toEqual(['Keep']);
    expect(await (await call('alice', 'GET', `/todos/${todo._id}`)).json()).toEqual(todo);
  });

  it('pages the list, oldest first: the Link header leads to the next page until the last', async () => {
    const count = PAGE_SIZE * 2 + 5;
    const all = Array.from({ length: count }, (_, i) => `t${String(i).padStart(3, '0')}`);
    // Stored through Pocket inside alice's object, with distinct createdAt values (faster than 205 POSTs).
    await runInDurableObject(env.TODO_LIST.get(env.TODO_LIST.idFromName('alice')), async (_instance, state) => {
      const db = Database.open({ name: 'todo-list', storage: createDurableObjectStorage({ storage: state.storage, keyPrefix: 'pocket:' }) });
      await db
        .collection<Todo>('todos')
        .bulkInsert(all.map((title, i) => ({ title, completed: false, createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() })));
    });
    const seen: string[] = [];
    let path: string | null = '/todos';
    let pages = 0;
    while (path !== null) {
      const response = await call('alice', 'GET', path);
      expect(response.status).toBe(200);
      const page = await response.json<StoredTodo[]>();
      expect(page.length).toBeLessThanOrEqual(PAGE_SIZE);
      seen.push(...page.map((t) => t.title));
      path = /^<([^>]+)>; rel="next"$/.exec(response.headers.get('link') ?? '')?.[1] ?? null;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(all);
  });

  it('keeps the data when the object is evicted and re-created', async () => {
    const todo = await create('alice', 'Survive a restart');
    await abortAllDurableObjects(); // drops the instance (and its cached Database), keeps storage
    expect(await (await call('alice', 'GET', `/todos/${todo._id}`)).json()).toEqual(todo);
  });
});

describe('one object per user', () => {
  it("users never see each other's todos", async () => {
    await create('alice', 'Alice only');
    await create('bob', 'Bob only');
    expect(await titles('alice')).toEqual(['Alice only']);
    expect(await titles('bob')).toEqual(['Bob only']);
    expect(await titles('carol')).toEqual([]);
  });

  it("a user cannot read, change or delete another user's todo, even knowing its id", async () => {
    const todo = await create('alice', 'Private');
    expect((await call('bob', 'GET', `/todos/${todo._id}`)).status).toBe(404);
    expect((await call('bob', 'PUT', `/todos/${todo._id}`, { title: 'Mine now' })).status).toBe(404);
    expect((await call('bob', 'DELETE', `/todos/${todo._id}`)).status).toBe(204); // nothing of bob's to delete
    expect(await (await call('alice', 'GET', `/todos/${todo._id}`)).json()).toEqual(todo);
    expect(await storedKeys('bob')).toEqual([]);
  });

  it('refuses requests without a usable x-user-id header, before any object is created', async () => {
    // reset() wipes storage but not the list of objects ever created in this test file.
    const before = (await listDurableObjectIds(env.TODO_LIST)).length;
    for (const user of [null, '', 'a b', 'x'.repeat(129), 'naïve']) {
      expect((await call(user, 'GET', '/todos')).status, String(user)).toBe(401);
    }
    expect(await listDurableObjectIds(env.TODO_LIST)).toHaveLength(before);
    await titles('dave');
    expect(await listDurableObjectIds(env.TODO_LIST)).toHaveLength(before + 1);
  });
});
