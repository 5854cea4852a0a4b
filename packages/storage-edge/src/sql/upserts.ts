import type { WriteOperation } from '@pocket/core';
import { applyOperators } from '@pocket/core/adapter';
import { guardStatement, PRECONDITION_GUARD, sizeGuard } from './guards.js';
import { jsonPath, quoteLiteral } from './identifiers.js';
import { mergeSql, removeFieldsSql } from './json-fields.js';
import { documentText } from './json-text.js';
import type { SqlLimits } from './limits.js';
import { operatorArgs, operatorsSql, operatorSteps } from './operators.js';
import { lastRev, LIVE, nextSeq, REVISION } from './revisions.js';
import type { PlannedStatement } from './statement.js';

type Upsert = Extract<WriteOperation, { type: 'upsert' }>;

/** Room in a statement for what surrounds a write's operators. */
const STATEMENT_MARGIN = 4_096;

/**
 * Plans one upsert: insert, or replace what is there (a tombstone included), behind a guard in
 * a batch of several writes when it expects a revision. ?1 is the id, ?2 the document as
 * inserted, ?3 the operators' arguments, ?4 the expected revision.
 */
export function planUpsert(table: string, op: Upsert, index: number, guarded: boolean, limits: SqlLimits, plan: PlannedStatement[]): void {
  const { operators, expectedRev } = op;
  if (guarded && expectedRev !== undefined && expectedRev > 0) plan.push(guardStatement(table, [{ id: op.doc._id, rev: expectedRev }], [index]));
  // The document as inserted: operators count from missing fields.
  let doc = op.doc;
  if (operators !== undefined) {
    doc = { ...op.doc };
    applyOperators('', doc._id, doc, operators, {});
    // `_rev` stays the last key, as every store keeps it.
    delete doc._rev;
    doc._rev = op.doc._rev!;
  }
  const { text } = documentText(doc, limits);
  const args = operatorArgs(operators);
  const returning = operators === undefined ? `data ->> '$._rev' AS rev` : `data, ${sizeGuard('data', limits)}`;
  const steps = operators === undefined ? [[]] : operatorSteps(operators, limits.maxStatementBytes - STATEMENT_MARGIN);
  const conditional = expectedRev !== undefined && expectedRev > 0;
  // With several steps, the ones before the last apply their operators to the live row in place
  // (its id and revision unchanged); the last statement then takes their fields from the row.
  // Not for expectedRev 0: it writes only where no live row is, and a tombstone has no fields.
  const stepped = steps.length > 1 && expectedRev !== 0;
  let first = 0;
  let earlier: string[] = [];
  if (stepped) {
    for (const step of steps.slice(0, -1)) {
      const where = `WHERE _id = ?1 AND ${LIVE}${conditional ? ` AND ${REVISION} = ?4` : ''}`;
      const reads = operatorArgs(step) !== null;
      plan.push({
        kind: 'step',
        ops: [],
        sql: `UPDATE ${table} SET data = ${operatorsSql('data', 'data', step, '?3', first)} ${where}`,
        params: [op.doc._id, text, args, expectedRev ?? null].slice(0, conditional ? 4 : reads ? 3 : 1),
      });
      first += step.length;
      earlier = earlier.concat(step.map((o) => o.field));
    }
  }
  const last = stepped ? steps.at(-1)! : (operators ?? []);
  /** The new document from the one inserted (`inserted`), its operators' fields computed from the row. */
  const replacing = (inserted: string) => {
    // Without the operators' fields, which they then add in their order, as every store does.
    const base = removeFieldsSql(inserted, ["'$._rev'", ...(operators ?? []).map((o) => quoteLiteral(jsonPath([o.field])))]);
    // The fields the steps computed, as the row now holds them, in the operators' order. A null
    // one is an arrayRemove's field that was null, which the document as inserted leaves out.
    const computed = `(SELECT json_group_object(e.key, json(data -> e.fullkey) ORDER BY f.key) FROM json_each(?5) AS f JOIN json_each(data) AS e ON e.key = f.value WHERE e.type <> 'null')`;
    return lastRev(operatorsSql(stepped ? mergeSql(base, computed) : base, 'data', last, '?3', first));
  };
  const params: unknown[] = [op.doc._id, text, args, expectedRev ?? null, JSON.stringify(earlier)];
  if (conditional) {
    // Replaces the document at that revision, or nothing (the store then says why).
    plan.push({
      kind: 'upsert',
      ops: [index],
      sql: `UPDATE ${table} SET data = ${replacing('?2')}, _seq = ${nextSeq(table)} + 1, updated_at = unixepoch() WHERE _id = ?1 AND ${LIVE} AND ${REVISION} = ?4 RETURNING ${returning}`,
      params: params.slice(0, stepped ? 5 : 4),
    });
    return;
  }
  // expectedRev 0: only a tombstone may be replaced; a live document fails the statement. A
  // tombstone has no fields, so the document as inserted is the answer.
  const replaced =
    expectedRev === 0
      ? `CASE WHEN ${LIVE} THEN json_extract('{}', '${PRECONDITION_GUARD}') ELSE ${steps.length > 1 ? lastRev(`json_remove(excluded.data, '$._rev')`) : replacing('excluded.data')} END`
      : replacing('excluded.data');
  plan.push({
    kind: 'upsert',
    ops: [index],
    sql:
      `INSERT INTO ${table} (_id, data, _seq) VALUES (?1, ?2, ${nextSeq(table)} + 1) ` +
      `ON CONFLICT (_id) DO UPDATE SET data = ${replaced}, _deleted = NULL, _seq = excluded._seq, updated_at = unixepoch() RETURNING ${returning}`,
    params: stepped ? params : params.slice(0, args === null || (expectedRev === 0 && steps.length > 1) ? 2 : 3),
  });
}
