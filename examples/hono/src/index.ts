// The guide's Hono app on D1, with the database typed on the context (no casts in routes),
// full CRUD, Pocket errors answered with their own HTTP status, and each todo's `_rev` as its
// ETag: If-Match makes a write conditional (412 when stale), If-None-Match makes a GET a 304.
// Every response says in a Server-Timing header what Pocket did for it. /todos is open to
// anyone; /me/todos (src/me.ts) are each user's own, behind a verified JWT (src/auth.ts).
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { Database, DocumentNotFoundError, PocketError, serverTiming, type OperationRecord } from '@pocket/core';
import { createD1Storage, d1SessionMiddleware } from '@pocket/storage-edge';
import type { AppEnv, Todo } from './app-env.js';
import { etag, failedPrecondition, PreconditionFailed, preconditionsOf, writeIf } from './conditional.js';
import { pageResponse, readObject, titleOf } from './http.js';
import { me } from './me.js';

export type { AppEnv, Env, Todo, UserTodo } from './app-env.js';

const app = new Hono<AppEnv>();

// Server-Timing: pocket;dur=3.1;desc="1 operation, 12 rows read, 0 written" on every response,
// errors included: the browser's developer tools show it beside the request. First, so that it
// adds up everything the request did.
app.use('*', serverTiming());

// A D1 session per request, from the bookmark the client sent back (x-d1-bookmark header or
// cookie): reads may go to a replica, yet a client always reads its own writes. The response
// carries the new bookmark.
app.use('*', d1SessionMiddleware());

// One Database per request: creating it does no I/O; it runs on the request's session. Its
// operation hook counts each operation into the request's Server-Timing, and logs the costly ones.
app.use('*', async (c, next) => {
  const timings = c.get('pocketTimings');
  const request = `${c.req.method} ${c.req.path}`;
  const db = await Database.create({
    name: 'my-app',
    // A user's todos are filtered by userId and sorted by createdAt: one index serves both.
    storage: createD1Storage({ database: c.get('d1'), indexes: { user_todos: [['userId', 'createdAt']] } }),
    onOperation: (record) => {
      timings.record(record);
      logCostly(record, request);
    },
  });
  c.set('db', db);
  await next();
});

/**
 * One structured log line per operation that read more than 1,000 rows (D1 bills rows read).
 * Workers Logs indexes the fields of a logged object: filter on `rowsRead`, group by
 * `collection`. `statements` is the SQL with `?` placeholders, as D1's insights show it.
 */
function logCostly(record: OperationRecord, request: string): void {
  if (record.rowsRead <= 1000) return;
  const { collection, operation, rowsRead, rowsWritten, durationMs, statements } = record;
  console.log({ message: 'pocket: costly operation', request, collection, operation, rowsRead, rowsWritten, durationMs, statements });
}

app.get('/todos', async (c) => {
  let query = c.get('db').collection<Todo>('todos').find();
  const completed = c.req.query('completed');
  if (completed !== undefined) query = query.where('completed').equals(parseBoolean(completed));
  return pageResponse(c, query.sort('createdAt'));
});

app.post('/todos', async (c) => {
  const body = await readObject(c.req.raw);
  const todo = await c
    .get('db')
    .collection<Todo>('todos')
    .insert({
      _id: crypto.randomUUID(),
      title: titleOf(body.title),
      completed: false,
      createdAt: new Date().toISOString(),
    });
  c.header('ETag', etag(todo._rev));
  c.header('Location', `/todos/${encodeURIComponent(todo._id)}`);
  return c.json(todo, 201);
});

app.get('/todos/:id', async (c) => {
  const pre = preconditionsOf(c.req.raw.headers); // a malformed header is a 400 before any read
  const todo = await c.get('db').collection<Todo>('todos').get(c.req.param('id'));
  if (!todo) return c.json({ error: 'NOT_FOUND', message: `No todo "${c.req.param('id')}".` }, 404);
  c.header('ETag', etag(todo._rev));
  const failed = failedPrecondition(pre, todo._rev);
  // If-None-Match with the ETag the client holds: its copy is current, send no body.
  if (failed === 'If-None-Match') return c.body(null, 304);
  if (failed === 'If-Match') throw new PreconditionFailed(failed, todo._rev);
  return c.json(todo);
});

// PATCH merges the fields given; PUT does the same (the route this example had first).
app.on(['PATCH', 'PUT'], '/todos/:id', async (c) => {
  const pre = preconditionsOf(c.req.raw.headers);
  const body = await readObject(c.req.raw);
  const changes: Partial<Pick<Todo, 'title' | 'completed'>> = {};
  if (body.title !== undefined) changes.title = titleOf(body.title);
  if (body.completed !== undefined) {
    if (typeof body.completed !== 'boolean') throw new HTTPException(400, { message: '"completed" must be true or false.' });
    changes.completed = body.completed;
  }
  const todos = c.get('db').collection<Todo>('todos');
  const id = c.req.param('id');
  // With If-Match: "3", this is update(id, changes, { expectedRev: 3 }). Without a header,
  // expectedRev is undefined and the update is unconditional. A missing todo is a
  // DocumentNotFoundError (404) whatever the preconditions: RFC 9110 §13.2.1 puts a 404 first.
  const todo = await writeIf(
    pre,
    async () => (await todos.get(id))?._rev ?? notFound(id),
    (expectedRev) => (expectedRev === null ? notFound(id) : todos.update(id, changes, { expectedRev })),
  );
  c.header('ETag', etag(todo._rev));
  return c.json(todo);
});

app.delete('/todos/:id', async (c) => {
  const todos = c.get('db').collection<Todo>('todos');
  const id = c.req.param('id');
  // 204 whether or not the todo existed, unless an If-Match asks for it (then 412 if there is none).
  await writeIf(
    preconditionsOf(c.req.raw.headers),
    async () => (await todos.get(id))?._rev ?? null,
    async (expectedRev) => (expectedRev === null ? false : todos.delete(id, { expectedRev })),
  );
  return c.body(null, 204);
});

app.route('/me', me);

app.notFound((c) => c.json({ error: 'NOT_FOUND', message: 'Try GET /todos.' }, 404));

app.onError((error, c) => {
  if (error instanceof HTTPException) {
    // hono/jwt's 401s carry a WWW-Authenticate challenge that says what was wrong: keep it.
    const challenge = error.res?.headers.get('WWW-Authenticate');
    if (challenge) c.header('WWW-Authenticate', challenge);
    return c.json({ error: error.status === 401 ? 'UNAUTHENTICATED' : 'BAD_REQUEST', message: error.message }, error.status);
  }
  // A stale If-Match (the ConflictError of the write it became) or another false precondition:
  // 412, with the todo's current ETag so the client sees that it changed.
  if (error instanceof PreconditionFailed) {
    if (error.currentRev !== null) c.header('ETag', etag(error.currentRev));
    return c.json({ error: 'PRECONDITION_FAILED', message: error.message }, 412);
  }
  // Pocket errors say how to answer: ValidationError/QueryError 400, DocumentNotFoundError 404,
  // DuplicateKeyError/ConflictError 409 (writeIf gives up with a ConflictError only when the
  // todo kept changing while it evaluated the preconditions again). toJSON() is safe to send:
  // for a storage failure (D1Error, 503) its message is a fixed one; D1's own, which can
  // contain SQL, stays in the error, for the log.
  if (!(error instanceof PocketError) || error.status >= 500) console.error(`${c.req.method} ${c.req.path} failed:`, error);
  if (error instanceof PocketError) {
    const { code, message } = error.toJSON();
    return c.json({ error: code, message }, error.status);
  }
  return c.json({ error: 'INTERNAL' }, 500);
});

export default app;

function notFound(id: string): never {
  throw new DocumentNotFoundError('todos', id);
}

function parseBoolean(value: string): boolean {
  if (value === 'true' || value === 'false') return value === 'true';
  throw new HTTPException(400, { message: '?completed= must be true or false.' });
}
