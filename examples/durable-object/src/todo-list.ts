// One TodoListDO per user holds that user's todos in its own storage. Every request for the
// user reaches this one instance, so reads always see the latest writes.
import { Database, PocketError } from '@pocket/core';
import { createDurableObjectStorage } from '@pocket/storage-edge';
import type { Env } from './index.js';

export interface Todo {
  _id: string;
  title: string;
  completed: boolean;
  createdAt: string;
}

/** The longest title accepted, in characters: it bounds every todo, so every page. */
export const MAX_TITLE_LENGTH = 200;
/** Todos per page of `GET /todos`. */
export const PAGE_SIZE = 100;

/** A mistake in the request, answered 400 with its message. */
class BadRequest extends Error {}

export class TodoListDO implements DurableObject {
  private db: Database | null = null;

  constructor(
    private state: DurableObjectState,
    private env: Env,
  ) {}

  // Created on first use and kept for the life of the instance. After an eviction the runtime
  // constructs a new instance, which opens a new Database over the same storage.
  private async getDb(): Promise<Database> {
    if (!this.db) {
      this.db = await Database.create({
        name: 'todo-list',
        storage: createDurableObjectStorage({
          storage: this.state.storage,
          keyPrefix: 'pocket:',
        }),
      });
    }
    return this.db;
  }

  async fetch(request: Request): Promise<Response> {
    try {
      return await this.handle(request);
    } catch (error) {
      if (error instanceof BadRequest) return Response.json({ error: 'BAD_REQUEST', message: error.message }, { status: 400 });
      if (!(error instanceof PocketError) || error.status >= 500) console.error('TodoListDO failed:', error);
      // toJSON() is safe to send: a storage failure (5xx) gets a fixed message; the detail is logged above.
      if (error instanceof PocketError) {
        const { code, message } = error.toJSON();
        return Response.json({ error: code, message }, { status: error.status });
      }
      return Response.json({ error: 'INTERNAL' }, { status: 500 });
    }
  }

  private async handle(request: Request): Promise<Response> {
    const db = await this.getDb();
    const todos = db.collection<Todo>('todos');
    const url = new URL(request.url);
    const id = todoId(url.pathname);

    switch (request.method) {
      case 'GET': {
        if (url.pathname === '/todos') {
          // Oldest first, a page at a time: ?after= continues where a page ended (a cursor page,
          // so page 30 costs what page 1 does); the Link header names the next page.
          const query = todos.find().sort('createdAt').limit(PAGE_SIZE);
          const after = url.searchParams.get('after');
          const { docs, next } = await (after === null ? query : query.after(after)).page();
          const response = Response.json(docs);
          if (next !== null) response.headers.set('link', `</todos?after=${encodeURIComponent(next)}>; rel="next"`);
          return response;
        }
        if (id !== null) {
          const todo = await todos.get(id);
          return todo ? Response.json(todo) : notFound();
        }
        break;
      }

      case 'POST': {
        if (url.pathname === '/todos') {
          const body = await readObject(request);
          const todo = await todos.insert({
            _id: crypto.randomUUID(),
            title: titleOf(body.title),
            completed: false,
            createdAt: new Date().toISOString(),
          });
          return Response.json(todo, { status: 201 });
        }
        break;
      }

      case 'PUT': {
        if (id !== null) {
          const body = await readObject(request);
          const changes: Partial<Pick<Todo, 'title' | 'completed'>> = {};
          if (body.title !== undefined) changes.title = titleOf(body.title);
          if (body.completed !== undefined) {
            if (typeof body.completed !== 'boolean') throw new BadRequest('"completed" must be true or false.');
            changes.completed = body.completed;
          }
          // DocumentNotFoundError (404) when this user has no such todo.
          return Response.json(await todos.update(id, changes));
        }
        break;
      }

      case 'DELETE': {
        if (id !== null) {
          await todos.delete(id);
          return new Response(null, { status: 204 });
        }
        break;
      }
    }

    return notFound();
  }
}

/** The id in `/todos/:id`, decoded, or null when the path has another shape. */
function todoId(pathname: string): string | null {
  const match = /^\/todos\/([^/]+)$/.exec(pathname);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    throw new BadRequest('The todo id in the path is not valid percent-encoding.');
  }
}

async function readObject(request: Request): Promise<Record<string, unknown>> {
  const body: unknown = await request.json().catch(() => {
    throw new BadRequest('The request body must be JSON.');
  });
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequest('The request body must be a JSON object.');
  return body as Record<string, unknown>;
}

function titleOf(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new BadRequest('"title" must be a non-empty string.');
  if (value.length > MAX_TITLE_LENGTH) throw new BadRequest(`"title" is ${value.length} characters long; the limit is ${MAX_TITLE_LENGTH}.`);
  return value;
}

function notFound(): Response {
  return Response.json({ error: 'NOT_FOUND' }, { status: 404 });
}
