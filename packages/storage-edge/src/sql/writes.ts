import { ValidationError, type JsonObject, type StoredDocument, type WriteOperation, type WriteResult } from '@pocket/core';
import { applyOperators } from '@pocket/core/adapter';
import { jsonPath, quoteLiteral } from './identifiers.js';
import { planInserts } from './inserts.js';
import { documentText, utf8Length } from './json-text.js';
import type { SqlLimits } from './limits.js';
import { operatorArgs, operatorsKey, operatorsSql } from './operators.js';
import { LIVE, nextSeq, REVISION } from './revisions.js';
import { packRuns } from './parameters.js';
import type { PlannedStatement } from './statement.js';

/**
 * Raised inside a batch when a write's precondition fails: an update's document is missing, or
 * a conditional write finds another revision. The batch then rolls back, and the store reads
 * which one it was.
 */
export const PRECONDITION_GUARD = 'pocket-precondition-failed';
/**
 * Raised by an update whose merged document would pass `maxDocumentBytes`. The merge happens in
 * SQL, so the size is only known there: the RETURNING clause checks each new row, and an error
 * there undoes the whole statement (and the batch around it).
 */
export const TOO_LARGE_GUARD = 'pocket-document-too-large';

function sizeGuard(data: string, limits: SqlLimits): string {
  return `CASE WHEN length(CAST(${data} AS BLOB)) > ${limits.maxDocumentBytes} THEN json_extract('{}', '${TOO_LARGE_GUARD}') END AS too_large`;
}

type Update = Extract<WriteOperation, { type: 'update' }>;
type Delete = Extract<WriteOperation, { type: 'delete' }>;
type Upsert = Extract<WriteOperation, { type: 'upsert' }>;

/**
 * Turns a batch of writes into as few statements as possible, each with one packed JSON
 * parameter where it carries many rows: consecutive inserts become
 * `INSERT … SELECT … FROM json_each(?)`, consecutive updates of the same fields one
 * `UPDATE … FROM json_each(?)`, consecutive deletes one `UPDATE` that leaves tombstones. No
 * packed parameter passes `maxPackedBytes` (SQLite refuses a value past about 2 MB): a run of
 * writes whose JSON would is split into several statements of the same kind, in order, which
 * the driver runs in the batch's one transaction like any others.
 *
 * Every write stamps its rows with the next sequence numbers (the change feed) and raises
 * `_rev`; a conditional write compares the revision in its own WHERE clause. Before updates
 * and conditional writes that share a batch with other statements, a guard statement fails the
 * whole batch if a target document is missing or at another revision, so a bulk write is
 * all-or-nothing.
 */
export function planWrites(table: string, operations: readonly WriteOperation[], limits: SqlLimits, updates: UpdateCache): PlannedStatement[] {
  const plan: PlannedStatement[] = [];
  const guarded = operations.length > 1;
  let i = 0;
  while (i < operations.length) {
    const op = operations[i]!;
    if (op.type === 'insert') {
      i = planInserts(table, operations, i, limits, plan);
    } else if (op.type === 'update') {
      const start = i++;
      const ids = new Set([op.id]);
      // Computed only when a second update follows: most writes are one update.
      let fields: string[] | undefined;
      while (op.operators === undefined && i < operations.length) {
        const next = operations[i]!;
        if (next.type !== 'update' || next.operators !== undefined || ids.has(next.id)) break;
        fields ??= Object.keys(op.patch);
        if (!setsFields(next.patch, fields)) break;
        ids.add(next.id);
        i++;
      }
      const group = operations.slice(start, i) as Update[];
      if (group.length === 1) {
        if (guarded) plan.push(guard(table, [{ id: op.id, rev: op.expectedRev }], [start]));
        plan.push(singleUpdate(table, op, [start], limits, updates));
      } else {
        groupedUpdates(table, group, start, guarded, limits, plan);
      }
    } else if (op.type === 'delete') {
      // Deletes run together, but a conditional one alone, behind its guard.
      const start = i++;
      if (op.expectedRev === undefined) {
        while (i < operations.length && operations[i]!.type === 'delete' && (operations[i] as Delete).expectedRev === undefined) i++;
      }
      const group = operations.slice(start, i) as Delete[];
      if (guarded && op.expectedRev !== undefined) plan.push(guard(table, [{ id: op.id, rev: op.expectedRev }], [start]));
      if (group.length === 1) {
        plan.push(deleteStatement(table, group, [start], null));
      } else {
        // The ids, in as many statements as maxPackedBytes needs (see groupedUpdates).
        for (const run of packRuns(group.map((d) => d.id), limits.maxPackedBytes)) {
          plan.push(deleteStatement(table, group.slice(run.start, run.end), range(start + run.start, start + run.end), run.json));
        }
      }
    } else {
      if (guarded && op.expectedRev !== undefined && op.expectedRev > 0) plan.push(guard(table, [{ id: op.doc._id, rev: op.expectedRev }], [i]));
      plan.push(upsertStatement(table, op, i, limits));
      i++;
    }
  }
  return plan;
}

/** The statement of one upsert: insert, or replace what is there (a tombstone included). */
function upsertStatement(table: string, op: Upsert, index: number, limits: SqlLimits): PlannedStatement {
  const { operators, expectedRev } = op;
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
  if (expectedRev !== undefined && expectedRev > 0) {
    // Replaces the document at that revision, or nothing (the store then says why).
    const data = lastRev(operatorsSql(`json_remove(?2, '$._rev')`, 'data', operators ?? [], '?3'));
    return {
      kind: 'upsert',
      ops: [index],
      sql: `UPDATE ${table} SET data = ${data}, _seq = ${nextSeq(table)} + 1, updated_at = unixepoch() WHERE _id = ?1 AND ${LIVE} AND ${REVISION} = ?4 RETURNING ${returning}`,
      params: [op.doc._id, text, args, expectedRev],
    };
  }
  let replaced = lastRev(operatorsSql(`json_remove(excluded.data, '$._rev')`, 'data', operators ?? [], '?3'));
  // expectedRev 0: only a tombstone may be replaced; a live document fails the statement.
  if (expectedRev === 0) replaced = `CASE WHEN ${LIVE} THEN json_extract('{}', '${PRECONDITION_GUARD}') ELSE ${replaced} END`;
  return {
    kind: 'upsert',
    ops: [index],
    sql:
      `INSERT INTO ${table} (_id, data, _seq) VALUES (?1, ?2, ${nextSeq(table)} + 1) ` +
      `ON CONFLICT (_id) DO UPDATE SET data = ${replaced}, _deleted = NULL, _seq = excluded._seq, updated_at = unixepoch() RETURNING ${returning}`,
    params: args === null ? [op.doc._id, text] : [op.doc._id, text, args],
  };
}

/** The statement of one delete, or of several unconditional ones whose ids `packed` holds as a JSON array. */
function deleteStatement(table: string, group: Delete[], indexes: number[], packed: string | null): PlannedStatement {
  const tombstone = (id: string) => `data = json_object('_id', ${id}, '_rev', ${REVISION} + 1), _deleted = 1`;
  if (group.length === 1) {
    const { id, expectedRev } = group[0]!;
    return {
      kind: 'delete',
      ops: indexes,
      sql:
        `UPDATE ${table} SET ${tombstone('_id')}, _seq = ${nextSeq(table)} + 1, updated_at = unixepoch() ` +
        `WHERE _id = ? AND ${LIVE}${expectedRev === undefined ? '' : ` AND ${REVISION} = ?`} RETURNING data ->> '$._rev' AS rev`,
      params: expectedRev === undefined ? [id] : [id, expectedRev],
    };
  }
  return {
    kind: 'delete',
    ops: indexes,
    sql:
      `UPDATE ${table} SET ${tombstone(`${table}._id`)}, _seq = ${nextSeq(table)} + p.key + 1, updated_at = unixepoch() ` +
      `FROM json_each(?) AS p WHERE ${table}._id = p.value AND ${table}.${LIVE} RETURNING ${table}._id, ${table}.data ->> '$._rev' AS rev`,
    params: [packed ?? JSON.stringify(group.map((d) => d.id))],
  };
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
    const indexes = range(start + run.start, start + run.end);
    if (guarded) plan.push(guard(table, part.map((u) => ({ id: u.id, rev: u.expectedRev })), indexes));
    plan.push(groupedUpdate(table, keys, part.some((u) => u.expectedRev !== undefined), run.json, indexes, limits));
  }
}

function groupedUpdate(table: string, keys: string[], conditional: boolean, packed: string, indexes: number[], limits: SqlLimits): PlannedStatement {
  const sets = keys.map((k) => `, ${quoteLiteral(jsonPath([k]))}, p.value -> ${quoteLiteral(jsonPath(['c', k]))}`);
  return {
    kind: 'update',
    ops: indexes,
    sql: assertFits(
      `UPDATE ${table} SET data = ${lastRev(jsonSet(`json_remove(data, '$._rev')`, sets))}, _seq = ${nextSeq(table)} + p.key + 1, updated_at = unixepoch() ` +
        `FROM json_each(?) AS p WHERE ${table}._id = p.value ->> '$.id' AND ${table}.${LIVE}` +
        (conditional ? ` AND (p.value ->> '$.r' IS NULL OR ${REVISION} = p.value ->> '$.r')` : '') +
        ` RETURNING ${table}._id, ${table}.data, ${sizeGuard(`${table}.data`, limits)}`,
      keys,
      limits,
    ),
    params: [packed],
  };
}

function singleUpdate(table: string, op: Update, indexes: number[], limits: SqlLimits, updates: UpdateCache): PlannedStatement {
  const keys = Object.keys(op.patch);
  const conditional = op.expectedRev !== undefined;
  const params: unknown[] = [JSON.stringify(op.patch), op.id];
  const args = operatorArgs(op.operators);
  // ?3 only where the statement names it, or names ?4 after it.
  if (args !== null || conditional) params.push(args);
  if (conditional) params.push(op.expectedRev);
  return { kind: 'update', ops: indexes, sql: singleUpdateSql(table, keys, op, limits, updates), params };
}

/**
 * A store's single-update statements by their shape (the fields they set, their operators,
 * whether they are conditional): an app updates the same few shapes over and over. One cache
 * per store, whose table and limits are fixed.
 */
export type UpdateCache = Map<string, string>;

function singleUpdateSql(table: string, keys: string[], op: Update, limits: SqlLimits, updates: UpdateCache): string {
  // One plain field is the common case, keyed by its name as it is. Core refuses empty field
  // names and names with a double quote, so no name can equal '' (no fields) or a JSON array.
  const plain = op.operators === undefined && op.expectedRev === undefined;
  const cacheKey = plain && keys.length === 1 ? keys[0]! : JSON.stringify([keys, operatorsKey(op.operators), op.expectedRev !== undefined]);
  let sql = updates.get(cacheKey);
  if (sql === undefined) {
    // `?1 -> '$.k'` yields the patch value as JSON, so json_set stores true as true, not 1.
    const sets = keys.map((k) => `, ${quoteLiteral(jsonPath([k]))}, ?1 -> ${quoteLiteral(jsonPath([k]))}`);
    const data = lastRev(operatorsSql(jsonSet(`json_remove(data, '$._rev')`, sets), 'data', op.operators ?? [], '?3'));
    sql = assertFits(
      `UPDATE ${table} SET data = ${data}, _seq = ${nextSeq(table)} + 1, updated_at = unixepoch() ` +
        `WHERE _id = ?2 AND ${LIVE}${op.expectedRev === undefined ? '' : ` AND ${REVISION} = ?4`} RETURNING data, ${sizeGuard('data', limits)}`,
      keys,
      limits,
    );
    // Bounded, so patches with ever-new field names cannot grow it without end.
    if (updates.size >= 256) updates.clear();
    updates.set(cacheKey, sql);
  }
  return sql;
}

/**
 * The new document with its revision, one more than the row's, as its last key: removed first
 * (by the caller) and set last, so every store returns documents with `_rev` last.
 */
function lastRev(data: string): string {
  return `json_set(${data}, '$._rev', ${REVISION} + 1)`;
}

/** Fields one json_set call takes: SQLite allows a function 127 arguments, two a field and the document. */
const FIELDS_PER_JSON_SET = 60;

/** `json_set(base, path, value, …)` for each `, path, value` of `sets`, nested past 60 fields. */
function jsonSet(base: string, sets: readonly string[]): string {
  let sql = base;
  for (let i = 0; i < sets.length; i += FIELDS_PER_JSON_SET) sql = `json_set(${sql}${sets.slice(i, i + FIELDS_PER_JSON_SET).join('')})`;
  return sets.length === 0 ? `json_set(${base})` : sql;
}

function assertFits(sql: string, keys: string[], limits: SqlLimits): string {
  if (utf8Length(sql) > limits.maxStatementBytes) {
    throw new ValidationError(`The patch has ${keys.length} fields, more than one SQL statement can carry; update fewer fields at a time or use upsert().`);
  }
  return sql;
}

/**
 * Fails the batch unless every target is a live document, at its expected revision where one
 * is given. It runs at its place in the batch, so it sees the statements before it.
 */
function guard(table: string, targets: Array<{ id: string; rev: number | undefined }>, indexes: number[]): PlannedStatement {
  const conditional = targets.some((t) => t.rev !== undefined);
  return {
    kind: 'guard',
    ops: indexes,
    sql:
      `SELECT json_extract('{}', '${PRECONDITION_GUARD}') WHERE (SELECT count(*) FROM ${table}, json_each(?) AS p ` +
      `WHERE ${table}._id = p.value ->> '$.id' AND ${table}.${LIVE}${conditional ? ` AND (p.value ->> '$.r' IS NULL OR coalesce(${table}.data ->> '$._rev', 1) = p.value ->> '$.r')` : ''}) < ?`,
    params: [JSON.stringify(targets.map((t) => (t.rev === undefined ? { id: t.id } : { id: t.id, r: t.rev }))), targets.length],
  };
}

/** Maps each statement's returned rows back to one result per operation; `undefined` where a write found nothing to change. */
export function collectResults(operations: readonly WriteOperation[], plan: readonly PlannedStatement[], rows: ReadonlyArray<ReadonlyArray<Record<string, unknown>>>): Array<WriteResult | undefined> {
  const results: Array<WriteResult | undefined> = new Array(operations.length);
  plan.forEach((statement, s) => {
    const returned = rows[s] ?? [];
    switch (statement.kind) {
      case 'insert': {
        // A document gets back its revision: 1, or more where it took the place of a tombstone.
        const revs = statement.ops.length === 1 ? null : new Map(returned.map((r) => [r._id as string, Number(r.rev)]));
        for (const i of statement.ops) {
          const doc = (operations[i] as { doc: StoredDocument }).doc;
          const rev = revs === null ? Number(returned[0]?.rev ?? 1) : (revs.get(doc._id) ?? 1);
          if (rev !== 1) doc._rev = rev;
          results[i] = { type: 'insert', doc };
        }
        break;
      }
      case 'upsert': {
        const i = statement.ops[0]!;
        const row = returned[0];
        if (row === undefined) break;
        const op = operations[i] as Upsert;
        const doc = row.data === undefined ? op.doc : parse(row.data as string);
        if (row.data === undefined) doc._rev = Number(row.rev);
        results[i] = { type: 'upsert', doc };
        break;
      }
      case 'update': {
        // A lone update gets at most its own row back (and does not ask for its _id): nothing to match.
        const byId = statement.ops.length === 1 ? null : new Map(returned.map((r) => [r._id as string, r.data as string]));
        for (const i of statement.ops) {
          const op = operations[i] as { id: string };
          const data = byId === null ? (returned[0]?.data as string | undefined) : byId.get(op.id);
          if (data !== undefined) results[i] = { type: 'update', doc: parse(data) };
        }
        break;
      }
      case 'delete': {
        const revs = statement.ops.length === 1 ? null : new Map(returned.map((r) => [r._id as string, Number(r.rev)]));
        for (const i of statement.ops) {
          const op = operations[i] as Delete;
          const rev = revs === null ? (returned[0] === undefined ? undefined : Number(returned[0].rev)) : revs.get(op.id);
          results[i] = rev === undefined ? { type: 'delete', id: op.id, deleted: false } : { type: 'delete', id: op.id, deleted: true, rev };
        }
        break;
      }
      case 'guard':
        break;
    }
  });
  return results;
}

/** A stored row's document; a row written by other code without a revision reads as revision 1. */
export function parse(data: string): StoredDocument {
  const doc = JSON.parse(data) as StoredDocument;
  if (doc._rev === undefined) doc._rev = 1;
  return doc;
}

/** Whether `patch` sets exactly `fields`, in that order, so the updates can share one statement. */
function setsFields(patch: JsonObject, fields: readonly string[]): boolean {
  const keys = Object.keys(patch);
  if (keys.length !== fields.length) return false;
  for (let k = 0; k < keys.length; k++) if (keys[k] !== fields[k]) return false;
  return true;
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let k = from; k < to; k++) out.push(k);
  return out;
}
