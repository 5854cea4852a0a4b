import { ValidationError, type StoredDocument } from '@pocket/core';
import type { SqlLimits } from './writes.js';

/** The document's JSON text and its size in UTF-8 bytes; a `ValidationError` if it is over the limit. */
export function documentText(doc: StoredDocument, limits: SqlLimits): { text: string; bytes: number } {
  const text = JSON.stringify(doc);
  const bytes = utf8Length(text);
  if (bytes > limits.maxDocumentBytes) {
    throw new ValidationError(
      `Document "${doc._id}" is ${bytes} bytes as JSON; the limit here is ${limits.maxDocumentBytes}. Split it into several documents. Nothing was written.`,
    );
  }
  return { text, bytes };
}

const NON_ASCII = /[^\u0000-\u007f]/;

/**
 * UTF-8 byte length without allocating an encoded copy. Every document of a write passes
 * through here, so the common all-ASCII text is settled by one native regex scan; counting in
 * JavaScript starts at the first non-ASCII character, if any.
 */
export function utf8Length(text: string): number {
  const first = text.search(NON_ASCII);
  if (first === -1) return text.length;
  let bytes = text.length;
  for (let i = first; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff) i++, (bytes += 2); // a surrogate pair: 2 units, 4 bytes
    else bytes += 2;
  }
  return bytes;
}
