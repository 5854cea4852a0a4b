import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';

// Runs the seed page's Worker, Durable Object and Hono snippets, as written, in workerd.
async function call(snippet: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return exports.default.fetch(
    new Request(`http://example.com${path}`, {
      method,
      headers: { 'x-snippet': snippet, 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  );
}

interface Todo {
  _id: string;
  _rev: number;
  title: string;
  completed: boolean;
}

describe('the D1 Worker', () => {
  it('creates and lists todos in D1', async () => {
    const created = await call('d1', 'POST', '/todos', { title: 'Write docs', userId: 'u1' });
    expect(created.status).toBe(201);
    const todo = await created.json<Todo & { userId: string; createdAt: string }>();
    expect(todo).toMatchObject({ title: 'Write docs', userId: 'u1', completed: false });
    expect(new Date(todo.createdAt).getTime()).not.toBeNaN();
    const list = await (await call('d1', 'GET', '/todos')).json<Todo[]>();
    expect(list).toEqual([todo]);
    const row = await env.DB.prepare('SELECT data FROM pocket_todos WHERE _id = ?').bind(todo._id).first<{ data: string }>();
    expect(JSON.parse(row!.data)).toEqual(todo);
    expect((await call('d1', 'GET', '/elsewhere')).status).toBe(404);
  });
});

describe('the Durable Object', () => {
  it('keeps each user’s todos in their own object, with create, list, update and delete', async () => {
    const alice = { 'x-user-id': 'alice' };
    const created = await (await call('durable-object', 'POST', '/todos', { title: 'Alice’s' }, alice)).json<Todo>();
    await call('durable-object', 'POST', '/todos', { title: 'Bob’s' }, { 'x-user-id': 'bob' });
    expect((await (await call('durable-object', 'GET', '/todos', undefined, alice)).json<Todo[]>()).map((t) => t.title)).toEqual(['Alice’s']);
    const updated = await call('durable-object', 'PUT', `/todos/${created._id}`, { completed: true }, alice);
    expect(await updated.json()).toMatchObject({ _id: created._id, title: 'Alice’s', completed: true });
    expect((await call('durable-object', 'DELETE', `/todos/${created._id}`, undefined, alice)).status).toBe(204);
    expect(await (await call('durable-object', 'GET', '/todos', undefined, alice)).json()).toEqual([]);
    expect((await (await call('durable-object', 'GET', '/todos', undefined, { 'x-user-id': 'bob' })).json<Todo[]>()).length).toBe(1);
  });
});

describe('the Hono app', () => {
  it('serves CRUD routes on D1', async () => {
    const created = await call('hono', 'POST', '/todos', { title: 'Try Hono' });
    expect(created.status).toBe(201);
    const todo = await created.json<Todo>();
    expect(todo).toMatchObject({ title: 'Try Hono', completed: false });
    const updated = await (await call('hono', 'PUT', `/todos/${todo._id}`, { completed: true })).json<Todo>();
    expect(updated).toEqual({ ...todo, completed: true, _rev: todo._rev + 1 });
    expect((await (await call('hono', 'GET', '/todos')).json<Todo[]>()).some((t) => t._id === todo._id && t.completed)).toBe(true);
    expect((await call('hono', 'DELETE', `/todos/${todo._id}`)).status).toBe(204);
    expect((await (await call('hono', 'GET', '/todos')).json<Todo[]>()).some((t) => t._id === todo._id)).toBe(false);
  });
});
