// The same Worker with Drizzle ORM on D1.
import { eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { sqliteTable, text } from 'drizzle-orm/sqlite-core';

interface Env {
  DB: D1Database;
}

interface Todo {
  _id: string;
  title: string;
  userId: string;
  completed: boolean;
}

const todos = sqliteTable('todos', {
  id: text('_id').primaryKey(),
  data: text('data', { mode: 'json' }).$type<Todo>().notNull(),
});

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const db = drizzle(env.DB);
    const url = new URL(request.url);
    if (request.method === 'POST') {
      const body = (await request.json()) as { title: string; userId: string };
      const todo = { _id: crypto.randomUUID(), title: body.title, userId: body.userId, completed: false };
      await db.insert(todos).values({ id: todo._id, data: todo });
      return Response.json(todo, { status: 201 });
    }
    const rows = await db
      .select({ data: todos.data })
      .from(todos)
      .where(eq(sql`json_extract(${todos.data}, '$.userId')`, url.searchParams.get('userId') ?? ''));
    return Response.json(rows.map((row) => row.data));
  },
} satisfies ExportedHandler<Env>;
