// A Worker as a user would write it after `npm install @pocket/core @pocket/storage-edge`.
import { Database, PocketError } from '@pocket/core';
import { createD1Storage, D1Error } from '@pocket/storage-edge';

interface Env {
  DB: D1Database;
}

interface Todo {
  _id: string;
  title: string;
  completed: boolean;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    try {
      const db = await Database.create({ name: 'smoke', storage: createD1Storage({ database: env.DB }) });
      const todos = db.collection<Todo>('todos');
      const url = new URL(request.url);
      const id = url.pathname.match(/^\/todos\/(.+)$/)?.[1];
      if (url.pathname === '/todos' && request.method === 'GET') {
        return Response.json(await todos.find().sort('title').exec());
      }
      if (url.pathname === '/todos' && request.method === 'POST') {
        const body = await request.json<{ title: string }>();
        return Response.json(await todos.insert({ title: body.title, completed: false }), { status: 201 });
      }
      if (id && request.method === 'PUT') {
        return Response.json(await todos.update(id, await request.json<Partial<Todo>>()));
      }
      if (id && request.method === 'DELETE') {
        return (await todos.delete(id)) ? new Response(null, { status: 204 }) : new Response('Not Found', { status: 404 });
      }
      return new Response('Not Found', { status: 404 });
    } catch (error) {
      if (error instanceof D1Error) return Response.json({ error: 'database unavailable' }, { status: 503 });
      if (error instanceof PocketError) return Response.json({ error: error.message, code: error.code }, { status: error.status });
      return Response.json({ error: 'internal error' }, { status: 500 });
    }
  },
};
