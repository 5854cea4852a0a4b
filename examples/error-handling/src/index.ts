// A D1 Worker whose routes let Pocket validate input and report problems, with one place that
// turns every error into a response (src/errors.ts).
//
//   GET    /todos?limit=N        list, oldest first, at most 100 (N, capped at 100, is passed to
//                                Pocket unchecked: QueryError → 400); ?after= continues from the
//                                Link header's cursor (a malformed one: QueryError → 400)
//   POST   /todos                create; the body may choose _id (DuplicateKeyError → 409,
//                                ValidationError → 400 for a bad _id or a value JSON can't hold);
//                                at most 16 KiB of body and 200 characters of title
//   GET    /todos/:id            one todo (DocumentNotFoundError → 404)
//   PUT    /todos/:id            merge fields (DocumentNotFoundError → 404, ValidationError → 400)
//   DELETE /todos/:id            204
//   GET    /todos/:id/headline   the title in capitals: a route with a bug for todos without a title (→ 500)
import { Database, DocumentNotFoundError } from '@pocket/core';
import { createD1Storage } from '@pocket/storage-edge';
import { BadRequestError, errorResponse } from './errors.js';
import { MAX_BODY_LENGTH, MAX_PAGE_SIZE, MAX_TITLE_LENGTH } from './limits.js';

export interface Env {
  DB: D1Database;
}

export interface Todo {
  _id: string;
  title: string;
  completed: boolean;
  createdAt: string;
  [field: string]: unknown;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    try {
      const db = await Database.create({
        name: 'my-app',
        storage: createD1Storage({ database: env.DB }),
      });
      return await route(request, db);
    } catch (error) {
      return errorResponse(error);
    }
  },
} satisfies ExportedHandler<Env>;

async function route(request: Request, db: Database): Promise<Response> {
  const todos = db.collection<Todo>('todos');
  const url = new URL(request.url);
  const { pathname, searchParams } = url;
  const [, collection, rawId, action, ...rest] = pathname.split('/');
  if (collection !== 'todos' || rest.length > 0) return notFound(pathname);
  const id = rawId === undefined || rawId === '' ? null : decodePathSegment(rawId);

  if (id === null && action === undefined) {
    if (request.method === 'GET') {
      const limit = searchParams.get('limit');
      const after = searchParams.get('after');
      // No checks here on purpose: Pocket rejects -1, 0, 2.5 or "ten" (NaN, which Math.min keeps)
      // with a QueryError, and a cursor it did not make too. Only the size is capped.
      const query = todos
        .find()
        .sort('createdAt')
        .limit(limit === null ? MAX_PAGE_SIZE : Math.min(Number(limit), MAX_PAGE_SIZE));
      const { docs, next } = await (after === null ? query : query.after(after)).page();
      const response = Response.json(docs);
      if (next !== null) {
        const nextUrl = new URL(url);
        nextUrl.searchParams.set('after', next);
        response.headers.set('link', `<${nextUrl.pathname}${nextUrl.search}>; rel="next"`);
      }
      return response;
    }
    if (request.method === 'POST') {
      const body = await readObject(request);
      checkTitle(body.title);
      // Everything else in the body is stored as sent, except `_rev`: Pocket owns the revision
      // and ignores one sent in. It checks that the rest is JSON a document can hold and that
      // `_id`, when given, is a usable id that is not taken.
      const todo = await todos.insert({ ...body, title: body.title, completed: false, createdAt: new Date().toISOString() });
      return Response.json(todo, { status: 201 });
    }
  }

  if (id !== null && action === undefined) {
    if (request.method === 'GET') {
      const todo = await todos.get(id);
      if (!todo) throw new DocumentNotFoundError(todos.name, id);
      return Response.json(todo);
    }
    if (request.method === 'PUT') {
      const changes = await readObject(request);
      if (changes.title !== undefined) checkTitle(changes.title);
      return Response.json(await todos.update(id, changes));
    }
    if (request.method === 'DELETE') {
      await todos.delete(id);
      return new Response(null, { status: 204 });
    }
  }

  if (id !== null && action === 'headline' && request.method === 'GET') {
    const todo = await todos.get(id);
    if (!todo) throw new DocumentNotFoundError(todos.name, id);
    // The bug: older rows may lack a title, and this line then throws a TypeError.
    return Response.json({ headline: todo.title.toUpperCase() });
  }

  return notFound(pathname);
}

function notFound(pathname: string): Response {
  return Response.json({ error: { code: 'NOT_FOUND', message: `No route for ${pathname}. Try /todos.` } }, { status: 404 });
}

function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BadRequestError('The id in the path is not valid percent-encoding.');
  }
}

function checkTitle(title: unknown): asserts title is string {
  if (typeof title !== 'string') throw new BadRequestError('"title" must be a string.');
  if (title.length > MAX_TITLE_LENGTH) throw new BadRequestError(`"title" is ${title.length} characters long; the limit is ${MAX_TITLE_LENGTH}.`);
}

async function readObject(request: Request): Promise<Record<string, unknown>> {
  const text = await request.text();
  if (text.length > MAX_BODY_LENGTH) throw new BadRequestError(`The body is ${text.length} characters long; the limit is ${MAX_BODY_LENGTH}.`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new BadRequestError('The request body must be JSON.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestError('The request body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}
