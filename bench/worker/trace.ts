/**
 * Wrappers that record what a variant sends to its backend: each round trip (a D1 call, a
 * Durable Object storage call) and the SQL text of each statement. Used by the profile pass
 * only, never while timing.
 */
export interface Trace {
  /** Calls that cross to the backend: D1 `all/run/first/raw` and `batch`, DO `get/put/list/delete/transaction`, DO `sql.exec`. */
  calls: string[];
  /** Each statement, in order (a batch contributes one entry per statement); `rowsRead` when counted. */
  statements: Array<{ sql: string; params: unknown[]; rowsRead?: number }>;
  /** Also record D1's `meta.rows_read` of each statement (sorted.mjs); reads only, see `raw()`. */
  countRowsRead?: boolean;
}

export const newTrace = (countRowsRead = false): Trace => ({ calls: [], statements: [], ...(countRowsRead ? { countRowsRead } : {}) });

type Meta = { meta?: { rows_read?: number } };

class TracedStatement {
  constructor(
    readonly real: D1PreparedStatement,
    readonly sql: string,
    readonly trace: Trace,
    readonly params: unknown[] = [],
  ) {}
  bind(...values: unknown[]) {
    return new TracedStatement(this.real.bind(...values), this.sql, this.trace, values);
  }
  #record(method: string) {
    this.trace.calls.push(`d1.${method}`);
    const entry: Trace['statements'][number] = { sql: this.sql, params: this.params };
    this.trace.statements.push(entry);
    return entry;
  }
  /**
   * `first()` and `raw()` drop D1's meta: when counting rows read, the statement runs once more
   * with `all()` to read it (which is why counting is for reads only).
   */
  async #counted<T>(entry: Trace['statements'][number], answer: () => Promise<T>): Promise<T> {
    if (this.trace.countRowsRead) entry.rowsRead = ((await this.real.all()) as Meta).meta?.rows_read;
    return answer();
  }
  async #withMeta<T extends Meta>(entry: Trace['statements'][number], result: Promise<T>): Promise<T> {
    const r = await result;
    if (this.trace.countRowsRead) entry.rowsRead = r.meta?.rows_read;
    return r;
  }
  first(column?: string) {
    const entry = this.#record('first');
    return this.#counted(entry, () => (column === undefined ? this.real.first() : this.real.first(column)));
  }
  all() {
    return this.#withMeta(this.#record('all'), this.real.all());
  }
  run() {
    return this.#withMeta(this.#record('run'), this.real.run());
  }
  raw(options?: { columnNames?: boolean }) {
    const entry = this.#record('raw');
    return this.#counted(entry, () => this.real.raw(options as { columnNames?: false }));
  }
}

/** A D1 binding that records every call; it passes everything through unchanged. */
export function traceD1(db: D1Database, trace: Trace): D1Database {
  const traced = {
    prepare: (sql: string) => new TracedStatement(db.prepare(sql), sql, trace),
    batch: async (statements: TracedStatement[]) => {
      trace.calls.push(`d1.batch(${statements.length})`);
      const entries = statements.map((s) => ({ sql: s.sql, params: s.params }) as Trace['statements'][number]);
      trace.statements.push(...entries);
      const results = await db.batch(statements.map((s) => s.real));
      if (trace.countRowsRead) results.forEach((r, i) => (entries[i]!.rowsRead = r.meta.rows_read));
      return results;
    },
    exec: (sql: string) => {
      trace.calls.push('d1.exec');
      trace.statements.push({ sql, params: [] });
      return db.exec(sql);
    },
  };
  return traced as unknown as D1Database;
}

const KV_METHODS = new Set(['get', 'put', 'delete', 'list', 'deleteAll']);

/** Durable Object storage that records every KV call and SQL statement, transactions included. */
export function traceDurableObjectStorage(storage: DurableObjectStorage, trace: Trace): DurableObjectStorage {
  const wrapKv = <T extends object>(target: T, label: string): T =>
    new Proxy(target, {
      get(t, property, receiver) {
        const value = Reflect.get(t, property, receiver) as unknown;
        if (typeof property !== 'string' || typeof value !== 'function') return value;
        if (KV_METHODS.has(property)) {
          return (...args: unknown[]) => {
            const keys = Array.isArray(args[0])
              ? `(${args[0].length} keys)`
              : typeof args[0] === 'object' && args[0] !== null && property === 'put'
                ? `(${Object.keys(args[0]).length} entries)`
                : '';
            trace.calls.push(`${label}.${property}${keys}`);
            return (value as (...a: unknown[]) => unknown).apply(t, args);
          };
        }
        if (property === 'transaction') {
          return (closure: (txn: DurableObjectTransaction) => Promise<unknown>) => {
            trace.calls.push(`${label}.transaction`);
            return (value as (c: typeof closure) => unknown).call(t, (txn: DurableObjectTransaction) => closure(wrapKv(txn, 'txn')));
          };
        }
        if (property === 'transactionSync') {
          return (closure: () => unknown) => {
            trace.calls.push(`${label}.transactionSync`);
            return (value as (c: typeof closure) => unknown).call(t, closure);
          };
        }
        return (value as (...a: unknown[]) => unknown).bind(t);
      },
    });
  const wrapped = wrapKv(storage, 'storage');
  let sql: SqlStorage | undefined;
  return new Proxy(wrapped, {
    get(t, property, receiver) {
      if (property !== 'sql') return Reflect.get(t, property, receiver);
      sql ??= new Proxy(storage.sql, {
        get(s, p, r) {
          const value = Reflect.get(s, p, r) as unknown;
          if (p === 'exec') {
            return (query: string, ...bindings: unknown[]) => {
              trace.calls.push('sql.exec');
              trace.statements.push({ sql: query, params: bindings });
              return storage.sql.exec(query, ...bindings);
            };
          }
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(s) : value;
        },
      });
      return sql;
    },
  });
}
