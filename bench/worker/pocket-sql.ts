import { condition } from '@pocket/core';
import { compileCount, compileFind, DEFAULT_SQL_LIMITS } from '@pocket/storage-edge';
import { TABLE, type Todo } from './data.js';
import { BY_USER_LIMIT, RANGE_LIMIT, type Variant } from './harness.js';

/** How the diagnostic variant sends SQL: the raw way of its backend. */
export interface SqlRunner {
  /** Rows as arrays. */
  rows(sql: string, params: unknown[]): Promise<unknown[][]>;
  /** Statements in one round trip / one transaction. */
  batch(statements: Array<{ sql: string; params: unknown[] }>): Promise<unknown>;
}

const T = `"${TABLE}"`;
/** Pocket's check, in each RETURNING clause of an update, that the new document is not over the row limit. */
const sizeGuard = (data: string) => `CASE WHEN length(CAST(${data} AS BLOB)) > ${DEFAULT_SQL_LIMITS.maxDocumentBytes} THEN json_extract('{}', 'pocket-document-too-large') END AS too_large`;

/**
 * Diagnostic variant "pocket-sql": the statements Pocket sends, sent the raw way (no Database,
 * no Collection, no validation, rows as arrays). Reads get their SQL from Pocket's own compiler
 * (`compileFind`, `compileCount`); writes repeat the statements of Pocket's write planner
 * (src/sql/writes.ts), which the profile pass compares with what Pocket sends and warns when
 * they have drifted apart. Comparing raw → pocket-sql → pocket
 * splits Pocket's overhead into "its SQL costs more" and "its JavaScript costs more".
 */
export function pocketSqlByHand(runner: SqlRunner): Variant {
  const parse = (text: unknown) => JSON.parse(text as string) as Todo;
  return {
    async get(id) {
      const [row] = await runner.rows(`SELECT data FROM ${T} WHERE _id = ?`, [id]);
      return row === undefined ? null : parse(row[0]);
    },
    async byUser(userId) {
      const c = compileFind(T, { filter: condition.eq('userId', userId), sort: [{ path: '_id', direction: 'asc' }], skip: 0, limit: BY_USER_LIMIT });
      return (await runner.rows(c.sql, c.params)).map((r) => parse(r[0]));
    },
    async range(minPriority) {
      const c = compileFind(T, { filter: condition.gte('priority', minPriority), sort: [{ path: 'createdAt', direction: 'desc' }], skip: 0, limit: RANGE_LIMIT });
      return (await runner.rows(c.sql, c.params)).map((r) => parse(r[0]));
    },
    async count() {
      const c = compileCount(T, null);
      const [row] = await runner.rows(c.sql, c.params);
      return row![0] as number;
    },
    update(id, completed) {
      return runner.rows(`UPDATE ${T} SET data = json_set(data, '$.completed', ?1 -> '$.completed'), updated_at = unixepoch() WHERE _id = ?2 RETURNING data, ${sizeGuard('data')}`, [
        JSON.stringify({ completed }),
        id,
      ]);
    },
    bulkUpdate(changes) {
      const ids = changes.map((c) => c.id);
      return runner.batch([
        {
          sql: `SELECT json_extract('{}', 'pocket-missing-document') WHERE (SELECT count(*) FROM ${T} WHERE _id IN (SELECT value FROM json_each(?))) < ?`,
          params: [JSON.stringify(ids), ids.length],
        },
        {
          sql: `UPDATE ${T} SET data = json_set(data, '$.completed', p.value -> '$.c.completed'), updated_at = unixepoch() FROM json_each(?) AS p WHERE ${T}._id = p.value ->> '$.id' RETURNING ${T}._id, ${T}.data, ${sizeGuard(`${T}.data`)}`,
          params: [JSON.stringify(changes.map((c) => ({ id: c.id, c: { completed: c.completed } })))],
        },
      ]);
    },
    bulkInsert(docs) {
      return runner.rows(`INSERT INTO ${T} (_id, data) SELECT value ->> '$._id', value FROM json_each(?)`, [`[${docs.map((d) => JSON.stringify(d)).join(',')}]`]);
    },
    delete(id) {
      return runner.rows(`DELETE FROM ${T} WHERE _id = ?`, [id]);
    },
  };
}

export const d1Runner = (db: D1Database): SqlRunner => ({
  rows: (sql, params) => db.prepare(sql).bind(...params).raw(),
  batch: (statements) => db.batch(statements.map((s) => db.prepare(s.sql).bind(...s.params))),
});

export const doSqlRunner = (storage: DurableObjectStorage): SqlRunner => ({
  rows: async (sql, params) => storage.sql.exec(sql, ...params).toArray().map((row) => Object.values(row)),
  batch: async (statements) => storage.transactionSync(() => statements.map((s) => storage.sql.exec(s.sql, ...s.params).toArray())),
});
