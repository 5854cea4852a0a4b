// The same Worker with Pocket: a database on D1, insert, query by a field.
import { Database } from '@pocket/core';
import { createD1Storage } from '@pocket/storage-edge';

interface Env {
  DB: D1Database;
}

interface Todo {
  _id: string;
  title: string;
  userId: string;
  completed: boolean;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const db = await Database.create({ name: 'app', storage: createD1Storage({ database: env.DB }) });
    const todos = db.collection<Todo>('todos');
    const url = new URL(request.url);
    if (request.method === 'POST') {
      const body = (await request.json()) as { title: string; userId: string };
      const todo = await todos.insert({ title: body.title, userId: body.userId, completed: false });
      return Response.json(todo, { status: 201 });
    }
    return Response.json(
      await todos
        .find()
        .where('userId')
        .equals(url.searchParams.get('userId') ?? '')
        .exec(),
    );
  },
} satisfies ExportedHandler<Env>;
