import { reset } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { D1Error } from '@pocket/storage-edge';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import type { ErrorBody } from '../src/errors.js';
import type { Todo } from '../src/index.js';
import { MAX_BODY_LENGTH, MAX_PAGE_SIZE, MAX_TITLE_LENGTH } from '../src/limits.js';

// The Worker runs in the same isolate as the tests, so this sees what it logs.
let logged: MockInstance<typeof console.error>;
beforeEach(async () => {
  await reset();
  logged = vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => {
  logged.mockRestore();
});

async function call(method: string, path: string, body?: unknown): Promise<Response> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  return exports.default.fetch(new Request(`http://example.com${path}`, init));
}

/** The error body, after checking that the response tells nothing about the server's insides. */
async function errorOf(response: Response, status: number): Promise<ErrorBody['error']> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toContain('application/json');
  const text = await response.text();
  expect(text).not.toMatch(/\bat \S+:\d+:\d+|stack/i); // a stack trace
  expect(text).not.toMatch(/\b(SELECT|INSERT INTO|UPDATE \S+ SET|json_extract|D1_ERROR|SQLITE)\b|no such/); // SQL or D1's words
  expect(text).not.toMatch(/TypeError|toUpperCase|undefined/); // the bug's own message
  const body = JSON.parse(text) as ErrorBody;
  expect(Object.keys(body)).toEqual(['error']);
  return body.error;
}

/** Replaces the todos table with one Pocket cannot use: every statement on it fails in D1. */
async function breakTheTable(): Promise<void> {
  await env.DB.exec('CREATE TABLE pocket_todos (something_else TEXT)');
}

describe('requests that work', () => {
  it('create, read, list and headline', async () => {
    const created = await call('POST', '/todos', { _id: 'first', title: 'Handle errors', priority: 2 });
    expect(created.status).toBe(201);
    const todo = await created.json<Todo>();
    expect(todo).toEqual({ _id: 'first', title: 'Handle errors', priority: 2, completed: false, createdAt: expect.any(String), _rev: 1 });
    expect(await (await call('GET', '/todos/first')).json()).toEqual(todo);
    expect(await (await call('GET', '/todos?limit=10')).json()).toEqual([todo]);
    expect(await (await call('GET', '/todos/first/headline')).json()).toEqual({ headline: 'HANDLE ERRORS' });
    // The body is stored as sent except `_rev`, which Pocket owns: one sent in is ignored.
    expect(await (await call('POST', '/todos', { _id: 'second', title: 'Pick a revision', _rev: 9 })).json()).toMatchObject({ _id: 'second', _rev: 1 });
    expect(logged).not.toHaveBeenCalled();
  });
});

describe('D1Error → 503', () => {
  it("on a read: a fixed message and a request id, with D1's details only in the log", async () => {
    await breakTheTable();
    const error = await errorOf(await call('GET', '/todos'), 503);
    expect(error).toEqual({
      code: 'DATABASE_UNAVAILABLE',
      message: 'The database is unavailable. Try again later.',
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });

    expect(logged).toHaveBeenCalledTimes(1);
    const [line, cause] = logged.mock.calls[0]!;
    expect(line).toContain(error.requestId);
    expect(cause).toBeInstanceOf(D1Error);
    expect((cause as D1Error).d1Message).toMatch(/no such column/);
  });

  it('on a write', async () => {
    await breakTheTable();
    const error = await errorOf(await call('POST', '/todos', { title: 'lost' }), 503);
    expect(error.code).toBe('DATABASE_UNAVAILABLE');
    expect(logged.mock.calls[0]![1]).toBeInstanceOf(D1Error);
  });
});

describe('PocketError → its own status and code', () => {
  it('DuplicateKeyError → 409 when the chosen _id is taken; the first document is kept', async () => {
    expect((await call('POST', '/todos', { _id: 'taken', title: 'one' })).status).toBe(201);
    const error = await errorOf(await call('POST', '/todos', { _id: 'taken', title: 'two' }), 409);
    expect(error.code).toBe('DUPLICATE_KEY');
    expect(error.message).toContain('taken');
    expect(await (await call('GET', '/todos/taken')).json()).toMatchObject({ title: 'one' });
    expect(logged).not.toHaveBeenCalled();
  });

  it('DocumentNotFoundError → 404 on read and on update', async () => {
    expect(await errorOf(await call('GET', '/todos/ghost'), 404)).toMatchObject({ code: 'DOCUMENT_NOT_FOUND' });
    const error = await errorOf(await call('PUT', '/todos/ghost', { completed: true }), 404);
    expect(error.code).toBe('DOCUMENT_NOT_FOUND');
    expect(error.message).toContain('ghost');
    expect(await errorOf(await call('GET', '/todos/ghost/headline'), 404)).toMatchObject({ code: 'DOCUMENT_NOT_FOUND' });
  });

  it('ValidationError → 400 for a bad _id, a value JSON cannot hold faithfully, or a patch that changes _id', async () => {
    expect(await errorOf(await call('POST', '/todos', { _id: 42, title: 'numeric id' }), 400)).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(await errorOf(await call('POST', '/todos', { _id: '', title: 'empty id' }), 400)).toMatchObject({ code: 'VALIDATION_ERROR' });
    // A lone UTF-16 surrogate parses from JSON but cannot be stored as well-formed text.
    const surrogate = await errorOf(await call('POST', '/todos', '{"title":"ok","note":"\\ud800"}'), 400);
    expect(surrogate.code).toBe('VALIDATION_ERROR');
    expect(surrogate.message).toContain('note');

    expect((await call('POST', '/todos', { _id: 'kept', title: 'kept' })).status).toBe(201);
    const changeId = await errorOf(await call('PUT', '/todos/kept', { _id: 'other' }), 400);
    expect(changeId.code).toBe('VALIDATION_ERROR');
    expect(await (await call('GET', '/todos?limit=100')).json<Todo[]>()).toHaveLength(1);
    expect(logged).not.toHaveBeenCalled();
  });

  it('QueryError → 400 for a limit or a cursor Pocket refuses', async () => {
    for (const limit of ['-1', '0', '2.5', 'ten']) {
      expect(await errorOf(await call('GET', `/todos?limit=${limit}`), 400), limit).toMatchObject({ code: 'QUERY_ERROR' });
    }
    expect(await errorOf(await call('GET', '/todos?after=not-a-cursor'), 400)).toMatchObject({ code: 'QUERY_ERROR' });
  });
});

describe('anything else → 500', () => {
  it('a bug in a route (a todo stored without a title) is a 500 with a request id and nothing else', async () => {
    await call('POST', '/todos', { title: 'Make the table' }); // the first write creates the table
    await env.DB.prepare('INSERT INTO pocket_todos (_id, data) VALUES (?, ?)')
      .bind('legacy', JSON.stringify({ _id: 'legacy', completed: false }))
      .run();
    const error = await errorOf(await call('GET', '/todos/legacy/headline'), 500);
    expect(error).toEqual({ code: 'INTERNAL_ERROR', message: 'Something went wrong on our side.', requestId: expect.any(String) });
    const [line, cause] = logged.mock.calls[0]!;
    expect(line).toContain(error.requestId);
    expect(cause).toBeInstanceOf(TypeError);
  });
});

describe("the Worker's own 400 and 404", () => {
  it('rejects bodies that are not JSON objects, a missing title and broken percent-encoding', async () => {
    expect(await errorOf(await call('POST', '/todos', '{oops'), 400)).toMatchObject({ code: 'BAD_REQUEST' });
    expect(await errorOf(await call('POST', '/todos', '[]'), 400)).toMatchObject({ code: 'BAD_REQUEST' });
    expect(await errorOf(await call('POST', '/todos', { done: true }), 400)).toMatchObject({ code: 'BAD_REQUEST' });
    expect(await errorOf(await call('GET', '/todos/%E0%A4%A'), 400)).toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('rejects an oversized body or title before Pocket sees it', async () => {
    const big = await errorOf(await call('POST', '/todos', { title: 'ok', note: 'x'.repeat(MAX_BODY_LENGTH) }), 400);
    expect(big).toEqual({ code: 'BAD_REQUEST', message: expect.stringContaining(`the limit is ${MAX_BODY_LENGTH}`) });
    const title = await errorOf(await call('POST', '/todos', { title: 't'.repeat(MAX_TITLE_LENGTH + 1) }), 400);
    expect(title.message).toContain(`the limit is ${MAX_TITLE_LENGTH}`);
    expect((await call('POST', '/todos', { _id: 'kept', title: 'kept' })).status).toBe(201);
    expect(await errorOf(await call('PUT', '/todos/kept', { title: 't'.repeat(MAX_TITLE_LENGTH + 1) }), 400)).toMatchObject({ code: 'BAD_REQUEST' });
    expect(await errorOf(await call('PUT', '/todos/kept', { note: 'x'.repeat(MAX_BODY_LENGTH) }), 400)).toMatchObject({ code: 'BAD_REQUEST' });
    expect(await (await call('GET', '/todos/kept')).json()).toMatchObject({ title: 'kept', _rev: 1 });
  });

  it('answers unknown routes with 404 NOT_FOUND', async () => {
    expect(await errorOf(await call('GET', '/elsewhere'), 404)).toMatchObject({ code: 'NOT_FOUND' });
    expect(await errorOf(await call('PATCH', '/todos/x'), 404)).toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('lists', () => {
  it('hold at most 100 todos, whatever ?limit= asks; the Link header leads to the rest', async () => {
    const count = MAX_PAGE_SIZE + 20;
    for (let i = 0; i < count; i++) expect((await call('POST', '/todos', { _id: `t${String(i).padStart(3, '0')}`, title: `T${i}` })).status).toBe(201);
    const seen: string[] = [];
    let path: string | null = '/todos?limit=1000';
    const sizes: number[] = [];
    while (path !== null) {
      const response = await call('GET', path);
      expect(response.status).toBe(200);
      const page = await response.json<Todo[]>();
      sizes.push(page.length);
      seen.push(...page.map((t) => t._id));
      path = /^<([^>]+)>; rel="next"$/.exec(response.headers.get('link') ?? '')?.[1] ?? null;
    }
    expect(sizes).toEqual([MAX_PAGE_SIZE, count - MAX_PAGE_SIZE]);
    expect(seen.toSorted()).toEqual(Array.from({ length: count }, (_, i) => `t${String(i).padStart(3, '0')}`));
    expect(await (await call('GET', '/todos')).json<Todo[]>()).toHaveLength(MAX_PAGE_SIZE);
    expect(await (await call('GET', '/todos?limit=5')).json<Todo[]>()).toHaveLength(5);
  }, 30_000);
});
