// A read-through Workers KV cache in front of D1: a user's todo list is read from KV when it is
// there, from D1 (and then stored in KV for 60 s) when it is not, and dropped from KV on every
// write to that user's todos.
//
//   GET    /todos        the caller's todos; `x-cache: HIT` or `MISS` says where they came from
//   POST   /todos        create { title } for the caller
//   PUT    /todos/:id    merge { title?, completed? } into one of the caller's todos
//   DELETE /todos/:id    delete one of the caller's todos
//
// The caller is the `x-user-id` header, standing in for real authentication.
import { DocumentNotFoundError, PocketError } from '@pocket/core';
import { getCachedTodos, invalidateCache, openDb, type Env, type Todo } from './cache.js';

export type { Env, Todo };

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    try {
      return await handle(request, env);
    } catch (error) {
      if (error instanceof PocketError && error.status < 500) {
        return Response.json({ error: error.code, message: error.message }, { status: error.status });
      }
      console.error('request failed:', error);
      return Response.json({ error: 'INTERNAL' }, { status: error instanceof PocketError ? error.status : 500 });
    }
  },
} satisfies ExportedHandler<Env>;

async function handle(request: Request, env: Env): Promise<Response> {
  const userId = request.headers.get('x-user-id');
  if (!userId) return Response.json({ error: 'UNAUTHENTICATED', message: 'Send an x-user-id header.' }, { status: 401 });

  const url = new URL(request.url);
  const todos = openDb(env).collection<Todo>('todos');

  if (url.pathname === '/todos' && request.method === 'GET') {
    const { todos: list, hit } = await getCachedTodos(env, userId);
    return Response.json(list, { headers: { 'x-cache': hit ? 'HIT' : 'MISS' } });
  }

  if (url.pathname === '/todos' && request.method === 'POST') {
    const body = await readObject(request);
    if (typeof body.title !== 'string' || body.title === '') return badRequest('"title" must be a non-empty string.');
    const todo = await todos.insert({ title: body.title, completed: false, userId, createdAt: new Date().toISOString() });
    await invalidateCache(env, userId);
    return Response.json(todo, { status: 201 });
  }

  const match = /^\/todos\/([^/]+)$/.exec(url.pathname);
  if (match) {
    let id: string;
    try {
      id = decodeURIComponent(match[1]!);
    } catch {
      return badRequest('The id in the path is not valid percent-encoding.');
    }
    // Only the caller's own todos can be changed; anyone else's look like they do not exist.
    const existing = await todos.get(id);
    if (!existing || existing.userId !== userId) throw new DocumentNotFoundError(todos.name, id);

    if (request.method === 'PUT') {
      const body = await readObject(request);
      const changes: Partial<Pick<Todo, 'title' | 'completed'>> = {};
      if (typeof body.title === 'string') changes.title = body.title;
      if (typeof body.completed === 'boolean') changes.completed = body.completed;
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

async function readObject(request: Request): Promise<Record<string, unknown>> {
  const body: unknown = await request.json().catch(() => null);
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

function badRequest(message: string): Response {
  return Response.json({ error: 'BAD_REQUEST', message }, { status: 400 });
}
