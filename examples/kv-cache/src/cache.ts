// The cache itself: read a user's todo list through KV, and drop it after writes.
import { Database } from '@pocket/core';
import { createD1Storage } from '@pocket/storage-edge';

export interface Env {
  DB: D1Database;
  CACHE: KVNamespace;
}

export interface Todo {
  _id: string;
  title: string;
  completed: boolean;
  userId: string;
  createdAt: string;
}

/** How long a cached list may be served. KV's minimum is 60 seconds. */
export const CACHE_TTL_SECONDS = 60;

export function cacheKey(userId: string): string {
  return `todos:${userId}`;
}

export function openDb(env: Env): Database {
  return Database.open({ name: 'my-app', storage: createD1Storage({ database: env.DB }) });
}

/** The user's todos, from KV if cached, else from D1 (and then cached). */
export async function getCachedTodos(env: Env, userId: string): Promise<{ todos: Todo[]; hit: boolean }> {
  const cached = await env.CACHE.get<Todo[]>(cacheKey(userId), 'json');
  if (cached !== null) return { todos: cached, hit: true };

  const todos = await openDb(env)
    .collection<Todo>('todos')
    .find()
    .where('userId')
    .equals(userId)
    .sort('createdAt')
    .limit(100)
    .exec();
  await env.CACHE.put(cacheKey(userId), JSON.stringify(todos), { expirationTtl: CACHE_TTL_SECONDS });
  return { todos, hit: false };
}

/** Drops the user's cached list; the next read goes to D1. Call it after every write. */
export async function invalidateCache(env: Env, userId: string): Promise<void> {
  await env.CACHE.delete(cacheKey(userId));
}
