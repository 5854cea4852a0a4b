// How planWrites groups a bulk update: consecutive updates that set the same fields, in the same
// order, share one UPDATE … FROM json_each(?); any other shape starts a new statement.
import type { WriteOperation } from '@pocket/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SQL_LIMITS } from '../src/sql/limits.js';
import { planWrites } from '../src/sql/writes.js';

const update = (id: string, patch: Record<string, number>): WriteOperation => ({ type: 'update', id, patch });

describe('grouping a bulk update', () => {
  it('shares a statement only between updates of the same fields in the same order', () => {
    const ops = [
      update('a', { x: 1 }),
      update('b', { x: 2 }),
      update('c', { y: 1 }),
      update('d', { x: 1, y: 1 }),
      update('e', { y: 1, x: 1 }),
      update('f', { y: 2, x: 2 }),
      update('e', { y: 3, x: 3 }), // e again: it cannot share the statement that already sets e
      update('a', { y: 4, x: 4 }), // a's earlier update is in an earlier statement: this one may join
    ];
    const plan = planWrites('"t"', ops, DEFAULT_SQL_LIMITS, new Map());
    const updates = plan.filter((s) => s.kind === 'update');
    expect(updates.map((s) => s.ops)).toEqual([[0, 1], [2], [3], [4, 5], [6, 7]]);
    // Each update statement has a guard before it that fails the batch if a document is missing.
    expect(plan.map((s) => s.kind)).toEqual(['guard', 'update', 'guard', 'update', 'guard', 'update', 'guard', 'update', 'guard', 'update']);
    expect(JSON.parse(updates[3]!.params[0] as string)).toEqual([
      { id: 'e', c: { y: 1, x: 1 } },
      { id: 'f', c: { y: 2, x: 2 } },
    ]);
  });
});
