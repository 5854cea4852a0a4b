// Three ways to keep tenants apart, side by side. The tenant always comes from the request's
// authenticated context (here the x-tenant-id header, checked by tenantOf), never from a body.
//
//   /prefixed/todos[/:id]  D1, one set of tables per tenant: tenant_<id>_todos
//   /object/notes[/:id]    one Durable Object per tenant, with its own SQLite database
//   /shared/todos[/:id]    D1, one table for everyone; every document has a tenantId that is
//                          always set from the context and always filtered on
import { fromRpcError, PocketError, type QueryPage } from '@pocket/core';
import { TenantDO } from './tenant-do.js';
import { getTenantDb, getTenantStub, MAX_TITLE_LENGTH, PAGE_SIZE, sharedDb, tenantTodos, type Env, type Todo } from './tenant-storage.js';
import { TenantError, tenantOf } from './tenant.js';

export { TenantDO };
export type { Env, SharedTodo, Todo } from './tenant-storage.js';

// ---- HTTP ----------------------------------------------------------------------------------

class BadRequest extends Error {}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    try {
      return await route(request, env);
    } catch (error) {
      if (error instanceof TenantError) return Response.json({ error: 'TENANT', message: error.message }, { status: error.status });
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

async function route(request: Request, env: Env): Promise<Response> {
  const tenantId = tenantOf(request); // before anything else touches storage
  const url = new URL(request.url);
  const { pathname } = url;
  const after = url.searchParams.get('after');
  const [, area, collection, rawId, ...rest] = pathname.split('/');
  const id = rawId === undefined ? null : decodeId(rawId);
  const method = request.method;
  if (rest.length > 0) return notFound();

  if (area === 'prefixed' && collection === 'todos') {
    const todos = getTenantDb(env, tenantId).collection<Todo>('todos');
    if (id === null && method === 'GET') {
      const query = todos.find().sort('createdAt').limit(PAGE_SIZE);
      return pageResponse(url, await (after === null ? query : query.after(after)).page());
    }
    if (id === null && method === 'POST') {
      const { title } = await readTitle(request);
      const todo = await todos.insert({ title, completed: false, createdAt: new Date().toISOString() });
      return Response.json(todo, { status: 201 });
    }
    if (id !== null && method === 'DELETE') {
      await todos.delete(id);
      return new Response(null, { status: 204 });
    }
  }

  if (area === 'object' && collection === 'notes') {
    const stub = getTenantStub(env, tenantId);
    if (id === null && method === 'GET') return pageResponse(url, await rpc(stub.listNotes(after)));
    if (id === null && method === 'POST') {
      // The object checks the note's length itself: its ValidationError comes back as a 400.
      const { title } = await readBody(request);
      if (typeof title !== 'string' || title.trim() === '') throw new BadRequest('"title" must be a non-empty string.');
      return Response.json(await rpc(stub.addNote(title)), { status: 201 });
    }
    if (id !== null && method === 'DELETE') {
      await rpc(stub.deleteNote(id));
      return new Response(null, { status: 204 });
    }
  }

  if (area === 'shared' && collection === 'todos') {
    const todos = tenantTodos(sharedDb(env), tenantId);
    if (id === null && method === 'GET') return pageResponse(url, await todos.list(after));
    if (id === null && method === 'POST') return Response.json(await todos.create(await readTitle(request)), { status: 201 });
    if (id !== null && method === 'GET') return Response.json(await todos.get(id));
    if (id !== null && method === 'PUT') return Response.json(await todos.update(id, await readChanges(request)));
    if (id !== null && method === 'DELETE') {
      await todos.remove(id);
      return new Response(null, { status: 204 });
    }
  }

  return notFound();
}

function notFound(): Response {
  return Response.json({ error: 'NOT_FOUND' }, { status: 404 });
}

function decodeId(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new BadRequest('The id in the path is not valid percent-encoding.');
  }
}

async function readBody(request: Request): Promise<Record<string, unknown>> {
  const body: unknown = await request.json().catch(() => null);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequest('The body must be a JSON object.');
  return body as Record<string, unknown>;
}

async function readTitle(request: Request): Promise<{ title: string }> {
  return { title: titleOf((await readBody(request)).title) };
}

async function readChanges(request: Request): Promise<Partial<Pick<Todo, 'title' | 'completed'>>> {
  const body = await readBody(request);
  const changes: Partial<Pick<Todo, 'title' | 'completed'>> = {};
  if (body.title !== undefined) changes.title = titleOf(body.title);
  if (body.completed !== undefined) {
    if (typeof body.completed !== 'boolean') throw new BadRequest('"completed" must be true or false.');
    changes.completed = body.completed;
  }
  return changes;
}

function titleOf(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new BadRequest('"title" must be a non-empty string.');
  if (value.length > MAX_TITLE_LENGTH) throw new BadRequest(`"title" is ${value.length} characters long; the limit is ${MAX_TITLE_LENGTH}.`);
  return value;
}

/** A page as the body, and the next page's address in a Link header when there is one. */
function pageResponse(url: URL, page: QueryPage<unknown>): Response {
  const response = Response.json(page.docs);
  if (page.next !== null) response.headers.set('link', `<${url.pathname}?after=${encodeURIComponent(page.next)}>; rel="next"`);
  return response;
}

/**
 * A Durable Object RPC call whose PocketErrors keep their class, code and status: RPC delivers
 * them as plain Errors, which would answer 500 where the same mistake answers 400 elsewhere.
 */
function rpc<T>(call: Promise<T>): Promise<T> {
  return call.catch((error: unknown) => {
    throw fromRpcError(error);
  });
}
