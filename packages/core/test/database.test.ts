import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryStorage, Database, type ChangeEvent, type StorageAdapter } from '@pocket/core';

afterEach(() => {
  vi.restoreAllMocks();
});

/** A memory adapter that counts how often a store is asked for. */
function countingStorage(): { storage: StorageAdapter; opened: string[] } {
  const base = createMemoryStorage();
  const opened: string[] = [];
  return {
    opened,
    storage: {
      name: 'counting',
      capabilities: base.capabilities,
      collection(name, context) {
        opened.push(`${context.database}/${name}`);
        return base.collection(name, context);
      },
    },
  };
}

describe('Database.collection', () => {
  it('returns the same instance for the same name, and opens its store once', () => {
    const { storage, opened } = countingStorage();
    const db = Database.open({ name: 'app', storage });
    const todos = db.collection('todos');
    expect(db.collection('todos')).toBe(todos);
    expect(db.collection('users')).not.toBe(todos);
    expect(opened).toEqual(['app/todos', 'app/users']);
    expect(Database.open({ name: 'app', storage }).collection('todos')).not.toBe(todos);
  });

  it('creating a database touches no storage', async () => {
    const { storage, opened } = countingStorage();
    const db = await Database.create({ name: 'app', storage });
    expect(db.name).toBe('app');
    expect(db.storage).toBe(storage);
    expect(opened).toEqual([]);
  });

  it('the memory adapter keeps databases apart by name and shares one name', async () => {
    const storage = createMemoryStorage();
    const a = Database.open({ name: 'a', storage });
    const b = Database.open({ name: 'b', storage });
    const a2 = Database.open({ name: 'a', storage });
    await a.collection('todos').insert({ _id: 'x', from: 'a' });
    expect(await b.collection('todos').get('x')).toBeNull();
    expect(await a2.collection('todos').get('x')).toEqual({ _id: 'x', from: 'a', _rev: 1 });
    expect(await Database.open({ name: 'a', storage: createMemoryStorage() }).collection('todos').count()).toBe(0);
  });
});

describe('Database.onChange', () => {
  it('a throwing listener neither fails the write nor stops the other listeners', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const db = Database.open({ name: 'app', storage: createMemoryStorage() });
    const seen: string[] = [];
    db.onChange(() => {
      throw new Error('listener bug');
    });
    db.onChange((changes) => seen.push(...changes.map((c) => c.id)));
    expect(await db.collection('todos').insert({ _id: 'a' })).toEqual({ _id: 'a', _rev: 1 });
    expect(seen).toEqual(['a']);
    expect(logged).toHaveBeenCalledWith('[pocket] a change listener threw:', expect.objectContaining({ message: 'listener bug' }));
  });

  it('{ documents: false } gets type, collection and id only; documents are copied only while someone reads them', async () => {
    const db = Database.open({ name: 'app', storage: createMemoryStorage() });
    const notices: unknown[] = [];
    db.onChange((changes) => notices.push(...changes), { documents: false });
    await db.collection('todos').insert({ _id: 'a', title: 'x' });
    await db.collection('todos').delete('a');
    expect(notices).toEqual([
      { type: 'insert', collection: 'todos', id: 'a' },
      { type: 'delete', collection: 'todos', id: 'a' },
    ]);
    const full: Array<ChangeEvent> = [];
    const stop = db.onChange((changes) => full.push(...changes));
    const written = await db.collection('todos').insert({ _id: 'b', title: 'y' });
    expect(full).toEqual([{ type: 'insert', collection: 'todos', id: 'b', doc: { _id: 'b', title: 'y', _rev: 1 } }]);
    expect((full[0] as { doc?: unknown }).doc).not.toBe(written);
    // With a document reader subscribed, the others get the same (full) events.
    expect(notices.at(-1)).toMatchObject({ id: 'b', doc: { title: 'y' } });
    stop();
    await db.collection('todos').insert({ _id: 'c' });
    expect(notices.at(-1)).toEqual({ type: 'insert', collection: 'todos', id: 'c' });
  });

  it('the same function subscribed twice is called twice, and each subscription stops alone', async () => {
    const db = Database.open({ name: 'app', storage: createMemoryStorage() });
    const calls: number[] = [];
    const listener = () => calls.push(calls.length);
    const stopFirst = db.onChange(listener);
    db.onChange(listener);
    await db.collection('todos').insert({ _id: 'a' });
    expect(calls).toHaveLength(2);
    stopFirst();
    stopFirst();
    await db.collection('todos').insert({ _id: 'b' });
    expect(calls).toHaveLength(3);
  });

  it('reports writes made through this database only', async () => {
    const storage = createMemoryStorage();
    const db = Database.open({ name: 'app', storage });
    const other = Database.open({ name: 'app', storage });
    const seen: ChangeEvent[] = [];
    db.onChange((changes) => seen.push(...changes));
    await other.collection('todos').insert({ _id: 'elsewhere' });
    expect(seen).toEqual([]);
    await db.collection('todos').insert({ _id: 'here' });
    expect(seen.map((c) => c.id)).toEqual(['here']);
  });

  it('carries the stored document, as returned by the write', async () => {
    const db = Database.open({ name: 'app', storage: createMemoryStorage() });
    const seen: ChangeEvent[] = [];
    db.onChange((changes) => seen.push(...changes));
    const todos = db.collection('todos');
    const inserted = await todos.insert({ title: 't', skipped: undefined });
    const updated = await todos.update(inserted._id, { done: true });
    expect(seen).toEqual([
      { type: 'insert', collection: 'todos', id: inserted._id, doc: inserted },
      { type: 'update', collection: 'todos', id: inserted._id, doc: updated },
    ]);
    expect(seen[0]).toMatchObject({ doc: { _id: inserted._id, title: 't' } });
  });
});

describe('explain()', () => {
  it('says that memory storage scans every document, with no SQL', async () => {
    const db = await Database.create({ name: 'explain', storage: createMemoryStorage() });
    const explained = await db.collection('todos').find().where('userId').equals('u1').sort('title').explain();
    expect(explained).toEqual({
      sql: null,
      params: [],
      plan: ['SCAN todos in memory: every document is read and tested'],
      fullScan: true,
      sortsAllMatches: true,
      suggestedIndex: null,
    });
  });
});

describe('generated ids', () => {
  it('are version 4 UUIDs, also where crypto.randomUUID is missing (a page served over plain http)', async () => {
    const db = Database.open({ name: 'app', storage: createMemoryStorage() });
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect((await db.collection('todos').insert({ title: 'a' }))._id).toMatch(uuid);
    const original = crypto.randomUUID;
    Object.defineProperty(crypto, 'randomUUID', { value: undefined, configurable: true, writable: true });
    try {
      const ids = await Promise.all(Array.from({ length: 50 }, () => db.collection('todos').insert({ title: 'b' })));
      for (const { _id } of ids) expect(_id).toMatch(uuid);
      expect(new Set(ids.map((d) => d._id)).size).toBe(50);
    } finally {
      Object.defineProperty(crypto, 'randomUUID', { value: original, configurable: true, writable: true });
    }
  });
});
