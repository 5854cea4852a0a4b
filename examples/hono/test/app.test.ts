import { reset } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Todo } from '../src/index.js';

beforeEach(async () => {
  await reset();
});

/** Sends an HTTP request into the Worker (the Hono app is its default export). */
async function call(method: string, path: string, body?: unknown): Promise<Response> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  return exports.default.fetch(new Request(`http://example.com${path}`, init));
}

async function create(title: string): Promise<Todo> {
  const response = await call('POST', '/todos', { title });
  expect(response.status).toBe(201);
  return response.json<Todo>();
}

describe('CRUD through the Hono routes', () => {
  it('lists nothing before the first write, and creates the table on the first write', async () => {
    const response = await call('GET', '/todos');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([]);
    const table = () => env.DB.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'pocket_todos'`).first();
    expect(await table()).toBeNull(); // a read creates nothing
    await create('First');
    expect(await table()).toEqual({ name: 'pocket_todos' });
  });

  it('creates, reads, lists, updates and deletes', async () => {
    const todo = await create('Learn Hono');
    expect(todo).toEqual({ _id: expect.any(String), title: 'Learn Hono', completed: false, createdAt: expect.any(String) });

    expect(await (await call('GET', `/todos/${todo._id}`)).json()).toEqual(todo);
    const second = await create('Use Pocket');
    expect((await (await call('GET', '/todos')).json<Todo[]>()).map((t) => t._id)).toEqual([todo._id, second._id]);

    const updated = await call('PUT', `/todos/${todo._id}`, { completed: true });
    expect(updated.status).toBe(200);
    expect(await updated.json()).toEqual({ ...todo, completed: true });
    expect((await (await call('GET', '/todos?completed=true')).json<Todo[]>()).map((t) => t._id)).toEqual([todo._id]);
    expect((await (await call('GET', '/todos?completed=false')).json<Todo[]>()).map((t) => t._id)).toEqual([second._id]);

    const deleted = await call('DELETE', `/todos/${todo._id}`);
    expect(deleted.status).toBe(204);
    expect((await call('GET', `/todos/${todo._id}`)).status).toBe(404);
    expect((await (await call('GET', '/todos')).json<Todo[]>()).map((t) => t._id)).toEqual([second._id]);
    expect((await call('DELETE', `/todos/${todo._id}`)).status).toBe(204);
  });
});

describe('errors', () => {
  it('maps DocumentNotFoundError to its status, 404, with its code', async () => {
    const response = await call('PUT', '/todos/missing', { title: 'x' });
    expect(response.status).toBe(404);
    const body = await response.json<{ error: string; message: string }>();
    expect(body.error).toBe('DOCUMENT_NOT_FOUND');
    expect(body.message).toContain('missing');
  });

  it('maps a Pocket ValidationError to 400 (an id over Pocket\'s length limit)', async () => {
    const response = await call('PUT', `/todos/${'x'.repeat(600)}`, { completed: true });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'VALIDATION_ERROR' });
  });

  it('answers bad bodies and bad filters with 400 before touching the database', async () => {
    expect((await call('POST', '/todos', 'not json')).status).toBe(400);
    expect((await call('POST', '/todos', { title: '' })).status).toBe(400);
    expect((await call('POST', '/todos', [])).status).toBe(400);
    const todo = await create('Unchanged');
    expect((await call('PUT', `/todos/${todo._id}`, { completed: 'yes' })).status).toBe(400);
    expect((await call('GET', '/todos?completed=sometimes')).status).toBe(400);
    expect(await (await call('GET', `/todos/${todo._id}`)).json()).toEqual(todo);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const response = await call('GET', '/nothing-here');
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: 'NOT_FOUND' });
  });

  it('answers a D1 failure with 503 and no details', async () => {
    // A table named like Pocket's but without its columns makes every statement fail in D1.
    await env.DB.exec('CREATE TABLE pocket_todos (something_else TEXT)');
    const response = await call('GET', '/todos');
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ error: 'STORAGE_ERROR' });
    expect(text).not.toMatch(/SELECT|no such column|pocket_todos/i);
  });
});

describe('D1 sessions across requests', () => {
  it('hands back a bookmark with every answer, and a request that carries it reads the writes before it', async () => {
    const created = await exports.default.fetch(
      new Request('http://example.com/todos', { method: 'POST', body: JSON.stringify({ title: 'Read me back' }), headers: { 'content-type': 'application/json' } }),
    );
    expect(created.status).toBe(201);
    const todo = await created.json<Todo>();
    const bookmark = created.headers.get('x-d1-bookmark');
    expect(bookmark).toMatch(/^[A-Za-z0-9-]+$/);
    expect(created.headers.get('set-cookie')).toContain(`d1-bookmark=${bookmark}`);

    // The next request, by header (an API client) or by cookie (a browser).
    for (const headers of [{ 'x-d1-bookmark': bookmark! }, { cookie: `d1-bookmark=${bookmark}` }] as Array<Record<string, string>>) {
      const listed = await exports.default.fetch(new Request('http://example.com/todos', { headers }));
      expect(await listed.json()).toEqual([todo]);
      expect(listed.headers.get('x-d1-bookmark')).toMatch(/^[A-Za-z0-9-]+$/);
    }
    // A bookmark that is not one is ignored: the request starts a session of its own.
    const garbage = await exports.default.fetch(new Request('http://example.com/todos', { headers: { 'x-d1-bookmark': '<script>' } }));
    expect(garbage.status).toBe(200);
    expect(await garbage.json()).toEqual([todo]);
  });
});
