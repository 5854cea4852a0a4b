import type { JsonValue } from '../document.js';
import { describe } from '../document.js';
import { ConflictError, DocumentNotFoundError, DuplicateKeyError, ValidationError } from '../errors.js';
import { jsonEquals } from '../evaluator/values.js';
import type { FieldUpdate, StoredDocument, WriteOperation, WriteResult } from './adapter.js';

/**
 * What a store knows of one id: the live document and its revision, or, after a delete, a
 * tombstone (`doc: null`) that keeps the revision so that a later insert continues from it.
 */
export interface DocumentState {
  readonly doc: StoredDocument | null;
  readonly rev: number;
}

/**
 * Applies one write to the state of its document, the way every store must: the result to
 * return, and the new state (`null` when nothing changes). Throws the write's error
 * (`DuplicateKeyError`, `DocumentNotFoundError`, `ConflictError`, a `ValidationError` from an
 * operator) before anything changes. For stores that hold documents in JavaScript (memory,
 * Durable Object KV); SQL stores do the same in their statements.
 */
export function applyWrite(collection: string, op: WriteOperation, current: DocumentState | undefined): { result: WriteResult; next: DocumentState | null } {
  const live = current?.doc ?? null;
  const rev = current?.rev ?? 0;
  switch (op.type) {
    case 'insert': {
      if (live !== null) throw new DuplicateKeyError(collection, op.doc._id);
      const doc = withRev({ ...op.doc }, rev + 1);
      return { result: { type: 'insert', doc }, next: { doc, rev: rev + 1 } };
    }
    case 'upsert': {
      const id = op.doc._id;
      if (op.expectedRev !== undefined) checkRevision(collection, id, op.expectedRev, live === null ? null : rev, true);
      const doc: StoredDocument = { ...op.doc };
      if (op.operators !== undefined) applyOperators(collection, id, doc, op.operators, live ?? {});
      withRev(doc, rev + 1);
      return { result: { type: 'upsert', doc }, next: { doc, rev: rev + 1 } };
    }
    case 'update': {
      if (live === null) throw new DocumentNotFoundError(collection, op.id);
      if (op.expectedRev !== undefined) checkRevision(collection, op.id, op.expectedRev, rev, false);
      const doc: StoredDocument = { ...live, ...op.patch, _id: op.id };
      if (op.operators !== undefined) applyOperators(collection, op.id, doc, op.operators, live);
      withRev(doc, rev + 1);
      return { result: { type: 'update', doc }, next: { doc, rev: rev + 1 } };
    }
    case 'delete': {
      if (op.expectedRev !== undefined) checkRevision(collection, op.id, op.expectedRev, live === null ? null : rev, true);
      if (live === null) return { result: { type: 'delete', id: op.id, deleted: false }, next: null };
      return { result: { type: 'delete', id: op.id, deleted: true, rev: rev + 1 }, next: { doc: null, rev: rev + 1 } };
    }
  }
}

/** Sets `_rev` as the last key, where every store puts it. */
function withRev(doc: StoredDocument, rev: number): StoredDocument {
  delete doc._rev;
  doc._rev = rev;
  return doc;
}

/**
 * Throws the `ConflictError` of a write that expected `expected` where the document is at
 * `current` (`null`: no document). Only an `upsert` may expect no document (`0`); an update
 * of a missing document is `DocumentNotFoundError`, checked before this.
 */
export function checkRevision(collection: string, id: string, expected: number, current: number | null, zeroMeansNone: boolean): void {
  const matches = current === null ? zeroMeansNone && expected === 0 : expected === current;
  if (!matches) throw ConflictError.revision({ collection, id, expectedRev: expected, currentRev: current });
}

/**
 * Applies field operators to `doc` (changed in place), reading each field's old value from
 * `base`: for an update the stored document, for an upsert the one it replaces (`{}` when
 * there is none). The semantics every store follows:
 * - `increment`: a missing or null field counts as 0; any other non-number is a `ValidationError`.
 * - `arrayUnion`: appends each value no element equals (as `equals()` compares); a missing or
 *   null field becomes an array of the values; a non-array is a `ValidationError`.
 * - `arrayRemove`: removes every element equal to one of the values; a missing or null field
 *   stays as it is; a non-array is a `ValidationError`.
 * - `deleteField`: removes the field.
 */
export function applyOperators(collection: string, id: string, doc: StoredDocument, operators: readonly FieldUpdate[], base: Record<string, JsonValue>): void {
  for (const op of operators) {
    const old = Object.hasOwn(base, op.field) ? base[op.field] : undefined;
    switch (op.kind) {
      case 'increment': {
        if (old !== undefined && old !== null && typeof old !== 'number') throw notA('number', op, old, collection, id);
        const sum = ((old as number | null | undefined) ?? 0) + op.by;
        if (!Number.isFinite(sum))
          throw new ValidationError(
            `increment() of field "${op.field}" of document "${id}" in collection "${collection}" overflows to ${sum}; nothing was written.`,
            { path: op.field },
          );
        doc[op.field] = sum;
        break;
      }
      case 'arrayUnion': {
        if (old !== undefined && old !== null && !Array.isArray(old)) throw notA('array', op, old, collection, id);
        const items = [...((old as JsonValue[] | null | undefined) ?? [])];
        for (const value of op.values) if (!items.some((item) => jsonEquals(item, value))) items.push(value);
        doc[op.field] = items;
        break;
      }
      case 'arrayRemove': {
        if (old === undefined || old === null) break;
        if (!Array.isArray(old)) throw notA('array', op, old, collection, id);
        doc[op.field] = old.filter((item) => !op.values.some((value) => jsonEquals(item, value)));
        break;
      }
      case 'deleteField':
        delete doc[op.field];
        break;
    }
  }
}

function notA(type: 'number' | 'array', op: FieldUpdate, old: JsonValue, collection: string, id: string): ValidationError {
  return new ValidationError(
    `${op.kind}() needs ${type === 'number' ? 'a number' : 'an array'} in field "${op.field}" of document "${id}" in collection "${collection}", which holds ${describe(old)}; nothing was written.`,
    { path: op.field },
  );
}
