// The same Worker with workers-qb.
import { D1QB } from 'workers-qb';

interface Env {
  DB: D1Database;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const qb = new D1QB(env.DB);
    const url = new URL(request.url);
    if (request.method === 'POST') {
      const body = (await request.json()) as { title: string; userId: string };
      const todo = { _id: crypto.randomUUID(), title: body.title, userId: body.userId, completed: false };
      await qb.insert({ tableName: 'todos', data: { _id: todo._id, data: JSON.stringify(todo) } }).execute();
      return Response.json(todo, { status: 201 });
    }
    const { results } = await qb
      .fetchAll<{ data: string }>({
        tableName: 'todos',
        fields: ['data'],
        where: { conditions: `json_extract(data, '$.userId') = ?1`, params: [url.searchParams.get('userId') ?? ''] },
      })
      .execute();
    return Response.json((results ?? []).map((row) => JSON.parse(row.data)));
  },
} satisfies ExportedHandler<Env>;
