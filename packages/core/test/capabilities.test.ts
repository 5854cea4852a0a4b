import { createMemoryStorage, Database, increment, QueryError, ValidationError, type StorageAdapter } from '@pocket/core';
import { describe, expect, it } from 'vitest';

/** The memory adapter as a third-party adapter of the first release would be: no revisions, operators or feed. */
function oldStyleAdapter(): StorageAdapter {
  const memory = createMemoryStorage();
  return {
    name: 'old-style',
    capabilities: { atomicWrites: true },
    collection(name, context) {
      const { getMany, find, count, write } = memory.collection(name, context);
      return { getMany, find, count, write };
    },
  };
}

describe('an adapter without the document model', () => {
  it('refuses expectedRev, operators and the change feed with errors that say why, and writes nothing', async () => {
    const todos = Database.open({ name: 'caps', storage: oldStyleAdapter() }).collection<{ _id: string; n: number }>('todos');
    await todos.insert({ _id: 'a', n: 1 });
    await expect(todos.update('a', { n: 2 }, { expectedRev: 1 })).rejects.toThrow(ValidationError);
    await expect(todos.update('a', { n: 2 }, { expectedRev: 1 })).rejects.toThrow(/"old-style" storage adapter keeps no revisions/);
    await expect(todos.delete('a', { expectedRev: 1 })).rejects.toThrow(/keeps no revisions/);
    await expect(todos.bulkUpdate([{ id: 'a', changes: { n: 2 }, expectedRev: 1 }])).rejects.toThrow(/keeps no revisions/);
    await expect(todos.update('a', { n: increment(1) })).rejects.toThrow(/cannot apply field operators such as increment\(\)/);
    await expect(todos.changes()).rejects.toThrow(QueryError);
    await expect(todos.purgeTombstones()).rejects.toThrow(/keeps no change feed/);
    expect((await todos.get('a'))!.n).toBe(1);
    // Plain writes work as before.
    expect((await todos.update('a', { n: 3 })).n).toBe(3);
  });
});
