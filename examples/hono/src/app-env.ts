// The app's types: its bindings, what it keeps on the context, and its documents.
import type { Database, OperationTotals } from '@pocket/core';
import type { D1SessionLike } from '@pocket/storage-edge';
import type { JwtVariables } from 'hono/jwt';

export interface Env {
  DB: D1Database;
  /** The HS256 key tokens are signed with: `.dev.vars` locally, `wrangler secret put JWT_SECRET` deployed. */
  JWT_SECRET?: string;
}

export interface Todo {
  _id: string;
  title: string;
  completed: boolean;
  createdAt: string;
}

/** A todo of one signed-in user (`/me/todos`): `userId` is the verified token's subject. */
export interface UserTodo extends Todo {
  userId: string;
}

/**
 * What the app keeps on the context: `c.get('db')` is a `Database`, typed, in every route;
 * `c.get('userId')` is the verified user on the routes behind `requireUser()`.
 */
export type AppEnv = {
  Bindings: Env;
  Variables: JwtVariables & { db: Database; d1: D1SessionLike; pocketTimings: OperationTotals; userId: string };
};

/** The longest title accepted, in characters: it bounds every todo, so every page. */
export const MAX_TITLE_LENGTH = 200;
/** Todos per page. */
export const PAGE_SIZE = 100;
