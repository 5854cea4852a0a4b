/**
 * Every error Pocket throws on purpose is a `PocketError`: it has a stable `code` to branch on,
 * an HTTP-like `status` to answer with, and a message that says what happened and what to do.
 */
export type PocketErrorCode = 'VALIDATION_ERROR' | 'DOCUMENT_NOT_FOUND' | 'DUPLICATE_KEY' | 'CONFLICT' | 'QUERY_ERROR' | 'STORAGE_ERROR';

/** The HTTP statuses Pocket's errors carry; a literal type, so frameworks accept it as a status. */
export type PocketErrorStatus = 400 | 404 | 409 | 500 | 503;

export interface PocketErrorOptions {
  cause?: unknown;
}

export class PocketError extends Error {
  override readonly name: string = 'PocketError';
  readonly code: PocketErrorCode;
  readonly status: PocketErrorStatus;

  constructor(code: PocketErrorCode, status: PocketErrorStatus, message: string, options?: PocketErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = status;
  }

  /**
   * A plain object that is safe to send to a client: no stack, no cause, and for a failure on
   * Pocket's side (status 500 or more) a fixed message instead of this one, which may hold the
   * backend's own text (D1's can quote SQL). Log the error itself for the detail.
   */
  toJSON(): { name: string; code: PocketErrorCode; status: PocketErrorStatus; message: string } {
    const message = this.status < 500 ? this.message : this.status === 503 ? 'Storage is unavailable; try again later.' : 'Storage failed.';
    return { name: this.name, code: this.code, status: this.status, message };
  }
}

/** One problem a collection's schema found: where (`'profile.tags[2]'`, `''` for the document) and what. */
export interface ValidationIssue {
  readonly path: string;
  readonly message: string;
}

/** Bad input: a document, id, patch, name or option that Pocket cannot accept. Nothing was written. */
export class ValidationError extends PocketError {
  override readonly name = 'ValidationError';
  /** The field path that was rejected, when there is one (`'profile.age'`). */
  readonly path: string | undefined;
  /** Every issue a collection's schema found, when a schema refused the document. */
  readonly issues: readonly ValidationIssue[] | undefined;
  constructor(message: string, options?: PocketErrorOptions & { path?: string; issues?: readonly ValidationIssue[] }) {
    super('VALIDATION_ERROR', 400, message, options);
    this.path = options?.path;
    this.issues = options?.issues;
  }

  /** As `PocketError.toJSON()`, with the schema's issues when there are some: safe to send, and what a form needs. */
  override toJSON(): ReturnType<PocketError['toJSON']> & { issues?: readonly ValidationIssue[] } {
    return this.issues === undefined ? super.toJSON() : { ...super.toJSON(), issues: this.issues };
  }
}

/** An operation needed a document that does not exist. */
export class DocumentNotFoundError extends PocketError {
  override readonly name = 'DocumentNotFoundError';
  readonly collection: string;
  readonly id: string;
  constructor(collection: string, id: string, options?: PocketErrorOptions) {
    super('DOCUMENT_NOT_FOUND', 404, `Document "${id}" was not found in collection "${collection}". Check the id, or use upsert() to create it.`, options);
    this.collection = collection;
    this.id = id;
  }
}

/** An insert used an `_id` that is already taken. Nothing was written. */
export class DuplicateKeyError extends PocketError {
  override readonly name = 'DuplicateKeyError';
  readonly collection: string;
  readonly id: string;
  /** `true` when the id appeared twice in one bulk insert rather than already being stored. */
  readonly repeatedInBatch: boolean;
  constructor(collection: string, id: string, options?: PocketErrorOptions & { repeatedInBatch?: boolean }) {
    super(
      'DUPLICATE_KEY',
      409,
      options?.repeatedInBatch
        ? `The _id "${id}" appears more than once in one bulkInsert() into collection "${collection}"; give each document its own _id. Nothing was written.`
        : `A document with _id "${id}" already exists in collection "${collection}". Use update() or upsert() to change it, or insert with another _id.`,
      options,
    );
    this.collection = collection;
    this.id = id;
    this.repeatedInBatch = options?.repeatedInBatch ?? false;
  }
}

/** Which document a `ConflictError` is about, and the revisions that did not match. */
export interface RevisionConflict {
  readonly collection: string;
  readonly id: string;
  /** The revision the write expected (`0`: no document). */
  readonly expectedRev: number;
  /** The document's revision when the write ran; `null` when there is no document. */
  readonly currentRev: number | null;
}

/**
 * A write conflicted with another write: most often a conditional write (`expectedRev`) that
 * found the document at another revision. Nothing of the call was written; read the document
 * again and retry, or resolve the conflict.
 */
export class ConflictError extends PocketError {
  override readonly name = 'ConflictError';
  readonly collection: string | undefined;
  readonly id: string | undefined;
  readonly expectedRev: number | undefined;
  readonly currentRev: number | null | undefined;
  constructor(message: string, options?: PocketErrorOptions & Partial<RevisionConflict>) {
    super('CONFLICT', 409, message, options);
    this.collection = options?.collection;
    this.id = options?.id;
    this.expectedRev = options?.expectedRev;
    this.currentRev = options?.currentRev;
  }

  /** The error of a write whose `expectedRev` did not match the stored revision. */
  static revision(conflict: RevisionConflict, options?: PocketErrorOptions): ConflictError {
    const { collection, id, expectedRev, currentRev } = conflict;
    const found = currentRev === null ? 'does not exist' : `is at revision ${currentRev}`;
    const expected = expectedRev === 0 ? 'no document' : `revision ${expectedRev}`;
    return new ConflictError(
      `Document "${id}" in collection "${collection}" ${found}, but the write expected ${expected}; nothing was written. Read the document again and retry with its _rev.`,
      { ...options, ...conflict },
    );
  }
}

/** A query that cannot run: an unknown operator, a value of the wrong type, a bad limit. */
export class QueryError extends PocketError {
  override readonly name = 'QueryError';
  constructor(message: string, options?: PocketErrorOptions) {
    super('QUERY_ERROR', 400, message, options);
  }
}

/** The storage backend failed. `retryable` says whether trying again may help. */
export class StorageError extends PocketError {
  override readonly name: string = 'StorageError';
  readonly retryable: boolean;
  constructor(message: string, options?: PocketErrorOptions & { retryable?: boolean; status?: PocketErrorStatus }) {
    super('STORAGE_ERROR', options?.status ?? 503, message, options);
    this.retryable = options?.retryable ?? false;
  }
}
