import type { JsonObject } from './document.js';
import { describe, toJsonObject } from './document.js';
import { ValidationError, type ValidationIssue } from './errors.js';
import type { StoredDocument } from './storage/adapter.js';

/**
 * A Standard Schema v1 validator (https://standardschema.dev): what zod 4, valibot 1, arktype
 * and others expose as their `~standard` property. Declared here from the specification, so
 * Pocket depends on no validation library.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

/** What a Standard Schema validator returns: the value, or the issues that refuse it. */
export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<{ readonly message: string; readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined }> };

/** The document type a schema gives a collection: its output, with a string `_id`. */
export type SchemaDocument<S extends StandardSchemaV1> = NonNullable<S['~standard']['types']>['output'] & { _id: string };

/** Throws a `ValidationError` unless `schema` is a Standard Schema v1 validator. */
export function assertSchema(schema: unknown, collection: string): asserts schema is StandardSchemaV1 {
  const standard = (schema as { '~standard'?: { version?: unknown; validate?: unknown } } | null | undefined)?.['~standard'];
  if (typeof standard !== 'object' || standard === null || standard.version !== 1 || typeof standard.validate !== 'function') {
    throw new ValidationError(
      `The schema of collection "${collection}" must be a Standard Schema v1 validator (zod 4, valibot 1, arktype…, with a "~standard" property), got ${describe(schema)}.`,
    );
  }
}

/**
 * Runs the schema over a document about to be written (without `_rev`, which Pocket owns) and
 * returns what to store: the schema's output, checked as JSON, with the document's `_id` (a
 * schema that does not declare `_id` may drop it; one that changes it is refused) and `_rev`
 * last. Issues become one `ValidationError` that lists each issue's path and message.
 */
export async function validateDocument(schema: StandardSchemaV1, collection: string, doc: StoredDocument): Promise<StoredDocument> {
  const { _rev, ...input } = doc;
  const result = await schema['~standard'].validate(input);
  if (result.issues !== undefined) {
    const issues: ValidationIssue[] = result.issues.map((issue) => ({ path: issuePath(issue.path), message: issue.message }));
    const listed = issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`)).join('; ');
    throw new ValidationError(`Document "${doc._id}" does not match the schema of collection "${collection}": ${listed}. Nothing was written.`, {
      issues,
      ...(issues[0]?.path ? { path: issues[0].path } : {}),
    });
  }
  const output: JsonObject = toJsonObject(result.value, `output of the schema of collection "${collection}"`);
  if (output._id !== undefined && output._id !== doc._id) {
    throw new ValidationError(
      `The schema of collection "${collection}" changed _id from ${JSON.stringify(doc._id)} to ${JSON.stringify(output._id)}; a schema may not change _id.`,
      { path: '_id' },
    );
  }
  delete output._rev;
  const stored: StoredDocument = output._id === undefined ? { _id: doc._id, ...output } : (output as StoredDocument);
  if (_rev !== undefined) stored._rev = _rev;
  return stored;
}

/** `profile.tags[2]` from a Standard Schema issue path. */
function issuePath(path: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined): string {
  let out = '';
  for (const segment of path ?? []) {
    const key = typeof segment === 'object' && segment !== null ? segment.key : segment;
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}
