// The cache itself: read the first page of a user's todo list through KV, and drop it after writes.
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

/** One page of a user's todos, oldest first, and the cursor of the next page (`null`: the last). */
export interface TodoPage {
  todos: Todo[];
  next: string | null;
}

/** The longest title accepted, in characters: it bounds every todo, so every cached page. */
export const MAX_TITLE_LENGTH = 200;

/** How long a cached page may be served. KV's minimum is 60 seconds. */
export const CACHE_TTL_SECONDS = 60;
/** Todos per page. */
export const PAGE_SIZE = 100;

/** The KV key of a user's first page. User ids are checked first (src/index.ts), so it fits KV's 512 bytes. */
export function cacheKey(userId: string): string {
  return `todos:${userId}`;
}

export function openDb(env: Env): Database {
  return Database.open({ name: 'my-app', storage: createD1Storage({ database: env.DB }) });
}

/** A page of the user's todos from D1: the first, or the one after `cursor`. */
export async function readPage(env: Env, userId: string, cursor: string | null): Promise<TodoPage> {
  const query = openDb(env).collection<Todo>('todos').find().where('userId').equals(userId).sort('createdAt').limit(PAGE_SIZE);
  const { docs, next } = await (cursor === null ? query : query.after(cursor)).page();
  return { todos: docs, next };
}

/**
 * The user's first page, from KV if cached, else from D1 (and then cached). Only the first page
 * is cached: it is what most reads ask for, and one key per user is what a write must drop.
 */
export async function getCachedTodos(env: Env, userId: string): Promise<{ page: TodoPage; hit: boolean }> {
  const cached = await env.CACHE.get<TodoPage>(cacheKey(userId), 'json');
  if (cached !== null) return { page: cached, hit: true };

  const page = await readPage(env, userId, null);
  // A cache that cannot be filled costs the next read a trip to D1, not this read its answer.
  await env.CACHE.put(cacheKey(userId), JSON.stringify(page), { expirationTtl: CACHE_TTL_SECONDS }).catch((error: unknown) => {
    console.error(`caching ${JSON.stringify(cacheKey(userId))} failed:`, error);
  });
  return { page, hit: false };
}

/**
 * Drops the user's cached page; the next read goes to D1. Call it after every write. It never
 * throws: the write it follows is saved, and answering 500 would make the client retry (and
 * duplicate an insert). A failure is logged; the stale page expires within CACHE_TTL_SECONDS.
 */
export async function invalidateCache(env: Env, userId: string): Promise<void> {
  try {
    await env.CACHE.delete(cacheKey(userId));
  } catch (error) {
    console.error(`cache invalidation failed for ${JSON.stringify(cacheKey(userId))}; stale for up to ${CACHE_TTL_SECONDS} s:`, error);
  }
}
