// A read-through Workers KV cache in front of D1: the first page of a user's todo list is read
// from KV when it is there, from D1 (and then stored in KV for 60 s) when it is not, and dropped
// from KV on every write to that user's todos.
//
//   GET    /todos        the caller's todos, oldest first, 100 a page; `x-cache: HIT` or `MISS`
//                       says where the first page came from; `Link: <…?after=…>; rel="next"`
//                       names the next page
//   POST   /todos        create { title } for the caller
//   PUT    /todos/:id    merge { title?, completed? } into one of the caller's todos
//   DELETE /todos/:id    delete one of the caller's todos
import { DocumentNotFoundError, PocketError } from '@pocket/core';
import { getCachedTodos, invalidateCache, MAX_TITLE_LENGTH, openDb, readPage, type Env, type Todo, type TodoPage } from './cache.js';

export type { Env, Todo, TodoPage };

/** User ids name a KV key (at most 512 bytes): short and printable, checked before any write. */
const USER_ID = /^[A-Za-z0-9_.@-]{1,128}$/;

/** A mistake in the request, answered 400 with its message. */
class BadRequest extends Error {}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    try {
      return await handle(request, env);
    } catch (error) {
      if (error instanceof BadRequest) return Response.json({ error: 'BAD_REQUEST', message: error.message }, { status: 400 });
      if (!(error instanceof PocketError) || error.status >= 500) console.error('request failed:', error);
      // toJSON() is safe to send: a storage failure (5xx) gets a fixed message; the detail is logged above.
      if (error instanceof PocketError) {
        const { code, message } = error.toJSON();
        return Response.json({ error: code, message }, { status: error.status });
      }
      return Response.json({ error: 'INTERNAL' }, { status: 500 });
    }
  },
} satisfies ExportedHandler<Env>;

async function handle(request: Request, env: Env): Promise<Response> {
  // The x-user-id header stands in for authentication: anyone can send any value. A real app
  // takes the user from a verified token or session (see examples/hono for a JWT).
  const userId = request.headers.get('x-user-id');
  if (userId === null || !USER_ID.test(userId)) {
    return Response.json({ error: 'UNAUTHENTICATED', message: 'Send an x-user-id header: 1-128 letters, digits, _ . @ or -.' }, { status: 401 });
  }

  const url = new URL(request.url);
  const todos = openDb(env).collection<Todo>('todos');

  if (url.pathname === '/todos' && request.method === 'GET') {
    const after = url.searchParams.get('after');
    if (after !== null) return pageResponse(url, await readPage(env, userId, after));
    const { page, hit } = await getCachedTodos(env, userId);
    return pageResponse(url, page, { 'x-cache': hit ? 'HIT' : 'MISS' });
  }

  if (url.pathname === '/todos' && request.method === 'POST') {
    const body = await readObject(request);
    const todo = await todos.insert({ title: titleOf(body.title), completed: false, userId, createdAt: new Date().toISOString() });
    await invalidateCache(env, userId); // never throws: the todo is saved, whatever KV does
    return Response.json(todo, { status: 201 });
  }

  const match = /^\/todos\/([^/]+)$/.exec(url.pathname);
  if (match) {
    const id = decodeSegment(match[1]!);
    // Only the caller's own todos can be changed; anyone else's look like they do not exist.
    const existing = await todos.get(id);
    if (!existing || existing.userId !== userId) throw new DocumentNotFoundError(todos.name, id);

    if (request.method === 'PUT') {
      const body = await readObject(request);
      const changes: Partial<Pick<Todo, 'title' | 'completed'>> = {};
      if (body.title !== undefined) changes.title = titleOf(body.title);
      if (body.completed !== undefined) {
        if (typeof body.completed !== 'boolean') throw new BadRequest('"completed" must be true or false.');
        changes.completed = body.completed;
      }
      const updated = await todos.update(id, changes);
      await invalidateCache(env, userId);
      return Response.json(updated);
    }
    if (request.method === 'DELETE') {
      await todos.delete(id);
      await invalidateCache(env, userId);
      return new Response(null, { status: 204 });
    }
  }

  return Response.json({ error: 'NOT_FOUND' }, { status: 404 });
}

function pageResponse(url: URL, page: TodoPage, headers: Record<string, string> = {}): Response {
  const response = Response.json(page.todos, { headers });
  if (page.next !== null) response.headers.set('link', `<${url.pathname}?after=${encodeURIComponent(page.next)}>; rel="next"`);
  return response;
}

function titleOf(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new BadRequest('"title" must be a non-empty string.');
  if (value.length > MAX_TITLE_LENGTH) throw new BadRequest(`"title" is ${value.length} characters long; the limit is ${MAX_TITLE_LENGTH}.`);
  return value;
}

async function readObject(request: Request): Promise<Record<string, unknown>> {
  const body: unknown = await request.json().catch(() => {
    throw new BadRequest('The request body must be JSON.');
  });
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequest('The request body must be a JSON object.');
  return body as Record<string, unknown>;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BadRequest('The id in the path is not valid percent-encoding.');
  }
}
