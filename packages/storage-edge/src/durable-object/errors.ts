import { StorageError } from '@pocket/core';

// Messages of Durable Object storage failures that a retry may fix, for errors that do not
// carry the platform's own `retryable` flag.
const TRANSIENT = /network connection lost|reset because its code was updated|exceeded timeout|internal error|timed? ?out/i;

/**
 * A failure of Durable Object storage (KV or SQL) that Pocket could not turn into a more precise
 * error. Like `D1Error` it is a `StorageError` (status 503), so a handler that only knows
 * `PocketError` still answers with a storage failure rather than a bad request.
 */
export class DurableObjectStorageError extends StorageError {
  override readonly name = 'DurableObjectStorageError';
  /** What Pocket was doing: `'find'`, `'write'`, `'create table pocket_todos'`… */
  readonly operation: string;
  /** The platform's own message, unchanged. */
  readonly storageMessage: string;
  /** The SQL statement that failed (SQLite-backed objects), for logs; never the bound values, and never in `toJSON()`. */
  readonly sql: string | undefined;

  constructor(operation: string, cause: unknown, sql?: string) {
    const storageMessage = cause instanceof Error ? cause.message : String(cause);
    const retryable = isRetryable(cause, storageMessage);
    super(`Durable Object storage: ${operation} failed: ${storageMessage}${retryable ? ' (transient: retrying may succeed)' : ''}`, { cause, retryable });
    this.operation = operation;
    this.storageMessage = storageMessage;
    this.sql = sql;
  }
}

/** Cloudflare marks Durable Object errors with `retryable` and `overloaded`; an overloaded object must not be retried. */
function isRetryable(cause: unknown, message: string): boolean {
  const flags = (typeof cause === 'object' && cause !== null ? cause : {}) as { retryable?: unknown; overloaded?: unknown };
  if (flags.overloaded === true) return false;
  if (typeof flags.retryable === 'boolean') return flags.retryable;
  return TRANSIENT.test(message);
}
