// The operation hook: one record per operation, whose counts are the backend's own (D1's meta, the
// SQLite cursor's), whose statements are what was sent, and which never fails an operation.
import { env } from 'cloudflare:test';
import { Database, increment, type OperationRecord } from '@pocket/core';
import { describe, expect, it } from 'vitest';
import { createD1Storage, createDurableObjectSqlStorage, createDurableObjectStorage } from '../src/index.js';
import type { D1DatabaseLike, D1StatementLike } from '../src/d1/d1-binding.js';
import { inObject } from './do-helpers.js';

interface Sent {
  sql: string;
  meta: { rows_read?: number; rows_written?: number; served_by_primary?: boolean; served_by_region?: string };
}

/** The real binding, remembering each statement and the meta D1 answered it with. */
function recordingD1(real: D1Database): { database: D1DatabaseLike; take(): Sent[] } {
  let sent: Sent[] = [];
  const wrapped = new WeakMap<D1StatementLike, { statement: D1PreparedStatement; sql: string }>();
  const wrap = (statement: D1PreparedStatement, sql: string): D1StatementLike => {
    const outer: D1StatementLike = {
      bind: (...values) => wrap(statement.bind(...values), sql),
      all: async () => {
        const result = await statement.all();
        sent.push({ sql, meta: result.meta as Sent['meta'] });
        return result;
      },
    };
    wrapped.set(outer, { statement, sql });
    return outer;
  };
  return {
    database: {
      prepare: (sql) => wrap(real.prepare(sql), sql),
      batch: async (statements) => {
        const inner = statements.map((s) => wrapped.get(s)!);
        const results = await real.batch(inner.map((s) => s.statement));
        results.forEach((result, i) => sent.push({ sql: inner[i]!.sql, meta: result.meta as Sent['meta'] }));
        return results;
      },
    },
    take() {
      const out = sent;
      sent = [];
      return out;
    },
  };
}

async function exercise(db: Database): Promise<void> {
  const todos = db.collection<{ _id: string; n: number; userId: string }>('todos');
  await todos.bulkInsert(Array.from({ length: 30 }, (_, i) => ({ _id: `t${i}`, n: i, userId: `u${i % 3}` })));
  await todos.get('t1');
  await todos.getMany(['t1', 't2', 'nope']);
  await todos.find().where('userId').equals('u1').sort('n', 'desc').limit(5).exec();
  await todos.count();
  await todos.update('t1', { n: increment(1) });
  await todos.delete('t2');
  await todos.changes({ limit: 10 });
}

describe('the operation hook', () => {
  it('on D1 reports each operation with the statements sent and the counts D1 gave', async () => {
    const d1 = recordingD1(env.DB);
    const records: OperationRecord[] = [];
    const db = Database.open({
      name: 'hooked',
      storage: createD1Storage({ database: d1.database, tablePrefix: 'hook_' }),
      onOperation: (r) => records.push(r),
    });
    // The table exists first, so no statement of an operation is the DDL that made it.
    await db.collection('todos').insert({ _id: 'first', n: -1, userId: 'u0' });
    records.length = 0;
    d1.take();
    const perOperation: Sent[][] = [];
    const todos = db.collection<{ _id: string; n: number; userId: string }>('todos');
    const steps: Array<() => Promise<unknown>> = [
      () => todos.bulkInsert(Array.from({ length: 30 }, (_, i) => ({ _id: `t${i}`, n: i, userId: `u${i % 3}` }))),
      () => todos.get('t1'),
      () => todos.find().where('userId').equals('u1').sort('n', 'desc').limit(5).exec(),
      () => todos.count(),
      () => todos.update('t1', { n: increment(1) }),
      () => todos.delete('t2'),
      () => todos.changes({ limit: 10 }),
    ];
    for (const step of steps) {
      await step();
      perOperation.push(d1.take());
    }
    expect(records.map((r) => r.operation)).toEqual(['write', 'get', 'find', 'count', 'write', 'write', 'changes']);
    records.forEach((record, i) => {
      const sent = perOperation[i]!;
      expect(record).toMatchObject({ storage: 'd1', database: 'hooked', collection: 'todos' });
      expect(record.statements).toEqual(sent.map((s) => s.sql));
      expect(record.rowsRead).toBe(sent.reduce((n, s) => n + (s.meta.rows_read ?? 0), 0));
      expect(record.rowsWritten).toBe(sent.reduce((n, s) => n + (s.meta.rows_written ?? 0), 0));
      expect(record.servedByPrimary).toBe(sent.at(-1)!.meta.served_by_primary);
      expect(record.durationMs).toBeGreaterThanOrEqual(0);
      expect(record.error).toBeUndefined();
      expect(record.statements.join('\n')).not.toMatch(/'t1'|"t1"/); // values are never in the text
    });
    expect(records[0]!.rowsWritten).toBeGreaterThanOrEqual(30);
    expect(records[2]!.rowsRead).toBeGreaterThan(0);
  });

  it('reports failed operations with their error, and a throwing hook fails nothing', async () => {
    const records: OperationRecord[] = [];
    const db = Database.open({
      name: 'hooked',
      storage: createD1Storage({ database: env.DB, tablePrefix: 'hook_err_' }),
      onOperation: (r) => {
        records.push(r);
        throw new Error('a broken hook');
      },
    });
    const todos = db.collection('todos');
    expect(await todos.insert({ _id: 'a' })).toEqual({ _id: 'a', _rev: 1 });
    await expect(todos.insert({ _id: 'a' })).rejects.toMatchObject({ code: 'DUPLICATE_KEY' });
    expect(records.map((r) => [r.operation, r.error === undefined ? null : (r.error as { code: string }).code])).toEqual([
      ['write', null],
      ['write', 'DUPLICATE_KEY'],
    ]);
  });

  it('on SQLite-backed Durable Objects reports the cursor counts', async () => {
    await inObject('SQL_OBJECT', 'operation-hook', async (storage) => {
      // Each statement Pocket sends, with its cursor, whose counts are final once its rows are read.
      let cursors: Array<{ sql: string; cursor: { readonly rowsRead: number; readonly rowsWritten: number } }> = [];
      const recording = {
        sql: {
          exec: (sql: string, ...bindings: unknown[]) => {
            const cursor = storage.sql.exec(sql, ...bindings);
            cursors.push({ sql, cursor });
            return cursor;
          },
        },
        transactionSync: <T>(fn: () => T): T => storage.transactionSync(fn),
      };
      const records: OperationRecord[] = [];
      const db = Database.open({ name: 'hooked', storage: createDurableObjectSqlStorage({ storage: recording }), onOperation: (r) => records.push(r) });
      await db.collection('todos').insert({ _id: 'first', n: -1, userId: 'u0' });
      records.length = 0;
      const sent: Array<typeof cursors> = [];
      const todos = db.collection<{ _id: string; n: number; userId: string }>('todos');
      for (const step of [
        () => todos.bulkInsert(Array.from({ length: 30 }, (_, i) => ({ _id: `t${i}`, n: i, userId: `u${i % 3}` }))),
        () => todos.getMany(['t1', 't2', 'nope']),
        () => todos.find().where('userId').equals('u1').sort('n', 'desc').limit(5).exec(),
        () => todos.count(),
        () => todos.update('t1', { n: increment(1) }),
        () => todos.changes({ limit: 10 }),
      ]) {
        cursors = [];
        await step();
        sent.push(cursors);
      }
      expect(records.map((r) => r.operation)).toEqual(['write', 'get', 'find', 'count', 'write', 'changes']);
      records.forEach((record, i) => {
        expect(record.storage).toBe('durable-object-sql');
        expect(record.statements).toEqual(sent[i]!.map((c) => c.sql));
        expect(record.rowsRead).toBe(sent[i]!.reduce((n, c) => n + c.cursor.rowsRead, 0));
        expect(record.rowsWritten).toBe(sent[i]!.reduce((n, c) => n + c.cursor.rowsWritten, 0));
        expect(record.servedByPrimary).toBeUndefined();
      });
      // count(): the table's 31 rows, counted through an index, and the tombstones' index (empty), one step.
      expect(records[3]!.rowsRead).toBe(32);
    });
  });

  it('on KV Durable Objects reports keys read and written', async () => {
    await inObject('KV_OBJECT', 'operation-hook', async (storage) => {
      const records: OperationRecord[] = [];
      await exercise(Database.open({ name: 'hooked', storage: createDurableObjectStorage({ storage }), onOperation: (r) => records.push(r) }));
      const byOp = (op: string) => records.filter((r) => r.operation === op);
      // get('t1') asks one key; getMany asks each id's, the missing one's too.
      expect(byOp('get').map((r) => r.keysRead)).toEqual([1, 3]);
      expect(records.every((r) => r.statements.length === 0)).toBe(true);
      // 30 documents, each with a revision record and a feed entry, and the counter.
      expect(byOp('write')[0]!.keysWritten).toBe(30 * 3 + 1);
      expect(byOp('count')[0]!.keysRead).toBe(30);
    });
  });
});
