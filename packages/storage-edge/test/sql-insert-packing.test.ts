// How planWrites packs a bulk insert into statements: groups of documents serialised together,
// taken apart when a group passes a limit. Checked on the plan itself: every document exactly
// once, in order, as its own JSON text, and no packed parameter over maxPackedBytes.
import { ValidationError, type StoredDocument, type WriteOperation } from '@pocket/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SQL_LIMITS, type SqlLimits } from '../src/sql/limits.js';
import { planWrites } from '../src/sql/writes.js';

const inserts = (docs: StoredDocument[]): WriteOperation[] => docs.map((doc) => ({ type: 'insert', doc }));
const doc = (i: number, pad: number): StoredDocument => ({ _id: `d${String(i).padStart(4, '0')}`, n: i, s: 'x'.repeat(pad) });

/** The documents each statement inserts, read back from its parameters as SQLite would. */
function unpack(docs: StoredDocument[], limits: SqlLimits) {
  const plan = planWrites('"t"', inserts(docs), limits, new Map());
  const texts: string[] = [];
  for (const statement of plan) {
    expect(statement.kind).toBe('insert');
    if (statement.params.length === 2) {
      // One document alone: VALUES (?, ?, <next sequence number>), whatever its size.
      expect(statement.sql).toMatch(/ VALUES \(\?, \?, \(SELECT coalesce\(max\(_seq\), 0\) FROM "t"\) \+ 1\) ON CONFLICT /);
      texts.push(statement.params[1] as string);
    } else {
      const packed = statement.params[0] as string;
      expect(new TextEncoder().encode(packed).length).toBeLessThanOrEqual(limits.maxPackedBytes);
      for (const element of JSON.parse(packed) as unknown[]) texts.push(JSON.stringify(element));
    }
  }
  expect(plan.flatMap((s) => s.ops)).toEqual(docs.map((_, i) => i));
  expect(texts).toEqual(docs.map((d) => JSON.stringify(d)));
  return plan;
}

describe('packing a bulk insert', () => {
  it('puts 1,000 small documents in one statement', () => {
    const docs = Array.from({ length: 1000 }, (_, i) => doc(i, 100));
    expect(unpack(docs, DEFAULT_SQL_LIMITS)).toHaveLength(1);
  });

  it('splits at maxPackedBytes, with groups that pass it taken apart', () => {
    const limits = { ...DEFAULT_SQL_LIMITS, maxPackedBytes: 10_000 };
    const docs = Array.from({ length: 700 }, (_, i) => doc(i, i % 50 === 0 ? 3_000 : 60));
    const plan = unpack(docs, limits);
    expect(plan.length).toBeGreaterThan(7);
  });

  it('keeps a document larger than maxPackedBytes alone in its own statement', () => {
    const limits = { ...DEFAULT_SQL_LIMITS, maxPackedBytes: 5_000 };
    const docs = [doc(0, 10), doc(1, 10), doc(2, 8_000), doc(3, 10)];
    const plan = unpack(docs, limits);
    expect(plan.map((s) => s.ops)).toEqual([[0, 1], [2], [3]]);
  });

  it('fills statements when the first document is smaller than the rest', () => {
    const limits = { ...DEFAULT_SQL_LIMITS, maxPackedBytes: 20_000 };
    const docs = [doc(0, 0), ...Array.from({ length: 2000 }, (_, i) => doc(i + 1, 200))];
    const plan = unpack(docs, limits);
    const sizes = plan.map((s) => new TextEncoder().encode(s.params[0] as string).length);
    // Every statement but the last is at least two thirds full.
    for (const size of sizes.slice(0, -1)) expect(size).toBeGreaterThan((limits.maxPackedBytes * 2) / 3);
  });

  it('takes a group apart when its documents are much larger than the first', () => {
    const limits = { ...DEFAULT_SQL_LIMITS, maxPackedBytes: 50_000, maxDocumentBytes: 60_000 };
    const docs = [doc(0, 0), ...Array.from({ length: 40 }, (_, i) => doc(i + 1, 30_000))];
    const plan = unpack(docs, limits);
    // A 30 KB document leaves no room for a second in a 50 KB parameter: one statement each.
    expect(plan.slice(1).every((s) => s.ops.length === 1)).toBe(true);
  });

  it('names the document over maxDocumentBytes, wherever it is in a group', () => {
    const limits = { ...DEFAULT_SQL_LIMITS, maxDocumentBytes: 2_000 };
    const docs = Array.from({ length: 600 }, (_, i) => doc(i, i === 300 ? 2_000 : 20));
    let error: unknown;
    try {
      planWrites('"t"', inserts(docs), limits, new Map());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(/^Document "d0300" is 20\d\d bytes as JSON; the limit here is 2000\./);
  });

  it('lets a group whose documents are each under maxDocumentBytes through even when the group is not', () => {
    const limits = { ...DEFAULT_SQL_LIMITS, maxDocumentBytes: 1_000 };
    const docs = Array.from({ length: 300 }, (_, i) => doc(i, 900));
    unpack(docs, limits);
  });
});
