// A Hono app as a user would write it after `npm install @pocket/core @pocket/storage-edge hono`.
import { Hono } from 'hono';
import { Database, PocketError } from '@pocket/core';
import { createD1Storage } from '@pocket/storage-edge';

interface Todo {
  _id: string;
  title: string;
  completed: boolean;
}

const app = new Hono<{ Bindings: { DB: D1Database }; Variables: { db: Database } }>();

app.use('*', async (c, next) => {
  c.set('db', await Database.create({ name: 'smoke', storage: createD1Storage({ database: c.env.DB }) }));
  await next();
});
app.onError((error, c) =>
  error instanceof PocketError ? c.json({ error: error.message, code: error.code }, error.status) : c.json({ error: 'internal error' }, 500),
);

app.get('/todos', async (c) => c.json(await c.get('db').collection<Todo>('todos').find().sort('title').exec()));
app.post('/todos', async (c) => {
  const { title } = await c.req.json<{ title: string }>();
  return c.json(await c.get('db').collection<Todo>('todos').insert({ title, completed: false }), 201);
});
app.put('/todos/:id', async (c) =>
  c.json(
    await c
      .get('db')
      .collection<Todo>('todos')
      .update(c.req.param('id'), await c.req.json<Partial<Todo>>()),
  ),
);
app.delete('/todos/:id', async (c) => {
  const deleted = await c.get('db').collection<Todo>('todos').delete(c.req.param('id'));
  return deleted ? c.body(null, 204) : c.notFound();
});

export default app;
