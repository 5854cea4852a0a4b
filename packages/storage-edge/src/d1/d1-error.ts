import { StorageError } from '@pocket/core';

// Failures D1 documents as transient: the same statement may succeed when sent again.
const TRANSIENT = /network connection lost|object to be reset|transient issue|overloaded|timed? ?out|internal error/i;

/**
 * A failure of the D1 binding that Pocket could not turn into a more precise error. It is a
 * `StorageError` (so a `PocketError`, status 503): a handler that tests `D1Error` first and
 * `PocketError` second treats it as a 503, and code that only knows `PocketError`
 * still sees a storage failure rather than a bad request.
 */
export class D1Error extends StorageError {
  override readonly name = 'D1Error';
  /** What Pocket was doing: `'find'`, `'write'`, `'create table pocket_todos'`… */
  readonly operation: string;
  /** D1's own message, unchanged. */
  readonly d1Message: string;
  /**
   * The SQL that failed, for logs: the statement, or a batch's statements in order (D1 does not
   * say which of them failed). Never the bound values, and never in `toJSON()`.
   */
  readonly sql: string | undefined;

  constructor(operation: string, cause: unknown, sql?: string) {
    const d1Message = cause instanceof Error ? cause.message : String(cause);
    const retryable = TRANSIENT.test(d1Message);
    super(`D1: ${operation} failed: ${d1Message}${retryable ? ' (transient: retrying may succeed)' : ''}`, { cause, retryable });
    this.operation = operation;
    this.d1Message = d1Message;
    this.sql = sql;
  }
}
