import { Database, type OperationRecord } from '@pocket/core';
import { createDurableObjectSqlStorage } from '@pocket/storage-edge';
import { COLLECTION, TABLE, type Todo } from './data.js';
import { BY_USER_LIMIT, RANGE_LIMIT, type Variant } from './harness.js';
import { pocketVariant } from './d1-pocket.js';

const T = `"${TABLE}"`;
const SQL = {
  get: `SELECT data FROM ${T} WHERE _id = ?`,
  byUser: `SELECT data FROM ${T} WHERE json_extract(data, '$.userId') = ? ORDER BY _id LIMIT ${BY_USER_LIMIT}`,
  range: `SELECT data FROM ${T} WHERE json_extract(data, '$.priority') >= ? ORDER BY json_extract(data, '$.createdAt') DESC LIMIT ${RANGE_LIMIT}`,
  count: `SELECT count(*) AS n FROM ${T}`,
  update: `UPDATE ${T} SET data = json_set(data, '$.completed', json(?)), updated_at = unixepoch() WHERE _id = ?`,
  bulkUpdate: `UPDATE ${T} SET data = json_set(data, '$.completed', p.value -> '$.c'), updated_at = unixepoch() FROM json_each(?) AS p WHERE ${T}._id = p.value ->> '$.id'`,
  bulkInsert: `INSERT INTO ${T} (_id, data) SELECT value ->> '$._id', value FROM json_each(?)`,
  insertOne: `INSERT INTO ${T} (_id, data) VALUES (?, ?)`,
  delete: `DELETE FROM ${T} WHERE _id = ?`,
};

/**
 * Hand-written `storage.sql.exec` on the same table as Pocket's (the seed migration's layout,
 * with the userId expression index). Statements run synchronously; rows are read with
 * `toArray()`. Bulk writes: with `technique: 'packed'` one statement reads a JSON array
 * through `json_each`; with `'loop'` one statement per row inside `transactionSync`. The
 * benchmark uses whichever measured faster as the floor (see README).
 */
export function rawSql(storage: DurableObjectStorage, technique: 'packed' | 'loop' = 'packed'): Variant {
  const sql = storage.sql;
  // toArray() measured faster here than iterating the cursor (or its raw() arrays) row by row.
  const docs = (rows: Array<Record<string, SqlStorageValue>>) => rows.map((row) => JSON.parse(row.data as string) as Todo);
  return {
    async get(id) {
      const [row] = sql.exec(SQL.get, id).toArray();
      return row === undefined ? null : (JSON.parse(row.data as string) as Todo);
    },
    async byUser(userId) {
      return docs(sql.exec(SQL.byUser, userId).toArray());
    },
    async range(minPriority) {
      return docs(sql.exec(SQL.range, minPriority).toArray());
    },
    async count() {
      return sql.exec(SQL.count).one().n as number;
    },
    async update(id, completed) {
      sql.exec(SQL.update, completed ? 'true' : 'false', id);
    },
    async bulkUpdate(changes) {
      if (technique === 'packed') {
        sql.exec(SQL.bulkUpdate, JSON.stringify(changes.map((c) => ({ id: c.id, c: c.completed }))));
        return;
      }
      storage.transactionSync(() => {
        for (const c of changes) sql.exec(SQL.update, c.completed ? 'true' : 'false', c.id);
      });
    },
    async bulkInsert(list) {
      if (technique === 'packed') {
        sql.exec(SQL.bulkInsert, JSON.stringify(list));
        return;
      }
      storage.transactionSync(() => {
        for (const doc of list) sql.exec(SQL.insertOne, doc._id, JSON.stringify(doc));
      });
    },
    async delete(id) {
      sql.exec(SQL.delete, id);
    },
  };
}

export function pocketSql(storage: DurableObjectStorage): Variant {
  return pocketVariant(Database.open({ name: 'bench', storage: createDurableObjectSqlStorage({ storage }) }).collection<Todo>(COLLECTION));
}

/**
 * Pocket with an operation hook that adds up what each record says, as a metrics hook would:
 * its difference from "pocket" is what the hook costs per operation (the target: under 1 µs).
 */
export function pocketSqlHooked(storage: DurableObjectStorage): Variant {
  const totals = { operations: 0, rowsRead: 0, ms: 0 };
  const onOperation = (r: OperationRecord) => {
    totals.operations += 1;
    totals.rowsRead += r.rowsRead;
    totals.ms += r.durationMs;
  };
  return pocketVariant(Database.open({ name: 'bench', storage: createDurableObjectSqlStorage({ storage }), onOperation }).collection<Todo>(COLLECTION));
}

/** Seeding, reading back and cleaning up, outside the timed loops. */
export function sqlAdmin(storage: DurableObjectStorage) {
  const sql = storage.sql;
  return {
    reset() {
      sql.exec(`DROP TABLE IF EXISTS ${T}`);
      sql.exec(
        `CREATE TABLE ${T} (_id TEXT PRIMARY KEY, data TEXT NOT NULL, created_at INTEGER DEFAULT (unixepoch()), updated_at INTEGER DEFAULT (unixepoch()))`,
      );
      sql.exec(`CREATE INDEX "${TABLE}_userId" ON ${T} (json_extract(data, '$.userId'))`);
    },
    insert(list: Todo[]) {
      sql.exec(SQL.bulkInsert, JSON.stringify(list));
    },
    read(ids: string[]): Array<Todo | null> {
      // `SELECT *`: Pocket's table has `_deleted`, whose tombstones are no documents; raw's has no such column.
      const rows = sql.exec(`SELECT * FROM ${T} WHERE _id IN (SELECT value FROM json_each(?))`, JSON.stringify(ids)).toArray();
      const byId = new Map(rows.filter((r) => r._deleted == null).map((r) => [r._id as string, JSON.parse(r.data as string) as Todo]));
      return ids.map((id) => byId.get(id) ?? null);
    },
    remove(ids: string[]) {
      sql.exec(`DELETE FROM ${T} WHERE _id IN (SELECT value FROM json_each(?))`, JSON.stringify(ids));
    },
    count(): number {
      return sql.exec(`SELECT count(*) AS n FROM ${T}`).one().n as number;
    },
    plan(query: string, params: unknown[]): string[] {
      return sql
        .exec(`EXPLAIN QUERY PLAN ${query}`, ...params)
        .toArray()
        .map((r) => r.detail as string);
    },
  };
}
