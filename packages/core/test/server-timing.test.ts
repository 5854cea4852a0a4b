import { createMemoryStorage, Database, OperationTotals, serverTiming } from '@pocket/core';
import { describe, expect, it } from 'vitest';

describe('serverTiming()', () => {
  it("adds a request's operations as one Server-Timing metric, keeping the route's response", async () => {
    const values = new Map<string, unknown>();
    const c = {
      set: (key: string, value: unknown) => void values.set(key, value),
      res: new Response('{"ok":true}', { status: 201, headers: { 'content-type': 'application/json' } }),
    };
    await serverTiming()(c, async () => {
      const totals = values.get('pocketTimings') as OperationTotals;
      const todos = Database.open({ name: 't', storage: createMemoryStorage(), onOperation: totals.record }).collection('todos');
      await todos.bulkInsert([{ _id: 'a' }, { _id: 'b' }]);
      await todos.find().exec();
      await todos.insert({ _id: 'a' }).catch(() => undefined);
    });
    expect(c.res.status).toBe(201);
    expect(await c.res.json()).toEqual({ ok: true });
    expect(c.res.headers.get('content-type')).toBe('application/json');
    expect(c.res.headers.get('server-timing')).toMatch(/^pocket;dur=\d+\.\d;desc="3 operations, 2 rows read, 2 written, 1 failed"$/);
  });

  it('names its metric as asked, and totals can be read without the middleware', () => {
    const totals = new OperationTotals();
    totals.record({
      storage: 'd1',
      database: 'x',
      collection: 'c',
      operation: 'find',
      statements: ['SELECT 1'],
      durationMs: 2.25,
      rowsRead: 7,
      rowsWritten: 0,
    });
    expect(totals.header('db')).toBe('db;dur=2.3;desc="1 operation, 7 rows read, 0 written"');
  });
});
