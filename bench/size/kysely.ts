// The same Worker with Kysely and kysely-d1.
import { Kysely, sql } from 'kysely';
import { D1Dialect } from 'kysely-d1';

interface Env {
  DB: D1Database;
}

interface Tables {
  todos: { _id: string; data: string };
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const db = new Kysely<Tables>({ dialect: new D1Dialect({ database: env.DB }) });
    const url = new URL(request.url);
    if (request.method === 'POST') {
      const body = (await request.json()) as { title: string; userId: string };
      const todo = { _id: crypto.randomUUID(), title: body.title, userId: body.userId, completed: false };
      await db
        .insertInto('todos')
        .values({ _id: todo._id, data: JSON.stringify(todo) })
        .execute();
      return Response.json(todo, { status: 201 });
    }
    const rows = await db
      .selectFrom('todos')
      .select('data')
      .where(sql`json_extract(data, '$.userId')`, '=', url.searchParams.get('userId') ?? '')
      .execute();
    return Response.json(rows.map((row) => JSON.parse(row.data)));
  },
} satisfies ExportedHandler<Env>;
