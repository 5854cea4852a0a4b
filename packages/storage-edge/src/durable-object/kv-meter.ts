import type { OperationMeter } from '@pocket/core/adapter';
import type { DurableObjectKvStorageLike } from './kv-types.js';

/**
 * The storage, counting the keys each call reads and writes into `meter` (for the operation
 * hook): keys asked of `get`, listed by `list`, put and deleted. Used only while a hook is on.
 */
export function meteredKv(storage: DurableObjectKvStorageLike, meter: OperationMeter): DurableObjectKvStorageLike {
  const read = (n: number) => {
    meter.keysRead = (meter.keysRead ?? 0) + n;
    meter.rowsRead += n;
  };
  const written = (n: number) => {
    meter.keysWritten = (meter.keysWritten ?? 0) + n;
    meter.rowsWritten += n;
  };
  return {
    get: ((keys: string | string[]) => {
      read(Array.isArray(keys) ? keys.length : 1);
      return storage.get(keys as string);
    }) as DurableObjectKvStorageLike['get'],
    put: ((entries: string | Record<string, unknown>, value?: unknown) => {
      written(typeof entries === 'string' ? 1 : Object.keys(entries).length);
      return typeof entries === 'string' ? storage.put(entries, value) : storage.put(entries);
    }) as DurableObjectKvStorageLike['put'],
    delete: ((keys: string | string[]) => {
      written(Array.isArray(keys) ? keys.length : 1);
      return storage.delete(keys as string);
    }) as DurableObjectKvStorageLike['delete'],
    list: async (options) => {
      const page = await storage.list(options);
      read(page.size);
      return page;
    },
  };
}
