// The smallest useful Worker on D1, written by hand: insert a todo, list a user's todos.
interface Env {
  DB: D1Database;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (request.method === 'POST') {
      const body = (await request.json()) as { title: string; userId: string };
      const todo = { _id: crypto.randomUUID(), title: body.title, userId: body.userId, completed: false };
      await env.DB.prepare('INSERT INTO todos (_id, data) VALUES (?, ?)').bind(todo._id, JSON.stringify(todo)).run();
      return Response.json(todo, { status: 201 });
    }
    const { results } = await env.DB.prepare(`SELECT data FROM todos WHERE json_extract(data, '$.userId') = ?`)
      .bind(url.searchParams.get('userId') ?? '')
      .all<{ data: string }>();
    return Response.json(results.map((row) => JSON.parse(row.data)));
  },
} satisfies ExportedHandler<Env>;
