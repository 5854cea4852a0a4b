// The Worker in front: it finds the caller's TodoListDO and hands it the request.
import { TodoListDO } from './todo-list.js';

export { TodoListDO };

export interface Env {
  TODO_LIST: DurableObjectNamespace;
}

/** User ids become Durable Object names: keep them short and printable. */
const USER_ID = /^[A-Za-z0-9_.@-]{1,128}$/;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    // Stands in for authentication: a real app takes the user from a verified session or token.
    // There is no shared "anonymous" list: without a user there is nothing to show.
    const userId = request.headers.get('x-user-id');
    if (userId === null || !USER_ID.test(userId)) {
      return Response.json({ error: 'UNAUTHENTICATED', message: 'Send an x-user-id header (letters, digits, _ . @ -).' }, { status: 401 });
    }

    // The same name always gives the same object, so each user has exactly one list.
    const id = env.TODO_LIST.idFromName(userId);
    const stub = env.TODO_LIST.get(id);
    return stub.fetch(request);
  },
} satisfies ExportedHandler<Env>;
