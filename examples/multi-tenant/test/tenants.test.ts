import { listDurableObjectIds, reset, runInDurableObject } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import type { WithRev } from '@pocket/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { MAX_NOTE_LENGTH, NOTES_PAGE_SIZE, type Note } from '../src/tenant-do.js';
import { compileFind } from '@pocket/storage-edge/sql';
import { getTenantDb, MAX_TITLE_LENGTH, PAGE_SIZE, sharedDb, type SharedTodo, type Todo } from '../src/tenant-storage.js';
import { TENANT_ID } from '../src/tenant.js';

beforeEach(async () => {
  await reset();
});

async function call(tenant: string | null, method: string, path: string, body?: unknown): Promise<Response> {
  const headers = new Headers();
  if (tenant !== null) headers.set('x-tenant-id', tenant);
  if (body !== undefined) headers.set('content-type', 'application/json');
  return exports.default.fetch(new Request(`http://example.com${path}`, { method, headers, body: body === undefined ? null : JSON.stringify(body) }));
}

async function ok<T>(response: Promise<Response>, status = 200): Promise<T> {
  const r = await response;
  expect(r.status, await r.clone().text()).toBe(status);
  return r.json<T>();
}

async function tableNames(): Promise<string[]> {
  const { results } = await env.DB.prepare(
    `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name`,
  ).all<{ name: string }>();
  return results.map((r) => r.name);
}

describe('tenant ids', () => {
  const hostile: Array<[string, string]> = [
    ['a single quote', "acme'"],
    ['a double quote', 'acme"'],
    ['a statement after a semicolon', 'acme; DROP TABLE pocket_todos; --'],
    ['a comment', 'acme--'],
    ['dot-dot', '..'],
    ['a path', '../globex'],
    ['a slash', 'acme/eu'],
    ['a dot', 'acme.eu'],
    ['the empty string', ''],
    ['inner whitespace', 'ac me'],
    ['33 characters', 'a'.repeat(33)],
    ['10,000 characters', 'a'.repeat(10_000)],
    ["uppercase (SQLite table names ignore case: Acme would share acme's tables)", 'Acme'],
    ['an underscore (tenant a_b + todos = tenant a + b_todos)', 'a_b'],
    ['a leading hyphen', '-acme'],
    ['a trailing hyphen', 'acme-'],
    ['a percent-encoded quote', 'acme%27'],
    // workerd sends non-ASCII header values as UTF-8, with a warning on the console for each
    // request; a browser would refuse to send them at all.
    ['Latin-1 letters', 'acmé'],
    ['Chinese', '租户'],
    ['a Cyrillic look-alike of "acme"', 'асме'],
    ['an emoji', 'acme🚀'],
    ['fullwidth letters', 'ａｃｍｅ'],
  ];

  it.each(hostile)('refuses %s with 400 on every route, before any storage is touched', async (_what, tenant) => {
    const before = (await listDurableObjectIds(env.TENANT_DO)).length;
    for (const [method, path, body] of [
      ['GET', '/prefixed/todos'],
      ['POST', '/prefixed/todos', { title: 'x' }],
      ['GET', '/object/notes'],
      ['POST', '/object/notes', { title: 'x' }],
      ['GET', '/shared/todos'],
      ['POST', '/shared/todos', { title: 'x' }],
    ] as const) {
      const response = await call(tenant, method, path, body);
      expect(response.status, `${method} ${path}`).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'TENANT' });
    }
    expect(await tableNames()).toEqual([]);
    expect(await listDurableObjectIds(env.TENANT_DO)).toHaveLength(before);
  });

  it('a read by a tenant that never wrote answers an empty list and creates no table; the first write does', async () => {
    expect(await ok<unknown[]>(call('newcomer', 'GET', '/prefixed/todos'))).toEqual([]);
    expect(await ok<unknown[]>(call('newcomer', 'GET', '/shared/todos'))).toEqual([]);
    expect(await tableNames()).toEqual([]);
    await ok(call('newcomer', 'POST', '/prefixed/todos', { title: 'first' }), 201);
    expect(await tableNames()).toContain('tenant_newcomer_todos');
  });

  it('answers 401 when there is no tenant at all', async () => {
    expect((await call(null, 'GET', '/shared/todos')).status).toBe(401);
    expect(await tableNames()).toEqual([]);
  });

  it('accepts lowercase letters, digits and inner hyphens, up to 32 characters', async () => {
    for (const tenant of ['acme', 'acme-eu-2', '0', 'a'.repeat(32)]) {
      expect(await ok(call(tenant, 'GET', '/prefixed/todos')), tenant).toEqual([]);
    }
  });

  it('needs lowercase-only because SQLite table names ignore case', async () => {
    await ok(call('acme', 'POST', '/prefixed/todos', { title: 'Acme only' }), 201);
    // Had "Acme" been let through, its prefix would name acme's table.
    const row = await env.DB.prepare('SELECT count(*) AS n FROM "tenant_Acme_todos"').first<{ n: number }>();
    expect(row).toEqual({ n: 1 });
  });

  it('needs no-underscore because "_" also separates the tenant from the collection', async () => {
    // Bypassing tenantOf(): tenant "a" with collection "b_todos" and tenant "a_b" with
    // collection "todos" are the same table. Pocket accepts both prefixes; only the tenant
    // id check can tell them apart.
    await getTenantDb(env, 'a').collection('b_todos').insert({ _id: 'x', note: 'written by tenant a' });
    expect(await getTenantDb(env, 'a_b').collection('todos').get('x')).toEqual({ _id: 'x', note: 'written by tenant a', _rev: 1 });
  });

  it('the pattern itself refuses invisible and look-alike characters a header cannot carry', () => {
    for (const id of ['acme\u200b', 'acme\u0000', 'K\u212a', 'acme\n', 'ac\u0301me']) {
      expect(TENANT_ID.test(id), JSON.stringify(id)).toBe(false);
    }
  });
});

describe('errors from the tenant object', () => {
  it('answer as the same mistakes do elsewhere: a bad id is a 400 on /object as on /prefixed', async () => {
    const longId = 'x'.repeat(600);
    for (const area of ['object', 'prefixed']) {
      const response = await call('acme', 'DELETE', `/${area}/notes/${longId}`.replace('/prefixed/notes', '/prefixed/todos'));
      expect(response.status, area).toBe(400);
      expect(await response.json(), area).toMatchObject({ error: 'VALIDATION_ERROR', message: expect.stringContaining('600 characters') });
    }
  });

  it("an oversized note is the object's ValidationError, a 400 in the Worker, and nothing is stored", async () => {
    const response = await call('acme', 'POST', '/object/notes', { title: 'n'.repeat(MAX_NOTE_LENGTH + 1) });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: 'VALIDATION_ERROR',
      message: `The note is ${MAX_NOTE_LENGTH + 1} characters long; the limit is ${MAX_NOTE_LENGTH}.`,
    });
    expect(await ok(call('acme', 'GET', '/object/notes'))).toEqual([]);
    await ok(call('acme', 'POST', '/object/notes', { title: 'n'.repeat(MAX_NOTE_LENGTH) }), 201);
  });

  it("a malformed cursor is the object's QueryError, a 400 in the Worker", async () => {
    const response = await call('acme', 'GET', '/object/notes?after=not-a-cursor');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'QUERY_ERROR' });
  });
});

describe('input and pages, on every route', () => {
  it('answers 400 to an oversized or empty title, a non-boolean completed and a malformed cursor', async () => {
    const shared = await ok<WithRev<SharedTodo>>(call('acme', 'POST', '/shared/todos', { title: 'Keep' }), 201);
    const long = 'x'.repeat(MAX_TITLE_LENGTH + 1);
    const refused: Array<[string, string, unknown]> = [
      ['POST', '/prefixed/todos', { title: long }],
      ['POST', '/shared/todos', { title: long }],
      ['PUT', `/shared/todos/${shared._id}`, { title: long }],
      ['PUT', `/shared/todos/${shared._id}`, { title: '' }],
      ['PUT', `/shared/todos/${shared._id}`, { completed: 'yes' }],
      ['GET', '/prefixed/todos?after=not-a-cursor', undefined],
      ['GET', '/shared/todos?after=not-a-cursor', undefined],
    ];
    for (const [method, path, body] of refused) expect((await call('acme', method, path, body)).status, `${method} ${path}`).toBe(400);
    expect(await ok(call('acme', 'GET', '/shared/todos'))).toEqual([shared]);
  });

  /** Follows Link headers from `path` to the last page; the titles or texts of every page, in order. */
  async function allPages(path: string): Promise<{ items: string[]; pages: number }> {
    const items: string[] = [];
    let pages = 0;
    let next: string | null = path;
    while (next !== null) {
      const response = await call('acme', 'GET', next);
      expect(response.status).toBe(200);
      const page = await response.json<Array<{ title?: string; text?: string }>>();
      expect(page.length).toBeLessThanOrEqual(PAGE_SIZE);
      items.push(...page.map((item) => item.title ?? item.text!));
      next = /^<([^>]+)>; rel="next"$/.exec(response.headers.get('link') ?? '')?.[1] ?? null;
      pages++;
    }
    return { items, pages };
  }

  it('pages every list: the Link header leads through all of it, each item once, oldest first', async () => {
    const count = PAGE_SIZE * 2 + 5;
    const titles = Array.from({ length: count }, (_, i) => `t${String(i).padStart(3, '0')}`);
    const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
    // Stored through Pocket as the routes store them, with distinct createdAt values.
    await getTenantDb(env, 'acme')
      .collection<Todo>('todos')
      .bulkInsert(titles.map((title, i) => ({ title, completed: false, createdAt: at(i) })));
    await sharedDb(env)
      .collection<SharedTodo>('todos')
      .bulkInsert(titles.map((title, i) => ({ title, completed: false, createdAt: at(i), tenantId: i % 2 === 0 ? 'acme' : 'globex' })));
    await runInDurableObject(env.TENANT_DO.get(env.TENANT_DO.idFromName('acme')), async (instance) => {
      for (const title of titles) await instance.addNote(title);
    });

    expect(await allPages('/prefixed/todos')).toEqual({ items: titles, pages: 3 });
    expect(await allPages('/shared/todos')).toEqual({ items: titles.filter((_, i) => i % 2 === 0), pages: 2 });
    const notes = await allPages('/object/notes');
    expect(notes.pages).toBe(Math.ceil(count / NOTES_PAGE_SIZE));
    expect(notes.items.toSorted()).toEqual(titles); // added within one event: createdAt ties, broken by _id
  });
});

describe('per-tenant tables in D1', () => {
  it("gives each tenant its own tables, created on the tenant's first write, never by a read", async () => {
    const todo = await ok<WithRev<Todo>>(call('acme', 'POST', '/prefixed/todos', { title: 'Acme plan' }), 201);
    expect(await ok(call('acme', 'GET', '/prefixed/todos'))).toEqual([todo]);
    expect(await ok(call('globex', 'GET', '/prefixed/todos'))).toEqual([]);
    expect(await ok(call('t1', 'GET', '/prefixed/todos'))).toEqual([]);
    expect(await tableNames()).toEqual(['tenant_acme_todos']); // reading as globex or t1 made no table
    for (const ghost of ['ghost1', 'ghost2']) {
      expect((await call(ghost, 'DELETE', '/prefixed/todos/nope')).status).toBe(204);
      expect((await call(ghost, 'PUT', '/prefixed/todos/nope', { completed: true })).status).toBe(404);
    }
    expect(await tableNames()).toEqual(['tenant_acme_todos']); // nor did deleting or updating nothing
    await ok(call('globex', 'POST', '/prefixed/todos', { title: 'Globex plan' }), 201);
    expect(await tableNames()).toEqual(['tenant_acme_todos', 'tenant_globex_todos']);

    const row = await env.DB.prepare('SELECT data FROM tenant_acme_todos').first<{ data: string }>();
    expect(JSON.parse(row!.data)).toEqual(todo);
  });

  it("a tenant cannot delete another tenant's todo, even knowing its id", async () => {
    const todo = await ok<WithRev<Todo>>(call('acme', 'POST', '/prefixed/todos', { title: 'Keep' }), 201);
    expect((await call('globex', 'DELETE', `/prefixed/todos/${todo._id}`)).status).toBe(204);
    expect(await ok(call('acme', 'GET', '/prefixed/todos'))).toEqual([todo]);
    expect((await call('acme', 'DELETE', `/prefixed/todos/${todo._id}`)).status).toBe(204);
    expect(await ok(call('acme', 'GET', '/prefixed/todos'))).toEqual([]);
  });
});

describe('one Durable Object per tenant', () => {
  it("keeps each tenant's notes in its own object's SQLite database", async () => {
    const note = await ok<WithRev<Note>>(call('acme', 'POST', '/object/notes', { title: 'Acme note' }), 201);
    expect(note).toEqual({ _id: expect.any(String), text: 'Acme note', createdAt: expect.any(String), _rev: 1 });
    await ok(call('globex', 'POST', '/object/notes', { title: 'Globex note' }), 201);

    expect((await ok<Note[]>(call('acme', 'GET', '/object/notes'))).map((n) => n.text)).toEqual(['Acme note']);
    expect((await ok<Note[]>(call('globex', 'GET', '/object/notes'))).map((n) => n.text)).toEqual(['Globex note']);

    const acme = env.TENANT_DO.get(env.TENANT_DO.idFromName('acme'));
    const rows = await runInDurableObject(acme, (_o, state) => state.storage.sql.exec('SELECT _id FROM pocket_notes').toArray());
    expect(rows).toEqual([{ _id: note._id }]);
    expect(await tableNames()).toEqual([]); // nothing in D1
  });

  it("deletes only in the caller's object", async () => {
    const note = await ok<WithRev<Note>>(call('acme', 'POST', '/object/notes', { title: 'Acme note' }), 201);
    expect((await call('globex', 'DELETE', `/object/notes/${note._id}`)).status).toBe(204);
    expect(await ok(call('acme', 'GET', '/object/notes'))).toEqual([note]);
    expect((await call('acme', 'DELETE', `/object/notes/${note._id}`)).status).toBe(204);
    expect(await ok(call('acme', 'GET', '/object/notes'))).toEqual([]);
  });
});

describe('a shared table with tenantId on every row', () => {
  it('sets tenantId from the context, whatever the body says', async () => {
    const todo = await ok<WithRev<SharedTodo>>(call('acme', 'POST', '/shared/todos', { title: 'Mine', tenantId: 'globex' }), 201);
    expect(todo.tenantId).toBe('acme');
    const { results } = await env.DB.prepare(`SELECT json_extract(data, '$.tenantId') AS tenantId FROM pocket_todos`).all();
    expect(results).toEqual([{ tenantId: 'acme' }]);
  });

  it('always filters by tenant', async () => {
    await ok(call('acme', 'POST', '/shared/todos', { title: 'A1' }), 201);
    await ok(call('globex', 'POST', '/shared/todos', { title: 'G1' }), 201);
    await ok(call('acme', 'POST', '/shared/todos', { title: 'A2' }), 201);
    expect((await ok<SharedTodo[]>(call('acme', 'GET', '/shared/todos'))).map((t) => t.title)).toEqual(['A1', 'A2']);
    expect((await ok<SharedTodo[]>(call('globex', 'GET', '/shared/todos'))).map((t) => t.title)).toEqual(['G1']);
    expect(await ok(call('initech', 'GET', '/shared/todos'))).toEqual([]);
  });

  it("hides another tenant's document from reads, updates and deletes", async () => {
    const todo = await ok<WithRev<SharedTodo>>(call('acme', 'POST', '/shared/todos', { title: 'Secret' }), 201);
    expect((await call('globex', 'GET', `/shared/todos/${todo._id}`)).status).toBe(404);
    expect((await call('globex', 'PUT', `/shared/todos/${todo._id}`, { title: 'Stolen' })).status).toBe(404);
    expect((await call('globex', 'DELETE', `/shared/todos/${todo._id}`)).status).toBe(204);
    expect(await ok(call('acme', 'GET', `/shared/todos/${todo._id}`))).toEqual(todo);
  });

  it('never lets an update move a document to another tenant', async () => {
    const todo = await ok<WithRev<SharedTodo>>(call('acme', 'POST', '/shared/todos', { title: 'Stay' }), 201);
    const updated = await ok<WithRev<SharedTodo>>(call('acme', 'PUT', `/shared/todos/${todo._id}`, { completed: true, tenantId: 'globex' }));
    expect(updated).toEqual({ ...todo, completed: true, _rev: 2 });
    expect(await ok(call('globex', 'GET', '/shared/todos'))).toEqual([]);
    expect((await call('acme', 'DELETE', `/shared/todos/${todo._id}`)).status).toBe(204);
    expect(await ok(call('acme', 'GET', '/shared/todos'))).toEqual([]);
  });

  it("indexes tenantId with createdAt, so a tenant's list reads only the rows it returns", async () => {
    for (let i = 0; i < 30; i++) await ok(call(i % 3 === 0 ? 'acme' : 'globex', 'POST', '/shared/todos', { title: `T${i}` }), 201);
    const list = sharedDb(env).collection<SharedTodo>('todos').find().where('tenantId').equals('acme').sort('createdAt').limit(100);
    const { sql, params } = compileFind('"pocket_todos"', list.toQuery());
    const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .bind(...params)
      .all<{ detail: string }>();
    expect(plan.results.map((r) => r.detail).join('\n')).toMatch(/^SEARCH pocket_todos USING INDEX pocket_todos_tenantId__createdAt_\w+ \(<expr>=\?\)$/);
    const run = await env.DB.prepare(sql)
      .bind(...params)
      .all();
    expect(run.results).toHaveLength(10);
    // The ten rows, and the index entry after them that ends the tenant's range.
    expect(run.meta.rows_read).toBe(11);
  });
});
