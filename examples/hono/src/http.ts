// The request and response helpers the routes share: bodies, titles and pages.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { QueryBuilder } from '@pocket/core';
import { MAX_TITLE_LENGTH, PAGE_SIZE, type AppEnv } from './app-env.js';

export async function readObject(request: Request): Promise<Record<string, unknown>> {
  const body: unknown = await request.json().catch(() => {
    throw new HTTPException(400, { message: 'The request body must be JSON.' });
  });
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HTTPException(400, { message: 'The request body must be a JSON object.' });
  }
  return body as Record<string, unknown>;
}

export function titleOf(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new HTTPException(400, { message: '"title" must be a non-empty string.' });
  }
  if (value.length > MAX_TITLE_LENGTH) {
    throw new HTTPException(400, { message: `"title" is ${value.length} characters long; the limit is ${MAX_TITLE_LENGTH}.` });
  }
  return value;
}

/**
 * One page of a sorted query: the first, or the one after `?after=`. A Pocket cursor page, so
 * page 30 costs what page 1 does; the `Link` header names the next page, and is absent on the
 * last. A malformed cursor is Pocket's QueryError, a 400.
 */
export async function pageResponse<T>(c: Context<AppEnv>, query: QueryBuilder<T>): Promise<Response> {
  const after = c.req.query('after');
  const limited = query.limit(PAGE_SIZE);
  const { docs, next } = await (after === undefined ? limited : limited.after(after)).page();
  if (next !== null) {
    const url = new URL(c.req.url);
    url.searchParams.set('after', next);
    c.header('Link', `<${url.pathname}${url.search}>; rel="next"`);
  }
  return c.json(docs);
}
