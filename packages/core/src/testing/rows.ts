import type { StoredDocument } from '../storage/adapter.js';

/**
 * `doc` as a store that keeps revisions holds it at revision `rev`: its fields, then `_rev`
 * (last, where every store puts it), replacing any `_rev` it had.
 */
export function withRevision(doc: StoredDocument, rev: number): StoredDocument {
  const { _rev: _old, ...fields } = doc;
  return { ...fields, _rev: rev } as StoredDocument;
}

/**
 * How two lists of rows differ, in order and by value (object keys in any order), or null when
 * they do not: the first row that differs, both as JSON.
 */
export function rowDifference(actual: readonly unknown[], expected: readonly unknown[], note = ''): string | null {
  for (let row = 0; row < Math.max(actual.length, expected.length); row++) {
    const got = row < actual.length ? canonical(actual[row]) : '(no row)';
    const want = row < expected.length ? canonical(expected[row]) : '(no row)';
    if (got !== want)
      return `first differing row is #${row} of ${expected.length} expected (${actual.length} returned)${note}: got ${got.slice(0, 300)}, want ${want.slice(0, 300)}`;
  }
  return null;
}

/** JSON with object keys sorted, so rows compare by value whatever key order storage returns. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}
