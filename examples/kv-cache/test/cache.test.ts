import { reset } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cacheKey, invalidateCache, MAX_TITLE_LENGTH, openDb, PAGE_SIZE, type Todo, type TodoPage } from '../src/cache.js';

beforeEach(async () => {
  await reset();
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** A request as `user`; a string body is sent as it is, anything else as JSON. */
async function call(user: string | null, method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = {};
  if (user !== null) headers['x-user-id'] = user;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const text = body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body);
  return exports.default.fetch(new Request(`http://example.com${path}`, { method, headers, body: text }));
}

async function storedCount(): Promise<number> {
  const row = await env.DB.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE name = 'pocket_todos'`).first<{ n: number }>();
  if (row?.n === 0) return 0;
  return (await env.DB.prepare('SELECT count(*) AS n FROM pocket_todos').first<{ n: number }>())!.n;
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
    const cached = await env.CACHE.get<TodoPage>(cacheKey('alice'), 'json');
    expect(cached?.todos.map((t) => t.title)).toEqual(['Buy milk']);
    expect(cached?.next).toBeNull();
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

  it("a write by one user leaves another user's cache alone", async () => {
    await create('bob', 'Bob 1');
    await list('bob');
    await create('alice', 'Alice 1');
    expect(await list('bob')).toEqual({ cache: 'HIT', titles: ['Bob 1'] });
  });

  it("nobody can change another user's todo (and so nobody can invalidate their cache)", async () => {
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
    expect((await call('alice', 'PUT', '/todos/%E0%A4%A')).status).toBe(400);
    expect(await list('alice')).toEqual({ cache: 'MISS', titles: [] });
  });

  it('refuse a user id that cannot name a cache key before writing anything', async () => {
    // 600 characters: KV keys are at most 512 bytes. Checked first, so no todo is saved that
    // the invalidation would then fail on (a 500 after a saved write makes clients retry).
    for (const user of ['u'.repeat(600), 'alice bob', '', 'alice/bob']) {
      const response = await call(user, 'POST', '/todos', { title: 'Saved?' });
      expect(response.status, user.slice(0, 20)).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'UNAUTHENTICATED' });
    }
    expect(await storedCount()).toBe(0);
  });

  it('validate PUT as POST: malformed JSON, an empty or oversized title, a non-boolean completed', async () => {
    const todo = await create('alice', 'Draft');
    const refused: Array<[unknown, string]> = [
      ['{"title":', 'must be JSON'],
      ['null', 'JSON object'],
      ['[1]', 'JSON object'],
      [{ title: '' }, 'non-empty string'],
      [{ title: '  ' }, 'non-empty string'],
      [{ title: 7 }, 'non-empty string'],
      [{ title: 'x'.repeat(MAX_TITLE_LENGTH + 1) }, `the limit is ${MAX_TITLE_LENGTH}`],
      [{ completed: 'yes' }, 'true or false'],
    ];
    for (const [body, message] of refused) {
      const put = await call('alice', 'PUT', `/todos/${todo._id}`, body);
      expect(put.status, JSON.stringify(body).slice(0, 40)).toBe(400);
      expect(await put.json()).toMatchObject({ error: 'BAD_REQUEST', message: expect.stringContaining(message) });
      if (typeof body === 'object' && body !== null && 'completed' in body) continue;
      const post = await call('alice', 'POST', '/todos', body);
      expect(post.status, JSON.stringify(body).slice(0, 40)).toBe(400);
    }
    expect(await list('alice')).toEqual({ cache: 'MISS', titles: ['Draft'] });
    expect(await storedCount()).toBe(1);
  });
});

describe('pages', () => {
  it('page the list with Link headers; the first page is cached, the others read D1', async () => {
    const count = PAGE_SIZE * 2 + 5;
    const titles = Array.from({ length: count }, (_, i) => `t${String(i).padStart(3, '0')}`);
    // Written straight to D1 through Pocket, as the Worker writes them (faster than 205 POSTs).
    await openDb(env)
      .collection<Todo>('todos')
      .bulkInsert(titles.map((title, i) => ({ title, completed: false, userId: 'alice', createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() })));

    const seen: string[] = [];
    const caches: Array<string | null> = [];
    let path: string | null = '/todos';
    while (path !== null) {
      const response = await call('alice', 'GET', path);
      expect(response.status).toBe(200);
      const page = await response.json<Todo[]>();
      expect(page.length).toBeLessThanOrEqual(PAGE_SIZE);
      seen.push(...page.map((t) => t.title));
      caches.push(response.headers.get('x-cache'));
      path = /^<([^>]+)>; rel="next"$/.exec(response.headers.get('link') ?? '')?.[1] ?? null;
    }
    expect(seen).toEqual(titles); // oldest first, each once
    expect(caches).toEqual(['MISS', null, null]);
    // The first page comes from KV now, with its link to the second.
    const again = await call('alice', 'GET', '/todos');
    expect(again.headers.get('x-cache')).toBe('HIT');
    expect(again.headers.get('link')).toMatch(/^<\/todos\?after=[^>]+>; rel="next"$/);
    expect((await call('alice', 'GET', '/todos?after=not-a-cursor')).status).toBe(400);
  });
});

describe('a failed invalidation', () => {
  it('is logged, not thrown: the write it follows is saved', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    // KV refuses a key over 512 bytes: a real failure of the binding, not a stand-in.
    const tooLong = 'u'.repeat(600);
    await expect(env.CACHE.delete(cacheKey(tooLong))).rejects.toThrow();
    await expect(invalidateCache(env, tooLong)).resolves.toBeUndefined();
    expect(logged).toHaveBeenCalledWith(expect.stringContaining('cache invalidation failed'), expect.any(Error));
  });
});
