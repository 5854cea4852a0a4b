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
      if (error instanceof PocketError && error.status < 500) {
        return Response.json({ error: error.code, message: error.message }, { status: error.status });
      }
      console.error('TodoListDO failed:', error);
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
          return Response.json(await todos.find().sort('createdAt').limit(100).exec());
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
          if (typeof body.title !== 'string' || body.title.trim() === '') return badRequest('"title" must be a non-empty string.');
          const todo = await todos.insert({
            _id: crypto.randomUUID(),
            title: body.title,
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
          if (body.title !== undefined) {
            if (typeof body.title !== 'string' || body.title.trim() === '') return badRequest('"title" must be a non-empty string.');
            changes.title = body.title;
          }
          if (body.completed !== undefined) {
            if (typeof body.completed !== 'boolean') return badRequest('"completed" must be true or false.');
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

function todoId(pathname: string): string | null {
  const match = /^\/todos\/([^/]+)$/.exec(pathname);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return null;
  }
}

async function readObject(request: Request): Promise<Record<string, unknown>> {
  const body: unknown = await request.json().catch(() => null);
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

function badRequest(message: string): Response {
  return Response.json({ error: 'BAD_REQUEST', message }, { status: 400 });
}

function notFound(): Response {
  return Response.json({ error: 'NOT_FOUND' }, { status: 404 });
}
