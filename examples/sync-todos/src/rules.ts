// Who may sync what. Every connection (WebSocket) and every HTTP pull or push passes through
// `authenticate`; every document a user receives matches `read`; every write they push must
// pass `write`. The rules run in the list's Durable Object, so a client cannot skip them.
import type { Database } from '@pocket/core';
import type { CollectionRules, SyncRules } from '@pocket/sync/server';
import { MAX_TODOS_PER_LIST, USER_NAME, isTodoOf, listOfSyncPath, type Todo } from './todo.js';

/** Kept in each WebSocket's attachment (hibernation keeps it), so small: a name and a list. */
export interface User {
  name: string;
  listId: string;
}

/** The rules of one list's object; `database` is that object's, so a new todo can be counted against the list's limit. */
export const rulesFor = (database: Database): SyncRules<User> => ({
  authenticate(request) {
    const url = new URL(request.url);
    const listId = listOfSyncPath(url.pathname);
    // NOT AUTHENTICATION. The demo believes whatever name `?user=` says, so anyone can claim
    // any name and open any list. A real app verifies a credential here instead: a JWT in the
    // query or a cookie (a browser's WebSocket cannot send an Authorization header), checked
    // as docs/hono.md#authentication shows, and then decides which lists that user may open.
    const name = url.searchParams.get('user');
    if (listId === null || name === null || !USER_NAME.test(name)) return null;
    return { name, listId };
  },
  collections: {
    todos: {
      // Only this list's todos, whatever a client subscribes to.
      read: (user, q) => q.where('listId').equals(user.listId),
      // Writes stay in this list and keep todos well-formed and bounded; a refused write is
      // reported to its client, which goes back to the server's version.
      // A new todo also needs room: one object holds one list, so counting the collection counts the list.
      write: async (user, { before, after }) =>
        (before === null || before.listId === user.listId) &&
        (after === null || isTodoOf(user.listId, after)) &&
        (before !== null || after === null || (await database.collection('todos').count()) < MAX_TODOS_PER_LIST),
    } satisfies CollectionRules<User, Todo>,
  },
});
