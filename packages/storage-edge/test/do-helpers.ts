import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import type { DurableObjectKvOperations, DurableObjectKvStorageLike } from '../src/index.js';

export type ObjectKind = 'KV_OBJECT' | 'SQL_OBJECT';

/**
 * Runs `fn` inside the Durable Object of class `kind` named `name`, with its real storage. Each
 * test uses its own name, so tests never share an object's state.
 */
export function inObject<R>(kind: ObjectKind, name: string, fn: (storage: DurableObjectStorage, instance: object) => Promise<R>): Promise<R> {
  const namespace = env[kind];
  return runInDurableObject(namespace.get(namespace.idFromName(name)), (instance, state) => fn(state.storage, instance));
}

/** What went through a storage object: the number of keys of each call, by method. */
export interface StorageCalls {
  get: number[];
  put: number[];
  delete: number[];
  list: number[];
  transaction: number;
}

export interface CountingOptions {
  /** Makes the nth put (1-based, counted across transactions) throw after the earlier ones were stored. */
  failPut?: number;
}

/**
 * Wraps a real storage object to record each call (and, for one test, to make a put fail part-way
 * through a batch). Every call still goes to the real storage: nothing here stores data.
 */
export function countingStorage(real: DurableObjectStorage, options: CountingOptions = {}): { storage: DurableObjectKvStorageLike; calls: StorageCalls } {
  const calls: StorageCalls = { get: [], put: [], delete: [], list: [], transaction: 0 };
  const wrap = (target: DurableObjectKvOperations): DurableObjectKvOperations => ({
    get: (async (keys: string | string[]) => {
      calls.get.push(Array.isArray(keys) ? keys.length : 1);
      return Array.isArray(keys) ? target.get(keys) : target.get(keys);
    }) as DurableObjectKvOperations['get'],
    async put(entries) {
      calls.put.push(Object.keys(entries).length);
      if (calls.put.length === options.failPut) throw new Error('injected put failure');
      return target.put(entries);
    },
    delete: (async (keys: string | string[]) => {
      calls.delete.push(Array.isArray(keys) ? keys.length : 1);
      return Array.isArray(keys) ? target.delete(keys) : target.delete(keys);
    }) as DurableObjectKvOperations['delete'],
    async list(listOptions) {
      const page = await target.list(listOptions);
      calls.list.push(page.size);
      return page;
    },
  });
  const storage: DurableObjectKvStorageLike = {
    ...wrap(real),
    transaction(closure) {
      calls.transaction++;
      return real.transaction((txn) => closure(wrap(txn)));
    },
  };
  return { storage, calls };
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Ids that sort as their numbers do: `doc-00042`. */
export function padded(i: number, prefix = 'doc-'): string {
  return `${prefix}${String(i).padStart(5, '0')}`;
}

/**
 * For the core suites, whose `createStorage()` runs inside `wrap`: `wrap` runs each test body
 * in a Durable Object of its own (a new name per test) and `storage()` hands that object's
 * storage to `createStorage()`. Suites run their tests one at a time, so one slot is enough.
 */
export function perTestObject(kind: ObjectKind, label: string): { wrap: (body: () => Promise<void>) => Promise<void>; storage: () => DurableObjectStorage } {
  let current: DurableObjectStorage | null = null;
  let count = 0;
  return {
    wrap: (body) =>
      inObject(kind, `${label}-${++count}`, async (storage) => {
        current = storage;
        try {
          await body();
        } finally {
          current = null;
        }
      }),
    storage: () => {
      if (current === null) throw new Error('createStorage() was called outside wrap(): there is no Durable Object to take storage from.');
      return current;
    },
  };
}

/** get() and delete() of `target` in both of their forms (one key, or an array of keys). */
export function forwardKeyCalls(target: DurableObjectStorage | DurableObjectTransaction): Pick<DurableObjectKvOperations, 'get' | 'delete'> {
  const t = target as unknown as { get(k: string | string[]): Promise<never>; delete(k: string | string[]): Promise<never> };
  return {
    get: ((keys: string | string[]) => t.get(keys)) as DurableObjectKvOperations['get'],
    delete: ((keys: string | string[]) => t.delete(keys)) as DurableObjectKvOperations['delete'],
  };
}
