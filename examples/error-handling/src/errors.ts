// Turning any error into an HTTP response that helps the client and leaks nothing.
import { PocketError } from '@pocket/core';
import { D1Error } from '@pocket/storage-edge';

/** A problem with the request itself, found by the Worker before Pocket is involved. */
export class BadRequestError extends Error {
  override readonly name = 'BadRequestError';
}

/** The JSON body of every error response. `requestId` appears on 5xx, to match the log line. */
export interface ErrorBody {
  error: { code: string; message: string; requestId?: string };
}

/**
 * Maps an error to a response:
 *
 * - `D1Error`: D1 failed (unavailable, overloaded, a broken table…). 503, a fixed message; D1's
 *   own message can contain SQL and table names, so it only goes to the log. Tested first: a
 *   `D1Error` is also a `PocketError` (a `StorageError`).
 * - Other `PocketError`s: their `status`, and the `code` and `message` of `toJSON()`, which is
 *   safe to send. Below 500 (`ValidationError`, `QueryError` → 400, `DocumentNotFoundError` →
 *   404, `DuplicateKeyError`, `ConflictError` → 409) that is Pocket's message, written for the
 *   caller: it names the field or id at fault, never a stack or a statement. From 500 (storage
 *   failures of other backends) it is a fixed message; the error itself is logged.
 * - Anything else is a bug: 500, a fixed message.
 *
 * Every 5xx is logged with a request id that is also sent to the client.
 */
export function errorResponse(error: unknown): Response {
  if (error instanceof BadRequestError) {
    return reply(400, { code: 'BAD_REQUEST', message: error.message });
  }
  if (error instanceof D1Error) {
    const requestId = logFailure('D1 failure', error, { operation: error.operation, retryable: error.retryable });
    return reply(503, { code: 'DATABASE_UNAVAILABLE', message: 'The database is unavailable. Try again later.', requestId });
  }
  if (error instanceof PocketError) {
    const { code, message } = error.toJSON();
    if (error.status < 500) return reply(error.status, { code, message });
    return reply(error.status, { code, message, requestId: logFailure('storage failure', error) });
  }
  const requestId = logFailure('unexpected error', error);
  return reply(500, { code: 'INTERNAL_ERROR', message: 'Something went wrong on our side.', requestId });
}

function reply(status: number, error: ErrorBody['error']): Response {
  return Response.json({ error } satisfies ErrorBody, { status });
}

/** Logs everything useful for an operator (message, cause, stack) and returns the id to quote. */
function logFailure(what: string, error: unknown, details: Record<string, unknown> = {}): string {
  const requestId = crypto.randomUUID();
  console.error(`[${requestId}] ${what}:`, error, details);
  return requestId;
}
