// Increments computed in SQL store the double JavaScript would compute, in as few digits as read
// back the same: SQLite's JSON functions alone would round every real to 15 digits. (Where
// SQLite misreads the stored number itself, such as 1e300, the sum starts from its reading: see
// docs/limitations.md on numbers.)
import { env } from 'cloudflare:test';
import { Database, increment } from '@pocket/core';
import { describe, expect, it } from 'vitest';
import { createD1Storage, createDurableObjectSqlStorage } from '../src/index.js';
import { inObject } from './do-helpers.js';

const CASES: Array<[start: number, by: number]> = [
  [0, 1 / 3],
  [0.1, 0.2],
  [1, 0.5],
  [2 ** 53, 1],
  [1e15, 0.25],
  [-1e-7, 3e-8],
  [-0.5, 0.5],
  [123.456, 1e-10],
  [0, 5e-324],
];

async function check(db: Database): Promise<void> {
  const c = db.collection<{ _id: string; n: number }>('numbers');
  for (const [k, [start, by]] of CASES.entries()) {
    await c.insert({ _id: `n${k}`, n: start });
    const updated = await c.update(`n${k}`, { n: increment(by) });
    expect(updated.n, `${start} + ${by}`).toBe(start + by);
    expect((await c.get(`n${k}`))!.n, `${start} + ${by}, read back`).toBe(start + by);
  }
}

describe('increments of reals in SQL', () => {
  it('on D1 keep the double JavaScript computes', async () => {
    await check(Database.open({ name: 'x', storage: createD1Storage({ database: env.DB, tablePrefix: 'precision_' }) }));
  });
  it('on SQLite-backed Durable Objects keep the double JavaScript computes', async () => {
    await inObject('SQL_OBJECT', 'increment-precision', (storage) => check(Database.open({ name: 'x', storage: createDurableObjectSqlStorage({ storage }) })));
  });
});
