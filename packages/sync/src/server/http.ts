import { PocketError } from '@pocket/core';
import { parsePullRequest, parsePushRequest, SYNC_LIMITS, SYNC_PROTOCOL_VERSION, SyncProtocolError, utf8Length } from '../protocol.js';
import { SyncAccessError, type SyncServer } from './sync-server.js';

/**
 * Answers `POST …/pull` and `POST …/push` for clients that poll, on any storage (D1 in a Worker
 * or Hono app, typically). Mount it under a path of your choice; it looks only at the last
 * segment. Every answer is JSON: `{ v: 1, … }`, or `{ v: 1, error: { code, message } }` with
 * 400 (bad message), 401 (`authenticate` returned null), 403 (not the user's), 404, 405, 413.
 */
export async function handleSyncHttp<User>(server: SyncServer<User>, request: Request): Promise<Response> {
  const action = new URL(request.url).pathname.split('/').pop();
  if (action !== 'pull' && action !== 'push') return failure(404, 'NOT_FOUND', 'The sync endpoints are …/pull and …/push.');
  if (request.method !== 'POST') return failure(405, 'METHOD_NOT_ALLOWED', `Send …/${action} as a POST with a JSON body.`);
  const user = await server.authenticate(request);
  if (user == null) return failure(401, 'UNAUTHORIZED', 'The request carries no credentials the server accepts.');
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > SYNC_LIMITS.maxMessageBytes) return failure(413, 'TOO_LARGE', `A sync request is at most ${SYNC_LIMITS.maxMessageBytes} bytes.`);
  const text = await request.text();
  if (utf8Length(text) > SYNC_LIMITS.maxMessageBytes) return failure(413, 'TOO_LARGE', `A sync request is at most ${SYNC_LIMITS.maxMessageBytes} bytes.`);
  try {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new SyncProtocolError('BAD_MESSAGE', 'Bad sync message: the body is not valid JSON.');
    }
    const version = (body as { v?: unknown } | null)?.v;
    if (version !== SYNC_PROTOCOL_VERSION)
      throw new SyncProtocolError(
        'UNSUPPORTED_VERSION',
        `This server speaks sync protocol version ${SYNC_PROTOCOL_VERSION}; the request says ${JSON.stringify(version ?? null).slice(0, 20)}.`,
      );
    const answer = action === 'pull' ? await server.pull(user, parsePullRequest(body)) : await server.push(user, parsePushRequest(body));
    const json = JSON.stringify({ v: SYNC_PROTOCOL_VERSION, ...answer });
    if (utf8Length(json) > SYNC_LIMITS.maxMessageBytes) return failure(413, 'TOO_LARGE', TOO_LARGE_ANSWER);
    return new Response(json, { headers: { 'content-type': 'application/json' } });
  } catch (error) {
    return errorResponse(error);
  }
}

/** The HTTP answer for an error of a sync request; a failure of the server's own is logged and answered without detail. */
export function errorResponse(error: unknown): Response {
  if (error instanceof SyncProtocolError) return failure(error.code === 'TOO_LARGE' ? 413 : 400, error.code, error.message);
  if (error instanceof SyncAccessError) return failure(403, error.code, error.message);
  if (error instanceof PocketError && error.status < 500) return failure(error.status, error.code, error.message);
  console.error('[pocket/sync] a sync request failed:', error);
  const body = error instanceof PocketError ? error.toJSON() : { code: 'INTERNAL', message: 'The sync server failed; try again later.' };
  return failure(error instanceof PocketError ? error.status : 500, body.code, body.message);
}

/** Why an answer was not sent: a pull's is kept small, but a push's carries its conflicting documents whole. */
const TOO_LARGE_ANSWER = `The answer would be larger than ${SYNC_LIMITS.maxMessageBytes} bytes (a push's conflicts carry whole documents); the writes were answered and recorded; send fewer at once.`;

function failure(status: number, code: string, message: string): Response {
  return Response.json({ v: SYNC_PROTOCOL_VERSION, error: { code, message } }, { status });
}
