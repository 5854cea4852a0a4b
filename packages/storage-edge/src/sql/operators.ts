import type { FieldUpdate } from '@pocket/core';
import { jsonPath, quoteLiteral } from './identifiers.js';
import { PATHS_PER_JSON_REMOVE, removeFieldsSql } from './json-fields.js';
import { utf8Length } from './json-text.js';

/**
 * Raised inside a statement when an operator meets a field of the wrong type (`increment` on a
 * string, `arrayUnion` on an object), followed by the operator's position in its write. The
 * error undoes the statement and the batch around it, so nothing is written.
 */
export const WRONG_TYPE_GUARD = 'pocket-operator-wrong-type-';
/** Raised when an `increment` would make a number too large for JSON, followed by its position. */
export const OVERFLOW_GUARD = 'pocket-operator-overflow-';

/**
 * The SQL that applies `operators` to the JSON expression `target`, reading each field's old
 * value from the JSON expression `old`, with the semantics of core's `applyOperators`. Operator
 * arguments come from the JSON array parameter `args` (`args -> '$[i]'`), so the statement text
 * depends only on the operators' kinds and fields, and numbers keep their JSON type (D1 binds
 * every number as REAL: an integer would come back as 2.0). `first` is the position of
 * `operators[0]` in its write, where a write's operators are applied by several statements
 * (`operatorSteps`): arguments and guards count from the start of the write.
 *
 * Each operator wraps `target` once, so the text grows with the operators, never faster:
 * consecutive `deleteField`s share one json_remove.
 */
export function operatorsSql(target: string, old: string, operators: readonly FieldUpdate[], args: string, first = 0): string {
  let sql = target;
  let removed: string[] = [];
  const removeFields = () => {
    sql = removeFieldsSql(sql, removed);
    removed = [];
  };
  operators.forEach((op, at) => {
    const i = first + at;
    const path = quoteLiteral(jsonPath([op.field]));
    if (op.kind === 'deleteField') {
      removed.push(path);
      if (removed.length === PATHS_PER_JSON_REMOVE) removeFields();
      return;
    }
    removeFields();
    const type = `json_type(${old}, ${path})`;
    const wrongType = `json_extract('{}', '${WRONG_TYPE_GUARD}${i}')`;
    const arg = `${args} -> '$[${i}]'`;
    switch (op.kind) {
      case 'increment': {
        // `->>` gives the number as SQLite's integer or real, so 1 + 1 stays the integer 2.
        const sum = `CASE WHEN ${type} IS NULL OR ${type} = 'null' THEN 0 WHEN ${type} IN ('integer', 'real') THEN ${old} ->> ${path} ELSE ${wrongType} END + (${args} ->> '$[${i}]')`;
        sql = `json_set(${sql}, ${path}, json((SELECT ${numberText('s', `${OVERFLOW_GUARD}${i}`)} FROM (SELECT ${sum} AS s))))`;
        break;
      }
      case 'arrayUnion':
        // The old elements in order, then each value that no element equals, as one new array.
        sql =
          `json_set(${sql}, ${path}, CASE WHEN ${type} IS NULL OR ${type} = 'null' THEN json(${arg}) WHEN ${type} = 'array' THEN ` +
          `(SELECT json_group_array(json(j) ORDER BY s, k) FROM (` +
          `SELECT 0 AS s, e.key AS k, ${old} -> e.fullkey AS j FROM json_each(${old}, ${path}) AS e ` +
          `UNION ALL SELECT 1, v.key, ${arg} -> v.fullkey FROM json_each(${arg}) AS v ` +
          `WHERE NOT EXISTS (SELECT 1 FROM json_each(${old}, ${path}) AS e WHERE ${sameValue('e', 'v')}))) ELSE ${wrongType} END)`;
        break;
      case 'arrayRemove':
        // A missing or null field stays as it is: json_set skips a NULL path. (Not a CASE around
        // two versions of `sql`: each operator would double the text of the ones before it.)
        sql =
          `json_set(${sql}, CASE WHEN ${type} IS NULL OR ${type} = 'null' THEN NULL ELSE ${path} END, CASE WHEN ${type} IS NULL OR ${type} = 'null' THEN NULL WHEN ${type} = 'array' THEN ` +
          `(SELECT json_group_array(json(${old} -> e.fullkey) ORDER BY e.key) FROM json_each(${old}, ${path}) AS e ` +
          `WHERE NOT EXISTS (SELECT 1 FROM json_each(${arg}) AS v WHERE ${sameValue('e', 'v')})) ELSE ${wrongType} END)`;
        break;
    }
  });
  removeFields();
  return sql;
}

/**
 * Nesting levels a statement gives its operators. D1 and SQLite storage refuse an expression
 * more than 100 levels deep, and each operator (or run of 31 `deleteField`s) adds one around
 * the ones before it, beside the levels of its own expression and of the statement around it.
 */
const OPERATOR_LEVELS_PER_STATEMENT = 40;

/**
 * A write's operators in steps, each few enough for one statement: deep enough for SQLite, and
 * at most `maxBytes` of SQL text (their fields' names are in it, several times each). Most
 * writes have one step.
 */
export function operatorSteps(operators: readonly FieldUpdate[], maxBytes: number): FieldUpdate[][] {
  const steps: FieldUpdate[][] = [];
  let step: FieldUpdate[] = [];
  let levels = 0;
  let bytes = 0;
  let deletes = 0;
  // A deleteField opens a json_remove call unless it follows another with room in its call.
  const opensCall = (op: FieldUpdate) => op.kind !== 'deleteField' || deletes % PATHS_PER_JSON_REMOVE === 0;
  operators.forEach((op, i) => {
    const opBytes = utf8Length(operatorsSql('', 'data', [op], '?3', i));
    if (step.length > 0 && ((opensCall(op) && levels === OPERATOR_LEVELS_PER_STATEMENT) || bytes + opBytes > maxBytes)) {
      steps.push(step);
      step = [];
      levels = bytes = deletes = 0;
    }
    if (opensCall(op)) levels++;
    deletes = op.kind === 'deleteField' ? deletes + 1 : 0;
    bytes += opBytes;
    step.push(op);
  });
  if (step.length > 0 || steps.length === 0) steps.push(step);
  return steps;
}

/**
 * The JSON text of the number in column `s`: an integer as it is; a real in the fewest of 15,
 * 16 or 17 significant digits that read back as the same double. SQLite's JSON functions write
 * a real with 15 digits, which would store 1/3 as 0.333333333333333 and 0.1 + 0.2 as 0.3, where
 * every other store keeps the double JavaScript computed; and its printf() stops at 16 digits
 * without the `!` flag. Neither its double-to-text nor its text-to-double conversion is
 * correctly rounded (17 digits print 2e300 as 1.9999999999999999e+300), so each candidate is
 * checked by reading it back. A sum past the largest double is infinite, which JSON cannot hold
 * (9e999 is infinity in SQLite): that raises `overflow`.
 */
function numberText(s: string, overflow: string): string {
  const text = (format: string) => `printf('${format}', ${s})`;
  const candidates = ['%.15g', '%!.16g'].map((f) => `WHEN ${text(f)} + 0 = ${s} THEN ${text(f)} `).join('');
  return `CASE WHEN abs(${s}) >= 9e999 THEN json_extract('{}', '${overflow}') WHEN typeof(${s}) = 'integer' THEN ${s} ${candidates}ELSE ${text('%!.17g')} END`;
}

/**
 * The arguments of `operators`, as the JSON array `operatorsSql` reads; `null` when none of
 * them takes one (`deleteField` alone), so the statement binds no parameter it does not name.
 */
export function operatorArgs(operators: readonly FieldUpdate[] | undefined): string | null {
  if (operators === undefined || operators.every((op) => op.kind === 'deleteField')) return null;
  return JSON.stringify(operators.map((op) => (op.kind === 'increment' ? op.by : op.kind === 'deleteField' ? null : op.values)));
}

/**
 * Whether two `json_each` elements are equal as core's `equals` compares: numbers by value
 * (an integer equals the same real), anything else by type and value, objects and arrays by
 * their JSON text.
 */
function sameValue(a: string, b: string): string {
  return `CASE WHEN ${a}.type IN ('integer', 'real') THEN ${b}.type IN ('integer', 'real') AND ${a}.atom = ${b}.atom ELSE ${a}.type = ${b}.type AND ${a}.value IS ${b}.value END`;
}

/** A short key of the operators' shape, for caching the statements made from it. */
export function operatorsKey(operators: readonly FieldUpdate[] | undefined): string {
  return operators === undefined ? '' : JSON.stringify(operators.map((op) => [op.kind, op.field]));
}
