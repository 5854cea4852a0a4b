import { ValidationError } from '@pocket/core';
import { describeValue as describe } from '@pocket/core/adapter';
import type { D1DatabaseLike } from './d1-binding.js';

/** A D1 session (`env.DB.withSession(…)`): a database whose reads follow its own writes. */
export interface D1SessionLike extends D1DatabaseLike {
  /** The latest bookmark of the session's queries, or null before the first. */
  getBookmark(): string | null;
}

/** A D1 binding that opens sessions: `env.DB`. */
export interface D1SessionBindingLike {
  withSession(constraintOrBookmark?: string): D1SessionLike;
}

export interface D1SessionOptions {
  /**
   * Where a request without a bookmark starts: `'first-unconstrained'` (the default: any
   * replica, the cheapest read) or `'first-primary'` (the primary, for a request that must see
   * every write made before it by anyone).
   */
  start?: 'first-unconstrained' | 'first-primary';
  /** The request and response header that carries the bookmark. Default `'x-d1-bookmark'`. */
  header?: string;
  /** The cookie that carries it as well, for browsers; `false` for none. Default `'d1-bookmark'`. */
  cookie?: string | false;
}

/** One request's D1 session, and how to hand its bookmark to the next request. */
export interface D1RequestSession {
  /** The session, for `createD1Storage({ database })`. */
  readonly database: D1SessionLike;
  /** The bookmark the request came with, or null. */
  readonly bookmark: string | null;
  /** `response` with the session's latest bookmark in the header (and cookie). */
  commit(response: Response): Response;
}

/** What D1 bookmarks look like (hex groups joined by dashes); anything else starts fresh. */
const BOOKMARK = /^[A-Za-z0-9-]{1,256}$/;

/**
 * Opens the D1 session for one request, from the bookmark the client sent back (header first,
 * then cookie), or from `start` without one. Reads go to a replica that has seen at least that
 * bookmark, so a client that carries it reads its own writes across requests; `commit()` puts
 * the session's new bookmark on the response. A malformed bookmark is ignored, not an error: it
 * comes from the client.
 */
export function d1Session(database: D1SessionBindingLike, request: Request, options: D1SessionOptions = {}): D1RequestSession {
  if (typeof database?.withSession !== 'function') {
    throw new ValidationError(`d1Session() needs a D1 binding (env.DB), whose withSession() opens sessions; got ${describe(database)}.`);
  }
  const { start = 'first-unconstrained', header = 'x-d1-bookmark', cookie = 'd1-bookmark' } = options;
  if (start !== 'first-unconstrained' && start !== 'first-primary') {
    throw new ValidationError(`d1Session(): start must be 'first-unconstrained' or 'first-primary', got ${describe(start)}.`);
  }
  const sent = request.headers.get(header) ?? (cookie === false ? null : cookieValue(request.headers.get('cookie'), cookie));
  const bookmark = sent !== null && BOOKMARK.test(sent) ? sent : null;
  const session = database.withSession(bookmark ?? start);
  return {
    database: session,
    bookmark,
    commit(response) {
      const latest = session.getBookmark();
      if (latest === null) return response;
      const out = new Response(response.body, response);
      out.headers.set(header, latest);
      if (cookie !== false) out.headers.append('set-cookie', `${cookie}=${latest}; Path=/; HttpOnly; Secure; SameSite=Lax`);
      return out;
    },
  };
}

function cookieValue(cookies: string | null, name: string): string | null {
  if (cookies === null) return null;
  for (const part of cookies.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return null;
}

/**
 * The same for every request of a Hono app: `app.use('*', d1SessionMiddleware())` opens the
 * session from `c.env.DB` (or `options.binding`), puts it on the context as `d1`
 * (`createD1Storage({ database: c.get('d1') })`), and sets the bookmark on the response.
 * Written against Hono's context shape, so the package needs no Hono dependency.
 */
export function d1SessionMiddleware(options: D1SessionOptions & { binding?: string } = {}) {
  const binding = options.binding ?? 'DB';
  return async (c: D1SessionContext, next: () => Promise<void>): Promise<void> => {
    const session = d1Session((c.env as Record<string, D1SessionBindingLike>)[binding]!, c.req.raw, options);
    c.set('d1', session.database);
    await next();
    c.res = session.commit(c.res);
  };
}

/** The part of a Hono context `d1SessionMiddleware` uses. */
export interface D1SessionContext {
  env: unknown;
  req: { raw: Request };
  set(key: 'd1', value: D1SessionLike): void;
  res: Response;
}
