import { ValidationError, type JsonObject, type StoredDocument, type WriteOperation, type WriteResult } from '@pocket/core';
import { jsonPath, quoteLiteral } from './identifiers.js';
import { planInserts } from './inserts.js';
import { documentText, utf8Length } from './json-text.js';
import type { SqlLimits } from './limits.js';
import type { PlannedStatement } from './statement.js';

/** Raised inside a batch when an update's document is missing; the batch then rolls back. */
export const MISSING_GUARD = 'pocket-missing-document';
/**
 * Raised by an update whose merged document would pass `maxDocumentBytes`. The merge happens in
 * SQL, so the size is only known there: the RETURNING clause checks each new row, and an error
 * there undoes the whole statement (and the batch around it).
 */
export const TOO_LARGE_GUARD = 'pocket-document-too-large';

function sizeGuard(data: string, limits: SqlLimits): string {
  return `CASE WHEN length(CAST(${data} AS BLOB)) > ${limits.maxDocumentBytes} THEN json_extract('{}', '${TOO_LARGE_GUARD}') END AS too_large`;
}


/**
 * Turns a batch of writes into as few statements as possible, each with one packed JSON
 * parameter where it carries many rows: consecutive inserts become
 * `INSERT … SELECT … FROM json_each(?)`, consecutive updates of the same fields one
 * `UPDATE … FROM json_each(?)`, consecutive deletes one `DELETE … WHERE _id IN (…)`.
 * Before updates that share a batch with other statements, a guard statement fails the whole
 * batch if any target document is missing, so a bulk update is all-or-nothing.
 */
export function planWrites(table: string, operations: readonly WriteOperation[], limits: SqlLimits, updates: UpdateCache): PlannedStatement[] {
  const plan: PlannedStatement[] = [];
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
      while (i < operations.length) {
        const next = operations[i]!;
        if (next.type !== 'update' || ids.has(next.id)) break;
        fields ??= Object.keys(op.patch);
        if (!setsFields(next.patch, fields)) break;
        ids.add(next.id);
        i++;
      }
      const group = operations.slice(start, i) as Array<Extract<WriteOperation, { type: 'update' }>>;
      const indexes = range(start, i);
      if (operations.length > 1) plan.push(guard(table, [...ids], indexes));
      plan.push(updateStatement(table, group, indexes, limits, updates));
    } else if (op.type === 'delete') {
      const start = i;
      while (i < operations.length && operations[i]!.type === 'delete') i++;
      const ids = (operations.slice(start, i) as Array<Extract<WriteOperation, { type: 'delete' }>>).map((d) => d.id);
      const ops = range(start, i);
      plan.push(
        ids.length === 1
          ? // One id: whether it existed is whether the statement changed anything.
            { kind: 'delete', ops, sql: `DELETE FROM ${table} WHERE _id = ?`, params: [ids[0]], changes: true }
          : { kind: 'delete', ops, sql: `DELETE FROM ${table} WHERE _id IN (SELECT value FROM json_each(?)) RETURNING _id`, params: [JSON.stringify(ids)] },
      );
    } else {
      const { text } = documentText(op.doc, limits);
      plan.push({
        kind: 'upsert',
        ops: [i],
        sql: `INSERT INTO ${table} (_id, data) VALUES (?, ?) ON CONFLICT (_id) DO UPDATE SET data = excluded.data, updated_at = unixepoch()`,
        params: [op.doc._id, text],
      });
      i++;
    }
  }
  return plan;
}

function updateStatement(
  table: string,
  group: Array<Extract<WriteOperation, { type: 'update' }>>,
  indexes: number[],
  limits: SqlLimits,
  updates: UpdateCache,
): PlannedStatement {
  const keys = Object.keys(group[0]!.patch);
  if (group.length === 1) {
    return { kind: 'update', ops: indexes, sql: singleUpdateSql(table, keys, limits, updates), params: [JSON.stringify(group[0]!.patch), group[0]!.id] };
  }
  const sets = keys.map((k) => `, ${quoteLiteral(jsonPath([k]))}, p.value -> ${quoteLiteral(jsonPath(['c', k]))}`);
  return {
    kind: 'update',
    ops: indexes,
    sql: assertFits(
      `UPDATE ${table} SET data = ${jsonSet('data', sets)}, updated_at = unixepoch() ` +
        `FROM json_each(?) AS p WHERE ${table}._id = p.value ->> '$.id' RETURNING ${table}._id, ${table}.data, ${sizeGuard(`${table}.data`, limits)}`,
      keys,
      limits,
    ),
    params: [JSON.stringify(group.map((u) => ({ id: u.id, c: u.patch })))],
  };
}

/**
 * A store's single-update statements by the fields they set: an app updates the same few shapes
 * over and over. One per store, whose table and limits are fixed, so the key is only the fields.
 */
export type UpdateCache = Map<string, string>;

function singleUpdateSql(table: string, keys: string[], limits: SqlLimits, updates: UpdateCache): string {
  // One field is the common case, keyed by its name as it is. Core refuses empty field names and
  // names with a double quote, so no name can equal '' (no fields) or the JSON array that keys
  // several fields ('["a","b"]').
  const cacheKey = keys.length === 0 ? '' : keys.length === 1 ? keys[0]! : JSON.stringify(keys);
  let sql = updates.get(cacheKey);
  if (sql === undefined) {
    // `?1 -> '$.k'` yields the patch value as JSON, so json_set stores true as true, not 1.
    const sets = keys.map((k) => `, ${quoteLiteral(jsonPath([k]))}, ?1 -> ${quoteLiteral(jsonPath([k]))}`);
    sql = assertFits(`UPDATE ${table} SET data = ${jsonSet('data', sets)}, updated_at = unixepoch() WHERE _id = ?2 RETURNING data, ${sizeGuard('data', limits)}`, keys, limits);
    // Bounded, so patches with ever-new field names cannot grow it without end.
    if (updates.size >= 256) updates.clear();
    updates.set(cacheKey, sql);
  }
  return sql;
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

function guard(table: string, ids: string[], indexes: number[]): PlannedStatement {
  return {
    kind: 'guard',
    ops: indexes,
    sql: `SELECT json_extract('{}', '${MISSING_GUARD}') WHERE (SELECT count(*) FROM ${table} WHERE _id IN (SELECT value FROM json_each(?))) < ?`,
    params: [JSON.stringify(ids), ids.length],
  };
}

/** Maps each statement's returned rows back to one result per operation. */
export function collectResults(operations: readonly WriteOperation[], plan: readonly PlannedStatement[], rows: ReadonlyArray<ReadonlyArray<Record<string, unknown>>>): WriteResult[] {
  const results: WriteResult[] = new Array(operations.length);
  plan.forEach((statement, s) => {
    const returned = rows[s] ?? [];
    switch (statement.kind) {
      case 'insert':
      case 'upsert':
        for (const i of statement.ops) {
          const op = operations[i] as { type: 'insert' | 'upsert'; doc: StoredDocument };
          results[i] = { type: op.type, doc: op.doc } as WriteResult;
        }
        break;
      case 'update': {
        // A lone update gets at most its own row back (and does not ask for its _id): nothing to match.
        const byId = statement.ops.length === 1 ? null : new Map(returned.map((r) => [r._id as string, r.data as string]));
        for (const i of statement.ops) {
          const op = operations[i] as { id: string };
          const data = byId === null ? (returned[0]?.data as string | undefined) : byId.get(op.id);
          if (data !== undefined) results[i] = { type: 'update', doc: JSON.parse(data) as StoredDocument };
        }
        break;
      }
      case 'delete': {
        // A one-id delete reports its change count (see SqlStatement); others return the ids removed.
        const removed = statement.changes ? null : new Set(returned.map((r) => r._id as string));
        for (const i of statement.ops) {
          const op = operations[i] as { id: string };
          const deleted = removed === null ? Number(returned[0]?.changes) > 0 : removed.has(op.id);
          results[i] = { type: 'delete', id: op.id, deleted };
        }
        break;
      }
      case 'guard':
        break;
    }
  });
  return results;
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
