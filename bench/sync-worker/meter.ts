import type { OperationRecord } from '@pocket/core';

/**
 * Sums what the storage reported through `Database.create({ onOperation })`: rows read and
 * statements of each kind of operation, between two `take()` calls. One per database.
 */
export class RowsMeter {
  rowsRead = 0;
  operations: Array<{ operation: string; collection: string; rowsRead: number; statements: readonly string[] }> = [];

  readonly hook = (record: OperationRecord): void => {
    this.rowsRead += record.rowsRead;
    this.operations.push({ operation: record.operation, collection: record.collection, rowsRead: record.rowsRead, statements: record.statements });
  };

  /** What was counted since the last call, and a fresh start. */
  take(): { rowsRead: number; operations: RowsMeter['operations'] } {
    const out = { rowsRead: this.rowsRead, operations: this.operations };
    this.rowsRead = 0;
    this.operations = [];
    return out;
  }
}
