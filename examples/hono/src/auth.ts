// Real authentication: a bearer token (a JWT) verified with Hono's JWT middleware.
import type { MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { jwt } from 'hono/jwt';
import type { AppEnv } from './app-env.js';

/** Subjects become part of stored documents and queries: short and printable. */
const SUBJECT = /^[A-Za-z0-9_.@|:-]{1,128}$/;

/**
 * Lets a request through only with `Authorization: Bearer <token>`, a JWT signed with HS256 and
 * the `JWT_SECRET` binding, not expired (`exp`) and not early (`nbf`), whose `sub` names the
 * user; then `c.get('userId')` is that subject. Anything else is a 401 with a
 * `WWW-Authenticate` challenge, thrown as an HTTPException. The user comes from the verified
 * token only, never from a header or a body the client writes as it likes.
 */
export function requireUser(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const secret = c.env.JWT_SECRET;
    // A missing secret is the operator's mistake: a 500 and a log line, never an open door.
    if (!secret) throw new Error('JWT_SECRET is not set: put it in .dev.vars locally, or run `wrangler secret put JWT_SECRET`.');
    // The secret is a binding, known per request, so the middleware is made per request.
    const verify = jwt({ secret, alg: 'HS256' });
    await verify(c, async () => {
      const { sub } = c.get('jwtPayload') as { sub?: unknown };
      if (typeof sub !== 'string' || !SUBJECT.test(sub)) {
        const message = 'The token has no usable "sub" claim (1-128 letters, digits, _ . @ | : -).';
        const challenge = `Bearer error="invalid_token", error_description="${message.replace(/"/g, "'")}"`;
        throw new HTTPException(401, { message, res: new Response(null, { status: 401, headers: { 'WWW-Authenticate': challenge } }) });
      }
      c.set('userId', sub);
      await next();
    });
  };
}
