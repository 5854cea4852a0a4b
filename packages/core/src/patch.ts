import type { BaseDocument, JsonObject, JsonValue } from './document.js';
import { assertId, describe, isPlainObject, toJsonObject } from './document.js';
import { ValidationError } from './errors.js';
import { isFieldOperator, operatorKind, type OperatorFor } from './operators.js';
import type { FieldUpdate, StoredDocument, WriteOperation } from './storage/adapter.js';

/**
 * What `update` accepts: some top-level fields of the document, each a value or a field
 * operator for its type (`increment` on numbers, `arrayUnion`/`arrayRemove` on arrays,
 * `deleteField` on optional fields). A `_rev` is ignored: pass `{ expectedRev }` to make the
 * write conditional.
 */
export type DocumentPatch<T extends BaseDocument> = { [K in Exclude<keyof T, '_rev'>]?: T[K] | OperatorFor<T[K]> } & { _rev?: number };

/**
 * What `upsert` accepts: a whole document (`_id` optional), whose fields may also be field
 * operators, applied to the values of the document it replaces (or to missing fields).
 */
export type UpsertDocument<T extends BaseDocument> = { [K in Exclude<keyof T, '_id' | '_rev'>]?: T[K] | OperatorFor<T[K]> } & { _id?: string; _rev?: number };

/** Options of a single write. */
export interface WriteOptions {
  /**
   * The revision (`_rev`) the document must have for the write to happen; otherwise it fails
   * with a `ConflictError` and writes nothing. For `upsert`, `0` means "no such document yet".
   */
  expectedRev?: number;
}

// Keys a SQL JSON path cannot address; refused everywhere so every adapter behaves alike.
const UNPATCHABLE_KEY = /^$|["\\\u0000-\u001f]/;

/** An insert of a checked copy of `input`, with a generated `_id` where it has none, at revision 1. */
export function insertOperation(input: unknown): Extract<WriteOperation, { type: 'insert' }> {
  const { doc, operators } = newDocument(input, 'document');
  if (operators.length > 0) {
    throw new ValidationError(
      `Field "${operators[0]!.field}" of an inserted document is a field operator; operators apply to update() and upsert(). Give the value itself.`,
      { path: operators[0]!.field },
    );
  }
  return { type: 'insert', doc };
}

export function upsertOperation(input: unknown, options: WriteOptions | undefined): Extract<WriteOperation, { type: 'upsert' }> {
  const { doc, operators } = newDocument(input, 'document');
  const expectedRev = expectedRevision(options, 0);
  return { type: 'upsert', doc, ...(operators.length > 0 ? { operators } : {}), ...(expectedRev === undefined ? {} : { expectedRev }) };
}

export function updateOperation(id: unknown, patch: unknown, options: WriteOptions | undefined, what = 'patch'): Extract<WriteOperation, { type: 'update' }> {
  assertId(id, 'id');
  const { plain, operators } = splitOperators(patch, what);
  const changes: JsonObject = toJsonObject(plain, what);
  if (changes._id !== undefined && changes._id !== id) {
    throw new ValidationError(`The ${what} sets _id to ${JSON.stringify(changes._id)} but updates "${id}"; _id cannot change.`, { path: '_id' });
  }
  delete changes._id;
  delete changes._rev; // Pocket's own: the write sets it
  if (operators.some((o) => o.field === '_id')) throw new ValidationError(`_id cannot be a field operator; _id cannot change.`, { path: '_id' });
  for (const key of [...Object.keys(changes), ...operators.map((o) => o.field)]) {
    if (UNPATCHABLE_KEY.test(key)) {
      throw new ValidationError(
        `Patch field ${JSON.stringify(key)} is empty or contains a double quote, backslash or control character; such fields can only be written with upsert().`,
        { path: key },
      );
    }
  }
  const expectedRev = expectedRevision(options, 1);
  return { type: 'update', id, patch: changes, ...(operators.length > 0 ? { operators } : {}), ...(expectedRev === undefined ? {} : { expectedRev }) };
}

export function deleteOperation(id: unknown, options: WriteOptions | undefined): Extract<WriteOperation, { type: 'delete' }> {
  assertId(id, 'id');
  const expectedRev = expectedRevision(options, 1);
  return expectedRev === undefined ? { type: 'delete', id } : { type: 'delete', id, expectedRev };
}

/** `options.expectedRev`, checked: a whole number of at least `least`, or undefined. */
export function expectedRevision(options: WriteOptions | undefined, least: 0 | 1): number | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null)
    throw new ValidationError(`Write options must be an object such as { expectedRev: 3 }, got ${describe(options)}.`);
  const { expectedRev } = options;
  if (expectedRev === undefined) return undefined;
  if (!Number.isSafeInteger(expectedRev) || expectedRev < least) {
    const hint = least === 0 ? 'a revision (_rev) or 0 for "no document yet"' : 'the _rev of the document as you read it';
    throw new ValidationError(`expectedRev must be a whole number of ${least} or more (${hint}), got ${describe(expectedRev)}.`, { path: '_rev' });
  }
  return expectedRev;
}

/** A checked copy of a new document: `_id` first where generated, its operators apart, `_rev: 1` last. */
function newDocument(input: unknown, what: string): { doc: StoredDocument; operators: FieldUpdate[] } {
  const { plain, operators } = splitOperators(input, what);
  const copy = toJsonObject(plain, what);
  delete copy._rev;
  let doc: StoredDocument;
  if (copy._id === undefined) doc = { _id: newId(), ...copy };
  else {
    assertId(copy._id);
    doc = copy as StoredDocument;
  }
  for (const { field } of operators) {
    if (field === '_id') throw new ValidationError(`_id cannot be a field operator.`, { path: '_id' });
    if (UNPATCHABLE_KEY.test(field)) {
      throw new ValidationError(
        `Field ${JSON.stringify(field)} is empty or contains a double quote, backslash or control character, so it cannot take a field operator.`,
        { path: field },
      );
    }
  }
  doc._rev = 1;
  return { doc, operators };
}

/**
 * The top-level field operators of `input`, resolved, and the rest of it (a shallow copy
 * without them, or `input` itself when it has none: most writes have none).
 */
function splitOperators(input: unknown, what: string): { plain: unknown; operators: FieldUpdate[] } {
  if (!isPlainObject(input)) return { plain: input, operators: [] }; // toJsonObject explains
  let plain: Record<string, unknown> | undefined;
  const operators: FieldUpdate[] = [];
  for (const key of Object.keys(input)) {
    const value = input[key];
    if (!isFieldOperator(value)) continue;
    if (key === '_rev') throw new ValidationError(`The ${what}'s _rev cannot be a field operator: Pocket sets it.`, { path: '_rev' });
    plain ??= { ...input };
    delete plain[key];
    const kind = operatorKind(value);
    const field = key;
    if (kind === 'increment') operators.push({ field, kind, by: (value as { by: number }).by });
    else if (kind === 'deleteField') operators.push({ field, kind });
    else operators.push({ field, kind, values: (value as { values: readonly JsonValue[] }).values });
  }
  return { plain: plain ?? input, operators };
}

/**
 * A random version 4 UUID. `crypto.randomUUID` exists only in secure contexts (HTTPS, localhost),
 * so a page served over plain http from another host builds one from `getRandomValues`, which
 * exists everywhere.
 */
export function newId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
