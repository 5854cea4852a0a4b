import { Database } from '@pocket/core';
import { createDurableObjectStorage } from '@pocket/storage-edge';
import { COLLECTION, type Todo } from './data.js';
import { BY_USER_LIMIT, RANGE_LIMIT, type Variant } from './harness.js';
import { pocketVariant } from './d1-pocket.js';

/** Durable Object storage takes at most 128 keys per get, put or delete. */
const KEYS_PER_CALL = 128;
const RAW_PREFIX = 'todos:';

function chunks<T>(items: readonly T[], size = KEYS_PER_CALL): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const newestFirst = (a: Todo, b: Todo) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0);

export interface RawKvOptions {
  /** Store JSON text instead of the object (as Pocket does), to show what the value format costs. */
  text?: boolean;
  /** Run each write inside storage.transaction() (as Pocket's writes were before they relied on write coalescing), to show what that costs. */
  transaction?: boolean;
  /** Before inserting, read the batch's keys and refuse ids that exist (as Pocket's insert must), to show what that costs. */
  checked?: boolean;
}

/**
 * Hand-written Durable Object KV storage: one key per document (`todos:<id>`), the document
 * object stored as is (structured clone). Queries read the whole prefix with one `list()` and
 * filter in JavaScript; keys list in id order, so the userId query needs no sort. A document
 * update is get-modify-put, which the object's input gate keeps atomic. Writes do not check
 * whether an id already exists (Pocket's insert must, so it reads first).
 */
export function rawKv(storage: DurableObjectStorage, options: RawKvOptions = {}): Variant {
  const key = (id: string) => RAW_PREFIX + id;
  type Ops = Pick<DurableObjectStorage, 'get' | 'put' | 'delete'>;
  const write = <R>(run: (s: Ops) => Promise<R>): Promise<R> => (options.transaction ? storage.transaction(run) : run(storage));
  const encode = options.text ? (doc: Todo): unknown => JSON.stringify(doc) : (doc: Todo): unknown => doc;
  const decode = options.text ? (value: unknown) => JSON.parse(value as string) as Todo : (value: unknown) => value as Todo;
  const all = async () => (await storage.list({ prefix: RAW_PREFIX })).values();
  return {
    async get(id) {
      const value = await storage.get(key(id));
      return value === undefined ? null : decode(value);
    },
    async byUser(userId) {
      const out: Todo[] = [];
      for (const value of await all()) {
        const doc = decode(value);
        if (doc.userId === userId && out.push(doc) === BY_USER_LIMIT) break;
      }
      return out;
    },
    async range(minPriority) {
      const hits: Todo[] = [];
      for (const value of await all()) {
        const doc = decode(value);
        if (typeof doc.priority === 'number' && doc.priority >= minPriority) hits.push(doc);
      }
      return hits.sort(newestFirst).slice(0, RANGE_LIMIT);
    },
    async count() {
      return (await storage.list({ prefix: RAW_PREFIX })).size;
    },
    update(id, completed) {
      return write(async (s) => {
        const value = await s.get(key(id));
        if (value === undefined) throw new Error(`no document ${id}`);
        const doc = decode(value);
        doc.completed = completed;
        await s.put(key(id), encode(doc));
      });
    },
    bulkUpdate(changes) {
      return write(async (s) => {
        const values = await s.get(changes.map((c) => key(c.id)));
        const entries: Record<string, unknown> = {};
        for (const c of changes) {
          const value = values.get(key(c.id));
          if (value === undefined) throw new Error(`no document ${c.id}`);
          const doc = decode(value);
          doc.completed = c.completed;
          entries[key(c.id)] = encode(doc);
        }
        await s.put(entries);
      });
    },
    bulkInsert(docs) {
      return write(async (s) => {
        if (options.checked) {
          const found = await Promise.all(chunks(docs).map((chunk) => s.get(chunk.map((doc) => key(doc._id)))));
          if (found.some((values) => values.size > 0)) throw new Error('an id of the batch exists');
        }
        await Promise.all(chunks(docs).map((chunk) => s.put(Object.fromEntries(chunk.map((doc) => [key(doc._id), encode(doc)])))));
      });
    },
    delete(id) {
      return write((s) => s.delete(key(id)));
    },
  };
}

export function pocketKv(storage: DurableObjectStorage): Variant {
  return pocketVariant(Database.open({ name: 'bench', storage: createDurableObjectStorage({ storage }) }).collection<Todo>(COLLECTION));
}

/** Seeding, reading back and cleaning up, outside the timed loops, in the variant's own format. */
export function kvAdmin(storage: DurableObjectStorage, variant: string) {
  const pocket = () => Database.open({ name: 'bench', storage: createDurableObjectStorage({ storage }) }).collection<Todo>(COLLECTION);
  const isRaw = variant.startsWith('raw');
  const text = variant === 'raw-text';
  return {
    async insert(docs: Todo[]) {
      if (isRaw) await rawKv(storage, { text }).bulkInsert(docs);
      else await pocket().bulkInsert(docs);
    },
    async read(ids: string[]): Promise<Array<Todo | null>> {
      if (!isRaw) return pocket().getMany(ids);
      const found = await storage.get(ids.map((id) => RAW_PREFIX + id));
      return ids.map((id) => {
        const value = found.get(RAW_PREFIX + id);
        return value === undefined ? null : text ? (JSON.parse(value as string) as Todo) : (value as Todo);
      });
    },
    async remove(ids: string[]) {
      if (!isRaw) {
        await pocket().bulkDelete(ids);
        return;
      }
      for (const chunk of chunks(ids)) await storage.delete(chunk.map((id) => RAW_PREFIX + id));
    },
    /** The documents stored: Pocket's keys also hold revisions and the change feed, which are no documents. */
    async count(): Promise<number> {
      return isRaw ? (await storage.list({ prefix: RAW_PREFIX })).size : pocket().count();
    },
  };
}
