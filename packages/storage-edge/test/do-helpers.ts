import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import type { DurableObjectKvStorageLike } from '../src/index.js';

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
  /**
   * For each put() and delete() call, the synchronous run (turn) it was made in: calls that share
   * a number were made with no await between them, which the platform commits as one unit.
   */
  writeTurns: number[];
}

/**
 * Wraps a real storage object to record each call. Every call goes to the real storage: nothing
 * here stores data.
 */
export function countingStorage(real: DurableObjectStorage): { storage: DurableObjectKvStorageLike; calls: StorageCalls } {
  const calls: StorageCalls = { get: [], put: [], delete: [], list: [], writeTurns: [] };
  let turn = 0;
  let inTurn = false;
  const markTurn = () => {
    if (!inTurn) {
      inTurn = true;
      turn++;
      queueMicrotask(() => (inTurn = false));
    }
    calls.writeTurns.push(turn);
  };
  const storage: DurableObjectKvStorageLike = {
    get: (async (keys: string | string[]) => {
      calls.get.push(Array.isArray(keys) ? keys.length : 1);
      return Array.isArray(keys) ? real.get(keys) : real.get(keys);
    }) as DurableObjectKvStorageLike['get'],
    put: ((keyOrEntries: string | Record<string, unknown>, value?: unknown) => {
      calls.put.push(typeof keyOrEntries === 'string' ? 1 : Object.keys(keyOrEntries).length);
      markTurn();
      return typeof keyOrEntries === 'string' ? real.put(keyOrEntries, value) : real.put(keyOrEntries);
    }) as DurableObjectKvStorageLike['put'],
    delete: ((keys: string | string[]) => {
      calls.delete.push(Array.isArray(keys) ? keys.length : 1);
      markTurn();
      return Array.isArray(keys) ? real.delete(keys) : real.delete(keys);
    }) as DurableObjectKvStorageLike['delete'],
    async list(listOptions) {
      const page = await real.list(listOptions);
      calls.list.push(page.size);
      return page;
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
