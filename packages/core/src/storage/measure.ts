import type { CollectionContext, OperationRecord } from './adapter.js';

/** What a store counts while one operation runs, for its `OperationRecord`. */
export interface OperationMeter {
  statements: string[];
  rowsRead: number;
  rowsWritten: number;
  keysRead?: number;
  keysWritten?: number;
  servedByPrimary?: boolean;
  servedByRegion?: string;
}

/** Which store an operation belongs to: the parts of its record that do not change. */
export interface MeteredStore {
  readonly storage: string;
  readonly context: CollectionContext;
  readonly collection: string;
}

/**
 * Runs one operation of a store and, when the database has an `onOperation` hook, reports it:
 * `run` gets a meter to count into, and the hook gets the record once the operation settles,
 * failed or not. Without a hook `run` gets `undefined` and nothing else happens, so an adapter
 * pays one property read for the hook's absence.
 */
export function measured<T>(store: MeteredStore, operation: OperationRecord['operation'], run: (meter: OperationMeter | undefined) => Promise<T>): Promise<T> {
  const hook = store.context.onOperation;
  if (hook === undefined) return run(undefined);
  const meter: OperationMeter = { statements: [], rowsRead: 0, rowsWritten: 0 };
  const started = performance.now();
  const report = (error?: unknown): void => {
    const record: OperationRecord = {
      storage: store.storage,
      database: store.context.database,
      collection: store.collection,
      operation,
      ...meter,
      durationMs: performance.now() - started,
      ...(error === undefined ? {} : { error }),
    };
    hook(record);
  };
  let result: Promise<T>;
  try {
    result = run(meter);
  } catch (error) {
    report(error);
    return Promise.reject(error);
  }
  return result.then(
    (value) => {
      report();
      return value;
    },
    (error: unknown) => {
      report(error);
      throw error;
    },
  );
}
