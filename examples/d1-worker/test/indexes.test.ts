// Every query the routes send is served by an index of migrations/: the routes run here on storage
// wrapped in requireIndexes(), which fails any query that would read the whole table or sort
// every match. This is how to use it in your own tests. The Worker's operation log catches what
// it cannot: a walk of an index in order that reads far more rows than it returns.
import { env, exports } from 'cloudflare:workers';
import { Database, FullScanError, requireIndexes } from '@pocket/core';
import { createD1Storage } from '@pocket/storage-edge';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { handle, type Todo } from '../src/routes.js';

/** The Worker's database, on storage that refuses any query no index serves. */
const checkedDb = () => Database.open({ name: 'my-app', storage: requireIndexes(createD1Storage({ database: env.DB })) });

async function send(method: string, path: string, body?: unknown): Promise<Response> {
  const init: RequestInit = body === undefined ? { method } : { method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
  // handle() throws what the Worker would answer with an error: a FullScanError fails the test.
  return handle(new Request(`http://example.com${path}`, init), checkedDb());
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('every route on requireIndexes() storage', () => {
  it('sends only queries that an index of migrations/ serves', async () => {
    const created: Todo[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await send('POST', '/todos', { title: `T${i}`, userId: `u${i % 2}` });
      expect(response.status).toBe(201);
      created.push(await response.json<Todo>());
    }
    expect((await send('PUT', `/todos/${created[0]!._id}`, { completed: true })).status).toBe(200);

    for (const path of ['/todos', '/todos?userId=u0', '/todos?completed=true', '/todos?completed=false', '/todos?userId=u0&completed=false']) {
      const response = await send('GET', path);
      expect(response.status, path).toBe(200);
    }
    expect(await (await send('GET', '/todos?userId=u0&completed=true')).json<Todo[]>()).toEqual([expect.objectContaining({ _id: created[0]!._id })]);
    expect((await send('GET', `/todos/${created[1]!._id}`)).status).toBe(200);
    expect((await send('GET', '/todos/missing')).status).toBe(404);
    expect((await send('DELETE', `/todos/${created[1]!._id}`)).status).toBe(204);
  });

  it('would fail a query that no index serves (the check is on)', async () => {
    const todos = checkedDb().collection<Todo>('todos');
    const error = await todos
      .find()
      .where('title')
      .equals('T1')
      .exec()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FullScanError);
    expect((error as FullScanError).message).toContain('indexes: { todos: [["title"]] }');
  });
});

describe('the operation log', () => {
  it('logs a list that walks the whole createdAt index to find its one open todo', async () => {
    // 1,100 done, then one open: ?completed=false walks the createdAt index in order (no index
    // holds `completed`), so it reads every entry to return one todo. requireIndexes() lets it
    // through, as an ordered walk stops at its limit when matches are common; rows read tell.
    const todos = Database.open({ name: 'my-app', storage: createD1Storage({ database: env.DB }) }).collection<Todo>('todos');
    const start = Date.UTC(2026, 0, 1);
    await todos.bulkInsert(
      Array.from({ length: 1101 }, (_, i) => ({
        _id: `t${i}`,
        title: `T${i}`,
        userId: 'u1',
        completed: i < 1100,
        createdAt: new Date(start + i * 1000).toISOString(),
      })),
    );
    expect(await (await send('GET', '/todos?completed=false')).json<Todo[]>()).toHaveLength(1);

    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const listed = await exports.default.fetch(new Request('http://example.com/todos?completed=false'));
    expect((await listed.json<Todo[]>()).map((t) => t._id)).toEqual(['t1100']);
    expect(log).toHaveBeenCalledTimes(1);
    const line = log.mock.calls[0]![0] as Record<string, unknown>;
    expect(line).toMatchObject({
      message: 'pocket operation',
      collection: 'todos',
      operation: 'find',
      failed: false,
      statements: [expect.stringMatching(/^SELECT .* ORDER BY .* LIMIT/)],
    });
    expect(line.rowsRead).toBeGreaterThan(1100);

    // A user's list reads the 100 rows it returns (and one more): no line.
    log.mockClear();
    expect(await (await exports.default.fetch(new Request('http://example.com/todos?userId=u1'))).json()).toHaveLength(100);
    expect(log).not.toHaveBeenCalled();
  });
});
