import { DocumentNotFoundError, DuplicateKeyError } from '../errors.js';
import { evaluate } from '../evaluator/evaluate.js';
import { matches } from '../evaluator/matches.js';
import type { Filter, FindQuery } from '../query/ast.js';
import type { CollectionStore, StorageAdapter, StoredDocument, WriteOperation, WriteResult } from './adapter.js';

/**
 * Keeps documents in memory, per adapter instance and database name. It is the smallest
 * complete adapter and the model for writing one: it stores JSON text, so callers never share
 * objects with it, and it applies a batch to a copy that replaces the live data only when
 * every operation succeeded.
 */
export function createMemoryStorage(): StorageAdapter {
  const databases = new Map<string, Map<string, Map<string, string>>>();
  return {
    name: 'memory',
    capabilities: { atomicWrites: true, cursorPages: true, projections: true },
    collection(name, { database }) {
      let collections = databases.get(database);
      if (!collections) databases.set(database, (collections = new Map()));
      return createMemoryStore(name, () => collections.get(name), (rows) => collections.set(name, rows));
    },
  };
}

function createMemoryStore(
  collection: string,
  load: () => Map<string, string> | undefined,
  save: (rows: Map<string, string>) => void,
): CollectionStore {
  const docs = (): StoredDocument[] => [...(load()?.values() ?? [])].map(parse);
  return {
    async getMany(ids) {
      const rows = load();
      return ids.map((id) => {
        const text = rows?.get(id);
        return text === undefined ? null : parse(text);
      });
    },
    async find(query: FindQuery) {
      return evaluate(query, docs());
    },
    async count(filter: Filter | null) {
      return docs().filter((doc) => matches(filter, doc)).length;
    },
    async write(operations: readonly WriteOperation[]) {
      const rows = new Map(load());
      const results = operations.map((op) => apply(collection, rows, op));
      save(rows);
      return results;
    },
  };
}

function apply(collection: string, rows: Map<string, string>, op: WriteOperation): WriteResult {
  switch (op.type) {
    case 'insert':
      if (rows.has(op.doc._id)) throw new DuplicateKeyError(collection, op.doc._id);
      rows.set(op.doc._id, JSON.stringify(op.doc));
      return { type: 'insert', doc: parse(JSON.stringify(op.doc)) };
    case 'upsert':
      rows.set(op.doc._id, JSON.stringify(op.doc));
      return { type: 'upsert', doc: parse(JSON.stringify(op.doc)) };
    case 'update': {
      const text = rows.get(op.id);
      if (text === undefined) throw new DocumentNotFoundError(collection, op.id);
      const doc: StoredDocument = { ...parse(text), ...op.patch, _id: op.id };
      rows.set(op.id, JSON.stringify(doc));
      return { type: 'update', doc };
    }
    case 'delete':
      return { type: 'delete', id: op.id, deleted: rows.delete(op.id) };
  }
}

function parse(text: string): StoredDocument {
  return JSON.parse(text) as StoredDocument;
}
