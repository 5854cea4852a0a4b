// /me/todos: each signed-in user's own todos, behind a verified JWT (src/auth.ts).
//
//   GET  /me/todos        the user's todos, oldest first, 100 a page (Link: rel="next")
//   POST /me/todos        creates { title } for the user
import { Hono } from 'hono';
import type { AppEnv, UserTodo } from './app-env.js';
import { requireUser } from './auth.js';
import { pageResponse, readObject, titleOf } from './http.js';

export const me = new Hono<AppEnv>();

me.use('*', requireUser());

me.get('/todos', async (c) => {
  // Always filtered by the verified user: no query here can reach another user's todos.
  const query = c.get('db').collection<UserTodo>('user_todos').find().where('userId').equals(c.get('userId')).sort('createdAt');
  return pageResponse(c, query);
});

me.post('/todos', async (c) => {
  const body = await readObject(c.req.raw);
  const todo = await c
    .get('db')
    .collection<UserTodo>('user_todos')
    .insert({
      _id: crypto.randomUUID(),
      title: titleOf(body.title),
      completed: false,
      createdAt: new Date().toISOString(),
      userId: c.get('userId'), // from the token, whatever the body says
    });
  return c.json(todo, 201);
});
