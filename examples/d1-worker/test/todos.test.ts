import { env, exports } from 'cloudflare:workers';
import { createMemoryStorage, Database } from '@pocket/core';
import { createD1Storage } from '@pocket/storage-edge';
import { compileFind } from '@pocket/storage-edge/sql';
import { describe, expect, it } from 'vitest';
import type { Todo } from '../src/index.js';
import { MAX_TITLE_LENGTH, PAGE_SIZE } from '../src/routes.js';

/** Sends an HTTP request into the Worker's default export, the way a client's request arrives. */
async function call(method: string, path: string, body?: unknown): Promise<Response> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  return exports.default.fetch(new Request(`http://example.com${path}`, init));
}

async function create(title: string, userId?: string): Promise<Todo> {
  const response = await call('POST', '/todos', userId === undefined ? { title } : { title, userId });
  expect(response.status).toBe(201);
  return response.json<Todo>();
}

describe('the migration', () => {
  it('created the table and indexes before the Worker ran, and Pocket uses that table', async () => {
    const { results } = await env.DB.prepare(`SELECT name FROM sqlite_master WHERE tbl_name = 'pocket_todos' ORDER BY name`).all<{ name: string }>();
    expect(results.map((r) => r.name)).toEqual(
      expect.arrayContaining(['pocket_todos', 'idx_todos_user', 'pocket_todos_createdAt_i2e36d', 'pocket_todos_userId__createdAt_1ts57bk']),
    );
    expect(results.map((r) => r.name)).not.toContain('idx_todos_created'); // 0001 no longer makes it, 0002 drops it: it indexed $._id

    const todo = await create('Stored in the migrated table');
    const row = await env.DB.prepare('SELECT data, created_at FROM pocket_todos WHERE _id = ?').bind(todo._id).first<{ data: string; created_at: number }>();
    expect(JSON.parse(row!.data)).toEqual(todo);
    expect(row!.created_at).toBeGreaterThan(1_700_000_000);
  });
});

describe('listing', () => {
  it("reads only the todos a page returns, thanks to 0002's indexes", async () => {
    for (let i = 0; i < 12; i++) await create(`T${i}`, i % 3 === 0 ? 'u1' : 'u2');
    const listed = await (await call('GET', '/todos?userId=u1')).json<Todo[]>();
    expect(listed.map((t) => t.title).sort()).toEqual(['T0', 'T3', 'T6', 'T9']);
    expect(listed.map((t) => t.createdAt)).toEqual(listed.map((t) => t.createdAt).sort());
    // The statement Pocket sends for that request, run again to read D1's counters.
    const db = await Database.create({ name: 'todos', storage: createMemoryStorage() });
    for (const [query, returned] of [
      [db.collection<Todo>('todos').find().where('userId').equals('u1').sort('createdAt').limit(100), 4],
      [db.collection<Todo>('todos').find().sort('createdAt').limit(5), 5],
    ] as const) {
      const { sql, params } = compileFind('"pocket_todos"', query.toQuery());
      const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .bind(...params)
        .all<{ detail: string }>();
      expect(plan.results.map((r) => r.detail).join('\n')).toMatch(
        /^(SEARCH|SCAN) pocket_todos USING INDEX pocket_todos_(userId__)?createdAt_\w+( \(<expr>=\?\))?$/,
      );
      const run = await env.DB.prepare(sql)
        .bind(...params)
        .all();
      expect(run.results).toHaveLength(returned);
      // A limit stops at its last row; a user's range also reads the entry that ends it.
      expect(run.meta.rows_read).toBeLessThanOrEqual(returned + 1);
    }
  });
});

describe('/todos', () => {
  it('starts empty', async () => {
    const response = await call('GET', '/todos');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([]);
  });

  it('creates a todo with a generated id, completed false and a creation time', async () => {
    const todo = await create('Write the README', 'u1');
    expect(todo).toEqual({
      _id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      title: 'Write the README',
      userId: 'u1',
      completed: false,
      createdAt: expect.any(String),
      _rev: 1, // Pocket's revision: 1 when created, one more with each write
    });
    expect(new Date(todo.createdAt).toString()).not.toBe('Invalid Date');

    const list = await (await call('GET', '/todos')).json<Todo[]>();
    expect(list).toContainEqual(todo);
  });

  it('lists oldest first and filters by userId and completed', async () => {
    const a = await create('first', 'filter-u1');
    const b = await create('second', 'filter-u2');
    const c = await create('third', 'filter-u1');
    await call('PUT', `/todos/${c._id}`, { completed: true });

    const mine = await (await call('GET', '/todos?userId=filter-u1')).json<Todo[]>();
    expect(mine.map((t) => t.title)).toEqual(['first', 'third']);
    const open = await (await call('GET', '/todos?userId=filter-u1&completed=false')).json<Todo[]>();
    expect(open.map((t) => t._id)).toEqual([a._id]);
    const theirs = await (await call('GET', '/todos?userId=filter-u2')).json<Todo[]>();
    expect(theirs.map((t) => t._id)).toEqual([b._id]);
  });

  it('does not let the body choose the id or the completed flag', async () => {
    const response = await call('POST', '/todos', { _id: 'chosen', title: 'sneaky', completed: true });
    const todo = await response.json<Todo>();
    expect(todo._id).not.toBe('chosen');
    expect(todo.completed).toBe(false);
    expect((await call('GET', '/todos/chosen')).status).toBe(404);
  });

  it('rejects bodies that are not JSON objects or lack a title', async () => {
    for (const body of ['not json', '[1,2]', 'null', JSON.stringify({}), JSON.stringify({ title: 42 }), JSON.stringify({ title: '  ' })]) {
      const response = await call('POST', '/todos', body);
      expect(response.status, body).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'BAD_REQUEST' });
    }
    expect(await (await call('GET', '/todos?userId=nobody')).json()).toEqual([]);
  });

  it('rejects a bad completed filter and an unsupported method', async () => {
    expect((await call('GET', '/todos?completed=maybe')).status).toBe(400);
    const response = await call('PATCH', '/todos');
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, POST');
  });
});

describe('/todos/:id', () => {
  it('reads one todo', async () => {
    const todo = await create('Read me');
    const response = await call('GET', `/todos/${todo._id}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(todo);
  });

  it('answers 404 for an unknown id', async () => {
    const response = await call('GET', '/todos/does-not-exist');
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: 'NOT_FOUND' });
  });

  it('updates a todo and returns the whole new document', async () => {
    const todo = await create('Old title', 'u9');
    const response = await call('PUT', `/todos/${todo._id}`, { title: 'New title', completed: true });
    expect(response.status).toBe(200);
    const updated = await response.json<Todo>();
    expect(updated).toEqual({ ...todo, title: 'New title', completed: true, _rev: 2 });
    expect(await (await call('GET', `/todos/${todo._id}`)).json()).toEqual(updated);
  });

  it('answers PUT of an unknown id with 404 from DocumentNotFoundError', async () => {
    const response = await call('PUT', '/todos/nope', { completed: true });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: 'DOCUMENT_NOT_FOUND' });
    expect((await call('GET', '/todos/nope')).status).toBe(404);
  });

  it('validates the fields of a PUT', async () => {
    const todo = await create('Keep me');
    expect((await call('PUT', `/todos/${todo._id}`, { completed: 'yes' })).status).toBe(400);
    expect((await call('PUT', `/todos/${todo._id}`, 'nope')).status).toBe(400);
    expect(await (await call('GET', `/todos/${todo._id}`)).json()).toEqual(todo);
  });

  it('refuses an oversized title on POST and PUT, and a malformed cursor', async () => {
    const long = 'x'.repeat(MAX_TITLE_LENGTH + 1);
    expect(await (await call('POST', '/todos', { title: long })).json()).toMatchObject({
      error: 'BAD_REQUEST',
      message: expect.stringContaining(`the limit is ${MAX_TITLE_LENGTH}`),
    });
    const todo = await create('x'.repeat(MAX_TITLE_LENGTH));
    expect((await call('PUT', `/todos/${todo._id}`, { title: long })).status).toBe(400);
    expect(await (await call('GET', '/todos?after=not-a-cursor')).json()).toMatchObject({ error: 'QUERY_ERROR' });
    expect(await (await call('GET', `/todos/${todo._id}`)).json()).toEqual(todo);
  });

  it('pages the list: the Link header leads through every todo once, oldest first, keeping the filters', async () => {
    const todos = Database.open({ name: 'my-app', storage: createD1Storage({ database: env.DB }) }).collection<Todo>('todos');
    const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
    await todos.bulkInsert(Array.from({ length: 230 }, (_, i) => ({ title: `t${i}`, completed: false, userId: i % 2 === 0 ? 'u1' : 'u2', createdAt: at(i) })));
    const walk = async (path: string) => {
      const titles: string[] = [];
      let next: string | null = path;
      while (next !== null) {
        const response = await call('GET', next);
        expect(response.status).toBe(200);
        const page = await response.json<Todo[]>();
        expect(page.length).toBeLessThanOrEqual(PAGE_SIZE);
        titles.push(...page.map((t) => t.title));
        next = /^<([^>]+)>; rel="next"$/.exec(response.headers.get('link') ?? '')?.[1] ?? null;
      }
      return titles;
    };
    expect(await walk('/todos')).toEqual(Array.from({ length: 230 }, (_, i) => `t${i}`));
    expect(await walk('/todos?userId=u1&completed=false')).toEqual(Array.from({ length: 115 }, (_, i) => `t${2 * i}`));
  });

  it('deletes a todo; deleting again is still 204', async () => {
    const todo = await create('Delete me');
    const first = await call('DELETE', `/todos/${todo._id}`);
    expect(first.status).toBe(204);
    expect(await first.text()).toBe('');
    expect((await call('GET', `/todos/${todo._id}`)).status).toBe(404);
    expect((await call('DELETE', `/todos/${todo._id}`)).status).toBe(204);
  });

  it('decodes ids in the path and rejects broken percent-encoding', async () => {
    const doc = { _id: 'a b/ü', title: 'odd id', completed: false, userId: 'u1', createdAt: '2026-01-01T00:00:00.000Z' };
    await env.DB.prepare('INSERT INTO pocket_todos (_id, data) VALUES (?, ?)').bind(doc._id, JSON.stringify(doc)).run();
    const response = await call('GET', `/todos/${encodeURIComponent(doc._id)}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ...doc, _rev: 1 }); // a row written without _rev reads as revision 1
    expect((await call('GET', '/todos/%E0%A4%A')).status).toBe(400);
    expect((await call('GET', '/elsewhere')).status).toBe(404);
  });
});
