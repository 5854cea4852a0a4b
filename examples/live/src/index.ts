// The Worker in front: /lists/:list/… goes to that list's LiveTodos object.
//
//   GET    /lists/:list/live        WebSocket: receives the list now and after every change
//   GET    /lists/:list/todos       the list over plain HTTP
//   POST   /lists/:list/todos       add { title }
//   PUT    /lists/:list/todos/:id   set { completed }
//   DELETE /lists/:list/todos/:id   remove
import { LiveTodos } from './live-todos.js';

export { LiveTodos };

export interface Env {
  LIVE_TODOS: DurableObjectNamespace<LiveTodos>;
}

const LIST_NAME = /^[a-z0-9-]{1,64}$/;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const [, root, list] = new URL(request.url).pathname.split('/');
    if (root !== 'lists' || list === undefined || !LIST_NAME.test(list)) {
      return Response.json({ error: 'NOT_FOUND', message: 'Use /lists/<name>/todos or /lists/<name>/live (name: a-z, 0-9, -).' }, { status: 404 });
    }
    // Every client and every writer of one list reaches the same object.
    return env.LIVE_TODOS.get(env.LIVE_TODOS.idFromName(list)).fetch(request);
  },
} satisfies ExportedHandler<Env>;
