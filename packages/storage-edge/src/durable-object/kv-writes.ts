import { DocumentNotFoundError, DuplicateKeyError, type StoredDocument, type WriteOperation, type WriteResult } from '@pocket/core';
import { chunks, type CollectionKeys } from './kv-keys.js';
import type { DurableObjectKvStorageLike } from './kv-types.js';
import { assertText, encode } from './kv-values.js';

/**
 * Applies a batch of writes all-or-nothing. It reads every document the batch touches (128 keys
 * per call), applies the operations in order to those copies as the memory adapter does, and
 * only then writes what changed, so every error core defines for a write (duplicate, missing,
 * too large, a key too long) is thrown before anything is written.
 *
 * The writes are then issued in one go, every put() and delete() call made before the first is
 * awaited. A Durable Object commits the writes it is given without an await between them as one
 * atomic unit (write coalescing), so a batch of any size needs no `storage.transaction()`:
 * measured here, a transaction made a bulk insert of 1,000 documents 1.4x slower, and a single
 * get-modify-put 15x. Pocket's writes to one object's storage run one at a time (`serialized`),
 * so no other Pocket write can change a document between this batch reading and writing it.
 */
export function writeBatch(
  storage: DurableObjectKvStorageLike,
  keys: CollectionKeys,
  collection: string,
  operations: readonly WriteOperation[],
): Promise<WriteResult[]> {
  // Keys are checked before storage is touched: a bad id fails the batch at once.
  const keyOf = new Map<string, string>();
  for (const op of operations) {
    const id = op.type === 'insert' || op.type === 'upsert' ? op.doc._id : op.id;
    if (!keyOf.has(id)) keyOf.set(id, keys.key(id));
  }
  const only = operations.length === 1 ? operations[0]! : undefined;
  return serialized(storage, async () => {
    // delete() says whether the key existed: one call, nothing to read first.
    if (only?.type === 'delete') return [{ type: 'delete', id: only.id, deleted: await storage.delete(keyOf.get(only.id)!) }];
    const { results, puts, deletes } = plan(await readTexts(storage, keyOf), keyOf, collection, operations);
    await writeAll(storage, puts, deletes);
    return results;
  });
}

/**
 * Makes every put() and delete() call of a batch before awaiting any. One document goes through
 * `put(key, value)`, which measured 3 µs faster per write than `put({ [key]: value })`.
 */
function writeAll(storage: DurableObjectKvStorageLike, puts: Array<[string, string]>, deletes: string[]): Promise<unknown> {
  if (puts.length === 1 && deletes.length === 0) return storage.put(puts[0]![0], puts[0]![1]);
  return Promise.all([...chunks(puts).map((chunk) => storage.put(Object.fromEntries(chunk))), ...chunks(deletes).map((chunk) => storage.delete(chunk))]);
}

/** What the batch returns, and the keys it must put and delete, given the texts it read. */
function plan(rows: Map<string, string>, keyOf: ReadonlyMap<string, string>, collection: string, operations: readonly WriteOperation[]) {
  const changed = new Set<string>();
  const results = operations.map((op) => apply(collection, rows, changed, op));
  const puts: Array<[string, string]> = [];
  const deletes: string[] = [];
  for (const id of changed) {
    const text = rows.get(id);
    if (text === undefined) deletes.push(keyOf.get(id)!);
    else puts.push([keyOf.get(id)!, text]);
  }
  return { results, puts, deletes };
}

const queues = new WeakMap<object, Promise<unknown>>();

/**
 * Runs Pocket's writes to one storage object one after another, across every adapter and
 * Database on it in this isolate. A Durable Object's input gate keeps other requests out while
 * storage is awaited, but not work already running in the object, such as two updates started
 * together with Promise.all: without this, both could read the same document and the second
 * put would drop the first one's change.
 */
function serialized<T>(storage: object, run: () => Promise<T>): Promise<T> {
  const result = (queues.get(storage) ?? Promise.resolve()).then(run);
  queues.set(storage, result.catch(() => undefined));
  return result;
}

/** The stored JSON text of each id that exists, read in calls of at most 128 keys. */
async function readTexts(storage: DurableObjectKvStorageLike, keyOf: ReadonlyMap<string, string>): Promise<Map<string, string>> {
  const rows = new Map<string, string>();
  if (keyOf.size === 1) {
    // The single-key form of get() skips building a Map: most writes touch one document.
    const [id, key] = keyOf.entries().next().value as [string, string];
    const value = await storage.get(key);
    if (value !== undefined) {
      assertText(key, value);
      rows.set(id, value);
    }
    return rows;
  }
  const idOf = new Map([...keyOf].map(([id, key]) => [key, id]));
  // All chunks at once: storage answers them together instead of one await after another.
  for (const found of await Promise.all(chunks([...keyOf.values()]).map((chunk) => storage.get(chunk)))) {
    for (const [key, value] of found) {
      assertText(key, value);
      rows.set(idOf.get(key)!, value);
    }
  }
  return rows;
}

function apply(collection: string, rows: Map<string, string>, changed: Set<string>, op: WriteOperation): WriteResult {
  switch (op.type) {
    case 'insert':
    case 'upsert': {
      const id = op.doc._id;
      if (op.type === 'insert' && rows.has(id)) throw new DuplicateKeyError(collection, id);
      rows.set(id, encode(op.doc, collection));
      changed.add(id);
      // Core's checked copy is exactly what the text says, so there is nothing to parse back.
      return { type: op.type, doc: op.doc };
    }
    case 'update': {
      const old = rows.get(op.id);
      if (old === undefined) throw new DocumentNotFoundError(collection, op.id);
      const doc: StoredDocument = { ...(JSON.parse(old) as StoredDocument), ...op.patch, _id: op.id };
      rows.set(op.id, encode(doc, collection));
      changed.add(op.id);
      return { type: 'update', doc };
    }
    case 'delete': {
      const deleted = rows.delete(op.id);
      if (deleted) changed.add(op.id);
      return { type: 'delete', id: op.id, deleted };
    }
  }
}
