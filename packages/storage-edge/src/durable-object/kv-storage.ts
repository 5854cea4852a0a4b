import { PocketError, ValidationError, type StorageAdapter } from '@pocket/core';
import { describeValue as describe, measured, type OperationMeter } from '@pocket/core/adapter';
import { meteredKv } from './kv-meter.js';
import { DurableObjectStorageError } from './errors.js';
import { assertKeyPrefix, chunks, collectionKeys, DEFAULT_KEY_PREFIX } from './kv-keys.js';
import { countInPages, findInPages } from './kv-scan.js';
import type { DurableObjectKvStorageLike } from './kv-types.js';
import { decode } from './kv-values.js';
import { writeBatch } from './kv-writes.js';
import { purgeTombstones, readChanges } from './kv-feed.js';

export interface DurableObjectStorageOptions {
  /** The object's storage: `this.ctx.storage` in a `DurableObject` class. */
  storage: DurableObjectKvStorageLike;
  /**
   * Starts every key Pocket writes: `<keyPrefix><collection>:<id>`. Default `'pocket:'`. It must
   * end with ":" and contain no other ":", so databases with different prefixes never overlap.
   * Keep your own keys outside it.
   */
  keyPrefix?: string;
  /** Most documents read per `list()` call while querying. Default 256; lower it for large documents. */
  pageSize?: number;
}

const DEFAULT_PAGE_SIZE = 256;

/**
 * Stores documents in a Durable Object's key-value storage, one key per document, as JSON text.
 * Works on KV-backed and SQLite-backed classes. Queries run core's evaluator over `list()`
 * pages; each write batch is all-or-nothing (see kv-writes.ts). The
 * `Database` name is not part of the keys: the keyPrefix is what keeps databases apart.
 * Creating the adapter does no I/O.
 */
export function createDurableObjectStorage(options: DurableObjectStorageOptions): StorageAdapter {
  if (typeof options !== 'object' || options === null) {
    throw new ValidationError(`createDurableObjectStorage() takes { storage: this.ctx.storage }, got ${describe(options)}.`);
  }
  const { storage, keyPrefix = DEFAULT_KEY_PREFIX, pageSize = DEFAULT_PAGE_SIZE } = options;
  assertKvStorage(storage);
  // The default needs no check: a Worker may make an adapter on every request.
  if (options.keyPrefix !== undefined) assertKeyPrefix(keyPrefix);
  if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
    throw new ValidationError(`createDurableObjectStorage(): pageSize must be an integer from 1 to 1000, got ${describe(pageSize)}.`);
  }

  return {
    name: 'durable-object',
    capabilities: { atomicWrites: true, cursorPages: true, projections: true, revisions: true, fieldOperators: true, changeFeed: true },
    collection(name, context) {
      const keys = collectionKeys(keyPrefix, name);
      const metered = { storage: 'durable-object', context, collection: name };
      /** The storage for one operation's reads and writes: counted while the operation hook is on. */
      const io = (meter: OperationMeter | undefined) => (meter === undefined ? storage : meteredKv(storage, meter));
      return {
        getMany: (ids) =>
          measured(metered, 'get', (meter) =>
            guard('get', async () => {
              const kv = io(meter);
              if (ids.length === 1) {
                const key = keys.keyIfValid(ids[0]!);
                const value = key === null ? undefined : await kv.get(key);
                return [value === undefined ? null : decode(key!, value)];
              }
              const texts = new Map<string, unknown>();
              const wanted = [...new Set(ids.map((id) => keys.keyIfValid(id)).filter((key) => key !== null))];
              for (const chunk of chunks(wanted)) for (const [key, value] of await kv.get(chunk)) texts.set(key, value);
              // Parsed per position, so a repeated id gives two independent objects.
              return ids.map((id) => {
                const key = keys.keyIfValid(id);
                return key === null || !texts.has(key) ? null : decode(key, texts.get(key));
              });
            }),
          ),
        find: (query) => measured(metered, 'find', (meter) => guard('find', () => findInPages(io(meter), keys.prefix, query, pageSize))),
        count: (filter) => measured(metered, 'count', (meter) => guard('count', () => countInPages(io(meter), keys.prefix, filter, pageSize))),
        write: (operations) => measured(metered, 'write', (meter) => guard('write', () => writeBatch(storage, keys, name, operations, meter && io(meter)))),
        changes: (since, limit) =>
          measured(metered, 'changes', (meter) => guard('changes', () => readChanges(storage, keys, since, limit, meter && io(meter)))),
        purgeTombstones: (through) =>
          measured(metered, 'purge', (meter) => guard('purge tombstones', () => purgeTombstones(storage, keys, through, meter && io(meter)))),
      };
    },
  };
}

/**
 * Lets Pocket's own errors through and wraps anything the platform threw, whether `run` threw
 * it or rejected with it. A `catch` on the promise, not an async wrapper: one layer of promises
 * less on every call.
 */
function guard<T>(operation: string, run: () => Promise<T>): Promise<T> {
  const wrap = (error: unknown) => Promise.reject(error instanceof PocketError ? error : new DurableObjectStorageError(operation, error));
  try {
    return run().catch(wrap);
  } catch (error) {
    return wrap(error);
  }
}

function assertKvStorage(storage: unknown): asserts storage is DurableObjectKvStorageLike {
  const s = storage as Partial<Record<keyof DurableObjectKvStorageLike, unknown>> | null | undefined;
  const methods = ['get', 'put', 'delete', 'list'] as const;
  if (typeof s !== 'object' || s === null || methods.some((m) => typeof s[m] !== 'function')) {
    throw new ValidationError(
      `createDurableObjectStorage() needs a Durable Object's storage, got ${describe(storage)}. Pass this.ctx.storage from inside your DurableObject class.`,
    );
  }
}
