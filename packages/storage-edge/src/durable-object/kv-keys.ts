import { ValidationError } from '@pocket/core';
import { utf8Length } from '../sql/json-text.js';

export const DEFAULT_KEY_PREFIX = 'pocket:';
/** Durable Object storage refuses keys over 2 KiB of UTF-8. */
export const MAX_KEY_BYTES = 2048;
/** Durable Object storage takes at most 128 keys per `get`, `put` or `delete` call. */
export const MAX_KEYS_PER_CALL = 128;

// One ':' and only at the end. A key is `<prefix><collection>:<id>`; collection names have no
// ':', so the first ':' of a key ends the prefix and the second ends the collection. Two
// databases with different prefixes therefore never see each other's keys, whatever the ids
// ('pocket:' and 'pocket:todos:' would: 'pocket:todos:x' could be either).
const KEY_PREFIX = /^[^:]+:$/;

export function assertKeyPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix === 'string' && KEY_PREFIX.test(prefix) && !prefix.isWellFormed()) {
    // Storage keeps keys as UTF-8, where every lone surrogate becomes U+FFFD: 't-\uD800:' and
    // 't-\uD801:' would share keys, and no key read back would start with the prefix asked for.
    throw new ValidationError(
      `createDurableObjectStorage(): keyPrefix ${JSON.stringify(prefix)} contains a lone UTF-16 surrogate; storage would keep it as U+FFFD, so two such prefixes would share keys. Use well-formed text.`,
    );
  }
  if (typeof prefix !== 'string' || !KEY_PREFIX.test(prefix)) {
    throw new ValidationError(
      `createDurableObjectStorage(): keyPrefix ${JSON.stringify(prefix)} is not valid: use a non-empty string that ends with ":" and has no other ":", such as 'pocket:' or 'tenant-42:'. A second ":" would let two databases' keys overlap.`,
    );
  }
}

/**
 * The keys of one collection: documents at `<keyPrefix><collection>:<id>`, all sharing
 * `prefix`. Beside them, under characters no collection name has (so no other collection's
 * keys start the same way), the change feed: each id's revision and sequence number at
 * `<keyPrefix><collection>~<id>` (as long as the document's key, so never over the limit when
 * that is not), one entry per changed id at `<keyPrefix><collection>#<sequence, 16 digits>`, and
 * the last sequence number at `<keyPrefix><collection>!seq`.
 */
export interface CollectionKeys {
  /** What every key of the collection starts with, for `list({ prefix })`. */
  readonly prefix: string;
  /** What every feed entry's key starts with. */
  readonly feedPrefix: string;
  /** The key of the feed entry with this sequence number. */
  feedKey(seq: number): string;
  /** The key of an id's revision and sequence number. */
  metaKey(id: string): string;
  /** The key of the last sequence number given out. */
  readonly counterKey: string;
  /** The key of a document; a `ValidationError` if the platform would refuse it. */
  key(id: string): string;
  /** The key of a document, or `null` when it is too long to exist (so reads need not ask). */
  keyIfValid(id: string): string | null;
}

export function collectionKeys(keyPrefix: string, collection: string): CollectionKeys {
  const prefix = `${keyPrefix}${collection}:`;
  const keyIfValid = (id: string) => {
    const key = prefix + id;
    return utf8Length(key) <= MAX_KEY_BYTES ? key : null;
  };
  const feedPrefix = `${keyPrefix}${collection}#`;
  return {
    prefix,
    feedPrefix,
    feedKey: (seq) => feedPrefix + String(seq).padStart(16, '0'),
    metaKey: (id) => `${keyPrefix}${collection}~${id}`,
    counterKey: `${keyPrefix}${collection}!seq`,
    keyIfValid,
    key(id) {
      const key = keyIfValid(id);
      if (key === null) {
        throw new ValidationError(
          `The storage key of document ${JSON.stringify(id.length > 40 ? `${id.slice(0, 40)}…` : id)} in collection "${collection}" is ${utf8Length(prefix + id)} bytes; Durable Object storage allows ${MAX_KEY_BYTES}. Use a shorter _id or keyPrefix. Nothing was written.`,
          { path: '_id' },
        );
      }
      return key;
    },
  };
}

/** Splits `items` into runs of at most `size`, for the platform's per-call key limit. */
export function chunks<T>(items: readonly T[], size = MAX_KEYS_PER_CALL): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
