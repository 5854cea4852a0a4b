import { Database } from '@pocket/core';
import { createD1Storage, type D1Indexes } from '@pocket/storage-edge';
import { desc, eq, lt, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { makeTodo, type Todo } from './data.js';

/**
 * The sorted-query scenario (sorted.mjs): 100,000 documents, five limited queries, each written
 * raw, with Pocket and with Drizzle. Raw and Drizzle share a table with the plain expression
 * indexes a user would create; Pocket has its own table with the same rows and its declared
 * indexes, in the shape of its ORDER BY (type rank, value, _id).
 */
export const SORTED_COUNT = 100_000;
export const SORTED_USERS = 1000;
export const LIMIT = 20;
export const UNINDEXED_PRIORITY = 3;
export const COLLECTION = 'todos';
/** Raw's and Drizzle's table: the name a user would pick. Pocket's is `pocket_todos`. */
export const PLAIN_TABLE = 'todos';
export const POCKET_TABLE = `pocket_${COLLECTION}`;

export const POCKET_INDEXES: D1Indexes = { [COLLECTION]: [{ path: 'createdAt', direction: 'desc' }, ['userId', { path: 'createdAt', direction: 'desc' }]] };

const json = (path: string) => `json_extract(data, '$.${path}')`;
/** What a user would create for these queries on a plain table; `(userId)` alone is covered by the compound one. */
export const PLAIN_INDEXES = [`(${json('createdAt')})`, `(${json('userId')}, ${json('createdAt')})`];

export const sortedUser = (i: number) => `user-${String(i % SORTED_USERS).padStart(4, '0')}`;

/** Document `i`: the main bench's document (createdAt a minute apart plus jitter, so unique), with a user of 1,000. */
export function sortedTodo(i: number): Todo {
  const doc = makeTodo(i, 'sorted');
  doc.userId = sortedUser(i);
  return doc;
}

export const SORTED_OPS = ['newest', 'userNewest', 'olderThan', 'userAny', 'unindexed'] as const;
export type SortedOp = (typeof SORTED_OPS)[number];
/** Each operation takes one input (a user, a timestamp, or '' when it has none) and returns the documents. */
export type SortedVariant = Record<SortedOp, (input: string) => Promise<Todo[]>>;

/** Hand-written SQL for the plain indexes, prepared once, rows read with `raw()`, as `rawD1`. createdAt and title are unique: no tie-breaker needed. */
export function rawSorted(db: D1Database): SortedVariant {
  const t = `"${PLAIN_TABLE}"`;
  const newest = db.prepare(`SELECT data FROM ${t} ORDER BY ${json('createdAt')} DESC LIMIT ${LIMIT}`);
  const userNewest = db.prepare(`SELECT data FROM ${t} WHERE ${json('userId')} = ? ORDER BY ${json('createdAt')} DESC LIMIT ${LIMIT}`);
  const olderThan = db.prepare(`SELECT data FROM ${t} WHERE ${json('createdAt')} < ? ORDER BY ${json('createdAt')} DESC LIMIT ${LIMIT}`);
  const userAny = db.prepare(`SELECT data FROM ${t} WHERE ${json('userId')} = ? LIMIT ${LIMIT}`);
  const unindexed = db.prepare(`SELECT data FROM ${t} WHERE ${json('priority')} = ${UNINDEXED_PRIORITY} ORDER BY ${json('title')} LIMIT ${LIMIT}`);
  const docs = async (s: D1PreparedStatement) => (await s.raw<[string]>()).map((r) => JSON.parse(r[0]) as Todo);
  return {
    newest: () => docs(newest),
    userNewest: (user) => docs(userNewest.bind(user)),
    olderThan: (time) => docs(olderThan.bind(time)),
    userAny: (user) => docs(userAny.bind(user)),
    unindexed: () => docs(unindexed),
  };
}

/** Pocket with its declared indexes, one Database per isolate, the query builder as a user writes it. */
export function pocketSorted(db: D1Database): SortedVariant {
  const storage = createD1Storage({ database: db, indexes: POCKET_INDEXES });
  const todos = Database.open({ name: 'sorted', storage }).collection<Todo>(COLLECTION);
  return {
    newest: () => todos.find().sort('createdAt', 'desc').limit(LIMIT).exec(),
    userNewest: (user) => todos.find().where('userId').equals(user).sort('createdAt', 'desc').limit(LIMIT).exec(),
    olderThan: (time) => todos.find().where('createdAt').lt(time).sort('createdAt', 'desc').limit(LIMIT).exec(),
    userAny: (user) => todos.find().where('userId').equals(user).limit(LIMIT).exec(),
    unindexed: () => todos.find().where('priority').equals(UNINDEXED_PRIORITY).sort('title').limit(LIMIT).exec(),
  };
}

const todos = sqliteTable(PLAIN_TABLE, {
  id: text('_id').primaryKey(),
  data: text('data', { mode: 'json' }).$type<Todo>().notNull(),
  createdAt: integer('created_at'),
  updatedAt: integer('updated_at'),
});
const field = (path: string) => sql`json_extract(${todos.data}, ${sql.raw(`'$.${path}'`)})`;

/** Drizzle on the plain table, as `drizzleD1`: fields are `json_extract` in `sql` templates, queries built inline. */
export function drizzleSorted(d1: D1Database): SortedVariant {
  const db = drizzle(d1);
  const select = () => db.select({ data: todos.data }).from(todos);
  const docs = async (rows: Promise<Array<{ data: Todo }>>) => (await rows).map((r) => r.data);
  return {
    newest: () =>
      docs(
        select()
          .orderBy(desc(field('createdAt')))
          .limit(LIMIT),
      ),
    userNewest: (user) =>
      docs(
        select()
          .where(eq(field('userId'), user))
          .orderBy(desc(field('createdAt')))
          .limit(LIMIT),
      ),
    olderThan: (time) =>
      docs(
        select()
          .where(lt(field('createdAt'), time))
          .orderBy(desc(field('createdAt')))
          .limit(LIMIT),
      ),
    userAny: (user) =>
      docs(
        select()
          .where(eq(field('userId'), user))
          .limit(LIMIT),
      ),
    unindexed: () =>
      docs(
        select()
          .where(eq(field('priority'), UNINDEXED_PRIORITY))
          .orderBy(field('title'))
          .limit(LIMIT),
      ),
  };
}

export const SORTED_VARIANTS: Record<string, (db: D1Database) => SortedVariant> = { raw: rawSorted, pocket: pocketSorted, drizzle: drizzleSorted };
