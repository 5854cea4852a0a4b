import type { OperationHook, OperationRecord } from '../storage/adapter.js';

/**
 * Adds up the operations of one request, for a `Server-Timing` header (or a log line): pass
 * `record` as the database's `onOperation`, read `header()` when the response is made.
 */
export class OperationTotals {
  operations = 0;
  durationMs = 0;
  rowsRead = 0;
  rowsWritten = 0;
  failed = 0;

  /** The hook: an arrow function, so it can be passed as it is. */
  readonly record: OperationHook = (record: OperationRecord) => {
    this.operations += 1;
    this.durationMs += record.durationMs;
    this.rowsRead += record.rowsRead;
    this.rowsWritten += record.rowsWritten;
    if (record.error !== undefined) this.failed += 1;
  };

  /**
   * One `Server-Timing` metric: `pocket;dur=<ms>;desc="<n> operations, <r> rows read, <w>
   * written"`. Browsers' developer tools show it beside the request; the numbers say nothing
   * about the data, only how much of it was touched.
   */
  header(metric = 'pocket'): string {
    const failed = this.failed > 0 ? `, ${this.failed} failed` : '';
    const operations = `${this.operations} operation${this.operations === 1 ? '' : 's'}`;
    return `${metric};dur=${this.durationMs.toFixed(1)};desc="${operations}, ${this.rowsRead} rows read, ${this.rowsWritten} written${failed}"`;
  }
}

/** The part of a Hono context `serverTiming()` uses (so core needs no Hono dependency). */
export interface ServerTimingContext {
  set(key: 'pocketTimings', value: OperationTotals): void;
  res: Response;
}

/**
 * Hono middleware: puts an `OperationTotals` on the context as `pocketTimings` and, once the
 * route has answered, adds its `Server-Timing` metric to the response. Pass its `record` as the
 * database's hook:
 *
 * ```ts
 * app.use('*', serverTiming());
 * app.get('/todos', async (c) => {
 *   const db = Database.open({ name: 'app', storage: createD1Storage({ database: c.env.DB }), onOperation: c.get('pocketTimings').record });
 *   return c.json(await db.collection('todos').find().limit(20).exec());
 * });
 * ```
 */
export function serverTiming(options: { metric?: string } = {}) {
  const metric = options.metric ?? 'pocket';
  return async (c: ServerTimingContext, next: () => Promise<void>): Promise<void> => {
    const totals = new OperationTotals();
    c.set('pocketTimings', totals);
    await next();
    // A fresh Response: the route's own may have immutable headers (one fetched from elsewhere).
    const res = c.res;
    const headers = new Headers(res.headers);
    headers.append('Server-Timing', totals.header(metric));
    c.res = new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  };
}
