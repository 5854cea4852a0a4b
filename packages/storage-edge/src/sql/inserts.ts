import type { StoredDocument, WriteOperation } from '@pocket/core';
import { documentText, utf8Length } from './json-text.js';
import type { SqlLimits } from './limits.js';
import { LIVE, nextSeq, REVISION } from './revisions.js';
import type { PlannedStatement } from './statement.js';

/** Raised by an insert whose id belongs to a live document; the store makes it a `DuplicateKeyError`. */
export const DUPLICATE_GUARD = 'pocket-duplicate-key';

/** The revision of each inserted row: 1, unless it took a tombstone's place. */
const REVIVED = `data ->> '$._rev' AS rev`;

/**
 * Plans the run of inserts that starts at `start` as few statements as the limits allow, and
 * returns where the run ends: `INSERT … SELECT … FROM json_each(?)` over a JSON array of
 * documents, or `VALUES (?, ?)` for a document alone.
 *
 * Documents are serialised in groups, one JSON.stringify each: serialising, measuring and
 * joining the documents' texts one by one would be most of a bulk insert's JavaScript. A
 * group is sized, from the average document so far, to about a quarter of a packed parameter, so
 * three or four groups fill a statement and a typical bulk insert is one group, sent to SQLite as
 * the very text JSON.stringify made. A group within both limits cannot hold a document over
 * `maxDocumentBytes`. A group over a limit (or too long for one string) is taken apart and each
 * of its documents checked on its own, so the error names the document; the next group is smaller.
 */
export function planInserts(table: string, ops: readonly WriteOperation[], start: number, limits: SqlLimits, plan: PlannedStatement[]): number {
  // A tombstone's id is free: the new document takes its row, and its revision continues. A
  // live document there fails the statement, so the batch writes nothing.
  const onConflict =
    ` ON CONFLICT (_id) DO UPDATE SET data = CASE WHEN ${LIVE} THEN json_extract('{}', '${DUPLICATE_GUARD}') ` +
    `ELSE json_set(excluded.data, '$._rev', ${REVISION} + 1) END, _deleted = NULL, _seq = excluded._seq, created_at = unixepoch(), updated_at = unixepoch()`;
  let end = start;
  while (end < ops.length && ops[end]!.type === 'insert') end++;
  const docOf = (k: number) => (ops[k] as { doc: StoredDocument }).doc;

  // The next statement: JSON texts, each a document ('{…}') or a group's array ('[…]'), and its operations.
  let texts: string[] = [];
  let indexes: number[] = [];
  let bytes = 2; // the brackets
  const flush = () => {
    if (indexes.length === 0) return;
    if (indexes.length === 1) {
      plan.push({
        kind: 'insert',
        ops: indexes,
        sql: `INSERT INTO ${table} (_id, data, _seq) VALUES (?, ?, ${nextSeq(table)} + 1)${onConflict} RETURNING ${REVIVED}`,
        params: [docOf(indexes[0]!)._id, texts[0]],
      });
    } else {
      // Joining copies every byte: a statement that is one group's array is sent as it is.
      const param = texts.length === 1 ? texts[0]! : `[${texts.map((t) => (t.startsWith('[') ? t.slice(1, -1) : t)).join(',')}]`;
      // json_each hands back each element's JSON text unchanged, so `data` is stored as written.
      // (`WHERE true` tells SQLite's parser that ON CONFLICT is the upsert clause, not a join's.)
      plan.push({
        kind: 'insert',
        ops: indexes,
        sql: `INSERT INTO ${table} (_id, data, _seq) SELECT value ->> '$._id', value, ${nextSeq(table)} + key + 1 FROM json_each(?) WHERE true${onConflict} RETURNING _id, ${REVIVED}`,
        params: [param],
      });
    }
    texts = [];
    indexes = [];
    bytes = 2;
  };
  /** Adds documents `from`..`to` whose JSON, without any brackets, is `size` bytes. */
  const add = (text: string, size: number, from: number, to: number) => {
    if (bytes + size + 1 > limits.maxPackedBytes) flush();
    texts.push(text);
    for (let k = from; k < to; k++) indexes.push(k);
    bytes += size + 1; // and a comma
  };

  // The average serialised document so far, to size the next group.
  let seenBytes = JSON.stringify(docOf(start)).length + 1;
  let seenDocs = 1;
  let shrink = 1;
  for (let i = start, to = start; i < end; i = to) {
    const group = Math.max(2, Math.floor(limits.maxPackedBytes / 4 / (seenBytes / seenDocs) / shrink));
    to = Math.min(i + group, end);
    if (to - i > 1) {
      const docs: StoredDocument[] = [];
      for (let k = i; k < to; k++) docs.push(docOf(k));
      const text = stringifyGroup(docs);
      const size = text === null ? Infinity : utf8Length(text) - 2;
      if (text !== null && size <= limits.maxDocumentBytes && size + 2 <= limits.maxPackedBytes) {
        add(text, size, i, to);
        seenBytes += size + 1;
        seenDocs += to - i;
        continue;
      }
      shrink *= 4;
    }
    for (let k = i; k < to; k++) {
      const { text, bytes: size } = documentText(docOf(k), limits);
      add(text, size, k, k + 1);
      seenBytes += size + 1;
      seenDocs++;
    }
  }
  flush();
  return end;
}

/** The group's JSON array, or null when it is longer than a JavaScript string can be. */
function stringifyGroup(docs: StoredDocument[]): string | null {
  try {
    return JSON.stringify(docs);
  } catch (error) {
    // "Invalid string length": each document may still fit on its own.
    if (error instanceof RangeError) return null;
    throw error;
  }
}
