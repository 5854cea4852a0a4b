// Three ways to keep tenants apart, side by side. The tenant always comes from the request's
// authenticated context (here the x-tenant-id header, checked by tenantOf), never from a body.
//
//   /prefixed/todos[/:id]  D1, one set of tables per tenant: tenant_<id>_todos
//   /object/notes[/:id]    one Durable Object per tenant, with its own SQLite database
//   /shared/todos[/:id]    D1, one table for everyone; every document has a tenantId that is
//                          always set from the context and always filtered on
import { fromRpcError, PocketError } from '@pocket/core';
import { TenantDO } from './tenant-do.js';
import { getTenantDb, getTenantStub, sharedDb, tenantTodos, type Env, type Todo } from './tenant-storage.js';
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
      if (error instanceof PocketError && error.status < 500) {
        return Response.json({ error: error.code, message: error.message }, { status: error.status });
      }
      console.error('request failed:', error);
      return Response.json({ error: 'INTERNAL' }, { status: 500 });
    }
  },
} satisfies ExportedHandler<Env>;

async function route(request: Request, env: Env): Promise<Response> {
  const tenantId = tenantOf(request); // before anything else touches storage
  const { pathname } = new URL(request.url);
  const [, area, collection, rawId, ...rest] = pathname.split('/');
  const id = rawId === undefined ? null : decodeId(rawId);
  const method = request.method;
  if (rest.length > 0) return notFound();

  if (area === 'prefixed' && collection === 'todos') {
    const todos = getTenantDb(env, tenantId).collection<Todo>('todos');
    if (id === null && method === 'GET') return Response.json(await todos.find().sort('createdAt').limit(100).exec());
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
    if (id === null && method === 'GET') return Response.json(await rpc(stub.listNotes()));
    if (id === null && method === 'POST') {
      const { title } = await readTitle(request);
      return Response.json(await rpc(stub.addNote(title)), { status: 201 });
    }
    if (id !== null && method === 'DELETE') {
      await rpc(stub.deleteNote(id));
      return new Response(null, { status: 204 });
    }
  }

  if (area === 'shared' && collection === 'todos') {
    const todos = tenantTodos(sharedDb(env), tenantId);
    if (id === null && method === 'GET') return Response.json(await todos.list());
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
  const { title } = await readBody(request);
  if (typeof title !== 'string' || title.trim() === '') throw new BadRequest('"title" must be a non-empty string.');
  return { title };
}

async function readChanges(request: Request): Promise<Partial<Pick<Todo, 'title' | 'completed'>>> {
  const body = await readBody(request);
  const changes: Partial<Pick<Todo, 'title' | 'completed'>> = {};
  if (typeof body.title === 'string' && body.title.trim() !== '') changes.title = body.title;
  if (typeof body.completed === 'boolean') changes.completed = body.completed;
  return changes;
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
