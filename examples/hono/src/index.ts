// The guide's Hono app on D1, with the database typed on the context (no casts in routes),
// full CRUD, and Pocket errors answered with their own HTTP status.
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { Database, PocketError } from '@pocket/core';
import { createD1Storage, d1SessionMiddleware, type D1SessionLike } from '@pocket/storage-edge';

export interface Env {
  DB: D1Database;
}

export interface Todo {
  _id: string;
  title: string;
  completed: boolean;
  createdAt: string;
}

/** What the app keeps on the context: `c.get('db')` is a `Database`, typed, in every route. */
export type AppEnv = { Bindings: Env; Variables: { db: Database; d1: D1SessionLike } };

const app = new Hono<AppEnv>();

// A D1 session per request, from the bookmark the client sent back (x-d1-bookmark header or
// cookie): reads may go to a replica, yet a client always reads its own writes. The response
// carries the new bookmark.
app.use('*', d1SessionMiddleware());

// One Database per request: creating it does no I/O; it runs on the request's session.
app.use('*', async (c, next) => {
  const db = await Database.create({
    name: 'my-app',
    storage: createD1Storage({ database: c.get('d1') }),
  });
  c.set('db', db);
  await next();
});

app.get('/todos', async (c) => {
  let query = c.get('db').collection<Todo>('todos').find();
  const completed = c.req.query('completed');
  if (completed !== undefined) query = query.where('completed').equals(parseBoolean(completed));
  return c.json(await query.sort('createdAt').limit(100).exec());
});

app.post('/todos', async (c) => {
  const body = await readObject(c.req.raw);
  const todo = await c.get('db').collection<Todo>('todos').insert({
    _id: crypto.randomUUID(),
    title: titleOf(body.title),
    completed: false,
    createdAt: new Date().toISOString(),
  });
  return c.json(todo, 201);
});

app.get('/todos/:id', async (c) => {
  const todo = await c.get('db').collection<Todo>('todos').get(c.req.param('id'));
  if (!todo) return c.json({ error: 'NOT_FOUND', message: `No todo "${c.req.param('id')}".` }, 404);
  return c.json(todo);
});

app.put('/todos/:id', async (c) => {
  const body = await readObject(c.req.raw);
  const changes: Partial<Pick<Todo, 'title' | 'completed'>> = {};
  if (body.title !== undefined) changes.title = titleOf(body.title);
  if (body.completed !== undefined) {
    if (typeof body.completed !== 'boolean') throw new HTTPException(400, { message: '"completed" must be true or false.' });
    changes.completed = body.completed;
  }
  // DocumentNotFoundError (status 404) when there is no such todo; onError answers it.
  const todo = await c.get('db').collection<Todo>('todos').update(c.req.param('id'), changes);
  return c.json(todo);
});

app.delete('/todos/:id', async (c) => {
  await c.get('db').collection<Todo>('todos').delete(c.req.param('id'));
  return c.body(null, 204);
});

app.notFound((c) => c.json({ error: 'NOT_FOUND', message: 'Try GET /todos.' }, 404));

app.onError((error, c) => {
  if (error instanceof HTTPException) {
    return c.json({ error: 'BAD_REQUEST', message: error.message }, error.status);
  }
  // Pocket errors say how to answer: ValidationError/QueryError 400, DocumentNotFoundError 404,
  // DuplicateKeyError/ConflictError 409. Storage failures (D1Error, 503) keep their details in
  // the log: D1's message can contain SQL.
  if (error instanceof PocketError && error.status < 500) {
    return c.json({ error: error.code, message: error.message }, error.status);
  }
  console.error(`${c.req.method} ${c.req.path} failed:`, error);
  if (error instanceof PocketError) return c.json({ error: error.code }, error.status);
  return c.json({ error: 'INTERNAL' }, 500);
});

export default app;

async function readObject(request: Request): Promise<Record<string, unknown>> {
  const body: unknown = await request.json().catch(() => {
    throw new HTTPException(400, { message: 'The request body must be JSON.' });
  });
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HTTPException(400, { message: 'The request body must be a JSON object.' });
  }
  return body as Record<string, unknown>;
}

function titleOf(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new HTTPException(400, { message: '"title" must be a non-empty string.' });
  }
  return value;
}

function parseBoolean(value: string): boolean {
  if (value === 'true' || value === 'false') return value === 'true';
  throw new HTTPException(400, { message: '?completed= must be true or false.' });
}
