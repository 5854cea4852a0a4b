import { ValidationError, type FieldUpdate, type JsonObject, type WriteOperation } from '@pocket/core';
import { guardStatement, sizeGuard } from './guards.js';
import { jsonPath, quoteLiteral } from './identifiers.js';
import { setFieldsSql } from './json-fields.js';
import { utf8Length } from './json-text.js';
import type { SqlLimits } from './limits.js';
import { operatorArgs, operatorsKey, operatorsSql, operatorSteps } from './operators.js';
import { packRuns } from './parameters.js';
import { lastRev, LIVE, nextSeq, REVISION } from './revisions.js';
import { operationRange, type PlannedStatement } from './statement.js';

type Update = Extract<WriteOperation, { type: 'update' }>;

/**
 * A store's single-update statements by their shape (the fields they set, their operators,
 * whether they are conditional): an app updates the same few shapes over and over. One cache
 * per store, whose table and limits are fixed.
 */
export type UpdateCache = Map<string, string>;

/** Room in a statement for what surrounds a write's operators: the patch, WHERE and RETURNING. */
const STATEMENT_MARGIN = 4_096;

/**
 * Plans the run of updates that starts at `start`, and returns where it ends: consecutive
 * updates of the same fields without operators become `UPDATE … FROM json_each(?)`; any other
 * update is one statement of its own (or several, for many field operators). In a batch of
 * several writes (`guarded`), a guard statement before each fails the batch if a target is
 * missing or at another revision.
 */
export function planUpdates(
  table: string,
  operations: readonly WriteOperation[],
  start: number,
  guarded: boolean,
  limits: SqlLimits,
  updates: UpdateCache,
  plan: PlannedStatement[],
): number {
  const op = operations[start] as Update;
  let end = start + 1;
  const ids = new Set([op.id]);
  // Computed only when a second update follows: most writes are one update.
  let fields: string[] | undefined;
  while (op.operators === undefined && end < operations.length) {
    const next = operations[end]!;
    if (next.type !== 'update' || next.operators !== undefined || ids.has(next.id)) break;
    fields ??= Object.keys(op.patch);
    if (!setsFields(next.patch, fields)) break;
    ids.add(next.id);
    end++;
  }
  if (end - start === 1) {
    if (guarded) plan.push(guardStatement(table, [{ id: op.id, rev: op.expectedRev }], [start]));
    plan.push(...singleUpdate(table, op, [start], limits, updates));
  } else {
    groupedUpdates(table, operations.slice(start, end) as Update[], start, guarded, limits, plan);
  }
  return end;
}

/**
 * Updates of the same fields, `group` (from operation `start` on), as `UPDATE … FROM json_each(?)`
 * statements: one, unless their changes pass `maxPackedBytes` as one JSON parameter, then as
 * many as that needs, in order, each behind its own guard in a batch of several writes (the
 * guard's parameter, the ids and revisions, is smaller than the statement's). Each statement
 * reads the largest sequence number when it runs, so it sees the rows of the ones before it:
 * sequence numbers stay distinct and in the order of the writes however many statements there
 * are, and they share the batch's transaction.
 */
function groupedUpdates(table: string, group: Update[], start: number, guarded: boolean, limits: SqlLimits, plan: PlannedStatement[]): void {
  const changes = group.map((u) => (u.expectedRev === undefined ? { id: u.id, c: u.patch } : { id: u.id, c: u.patch, r: u.expectedRev }));
  const keys = Object.keys(group[0]!.patch);
  for (const run of packRuns(changes, limits.maxPackedBytes)) {
    const part = group.slice(run.start, run.end);
    const indexes = operationRange(start + run.start, start + run.end);
    if (guarded)
      plan.push(
        guardStatement(
          table,
          part.map((u) => ({ id: u.id, rev: u.expectedRev })),
          indexes,
        ),
      );
    plan.push(
      groupedUpdate(
        table,
        keys,
        part.some((u) => u.expectedRev !== undefined),
        run.json,
        indexes,
        limits,
      ),
    );
  }
}

function groupedUpdate(table: string, keys: string[], conditional: boolean, packed: string, indexes: number[], limits: SqlLimits): PlannedStatement {
  const data = setFieldsSql(`json_remove(data, '$._rev')`, keys, `p.value -> '$.c'`, (k) => `p.value -> ${quoteLiteral(jsonPath(['c', k]))}`);
  return {
    kind: 'update',
    ops: indexes,
    sql: assertFits(
      `UPDATE ${table} SET data = ${lastRev(data)}, _seq = ${nextSeq(table)} + p.key + 1, updated_at = unixepoch() ` +
        `FROM json_each(?) AS p WHERE ${table}._id = p.value ->> '$.id' AND ${table}.${LIVE}` +
        (conditional ? ` AND (p.value ->> '$.r' IS NULL OR ${REVISION} = p.value ->> '$.r')` : '') +
        ` RETURNING ${table}._id, ${table}.data, ${sizeGuard(`${table}.data`, limits)}`,
      limits,
    ),
    params: [packed],
  };
}

/**
 * The statements of one update: one, unless its field operators need several (`operatorSteps`).
 * Then the steps before the last apply theirs to the row in place, and the last applies the
 * rest, raises the revision and returns the document; all of them find the row by its id and
 * revision, which the steps leave as they are, and they run in the batch's one transaction.
 */
function singleUpdate(table: string, op: Update, indexes: number[], limits: SqlLimits, updates: UpdateCache): PlannedStatement[] {
  const keys = Object.keys(op.patch);
  const conditional = op.expectedRev !== undefined;
  const args = operatorArgs(op.operators);
  // ?1 the patch, ?2 the id, ?3 the operators' arguments, ?4 the expected revision.
  const params: unknown[] = [JSON.stringify(op.patch), op.id, args, op.expectedRev];
  // A statement binds up to the last parameter it names: ?3 where it reads arguments, or names ?4 after it.
  const bound = (reads: boolean) => params.slice(0, conditional ? 4 : reads ? 3 : 2);
  const steps = op.operators === undefined ? [] : operatorSteps(op.operators, limits.maxStatementBytes - STATEMENT_MARGIN);
  if (steps.length <= 1) return [{ kind: 'update', ops: indexes, sql: singleUpdateSql(table, keys, op, limits, updates), params: bound(args !== null) }];

  const where = `WHERE _id = ?2 AND ${LIVE}${conditional ? ` AND ${REVISION} = ?4` : ''}`;
  const plan: PlannedStatement[] = [];
  let first = 0;
  steps.forEach((step, s) => {
    const base = s === 0 ? setFieldsSql('data', keys, '?1', (k) => `?1 -> ${quoteLiteral(jsonPath([k]))}`) : 'data';
    const reads = operatorArgs(step) !== null;
    if (s < steps.length - 1) {
      plan.push({
        kind: 'step',
        ops: [],
        sql: assertFits(`UPDATE ${table} SET data = ${operatorsSql(base, 'data', step, '?3', first)} ${where}`, limits),
        params: bound(reads),
      });
    } else {
      const data = lastRev(operatorsSql(`json_remove(${base}, '$._rev')`, 'data', step, '?3', first));
      const sql = `UPDATE ${table} SET data = ${data}, _seq = ${nextSeq(table)} + 1, updated_at = unixepoch() ${where} RETURNING data, ${sizeGuard('data', limits)}`;
      plan.push({ kind: 'update', ops: indexes, sql: assertFits(sql, limits), params: bound(reads) });
    }
    first += step.length;
  });
  return plan;
}

function singleUpdateSql(table: string, keys: string[], op: Update, limits: SqlLimits, updates: UpdateCache): string {
  // One plain field is the common case, keyed by its name as it is. Core refuses empty field
  // names and names with a double quote, so no name can equal '' (no fields) or a JSON array.
  const plain = op.operators === undefined && op.expectedRev === undefined;
  const cacheKey = plain && keys.length === 1 ? keys[0]! : JSON.stringify([keys, operatorsKey(op.operators), op.expectedRev !== undefined]);
  let sql = updates.get(cacheKey);
  if (sql === undefined) {
    // `?1 -> '$.k'` yields the patch value as JSON, so json_set stores true as true, not 1.
    const patched = setFieldsSql(`json_remove(data, '$._rev')`, keys, '?1', (k) => `?1 -> ${quoteLiteral(jsonPath([k]))}`);
    const data = lastRev(operatorsSql(patched, 'data', op.operators ?? ([] as FieldUpdate[]), '?3'));
    sql = assertFits(
      `UPDATE ${table} SET data = ${data}, _seq = ${nextSeq(table)} + 1, updated_at = unixepoch() ` +
        `WHERE _id = ?2 AND ${LIVE}${op.expectedRev === undefined ? '' : ` AND ${REVISION} = ?4`} RETURNING data, ${sizeGuard('data', limits)}`,
      limits,
    );
    // Bounded, so patches with ever-new field names cannot grow it without end.
    if (updates.size >= 256) updates.clear();
    updates.set(cacheKey, sql);
  }
  return sql;
}

/**
 * `sql`, unless it is longer than a statement may be. The patch's fields take constant text
 * (`setFieldsSql`) and operators are split into steps, so only a field name of tens of
 * kilobytes gets here.
 */
function assertFits(sql: string, limits: SqlLimits): string {
  const bytes = utf8Length(sql);
  if (bytes > limits.maxStatementBytes) {
    throw new ValidationError(
      `This update's SQL would be ${bytes} bytes, over the ${limits.maxStatementBytes} a statement may have, because of its field names' length; use shorter field names.`,
    );
  }
  return sql;
}

/** Whether `patch` sets exactly `fields`, in that order, so the updates can share one statement. */
function setsFields(patch: JsonObject, fields: readonly string[]): boolean {
  const keys = Object.keys(patch);
  if (keys.length !== fields.length) return false;
  for (let k = 0; k < keys.length; k++) if (keys[k] !== fields[k]) return false;
  return true;
}
