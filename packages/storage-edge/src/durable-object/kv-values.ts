import { ValidationError, type StoredDocument } from '@pocket/core';
import { DurableObjectStorageError } from './errors.js';

/** Durable Object storage refuses values over 128 KiB (KV-backed classes; SQLite-backed allow more). */
export const MAX_VALUE_BYTES = 128 * 1024;

// Documents are stored as their JSON text, not as objects. Measured in workerd (5,000 documents
// of ~400 bytes, put in chunks of 128, read back with list() and get()), text and structured-clone
// objects cost the same within noise; but the adapter must stringify anyway to check the size,
// so text saves the second serialization, and the size it checks is the size that is stored.
const TWO_BYTE = /[^\u0000-\u00ff]/;

/**
 * The size the platform counts for a string value: V8 serializes a string as one byte per
 * character when every character is Latin-1, and as two bytes per UTF-16 unit otherwise. (The
 * platform allows a few bytes over 128 KiB for the serializer's header.)
 */
export function storedSize(text: string): number {
  return TWO_BYTE.test(text) ? text.length * 2 : text.length;
}

/** The value to store for a document; a `ValidationError` if the platform would refuse it. */
export function encode(doc: StoredDocument, collection: string): string {
  const text = JSON.stringify(doc);
  const size = storedSize(text);
  if (size > MAX_VALUE_BYTES) {
    throw new ValidationError(
      `Document "${doc._id}" in collection "${collection}" is ${size} bytes when stored; Durable Object storage allows ${MAX_VALUE_BYTES} per value. Split it into several documents. Nothing of this write was stored.`,
    );
  }
  return text;
}

export function decode(key: string, value: unknown): StoredDocument {
  assertText(key, value);
  const doc = JSON.parse(value) as StoredDocument;
  // Written before revisions: revision 1 until its next write.
  if (doc._rev === undefined) doc._rev = 1;
  return doc;
}

/** Every value under Pocket's keys is JSON text it wrote; anything else was put there by other code. */
export function assertText(key: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') {
    throw new DurableObjectStorageError(
      'read',
      new Error(`key "${key}" holds a ${typeof value}, not a document Pocket wrote; keep other data out of Pocket's keyPrefix`),
    );
  }
}
