import { count, desc, eq, gte, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { TABLE, type Todo } from './data.js';
import { BY_USER_LIMIT, RANGE_LIMIT, type Variant } from './harness.js';

/**
 * The same table as Pocket's, declared for Drizzle: the document is a JSON text column
 * (`mode: 'json'`, so Drizzle stringifies and parses it), fields are reached with
 * `json_extract` in `sql` templates, the timestamps default in SQL.
 */
export const todos = sqliteTable(TABLE, {
  id: text('_id').primaryKey(),
  data: text('data', { mode: 'json' }).$type<Todo>().notNull(),
  createdAt: integer('created_at').default(sql`(unixepoch())`),
  updatedAt: integer('updated_at').default(sql`(unixepoch())`),
});

const userId = sql`json_extract(${todos.data}, '$.userId')`;
const priority = sql`json_extract(${todos.data}, '$.priority')`;
const createdAt = sql`json_extract(${todos.data}, '$.createdAt')`;
const setCompleted = (completed: boolean) => sql`json_set(${todos.data}, '$.completed', json(${completed ? 'true' : 'false'}))`;

/** D1 allows 100 bound parameters per statement; an inserted row binds two (_id, data). */
const ROWS_PER_INSERT = 50;

/**
 * Drizzle ORM on D1, written as its documentation shows: queries built inline per call,
 * `db.batch()` for several statements in one round trip, multi-row inserts chunked under D1's
 * parameter limit.
 */
export function drizzleD1(d1: D1Database): Variant {
  const db = drizzle(d1);
  return {
    async get(id) {
      const row = await db.select({ data: todos.data }).from(todos).where(eq(todos.id, id)).get();
      return row?.data ?? null;
    },
    async byUser(user) {
      const rows = await db.select({ data: todos.data }).from(todos).where(eq(userId, user)).orderBy(todos.id).limit(BY_USER_LIMIT);
      return rows.map((r) => r.data);
    },
    async range(minPriority) {
      const rows = await db.select({ data: todos.data }).from(todos).where(gte(priority, minPriority)).orderBy(desc(createdAt)).limit(RANGE_LIMIT);
      return rows.map((r) => r.data);
    },
    async count() {
      const row = await db.select({ n: count() }).from(todos).get();
      return row!.n;
    },
    update(id, completed) {
      return db
        .update(todos)
        .set({ data: setCompleted(completed), updatedAt: sql`(unixepoch())` })
        .where(eq(todos.id, id))
        .run();
    },
    bulkUpdate(changes) {
      const statements = changes.map((c) =>
        db
          .update(todos)
          .set({ data: setCompleted(c.completed), updatedAt: sql`(unixepoch())` })
          .where(eq(todos.id, c.id)),
      );
      return db.batch(statements as [(typeof statements)[number], ...typeof statements]);
    },
    bulkInsert(docs) {
      const statements = [];
      for (let i = 0; i < docs.length; i += ROWS_PER_INSERT) {
        statements.push(db.insert(todos).values(docs.slice(i, i + ROWS_PER_INSERT).map((doc) => ({ id: doc._id, data: doc }))));
      }
      return db.batch(statements as [(typeof statements)[number], ...typeof statements]);
    },
    delete(id) {
      return db.delete(todos).where(eq(todos.id, id)).run();
    },
  };
}
