import { condition } from '@pocket/core';
import { DEFAULT_SQL_LIMITS } from '@pocket/storage-edge';
import { compileCount, compileFind } from '@pocket/storage-edge/sql';
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
/** The revision and change-feed parts of Pocket's writes (src/sql/revisions.ts, writes.ts). */
const REVISION = `coalesce(data ->> '$._rev', 1)`;
const NEXT_SEQ = `(SELECT coalesce(max(_seq), 0) FROM ${T})`;
const lastRev = (data: string) => `json_set(${data}, '$._rev', ${REVISION} + 1)`;
const sizeGuard = (data: string) =>
  `CASE WHEN length(CAST(${data} AS BLOB)) > ${DEFAULT_SQL_LIMITS.maxDocumentBytes} THEN json_extract('{}', 'pocket-document-too-large') END AS too_large`;

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
      const [row] = await runner.rows(`SELECT data FROM ${T} WHERE _id = ? AND _deleted IS NULL`, [id]);
      return row === undefined ? null : parse(row[0]);
    },
    async byUser(userId) {
      const c = compileFind(T, { filter: condition.eq('userId', userId), sort: [{ path: '_id', direction: 'asc' }], skip: 0, limit: BY_USER_LIMIT });
      return (await runner.rows(c.sql, c.params)).map((r) => parse(r[0]));
    },
    async range(minPriority) {
      const c = compileFind(T, {
        filter: condition.gte('priority', minPriority),
        sort: [{ path: 'createdAt', direction: 'desc' }],
        skip: 0,
        limit: RANGE_LIMIT,
      });
      return (await runner.rows(c.sql, c.params)).map((r) => parse(r[0]));
    },
    async count() {
      const c = compileCount(T, null);
      const [row] = await runner.rows(c.sql, c.params);
      return row![0] as number;
    },
    update(id, completed) {
      return runner.rows(
        `UPDATE ${T} SET data = ${lastRev(`json_set(json_remove(data, '$._rev'), '$.completed', ?1 -> '$.completed')`)}, _seq = ${NEXT_SEQ} + 1, updated_at = unixepoch() WHERE _id = ?2 AND _deleted IS NULL RETURNING data, ${sizeGuard('data')}`,
        [JSON.stringify({ completed }), id],
      );
    },
    bulkUpdate(changes) {
      const ids = changes.map((c) => c.id);
      return runner.batch([
        {
          sql: `SELECT json_extract('{}', 'pocket-precondition-failed') WHERE (SELECT count(*) FROM ${T}, json_each(?) AS p WHERE ${T}._id = p.value ->> '$.id' AND ${T}._deleted IS NULL) < ?`,
          params: [JSON.stringify(ids.map((id) => ({ id }))), ids.length],
        },
        {
          sql: `UPDATE ${T} SET data = ${lastRev(`json_set(json_remove(data, '$._rev'), '$.completed', p.value -> '$.c.completed')`)}, _seq = ${NEXT_SEQ} + p.key + 1, updated_at = unixepoch() FROM json_each(?) AS p WHERE ${T}._id = p.value ->> '$.id' AND ${T}._deleted IS NULL RETURNING ${T}._id, ${T}.data, ${sizeGuard(`${T}.data`)}`,
          params: [JSON.stringify(changes.map((c) => ({ id: c.id, c: { completed: c.completed } })))],
        },
      ]);
    },
    bulkInsert(docs) {
      return runner.rows(
        `INSERT INTO ${T} (_id, data, _seq) SELECT value ->> '$._id', value, ${NEXT_SEQ} + key + 1 FROM json_each(?) WHERE true ` +
          `ON CONFLICT (_id) DO UPDATE SET data = CASE WHEN _deleted IS NULL THEN json_extract('{}', 'pocket-duplicate-key') ELSE json_set(excluded.data, '$._rev', ${REVISION} + 1) END, ` +
          `_deleted = NULL, _seq = excluded._seq, created_at = unixepoch(), updated_at = unixepoch() RETURNING _id, data ->> '$._rev' AS rev`,
        [`[${docs.map((d) => JSON.stringify({ ...d, _rev: 1 })).join(',')}]`],
      );
    },
    delete(id) {
      return runner.rows(
        `UPDATE ${T} SET data = json_object('_id', _id, '_rev', ${REVISION} + 1), _deleted = 1, _seq = ${NEXT_SEQ} + 1, updated_at = unixepoch() WHERE _id = ? AND _deleted IS NULL RETURNING data ->> '$._rev' AS rev`,
        [id],
      );
    },
  };
}

export const d1Runner = (db: D1Database): SqlRunner => ({
  rows: (sql, params) =>
    db
      .prepare(sql)
      .bind(...params)
      .raw(),
  batch: (statements) => db.batch(statements.map((s) => db.prepare(s.sql).bind(...s.params))),
});

export const doSqlRunner = (storage: DurableObjectStorage): SqlRunner => ({
  rows: async (sql, params) =>
    storage.sql
      .exec(sql, ...params)
      .toArray()
      .map((row) => Object.values(row)),
  batch: async (statements) => storage.transactionSync(() => statements.map((s) => storage.sql.exec(s.sql, ...s.params).toArray())),
});
