// What a todo is, shared by the Worker (which checks every write) and the page (which makes them).
// No imports: the page's bundle and the Worker both include this file.

export interface Todo {
  _id: string;
  listId: string;
  title: string;
  completed: boolean;
  createdAt: string;
}

/** The longest title, in characters. The page's inputs stop there; the server refuses longer. */
export const MAX_TITLE_LENGTH = 200;

/** The most todos one list holds: the server refuses new ones past it, so a list (and a new tab's first sync) stays bounded. */
export const MAX_TODOS_PER_LIST = 500;

/** A list's name in URLs: /lists/<name>/sync. */
export const LIST_NAME = /^[a-z0-9-]{1,64}$/;

/** The list a sync URL's path names (`/lists/<name>/sync`, `…/sync/pull`, `…/sync/push`), or `null`. */
export function listOfSyncPath(pathname: string): string | null {
  const list = /^\/lists\/([^/]+)\/sync(?:\/(?:pull|push))?$/.exec(pathname)?.[1];
  return list !== undefined && LIST_NAME.test(list) ? list : null;
}

/** A user's display name (from the page's `?name=`; see rules.ts: this is not authentication). */
export const USER_NAME = /^[A-Za-z0-9 _.-]{1,40}$/;

const FIELDS = new Set(['_id', 'listId', 'title', 'completed', 'createdAt']);

/** Whether `doc` is a well-formed todo of `listId`, with nothing else in it. */
export function isTodoOf(listId: string, value: object): boolean {
  const doc = value as Record<string, unknown>;
  return (
    Object.keys(doc).every((key) => FIELDS.has(key)) &&
    doc.listId === listId &&
    typeof doc.title === 'string' &&
    doc.title.trim() !== '' &&
    doc.title.length <= MAX_TITLE_LENGTH &&
    typeof doc.completed === 'boolean' &&
    typeof doc.createdAt === 'string' &&
    doc.createdAt.length <= 40
  );
}
