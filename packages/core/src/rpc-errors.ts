import { ConflictError, DocumentNotFoundError, DuplicateKeyError, QueryError, StorageError, ValidationError } from './errors.js';

/** `Name: message`, as Workers RPC delivers an error thrown inside a Durable Object. */
const REMOTE = /^(ValidationError|QueryError|ConflictError|DocumentNotFoundError|DuplicateKeyError|StorageError|D1Error|DurableObjectStorageError): ([\s\S]*)$/;
const NOT_FOUND = /^Document "([\s\S]*)" was not found in collection "([^"]*)"\. /;
const REVISION =
  /^Document "([\s\S]*)" in collection "([^"]*)" (?:does not exist|is at revision (\d+)), but the write expected (?:no document|revision (\d+)); /;
const DUPLICATE =
  /^(?:A document with _id "([\s\S]*)" already exists in collection "([^"]*)"\. |The _id "([\s\S]*)" appears more than once in one bulkInsert\(\) into collection "([^"]*)";)/;

/**
 * The `PocketError` a Durable Object's RPC method threw, rebuilt on the calling side. Workers RPC
 * hands the caller a plain `Error` whose message is the class name and the message (`code`,
 * `status` and the class are lost), so a `ValidationError` inside the object would answer 500
 * outside it. This gives back the same class, code, status and message (a storage failure of
 * any backend as a `StorageError`, 503; a `ValidationError`'s `path` is not carried); anything
 * else, including an error that did not come over RPC, is returned as it is.
 *
 * ```ts
 * const note = await stub.addNote(text).catch((error) => { throw fromRpcError(error); });
 * ```
 */
export function fromRpcError(error: unknown): unknown {
  // Only what RPC delivers: a plain Error marked remote. It cannot tell a PocketError from a
  // plain Error thrown in the object whose message starts with one's name; don't throw those.
  if (!(error instanceof Error) || error.constructor !== Error || (error as { remote?: unknown }).remote !== true) return error;
  const match = REMOTE.exec(error.message);
  if (match === null) return error;
  const [, name, message] = match as unknown as [string, string, string];
  const options = { cause: error };
  switch (name) {
    case 'ValidationError':
      return new ValidationError(message, options);
    case 'QueryError':
      return new QueryError(message, options);
    case 'ConflictError': {
      const found = REVISION.exec(message);
      if (found === null) return new ConflictError(message, options);
      const [, id, collection, current, expected] = found as unknown as [string, string, string, string | undefined, string | undefined];
      return ConflictError.revision(
        { collection, id, expectedRev: expected === undefined ? 0 : Number(expected), currentRev: current === undefined ? null : Number(current) },
        options,
      );
    }
    case 'DocumentNotFoundError': {
      const found = NOT_FOUND.exec(message);
      return found === null ? error : new DocumentNotFoundError(found[2]!, found[1]!, options);
    }
    case 'DuplicateKeyError': {
      const found = DUPLICATE.exec(message);
      if (found === null) return error;
      return found[1] !== undefined
        ? new DuplicateKeyError(found[2]!, found[1], options)
        : new DuplicateKeyError(found[4]!, found[3]!, { ...options, repeatedInBatch: true });
    }
    default:
      return new StorageError(message, { ...options, retryable: message.includes('(transient: retrying may succeed)') });
  }
}
