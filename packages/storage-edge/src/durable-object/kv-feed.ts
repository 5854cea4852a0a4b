import type { StoredChange } from '@pocket/core';
import { chunks, type CollectionKeys } from './kv-keys.js';
import type { DurableObjectKvStorageLike } from './kv-types.js';
import { decode } from './kv-values.js';
import { getAll, serialized, type FeedEntry } from './kv-writes.js';

/**
 * The change feed of a collection in Durable Object KV storage (keys in kv-keys.ts): one
 * `list()` of the entries after `since`, then the documents of those not deleted. It runs in
 * the object's write queue, so no Pocket write lands between the two reads.
 */
export function readChanges(
  storage: DurableObjectKvStorageLike,
  keys: CollectionKeys,
  since: number,
  limit: number,
  io: DurableObjectKvStorageLike = storage,
): Promise<{ changes: StoredChange[]; checkpoint: number }> {
  return serialized(storage, async () => {
    const entries = await io.list({ prefix: keys.feedPrefix, startAfter: keys.feedKey(since), limit });
    const live = [...entries.values()].flatMap((value) => {
      const [id, , deleted] = value as FeedEntry;
      return deleted === 1 ? [] : [keys.key(id)];
    });
    const docs = await getAll(io, live);
    const changes: StoredChange[] = [];
    for (const [key, value] of entries) {
      const [id, rev, deleted] = value as FeedEntry;
      const seq = Number(key.slice(keys.feedPrefix.length));
      const docKey = keys.key(id);
      changes.push({ id, rev, deleted: deleted === 1, doc: deleted === 1 ? null : decode(docKey, docs.get(docKey)), seq });
    }
    return { changes, checkpoint: changes.at(-1)?.seq ?? since };
  });
}

/** Removes the feed entries and revision records of tombstones up to `through` (all when null). */
export function purgeTombstones(
  storage: DurableObjectKvStorageLike,
  keys: CollectionKeys,
  through: number | null,
  io: DurableObjectKvStorageLike = storage,
): Promise<number> {
  return serialized(storage, async () => {
    let purged = 0;
    let startAfter: string | undefined;
    for (;;) {
      const page = await io.list({ prefix: keys.feedPrefix, limit: 1000, ...(startAfter === undefined ? {} : { startAfter }) });
      const doomed: string[] = [];
      let done = page.size < 1000;
      for (const [key, value] of page) {
        if (through !== null && Number(key.slice(keys.feedPrefix.length)) > through) {
          done = true;
          break;
        }
        const [id, , deleted] = value as FeedEntry;
        if (deleted === 1) doomed.push(key, keys.metaKey(id));
        startAfter = key;
      }
      await Promise.all(chunks(doomed).map((chunk) => io.delete(chunk)));
      purged += doomed.length / 2;
      if (done) return purged;
    }
  });
}
