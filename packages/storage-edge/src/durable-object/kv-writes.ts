import { DocumentNotFoundError, DuplicateKeyError, type StoredDocument, type WriteOperation, type WriteResult } from '@pocket/core';
import { chunks, type CollectionKeys } from './kv-keys.js';
import type { DurableObjectKvOperations, DurableObjectKvStorageLike } from './kv-types.js';
import { assertText, encode } from './kv-values.js';

/**
 * Applies a batch of writes in one storage transaction, so it is all-or-nothing at any size.
 * It reads every document the batch touches (128 keys per call), applies the operations in
 * order to those copies as the memory adapter does, and only then writes what changed. Every
 * error core defines for a write (duplicate, missing, too large) is therefore thrown before
 * the first put; the transaction also rolls back anything a failing put had already written.
 */
export async function writeBatch(
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
  return storage.transaction(async (txn) => {
    const rows = await readTexts(txn, keyOf);
    const changed = new Set<string>();
    const results = operations.map((op) => apply(collection, rows, changed, op));
    const puts: Array<[string, string]> = [];
    const deletes: string[] = [];
    for (const id of changed) {
      const text = rows.get(id);
      if (text === undefined) deletes.push(keyOf.get(id)!);
      else puts.push([keyOf.get(id)!, text]);
    }
    for (const chunk of chunks(puts)) await txn.put(Object.fromEntries(chunk));
    for (const chunk of chunks(deletes)) await txn.delete(chunk);
    return results;
  });
}

/** The stored JSON text of each id that exists, read in calls of at most 128 keys. */
async function readTexts(txn: DurableObjectKvOperations, keyOf: ReadonlyMap<string, string>): Promise<Map<string, string>> {
  const idOf = new Map([...keyOf].map(([id, key]) => [key, id]));
  const rows = new Map<string, string>();
  for (const chunk of chunks([...keyOf.values()])) {
    for (const [key, value] of await txn.get(chunk)) {
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
      const text = encode(op.doc, collection);
      rows.set(id, text);
      changed.add(id);
      return { type: op.type, doc: JSON.parse(text) as StoredDocument };
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
