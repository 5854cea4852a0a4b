import type { OperationMeter } from '@pocket/core/adapter';

/** SQL text with its bound values, in order of the `?` placeholders. */
export interface SqlFragment {
  sql: string;
  params: unknown[];
}

export type Row = Record<string, unknown>;

/** A statement for the driver. */
export type SqlStatement = SqlFragment;

/**
 * What the SQL store needs from a SQLite backend: run one statement, or several in order (in
 * one transaction when the backend offers it). SQLite storage answers at once, D1 with a
 * promise. Both may throw (or reject with) the backend's own errors; `wrap` turns an error the
 * store does not recognise into the adapter's error type.
 */
export interface SqlDriver {
  /** With a `meter` (the operation hook is on), the driver adds each statement's text and what the backend says it read and wrote. */
  all(statement: SqlFragment, meter?: OperationMeter): Row[] | Promise<Row[]>;
  batch(statements: readonly SqlStatement[], meter?: OperationMeter): Row[][] | Promise<Row[][]>;
  wrap(error: unknown, operation: string): Error;
}

/** One statement of a write plan and what to make of its rows. */
export interface PlannedStatement extends SqlStatement {
  /** The operations it carries out, by index into the batch. */
  ops: number[];
  /**
   * `step`: part of one write that needs several statements (many field operators), which
   * returns nothing and carries out no operation alone; the write's last statement does.
   */
  kind: 'insert' | 'update' | 'upsert' | 'delete' | 'guard' | 'step';
}

/** The operation indexes `from` to `to` (exclusive). */
export function operationRange(from: number, to: number): number[] {
  const out: number[] = [];
  for (let k = from; k < to; k++) out.push(k);
  return out;
}

/**
 * A batch that failed part-way on a backend without transactions (D1 with `useBatch: false`):
 * its first `applied` statements took effect. The store uses it to explain the failure by the
 * writes that did not happen.
 */
export class PartialBatchError extends Error {
  readonly applied: number;
  constructor(applied: number, cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.applied = applied;
    const sql = failedSqlOf(cause);
    if (sql !== undefined) withFailedSql(this, sql);
  }
}

/**
 * The SQL of the statement a backend error came from, as the driver that ran it records it, so
 * the adapter's error can carry it for logs (`D1Error.sql`). Never the bound values. Kept beside
 * the error rather than on it: the error is the platform's own object.
 */
const FAILED_SQL = new WeakMap<object, string>();

/** Records that `error` came from `sql` (the first record stays: it is the innermost); returns `error`. */
export function withFailedSql(error: unknown, sql: string): unknown {
  if (typeof error === 'object' && error !== null && !FAILED_SQL.has(error)) FAILED_SQL.set(error, sql);
  return error;
}

/** The SQL `error` came from, where a driver recorded it. */
export function failedSqlOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? FAILED_SQL.get(error) : undefined;
}
