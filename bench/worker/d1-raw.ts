import { TABLE, type Todo } from './data.js';
import { BY_USER_LIMIT, RANGE_LIMIT, type Variant } from './harness.js';

/**
 * Hand-written D1: the floor. Each operation is one statement in one round trip, written the
 * way that measured fastest here: statements prepared once (preparing is local, binding makes
 * a copy), rows read with `raw()` (arrays, no row objects), bulk writes packed into one JSON
 * parameter read with `json_each` (`technique: 'packed'`) rather than a `batch()` of
 * single-row statements (`'batch'`, kept to show the difference), and writes that return
 * nothing.
 */
export function rawD1(db: D1Database, technique: 'packed' | 'batch' = 'packed'): Variant {
  const t = `"${TABLE}"`;
  const get = db.prepare(`SELECT data FROM ${t} WHERE _id = ?`);
  const byUser = db.prepare(`SELECT data FROM ${t} WHERE json_extract(data, '$.userId') = ? ORDER BY _id LIMIT ${BY_USER_LIMIT}`);
  // createdAt is unique in this data set, so no tie-breaker is needed for the same order.
  const range = db.prepare(
    `SELECT data FROM ${t} WHERE json_extract(data, '$.priority') >= ? ORDER BY json_extract(data, '$.createdAt') DESC LIMIT ${RANGE_LIMIT}`,
  );
  const count = db.prepare(`SELECT count(*) FROM ${t}`);
  const update = db.prepare(`UPDATE ${t} SET data = json_set(data, '$.completed', json(?)), updated_at = unixepoch() WHERE _id = ?`);
  const bulkUpdate = db.prepare(
    `UPDATE ${t} SET data = json_set(data, '$.completed', p.value -> '$.c'), updated_at = unixepoch() FROM json_each(?) AS p WHERE ${t}._id = p.value ->> '$.id'`,
  );
  const bulkInsert = db.prepare(`INSERT INTO ${t} (_id, data) SELECT value ->> '$._id', value FROM json_each(?)`);
  const insertOne = db.prepare(`INSERT INTO ${t} (_id, data) VALUES (?, ?)`);
  const del = db.prepare(`DELETE FROM ${t} WHERE _id = ?`);
  const docs = (rows: Array<[string]>) => rows.map((r) => JSON.parse(r[0]) as Todo);

  return {
    async get(id) {
      const [row] = await get.bind(id).raw<[string]>();
      return row === undefined ? null : (JSON.parse(row[0]) as Todo);
    },
    async byUser(userId) {
      return docs(await byUser.bind(userId).raw<[string]>());
    },
    async range(minPriority) {
      return docs(await range.bind(minPriority).raw<[string]>());
    },
    async count() {
      const [row] = await count.raw<[number]>();
      return row![0];
    },
    update(id, completed) {
      return update.bind(completed ? 'true' : 'false', id).run();
    },
    bulkUpdate(changes) {
      if (technique === 'batch') return db.batch(changes.map((c) => update.bind(c.completed ? 'true' : 'false', c.id)));
      return bulkUpdate.bind(JSON.stringify(changes.map((c) => ({ id: c.id, c: c.completed })))).run();
    },
    bulkInsert(list) {
      if (technique === 'batch') return db.batch(list.map((doc) => insertOne.bind(doc._id, JSON.stringify(doc))));
      return bulkInsert.bind(JSON.stringify(list)).run();
    },
    delete(id) {
      return del.bind(id).run();
    },
  };
}

/** Raw helpers the harness uses outside the timed loops: seeding, reading back, cleaning up. */
export function d1Admin(db: D1Database) {
  const t = `"${TABLE}"`;
  return {
    async reset(): Promise<void> {
      await db.batch([
        db.prepare(`DROP TABLE IF EXISTS ${t}`),
        // The seed migration's table, and the expression index the userId query needs.
        db.prepare(
          `CREATE TABLE ${t} (_id TEXT PRIMARY KEY, data TEXT NOT NULL, created_at INTEGER DEFAULT (unixepoch()), updated_at INTEGER DEFAULT (unixepoch()))`,
        ),
        db.prepare(`CREATE INDEX "${TABLE}_userId" ON ${t} (json_extract(data, '$.userId'))`),
      ]);
    },
    async insert(list: Todo[]): Promise<void> {
      await db.prepare(`INSERT INTO ${t} (_id, data) SELECT value ->> '$._id', value FROM json_each(?)`).bind(JSON.stringify(list)).run();
    },
    async read(ids: string[]): Promise<Array<Todo | null>> {
      // `SELECT *`: Pocket's table has `_deleted`, whose tombstones are no documents; raw's has no such column.
      const { results } = await db
        .prepare(`SELECT * FROM ${t} WHERE _id IN (SELECT value FROM json_each(?))`)
        .bind(JSON.stringify(ids))
        .all<Record<string, unknown>>();
      const byId = new Map(results.filter((r) => r._deleted == null).map((r) => [r._id as string, JSON.parse(r.data as string) as Todo]));
      return ids.map((id) => byId.get(id) ?? null);
    },
    async remove(ids: string[]): Promise<void> {
      await db.prepare(`DELETE FROM ${t} WHERE _id IN (SELECT value FROM json_each(?))`).bind(JSON.stringify(ids)).run();
    },
    async count(): Promise<number> {
      return (await db.prepare(`SELECT count(*) AS n FROM ${t}`).first<number>('n')) ?? 0;
    },
    async plan(sql: string, params: unknown[]): Promise<string[]> {
      const { results } = await db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .bind(...params)
        .all<{ detail: string }>();
      return results.map((r) => r.detail);
    },
  };
}
