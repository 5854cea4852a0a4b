// The Worker. Static files (public/: the page and its bundled script) are served by Workers
// static assets before this code runs; everything else comes here.
//
//   GET  /lists/:list/sync          WebSocket upgrade: live sync of the list's todos
//   POST /lists/:list/sync/pull     HTTP sync, for clients that poll
//   POST /lists/:list/sync/push
//
// Each list is one TodoList object, so every client of a list meets the same object.
import { listOfSyncPath } from './todo.js';
import { TodoList } from './todo-list.js';

export { TodoList };

export interface Env {
  TODO_LIST: DurableObjectNamespace<TodoList>;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const list = listOfSyncPath(new URL(request.url).pathname);
    if (list === null) {
      return Response.json(
        { error: 'NOT_FOUND', message: 'Open / for the page; sync at /lists/<name>/sync (name: a-z, 0-9, -, at most 64).' },
        { status: 404 },
      );
    }
    return env.TODO_LIST.get(env.TODO_LIST.idFromName(list)).fetch(request);
  },
} satisfies ExportedHandler<Env>;
