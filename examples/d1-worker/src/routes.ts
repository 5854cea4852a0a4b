// The routes of the Worker in src/index.ts, on whatever database it hands them.
//
//   GET    /todos            list (optional ?userId=…&completed=true|false), oldest first, 100 a
//                            page; ?after= continues where the Link header says
//   POST   /todos            create from { title, userId? } (a title of at most 200 characters)
//   GET    /todos/:id        one todo, or 404
//   PUT    /todos/:id        merge { title?, completed? } into the todo, or 404
//   DELETE /todos/:id        remove it; 204 whether or not it existed (DELETE is idempotent)
import { PocketError, type Database } from '@pocket/core';

/** The longest title accepted, in characters: it bounds every todo, so every page. */
export const MAX_TITLE_LENGTH = 200;
/** Todos per page of `GET /todos`. */
export const PAGE_SIZE = 100;

export interface Todo {
  _id: string;
  title: string;
  completed: boolean;
  userId: string;
  createdAt: string;
}

/** A response the router decided on early: bad JSON, a missing field, an unknown route. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The routes, on a database the caller opened: the Worker's own (src/index.ts), or one whose
 * storage a test wraps (test/indexes.test.ts runs them on `requireIndexes()` storage). Errors are
 * thrown; `errorResponse` answers them.
 */
export async function handle(request: Request, db: Database): Promise<Response> {
  const todos = db.collection<Todo>('todos');

  const url = new URL(request.url);
  const id = todoId(url.pathname);

  if (url.pathname === '/todos') {
    if (request.method === 'GET') {
      let query = todos.find();
      const userId = url.searchParams.get('userId');
      if (userId !== null) query = query.where('userId').equals(userId);
      const completed = url.searchParams.get('completed');
      if (completed !== null) query = query.where('completed').equals(parseBoolean(completed, 'completed'));
      // Always bound a query at the edge: a page at a time, each a Pocket cursor page, so page
      // 30 costs what page 1 does. A malformed ?after= is Pocket's QueryError, a 400.
      const after = url.searchParams.get('after');
      const sorted = query.sort('createdAt').limit(PAGE_SIZE);
      const { docs, next } = await (after === null ? sorted : sorted.after(after)).page();
      const response = Response.json(docs);
      if (next !== null) {
        const nextUrl = new URL(url);
        nextUrl.searchParams.set('after', next); // keeps ?userId= and ?completed=
        response.headers.set('link', `<${nextUrl.pathname}${nextUrl.search}>; rel="next"`);
      }
      return response;
    }
    if (request.method === 'POST') {
      const body = await readObject(request);
      const todo = await todos.insert({
        _id: crypto.randomUUID(),
        title: titleOf(requireString(body, 'title')),
        // The client names the user here (and in ?userId=): a demo of filtering, not of
        // identity. A real app takes the user from a verified token (see examples/hono).
        userId: optionalString(body, 'userId') ?? 'anonymous',
        completed: false,
        createdAt: new Date().toISOString(),
      });
      return Response.json(todo, { status: 201 });
    }
    return methodNotAllowed('GET, POST');
  }

  if (id !== null) {
    if (request.method === 'GET') {
      const todo = await todos.get(id);
      return todo ? Response.json(todo) : Response.json({ error: 'NOT_FOUND', message: `No todo "${id}".` }, { status: 404 });
    }
    if (request.method === 'PUT') {
      const body = await readObject(request);
      const changes: Partial<Pick<Todo, 'title' | 'completed'>> = {};
      const title = optionalString(body, 'title');
      if (title !== undefined) changes.title = titleOf(title);
      if (body.completed !== undefined) {
        if (typeof body.completed !== 'boolean') throw new HttpError(400, '"completed" must be true or false.');
        changes.completed = body.completed;
      }
      // Throws DocumentNotFoundError (status 404) when there is no such todo.
      return Response.json(await todos.update(id, changes));
    }
    if (request.method === 'DELETE') {
      await todos.delete(id);
      return new Response(null, { status: 204 });
    }
    return methodNotAllowed('GET, PUT, DELETE');
  }

  return Response.json({ error: 'NOT_FOUND', message: 'Try GET /todos.' }, { status: 404 });
}

/** The id in `/todos/:id`, decoded, or null when the path has another shape. */
function todoId(pathname: string): string | null {
  const match = /^\/todos\/([^/]+)$/.exec(pathname);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    throw new HttpError(400, 'The todo id in the path is not valid percent-encoding.');
  }
}

async function readObject(request: Request): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    throw new HttpError(400, 'The request body must be JSON.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'The request body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}

function requireString(body: Record<string, unknown>, field: string): string {
  const value = optionalString(body, field);
  if (value === undefined) throw new HttpError(400, `"${field}" is required.`);
  return value;
}

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw new HttpError(400, `"${field}" must be a non-empty string.`);
  return value;
}

function titleOf(title: string): string {
  if (title.length > MAX_TITLE_LENGTH) throw new HttpError(400, `"title" is ${title.length} characters long; the limit is ${MAX_TITLE_LENGTH}.`);
  return title;
}

function parseBoolean(value: string, name: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new HttpError(400, `?${name}= must be true or false.`);
}

function methodNotAllowed(allow: string): Response {
  return Response.json({ error: 'METHOD_NOT_ALLOWED', message: `Use ${allow}.` }, { status: 405, headers: { allow } });
}

export function errorResponse(error: unknown): Response {
  if (error instanceof HttpError) {
    return Response.json({ error: 'BAD_REQUEST', message: error.message }, { status: error.status });
  }
  // Pocket's own errors carry the status to answer with: 400 for bad input, 404, 409, 503…
  // toJSON() is safe to send: for a storage failure (D1Error, 503) its message is a fixed one,
  // and D1's own, which can contain SQL, stays in the error, logged here.
  if (!(error instanceof PocketError) || error.status >= 500) console.error('request failed:', error);
  if (error instanceof PocketError) {
    const { code, message } = error.toJSON();
    return Response.json({ error: code, message }, { status: error.status });
  }
  return Response.json({ error: 'INTERNAL' }, { status: 500 });
}
