import { evaluate } from '../evaluator/evaluate.js';
import { matches } from '../evaluator/matches.js';
import type { Filter, FindQuery } from '../query/ast.js';
import type { CollectionStore, StorageAdapter, StoredChange, StoredDocument, WriteOperation, WriteResult } from './adapter.js';
import { applyWrite } from './apply.js';
import { measured, type MeteredStore, type OperationMeter } from './measure.js';

/** One id of a collection: the document's JSON text (`null` for a tombstone), and its place in the change feed. */
interface Row {
  readonly text: string | null;
  readonly rev: number;
  readonly seq: number;
}

/** A collection: its rows, and the last sequence number it gave out. */
interface Table {
  readonly rows: Map<string, Row>;
  readonly seq: number;
}

/**
 * Keeps documents in memory, per adapter instance and database name. It is the smallest
 * complete adapter and the model for writing one: it stores JSON text, so callers never share
 * objects with it, and it applies a batch to a copy that replaces the live data only when
 * every operation succeeded. Deletes leave tombstones, so the change feed reports them.
 */
export function createMemoryStorage(): StorageAdapter {
  const databases = new Map<string, Map<string, Table>>();
  return {
    name: 'memory',
    capabilities: { atomicWrites: true, cursorPages: true, projections: true, revisions: true, fieldOperators: true, changeFeed: true },
    collection(name, { database, onOperation }) {
      let collections = databases.get(database);
      if (!collections) databases.set(database, (collections = new Map()));
      const metered = { storage: 'memory', context: { database, onOperation }, collection: name };
      return createMemoryStore(
        name,
        metered,
        () => collections.get(name) ?? EMPTY,
        (table) => collections.set(name, table),
      );
    },
  };
}

const EMPTY: Table = { rows: new Map(), seq: 0 };

function createMemoryStore(collection: string, metered: MeteredStore, load: () => Table, save: (table: Table) => void): CollectionStore {
  /** Every document, counted as read: memory's "rows read" are the documents a query looked at. */
  const docs = (meter: OperationMeter | undefined): StoredDocument[] => {
    const out: StoredDocument[] = [];
    for (const row of load().rows.values()) if (row.text !== null) out.push(parse(row.text));
    if (meter !== undefined) meter.rowsRead += out.length;
    return out;
  };
  return {
    getMany: (ids) =>
      measured(metered, 'get', async (meter) => {
        const { rows } = load();
        const found = ids.map((id) => {
          const text = rows.get(id)?.text;
          return text == null ? null : parse(text);
        });
        if (meter !== undefined) meter.rowsRead += found.filter((d) => d !== null).length;
        return found;
      }),
    find: (query: FindQuery) => measured(metered, 'find', async (meter) => evaluate(query, docs(meter))),
    count: (filter: Filter | null) => measured(metered, 'count', async (meter) => docs(meter).filter((doc) => matches(filter, doc)).length),
    write: (operations) =>
      measured(metered, 'write', async (meter) => {
        const results = write(operations);
        if (meter !== undefined) meter.rowsWritten += results.filter((r) => r.type !== 'delete' || r.deleted).length;
        return results;
      }),
    changes: (since, limit) => measured(metered, 'changes', async () => changes(since, limit)),
    purgeTombstones: (through) => measured(metered, 'purge', async () => purgeTombstones(through)),
  };

  function write(operations: readonly WriteOperation[]): WriteResult[] {
    const table = load();
    // Rows written by this batch, kept aside until every operation has applied: a batch that
    // throws halfway leaves the table as it was. Only the written rows are copied, so a write
    // costs the same whatever the collection's size.
    const staged = new Map<string, Row>();
    let seq = table.seq;
    const results: WriteResult[] = operations.map((op) => {
      const id = op.type === 'insert' || op.type === 'upsert' ? op.doc._id : op.id;
      const row = staged.get(id) ?? table.rows.get(id);
      const { result, next } = applyWrite(collection, op, row && { doc: row.text === null ? null : parse(row.text), rev: row.rev });
      if (next !== null) staged.set(id, { text: next.doc === null ? null : JSON.stringify(next.doc), rev: next.rev, seq: ++seq });
      // Results are fresh objects (parsed text, core's own copies): the store keeps only text.
      return result;
    });
    const rows = table === EMPTY ? new Map<string, Row>() : table.rows;
    for (const [id, row] of staged) rows.set(id, row);
    save({ rows, seq });
    return results;
  }

  function changes(since: number, limit: number): { changes: StoredChange[]; checkpoint: number } {
    const changed: Array<[string, Row]> = [...load().rows].filter(([, row]) => row.seq > since);
    changed.sort((a, b) => a[1].seq - b[1].seq);
    const changes: StoredChange[] = changed.slice(0, limit).map(([id, row]) => ({
      id,
      rev: row.rev,
      deleted: row.text === null,
      doc: row.text === null ? null : parse(row.text),
      seq: row.seq,
    }));
    return { changes, checkpoint: changes.at(-1)?.seq ?? since };
  }

  function purgeTombstones(through: number | null): number {
    const table = load();
    const rows = new Map(table.rows);
    let purged = 0;
    for (const [id, row] of rows) {
      if (row.text === null && (through === null || row.seq <= through)) {
        rows.delete(id);
        purged++;
      }
    }
    save({ rows, seq: table.seq });
    return purged;
  }
}

function parse(text: string): StoredDocument {
  return JSON.parse(text) as StoredDocument;
}
