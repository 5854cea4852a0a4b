// The page: a Pocket database in memory, kept in step with the list's Durable Object over a
// WebSocket. Every edit is an ordinary local write (insert, update, delete), shown at once by
// the live query; the sync client finds it in the local change feed and pushes it, and writes
// what others changed into the same database, where the live query shows it too.
//
// Open /?list=home&name=Ann in one tab and /?list=home&name=Ben in another.
import { Database, createMemoryStorage } from '@pocket/core';
import { createSyncClient, type SyncStatus } from '@pocket/sync/client';
import { LIST_NAME, MAX_TITLE_LENGTH, USER_NAME, type Todo } from '../src/todo.js';

const params = new URL(location.href).searchParams;
const listId = params.get('list') ?? 'home';
const name = params.get('name') ?? 'guest';

const note = element('note', HTMLParagraphElement);
const statusBadge = element('status', HTMLSpanElement);
const toggle = element('toggle-connection', HTMLButtonElement);
const addForm = element('add', HTMLFormElement);
const newTitle = element('new-title', HTMLInputElement);
const list = element('todos', HTMLUListElement);

if (!LIST_NAME.test(listId) || !USER_NAME.test(name)) {
  note.textContent = 'Use ?list=<a-z, 0-9, -> and ?name=<letters, digits, spaces> in the address.';
  throw new Error('bad list or name in the address');
}
element('list-name', HTMLHeadingElement).textContent = `List “${listId}”`;
element('who', HTMLSpanElement).textContent = `as ${name}`;
newTitle.maxLength = MAX_TITLE_LENGTH;

// Memory storage: a reload starts empty and syncs the list again. With a persistent adapter,
// edits made offline would survive a reload too (the client keeps its state in the database).
const db = Database.open({ name: 'sync-todos', storage: createMemoryStorage() });
const todos = db.collection<Todo>('todos');

const syncUrl = new URL(`/lists/${listId}/sync`, location.href);
syncUrl.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
// Not authentication: the server believes this name (see src/rules.ts and the README).
syncUrl.searchParams.set('user', name);

const sync = createSyncClient({
  database: db,
  url: syncUrl.href,
  collections: { todos: { filter: (q) => q.where('listId').equals(listId) } },
});

sync.on('status', showStatus);
sync.on('conflict', ({ local }) => {
  note.textContent = `“${String(local?.title ?? 'A todo')}” was changed elsewhere at the same time; the other version was kept.`;
});
sync.on('rejected', ({ message }) => {
  note.textContent = `The server refused a change, so it was undone: ${message}`;
});
void sync.start();

toggle.addEventListener('click', () => {
  toggle.disabled = true;
  const paused = sync.status === 'stopped';
  // stop() keeps local writes in the database; start() pushes them and pulls what others did.
  void (paused ? sync.start() : sync.stop()).finally(() => {
    toggle.textContent = paused ? 'Go offline' : 'Go online';
    toggle.disabled = false;
  });
});

addForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const title = newTitle.value.trim();
  if (title === '') return;
  newTitle.value = '';
  attempt(todos.insert({ listId, title: title.slice(0, MAX_TITLE_LENGTH), completed: false, createdAt: new Date().toISOString() }));
});

/** One row per todo, kept by id, so a title being edited is not replaced under the cursor. */
const rows = new Map<string, HTMLLIElement>();

// The list on screen is a live query's result: re-rendered after every change, local or synced.
// Ordered by creation, and by id where two todos share a time, so every tab shows one order.
todos
  .find({ listId })
  .sort('createdAt')
  .sort('_id')
  .observe(render, () => {
    note.textContent = 'Reading the local list failed; reload the page.';
  });

function render(current: Todo[]): void {
  const seen = new Set<string>();
  current.forEach((todo, index) => {
    seen.add(todo._id);
    const row = rows.get(todo._id) ?? createRow(todo._id);
    updateRow(row, todo);
    if (list.children[index] !== row) list.insertBefore(row, list.children[index] ?? null);
  });
  for (const [id, row] of rows) {
    if (seen.has(id)) continue;
    row.remove();
    rows.delete(id);
  }
}

function createRow(id: string): HTMLLIElement {
  const row = document.createElement('li');
  row.dataset.id = id;
  const done = Object.assign(document.createElement('input'), { type: 'checkbox', className: 'done' });
  done.setAttribute('aria-label', 'done');
  done.addEventListener('change', () => attempt(todos.update(id, { completed: done.checked })));
  const title = Object.assign(document.createElement('input'), { className: 'title', maxLength: MAX_TITLE_LENGTH });
  title.setAttribute('aria-label', 'title');
  title.addEventListener('change', () => {
    const text = title.value.trim();
    if (text === '') title.value = title.defaultValue;
    else attempt(todos.update(id, { title: text.slice(0, MAX_TITLE_LENGTH) }));
  });
  title.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') title.blur();
  });
  const remove = Object.assign(document.createElement('button'), { type: 'button', className: 'delete', textContent: 'Delete' });
  remove.addEventListener('click', () => attempt(todos.delete(id)));
  row.append(done, title, remove);
  rows.set(id, row);
  return row;
}

function updateRow(row: HTMLLIElement, todo: Todo): void {
  const [done, title] = row.querySelectorAll('input');
  done!.checked = todo.completed;
  row.classList.toggle('completed', todo.completed);
  // textContent and value, never innerHTML: titles are other people's text.
  title!.defaultValue = todo.title;
  if (document.activeElement !== title) title!.value = todo.title;
}

function showStatus(status: SyncStatus): void {
  statusBadge.dataset.status = status;
  statusBadge.textContent = status === 'stopped' ? 'offline (paused)' : status;
}

function attempt(write: Promise<unknown>): void {
  write.catch((error: unknown) => {
    note.textContent = `That change failed: ${error instanceof Error ? error.message : String(error)}`;
  });
}

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`The page has no <${type.name}> #${id}.`);
  return found;
}
