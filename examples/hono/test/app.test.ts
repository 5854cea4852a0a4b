import { reset } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Database, type WithRev } from '@pocket/core';
import { createD1Storage } from '@pocket/storage-edge';
import type { Todo } from '../src/index.js';

/** A todo as the app answers it: with `_rev`, which its ETag quotes. */
type StoredTodo = WithRev<Todo>;

beforeEach(async () => {
  await reset();
});

/** Sends an HTTP request into the Worker (the Hono app is its default export). */
async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers = { ...headers, 'content-type': 'application/json' };
  }
  return exports.default.fetch(new Request(`http://example.com${path}`, init));
}

async function create(title: string): Promise<StoredTodo> {
  const response = await call('POST', '/todos', { title });
  expect(response.status).toBe(201);
  return response.json<StoredTodo>();
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
    expect(todo).toEqual({ _id: expect.any(String), title: 'Learn Hono', completed: false, createdAt: expect.any(String), _rev: 1 });

    expect(await (await call('GET', `/todos/${todo._id}`)).json()).toEqual(todo);
    const second = await create('Use Pocket');
    expect((await (await call('GET', '/todos')).json<Todo[]>()).map((t) => t._id)).toEqual([todo._id, second._id]);

    const updated = await call('PUT', `/todos/${todo._id}`, { completed: true });
    expect(updated.status).toBe(200);
    expect(await updated.json()).toEqual({ ...todo, completed: true, _rev: 2 });
    expect((await (await call('GET', '/todos?completed=true')).json<Todo[]>()).map((t) => t._id)).toEqual([todo._id]);
    expect((await (await call('GET', '/todos?completed=false')).json<Todo[]>()).map((t) => t._id)).toEqual([second._id]);

    const deleted = await call('DELETE', `/todos/${todo._id}`);
    expect(deleted.status).toBe(204);
    expect((await call('GET', `/todos/${todo._id}`)).status).toBe(404);
    expect((await (await call('GET', '/todos')).json<Todo[]>()).map((t) => t._id)).toEqual([second._id]);
    expect((await call('DELETE', `/todos/${todo._id}`)).status).toBe(204);
  });

  it('merges with PATCH as with PUT', async () => {
    const todo = await create('Patch me');
    const patched = await call('PATCH', `/todos/${todo._id}`, { title: 'Patched' });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toEqual({ ...todo, title: 'Patched', _rev: 2 });
    expect((await call('PATCH', '/todos/missing', { title: 'x' })).status).toBe(404);
  });
});

describe('ETag and conditional requests', () => {
  const read = (todo: StoredTodo, headers?: Record<string, string>) => call('GET', `/todos/${todo._id}`, undefined, headers);
  const patch = (todo: StoredTodo, body: unknown, headers?: Record<string, string>) => call('PATCH', `/todos/${todo._id}`, body, headers);
  const remove = (todo: StoredTodo, headers?: Record<string, string>) => call('DELETE', `/todos/${todo._id}`, undefined, headers);

  it('answers a GET with the revision as a strong ETag, and writes with the new one', async () => {
    const created = await call('POST', '/todos', { title: 'Tagged' });
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('"1"');
    const todo = await created.json<StoredTodo>();
    expect(created.headers.get('location')).toBe(`/todos/${todo._id}`);

    const got = await read(todo);
    expect(got.status).toBe(200);
    expect(got.headers.get('etag')).toBe('"1"');
    expect(await got.json()).toEqual(todo);

    for (const [method, rev] of [
      ['PATCH', 2],
      ['PUT', 3],
    ] as const) {
      const written = await call(method, `/todos/${todo._id}`, { completed: rev === 2 });
      expect(written.status).toBe(200);
      expect(written.headers.get('etag')).toBe(`"${rev}"`);
      expect((await written.json<StoredTodo>())._rev).toBe(rev);
    }
    expect((await read(todo)).headers.get('etag')).toBe('"3"');
  });

  it('answers If-None-Match with the current ETag with 304 and no body, and another with 200', async () => {
    const todo = await create('Cached');
    for (const ifNoneMatch of ['"1"', 'W/"1"', '"9", "1"', '*']) {
      const cached = await read(todo, { 'if-none-match': ifNoneMatch });
      expect(cached.status, ifNoneMatch).toBe(304);
      expect(cached.headers.get('etag')).toBe('"1"');
      expect(await cached.text()).toBe('');
    }
    await patch(todo, { completed: true });
    const changed = await read(todo, { 'if-none-match': '"1"' });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).toBe('"2"');
    expect(await changed.json()).toMatchObject({ completed: true, _rev: 2 });
    expect((await call('GET', '/todos/missing', undefined, { 'if-none-match': '*' })).status).toBe(404);
  });

  it('refuses a PATCH with a stale If-Match with 412 and the current ETag, and writes nothing', async () => {
    const todo = await create('Contested');
    expect((await patch(todo, { title: 'First edit' }, { 'if-match': '"1"' })).status).toBe(200);

    const stale = await patch(todo, { title: 'Lost update' }, { 'if-match': '"1"' });
    expect(stale.status).toBe(412);
    expect(stale.headers.get('etag')).toBe('"2"');
    const body = await stale.json<{ error: string; message: string }>();
    expect(body).toEqual({ error: 'PRECONDITION_FAILED', message: expect.stringContaining('"2"') });
    expect(body.message).not.toMatch(/collection|pocket_/i);

    const after = await read(todo);
    expect(after.headers.get('etag')).toBe('"2"');
    expect(await after.json()).toEqual({ ...todo, title: 'First edit', _rev: 2 });
  });

  it('applies a PATCH with the current If-Match and answers 200 with the next ETag', async () => {
    const todo = await create('Edit me');
    const first = await patch(todo, { completed: true }, { 'if-match': '"1"' });
    expect(first.status).toBe(200);
    expect(first.headers.get('etag')).toBe('"2"');
    expect(await first.json()).toEqual({ ...todo, completed: true, _rev: 2 });

    // The ETag of one answer is the If-Match of the next write, with PUT as with PATCH.
    const second = await call('PUT', `/todos/${todo._id}`, { title: 'Edited' }, { 'if-match': first.headers.get('etag')! });
    expect(second.status).toBe(200);
    expect(second.headers.get('etag')).toBe('"3"');
    // A list matches when one of its tags is current, whichever it is. In the second, "5" is
    // tried first (the newest), its ConflictError says the todo is at 4, and 4 is listed too.
    expect((await patch(todo, { completed: false }, { 'if-match': '"1", "3"' })).headers.get('etag')).toBe('"4"');
    const listed = await patch(todo, { completed: true }, { 'if-match': '"4",, W/"5", "5"' });
    expect(listed.status).toBe(200);
    expect(listed.headers.get('etag')).toBe('"5"');
    expect((await patch(todo, { completed: true }, { 'if-match': '"1", "2"' })).status).toBe(412);
  });

  it('takes If-Match: * as "the todo must exist"', async () => {
    const todo = await create('Exists');
    const star = await patch(todo, { completed: true }, { 'if-match': '*' });
    expect(star.status).toBe(200);
    expect(star.headers.get('etag')).toBe('"2"');
    expect((await remove(todo, { 'if-match': '*' })).status).toBe(204);
    // Gone: a DELETE that needs it fails; a PATCH is 404 first, as without the header.
    const again = await remove(todo, { 'if-match': '*' });
    expect(again.status).toBe(412);
    expect(again.headers.get('etag')).toBeNull();
    expect(await again.json()).toMatchObject({ error: 'PRECONDITION_FAILED' });
    expect((await patch(todo, { completed: false }, { 'if-match': '*' })).status).toBe(404);
    expect((await patch(todo, { completed: false }, { 'if-match': '"2"' })).status).toBe(404);
  });

  it('refuses a DELETE with a stale If-Match with 412 and keeps the todo; the current one deletes it', async () => {
    const todo = await create('Keep me');
    await patch(todo, { completed: true });
    const stale = await remove(todo, { 'if-match': '"1"' });
    expect(stale.status).toBe(412);
    expect(stale.headers.get('etag')).toBe('"2"');
    expect(await stale.json()).toMatchObject({ error: 'PRECONDITION_FAILED' });
    expect(await (await read(todo)).json()).toMatchObject({ completed: true, _rev: 2 });

    expect((await remove(todo, { 'if-match': '"2"' })).status).toBe(204);
    expect((await read(todo)).status).toBe(404);
    // Without If-Match a DELETE of nothing is still a 204; with one, there is nothing to match.
    expect((await remove(todo)).status).toBe(204);
    expect((await remove(todo, { 'if-match': '"2"' })).status).toBe(412);
  });

  it('lets exactly one of two clients racing with the same If-Match win', async () => {
    const todo = await create('Race');
    const [a, b] = await Promise.all([patch(todo, { title: 'Client A' }, { 'if-match': '"1"' }), patch(todo, { title: 'Client B' }, { 'if-match': '"1"' })]);
    expect([a.status, b.status].sort()).toEqual([200, 412]);
    const [winner, loser] = a.status === 200 ? [a, b] : [b, a];
    expect(winner.headers.get('etag')).toBe('"2"');
    expect(loser.headers.get('etag')).toBe('"2"');
    const won = await winner.json<StoredTodo>();
    expect(await (await read(todo)).json()).toEqual(won);
    expect(won._rev).toBe(2);

    // Deletes race the same way: one 204, one 412 with no ETag (nothing is left).
    const deletes = await Promise.all([remove(todo, { 'if-match': '"2"' }), remove(todo, { 'if-match': '"2"' })]);
    expect(deletes.map((r) => r.status).sort()).toEqual([204, 412]);
  });

  it('never matches a weak or foreign tag in If-Match (412), and refuses an unparseable one (400)', async () => {
    const todo = await create('Strict');
    for (const ifMatch of ['W/"1"', '"01"', '"abc"', '""', ',']) {
      const response = await patch(todo, { completed: true }, { 'if-match': ifMatch });
      expect(response.status, ifMatch).toBe(412);
      expect(response.headers.get('etag')).toBe('"1"');
    }
    for (const ifMatch of ['1', '"1', '"1" "2"', 'W/1', '*, "1"', 'W/ "1"']) {
      const response = await patch(todo, { completed: true }, { 'if-match': ifMatch });
      expect(response.status, ifMatch).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'BAD_REQUEST', message: expect.stringContaining('If-Match') });
    }
    expect((await read(todo, { 'if-none-match': '1' })).status).toBe(400);
    expect((await remove(todo, { 'if-match': 'garbage' })).status).toBe(400);
    expect(await (await read(todo)).json()).toEqual(todo);
  });

  it('evaluates If-None-Match on a write against the current revision', async () => {
    const todo = await create('Not that one');
    const refused = await patch(todo, { completed: true }, { 'if-none-match': '"1"' });
    expect(refused.status).toBe(412);
    expect(refused.headers.get('etag')).toBe('"1"');
    const applied = await patch(todo, { completed: true }, { 'if-none-match': '"7"' });
    expect(applied.status).toBe(200);
    expect(applied.headers.get('etag')).toBe('"2"');
    expect((await remove(todo, { 'if-none-match': '*' })).status).toBe(412);
    expect((await read(todo)).status).toBe(200);
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

  it("maps a Pocket ValidationError to 400 (an id over Pocket's length limit)", async () => {
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

  it('answers an oversized title and a malformed cursor with 400', async () => {
    expect(await (await call('POST', '/todos', { title: 'x'.repeat(201) })).json()).toMatchObject({
      error: 'BAD_REQUEST',
      message: expect.stringContaining('the limit is 200'),
    });
    const todo = await create('Unchanged');
    expect((await call('PATCH', `/todos/${todo._id}`, { title: 'x'.repeat(201) })).status).toBe(400);
    expect(await (await call('GET', '/todos?after=not-a-cursor')).json()).toMatchObject({ error: 'QUERY_ERROR' });
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
    // toJSON()'s message: a fixed one for a storage failure.
    expect(JSON.parse(text)).toEqual({ error: 'STORAGE_ERROR', message: 'Storage is unavailable; try again later.' });
    expect(text).not.toMatch(/SELECT|no such column|pocket_todos/i);
  });
});

describe('D1 sessions across requests', () => {
  it('hands back a bookmark with every answer, and a request that carries it reads the writes before it', async () => {
    const created = await exports.default.fetch(
      new Request('http://example.com/todos', {
        method: 'POST',
        body: JSON.stringify({ title: 'Read me back' }),
        headers: { 'content-type': 'application/json' },
      }),
    );
    expect(created.status).toBe(201);
    const todo = await created.json<StoredTodo>();
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

describe('Server-Timing', () => {
  /** The `pocket` metric: `pocket;dur=<ms>;desc="<n> operations, <r> rows read, <w> written[, <f> failed]"`. */
  function pocketTiming(response: Response): { dur: number; operations: number; read: number; written: number; failed: number } {
    const header = response.headers.get('server-timing') ?? '';
    const match = /^pocket;dur=(\d+\.\d);desc="(\d+) operations?, (\d+) rows read, (\d+) written(?:, (\d+) failed)?"$/.exec(header);
    expect(match, header).not.toBeNull();
    const [dur, operations, read, written, failed] = match!.slice(1).map((n) => Number(n ?? 0)) as [number, number, number, number, number];
    return { dur, operations, read, written, failed };
  }

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('says on every response how many operations Pocket ran and the rows they read and wrote', async () => {
    const todos: StoredTodo[] = [];
    for (const title of ['a', 'b', 'c', 'd', 'e']) {
      const created = await call('POST', '/todos', { title });
      // The first insert finds no table, creates it and runs again: still one operation.
      expect(pocketTiming(created)).toMatchObject({ operations: 1, failed: 0 });
      expect(pocketTiming(created).written).toBeGreaterThanOrEqual(1);
      todos.push(await created.json<StoredTodo>());
    }

    // A list of 5 todos reads at least those 5 rows (this app declares no index, so it reads
    // the whole table and sorts it: the header is where that shows).
    const listed = await call('GET', '/todos');
    expect(await listed.json()).toHaveLength(5);
    const list = pocketTiming(listed);
    expect(list).toMatchObject({ operations: 1, written: 0 });
    expect(list.read).toBeGreaterThanOrEqual(5);
    expect(list.dur).toBeGreaterThanOrEqual(0);

    // A conditional PATCH reads nothing first: If-Match goes to storage as expectedRev.
    const patched = await call('PATCH', `/todos/${todos[0]!._id}`, { completed: true }, { 'if-match': '"1"' });
    expect(patched.status).toBe(200);
    expect(pocketTiming(patched)).toMatchObject({ operations: 1 });

    // Errors and 304s carry it too, and the D1 bookmark is still there beside it. The PATCH of a
    // missing todo is one write that failed (DocumentNotFoundError, a 404).
    const missing = await call('PATCH', '/todos/missing', { completed: true });
    expect(missing.status).toBe(404);
    expect(pocketTiming(missing)).toMatchObject({ operations: 1, failed: 1 });
    const cached = await call('GET', `/todos/${todos[1]!._id}`, undefined, { 'if-none-match': '"1"' });
    expect(cached.status).toBe(304);
    expect(pocketTiming(cached)).toMatchObject({ operations: 1, written: 0 });
    expect(cached.headers.get('x-d1-bookmark')).toMatch(/^[A-Za-z0-9-]+$/);
    // A request Pocket has no part in says so.
    expect(pocketTiming(await call('POST', '/todos', 'not json'))).toMatchObject({ operations: 0, read: 0, written: 0 });
  });

  it('logs one structured line for an operation that reads more than 1,000 rows', async () => {
    const db = Database.open({ name: 'my-app', storage: createD1Storage({ database: env.DB }) });
    await db.collection<Todo>('todos').bulkInsert(
      Array.from({ length: 1200 }, (_, i) => ({
        _id: `t${i}`,
        title: `T${i}`,
        completed: false,
        createdAt: new Date(Date.UTC(2026, 0, 1) + i).toISOString(),
      })),
    );
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});

    const listed = await call('GET', '/todos');
    expect(await listed.json()).toHaveLength(100);
    expect(pocketTiming(listed).read).toBeGreaterThanOrEqual(1200); // 100 returned, every row read
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0]![0]).toMatchObject({
      message: 'pocket: costly operation',
      request: 'GET /todos',
      collection: 'todos',
      operation: 'find',
      rowsRead: pocketTiming(listed).read,
      statements: [expect.stringMatching(/^SELECT .* FROM "pocket_todos" .*ORDER BY/)],
    });

    log.mockClear();
    expect((await call('GET', '/todos/t1')).status).toBe(200); // one row: no line
    expect(log).not.toHaveBeenCalled();
  });
});

describe('pages', () => {
  it('lists 100 todos a page, oldest first; the Link header leads to the next page, keeping the filter', async () => {
    const db = Database.open({ name: 'my-app', storage: createD1Storage({ database: env.DB }) });
    const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
    await db.collection<Todo>('todos').bulkInsert(Array.from({ length: 250 }, (_, i) => ({ title: `t${i}`, completed: i % 2 === 0, createdAt: at(i) })));
    const walk = async (path: string) => {
      const titles: string[] = [];
      let next: string | null = path;
      while (next !== null) {
        const response = await call('GET', next);
        expect(response.status).toBe(200);
        const page = await response.json<Todo[]>();
        expect(page.length).toBeLessThanOrEqual(100);
        titles.push(...page.map((t) => t.title));
        next = /^<([^>]+)>; rel="next"$/.exec(response.headers.get('link') ?? '')?.[1] ?? null;
      }
      return titles;
    };
    expect(await walk('/todos')).toEqual(Array.from({ length: 250 }, (_, i) => `t${i}`));
    expect(await walk('/todos?completed=true')).toEqual(Array.from({ length: 125 }, (_, i) => `t${2 * i}`));
  });
});
