import { reset } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { beforeEach, describe, expect, it } from 'vitest';
import { cacheKey, type Todo } from '../src/cache.js';

beforeEach(async () => {
  await reset();
});

async function call(user: string | null, method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = {};
  if (user !== null) headers['x-user-id'] = user;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return exports.default.fetch(
    new Request(`http://example.com${path}`, { method, headers, body: body === undefined ? null : JSON.stringify(body) }),
  );
}

async function list(user: string): Promise<{ cache: string | null; titles: string[] }> {
  const response = await call(user, 'GET', '/todos');
  expect(response.status).toBe(200);
  return { cache: response.headers.get('x-cache'), titles: (await response.json<Todo[]>()).map((t) => t.title) };
}

async function create(user: string, title: string): Promise<Todo> {
  const response = await call(user, 'POST', '/todos', { title });
  expect(response.status).toBe(201);
  return response.json<Todo>();
}

/** Changes a stored todo in D1 without going through the Worker, so the cache does not know. */
async function changeBehindTheCache(id: string, title: string): Promise<void> {
  const result = await env.DB.prepare(`UPDATE pocket_todos SET data = json_set(data, '$.title', ?) WHERE _id = ?`).bind(title, id).run();
  expect(result.meta.changes).toBe(1);
}

describe('read-through cache', () => {
  it('misses first: reads D1 and stores the list in KV', async () => {
    await create('alice', 'Buy milk');
    expect(await env.CACHE.get(cacheKey('alice'))).toBeNull();

    expect(await list('alice')).toEqual({ cache: 'MISS', titles: ['Buy milk'] });
    const cached = await env.CACHE.get<Todo[]>(cacheKey('alice'), 'json');
    expect(cached?.map((t) => t.title)).toEqual(['Buy milk']);
  });

  it('hits next: serves the list from KV without reading D1', async () => {
    const todo = await create('alice', 'Buy milk');
    await list('alice'); // fills the cache

    // A change made behind the Worker's back is not seen while the cached list is served,
    // which shows that the hit came from KV and not from D1.
    await changeBehindTheCache(todo._id, 'Buy oat milk');
    expect(await list('alice')).toEqual({ cache: 'HIT', titles: ['Buy milk'] });
    expect(await list('alice')).toEqual({ cache: 'HIT', titles: ['Buy milk'] });
  });

  it('caches an empty list too', async () => {
    expect(await list('nobody')).toEqual({ cache: 'MISS', titles: [] });
    expect(await list('nobody')).toEqual({ cache: 'HIT', titles: [] });
  });

  it('keeps one cache entry per user', async () => {
    await create('alice', 'Alice 1');
    await create('bob', 'Bob 1');
    expect(await list('alice')).toEqual({ cache: 'MISS', titles: ['Alice 1'] });
    expect(await list('bob')).toEqual({ cache: 'MISS', titles: ['Bob 1'] });
    expect(await list('alice')).toEqual({ cache: 'HIT', titles: ['Alice 1'] });
    expect(await list('bob')).toEqual({ cache: 'HIT', titles: ['Bob 1'] });
  });
});

describe('invalidation on writes', () => {
  it('a create drops the cached list, so the next read is a miss that sees it', async () => {
    await create('alice', 'First');
    await list('alice');
    expect(await env.CACHE.get(cacheKey('alice'))).not.toBeNull();

    await create('alice', 'Second');
    expect(await env.CACHE.get(cacheKey('alice'))).toBeNull();
    expect(await list('alice')).toEqual({ cache: 'MISS', titles: ['First', 'Second'] });
    expect(await list('alice')).toEqual({ cache: 'HIT', titles: ['First', 'Second'] });
  });

  it('an update and a delete drop it too', async () => {
    const todo = await create('alice', 'Draft');
    await list('alice');

    const updated = await call('alice', 'PUT', `/todos/${todo._id}`, { title: 'Final', completed: true });
    expect(updated.status).toBe(200);
    expect(await list('alice')).toEqual({ cache: 'MISS', titles: ['Final'] });

    expect((await call('alice', 'DELETE', `/todos/${todo._id}`)).status).toBe(204);
    expect(await list('alice')).toEqual({ cache: 'MISS', titles: [] });
  });

  it('a write by one user leaves another user\'s cache alone', async () => {
    await create('bob', 'Bob 1');
    await list('bob');
    await create('alice', 'Alice 1');
    expect(await list('bob')).toEqual({ cache: 'HIT', titles: ['Bob 1'] });
  });

  it('nobody can change another user\'s todo (and so nobody can invalidate their cache)', async () => {
    const todo = await create('bob', 'Bob 1');
    await list('bob');
    expect((await call('alice', 'PUT', `/todos/${todo._id}`, { title: 'hacked' })).status).toBe(404);
    expect((await call('alice', 'DELETE', `/todos/${todo._id}`)).status).toBe(404);
    expect(await list('bob')).toEqual({ cache: 'HIT', titles: ['Bob 1'] });
  });
});

describe('requests', () => {
  it('need an x-user-id header and a title', async () => {
    expect((await call(null, 'GET', '/todos')).status).toBe(401);
    expect((await call('alice', 'POST', '/todos', { title: '' })).status).toBe(400);
    expect((await call('alice', 'PUT', '/todos/%E0%A4%A', {})).status).toBe(400);
    expect(await list('alice')).toEqual({ cache: 'MISS', titles: [] });
  });
});
