import { ValidationError, type StorageAdapter } from '@pocket/core';
import { describeValue as describe, type OperationMeter } from '@pocket/core/adapter';
import { createSqlAdapter } from '../sql/adapter.js';
import { failedSqlOf, PartialBatchError, withFailedSql, type Row, type SqlDriver, type SqlStatement } from '../sql/statement.js';
import type { SqlLimits } from '../sql/limits.js';
import { assertD1Binding, type D1DatabaseLike, type D1ResultLike } from './d1-binding.js';
import { D1Error } from './d1-error.js';
import type { D1Indexes } from './d1-schema.js';

export interface D1StorageOptions {
  /** The D1 binding, e.g. `env.DB`. */
  database: D1DatabaseLike;
  /** Prepended to each collection name to name its table. Default `'pocket_'`. */
  tablePrefix?: string;
  /**
   * Send the statements of one write as a single `batch()`: one round trip, all or nothing.
   * Default `true`. With `false` they run one after another: a failure part-way leaves the
   * earlier statements applied.
   */
  useBatch?: boolean;
  /** Indexes to create along with a table when Pocket creates it (see `initializeD1Schema`). */
  indexes?: D1Indexes;
  /** D1's limits, as configuration. */
  limits?: Partial<SqlLimits>;
}

/**
 * Stores each collection in a D1 table `<tablePrefix><collection>` with the document as JSON
 * text in `data`. Creating the adapter does no I/O.
 */
export function createD1Storage(options: D1StorageOptions): StorageAdapter {
  if (typeof options !== 'object' || options === null) {
    throw new ValidationError(`createD1Storage() takes { database: env.DB }, got ${describe(options)}.`);
  }
  const { database, useBatch = true } = options;
  assertD1Binding(database, 'createD1Storage()');
  if (typeof useBatch !== 'boolean') throw new ValidationError(`createD1Storage(): useBatch must be true or false, got ${describe(useBatch)}.`);
  return createSqlAdapter({
    name: 'd1',
    where: 'createD1Storage()',
    driver: d1Driver(database, useBatch),
    backend: database,
    atomicWrites: useBatch,
    tablePrefix: options.tablePrefix,
    indexes: options.indexes,
    limits: options.limits,
  });
}

function d1Driver(db: D1DatabaseLike, useBatch: boolean): SqlDriver {
  const prepare = (s: SqlStatement) => db.prepare(s.sql).bind(...s.params);
  /** Runs `statements` (one, or a batch), recording their SQL on a failure. */
  const run = async <R>(statements: readonly SqlStatement[], send: () => Promise<R>): Promise<R> => {
    try {
      return await send();
    } catch (error) {
      // D1 does not say which statement of a batch failed: the error carries them all, in order.
      throw withFailedSql(error, statements.map((s) => s.sql).join(';\n'));
    }
  };
  const all = (s: SqlStatement) => run([s], () => prepare(s).all());
  const rowsOf = (result: D1ResultLike) => (result.results ?? []) as Row[];
  const resultOf = (s: SqlStatement, result: D1ResultLike, meter: OperationMeter | undefined): Row[] => {
    if (meter !== undefined) measure(meter, s, result);
    return rowsOf(result);
  };
  return {
    async all(statement, meter) {
      return resultOf(statement, await all(statement), meter);
    },
    async batch(statements, meter) {
      if (statements.length === 1) return [resultOf(statements[0]!, await all(statements[0]!), meter)];
      if (useBatch) return (await run(statements, () => db.batch(statements.map(prepare)))).map((result, i) => resultOf(statements[i]!, result, meter));
      const out: Row[][] = [];
      for (const statement of statements) {
        try {
          out.push(resultOf(statement, await all(statement), meter));
        } catch (error) {
          throw new PartialBatchError(out.length, error);
        }
      }
      return out;
    },
    wrap(error, operation) {
      return error instanceof D1Error ? error : new D1Error(operation, error, failedSqlOf(error));
    },
  };
}

/** What D1 says a statement cost, added to the operation's meter. */
function measure(meter: OperationMeter, statement: SqlStatement, result: D1ResultLike): void {
  const meta = result.meta as D1Meta | undefined;
  meter.statements.push(statement.sql);
  meter.rowsRead += meta?.rows_read ?? 0;
  meter.rowsWritten += meta?.rows_written ?? 0;
  if (meta?.served_by_primary !== undefined) meter.servedByPrimary = meta.served_by_primary;
  if (meta?.served_by_region !== undefined) meter.servedByRegion = meta.served_by_region;
}

/** The fields of D1's `meta` the operation hook reports (the rest of it is D1's business). */
interface D1Meta {
  rows_read?: number;
  rows_written?: number;
  served_by_primary?: boolean;
  served_by_region?: string;
}
