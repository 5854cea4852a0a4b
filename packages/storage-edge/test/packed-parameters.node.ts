// Every JSON parameter that packs many values stays within maxPackedBytes (SQLite refuses a
// bound value past about 2 MB): bulk updates, their guards and bulk deletes are split into
// several statements, in order; an `in` list is read from several parameters of the same
// statement. Checked on the plans and the compiled SQL; test/large-payloads.test.ts runs them.
import { condition, QueryError, type JsonObject, type WriteOperation } from '@pocket/core';
import { describe, expect, it } from 'vitest';
import { compileCount, compileFind } from '../src/sql-compiler.js';
import { DEFAULT_SQL_LIMITS, type SqlLimits } from '../src/sql/limits.js';
import { fitStatement, packRuns } from '../src/sql/parameters.js';
import { bind, bindList, sql } from '../src/sql/parts.js';
import type { PlannedStatement } from '../src/sql/statement.js';
import { planWrites } from '../src/sql/writes.js';

const bytes = (text: string) => new TextEncoder().encode(text).length;
const small = (maxPackedBytes: number, more: Partial<SqlLimits> = {}): SqlLimits => ({ ...DEFAULT_SQL_LIMITS, maxPackedBytes, ...more });
/** Ids of 36 characters, some with two- and three-byte characters, as UUIDs and names are. */
const ids = (n: number) => Array.from({ length: n }, (_, i) => `${String(i).padStart(6, '0')}-${i % 7 === 0 ? 'é€' : 'xx'}-${'a'.repeat(26)}`);

describe('packRuns', () => {
  it('keeps every value once, in order, each run within the limit, a value over it alone', () => {
    const values: unknown[] = [...ids(300), 'x'.repeat(5_000), { deep: ['é'.repeat(100)] }, 7, null, ...ids(10)];
    const runs = packRuns(values, 1_000);
    expect(runs.length).toBeGreaterThan(10);
    expect(runs.flatMap((r) => JSON.parse(r.json) as unknown[])).toEqual(values);
    expect(runs.map((r) => [r.start, r.end])).toEqual(runs.map((r, k) => [k === 0 ? 0 : runs[k - 1]!.end, r.start + (JSON.parse(r.json) as unknown[]).length]));
    for (const run of runs) {
      const size = bytes(run.json);
      if (run.end - run.start > 1) expect(size).toBeLessThanOrEqual(1_000);
      // Not a byte could be added: the next value would not have fit.
      if (run.end < values.length) expect(size + 1 + bytes(JSON.stringify(values[run.end]))).toBeGreaterThan(1_000);
    }
    expect(runs.find((r) => r.json.includes('xxxxx'))!.end - runs.find((r) => r.json.includes('xxxxx'))!.start).toBe(1);
  });

  it('is one run, the list as JSON.stringify writes it, when it fits', () => {
    expect(packRuns(ids(3), 1_000)).toEqual([{ json: JSON.stringify(ids(3)), start: 0, end: 3 }]);
    expect(packRuns([], 10)).toEqual([{ json: '[]', start: 0, end: 0 }]);
  });

  it('measures UTF-8, not UTF-16', () => {
    // 300 three-byte characters: 302 UTF-16 units of JSON, 902 bytes.
    expect(packRuns(['€'.repeat(150), '€'.repeat(150)], 700)).toHaveLength(2);
    expect(packRuns(['€'.repeat(150), '€'.repeat(150)], 907)).toHaveLength(1);
  });
});

/** The packed parameter of a statement that carries many rows: its only one. */
const packedParam = (s: PlannedStatement) => s.params[0] as string;

describe('splitting a bulk write', () => {
  const update = (id: string, patch: JsonObject, expectedRev?: number): WriteOperation => ({
    type: 'update',
    id,
    patch,
    ...(expectedRev === undefined ? {} : { expectedRev }),
  });

  it('splits updates of the same fields into guarded statements, in order, each within the limit', () => {
    const limits = small(10_000);
    const ops = ids(200).map((id, i) => update(id, { text: 'p'.repeat(300), n: i }, i === 150 ? 4 : undefined));
    const plan = planWrites('"t"', ops, limits, new Map());
    expect(plan.length).toBeGreaterThan(10);
    // A guard before each update statement, with the same operations.
    for (let s = 0; s < plan.length; s += 2) {
      expect([plan[s]!.kind, plan[s + 1]!.kind]).toEqual(['guard', 'update']);
      expect(plan[s]!.ops).toEqual(plan[s + 1]!.ops);
      const changes = JSON.parse(packedParam(plan[s + 1]!)) as Array<{ id: string; r?: number }>;
      expect(JSON.parse(packedParam(plan[s]!))).toEqual(changes.map((c) => (c.r === undefined ? { id: c.id } : { id: c.id, r: c.r })));
      expect(plan[s]!.params[1]).toBe(changes.length);
      expect(bytes(packedParam(plan[s + 1]!))).toBeLessThanOrEqual(limits.maxPackedBytes);
      // Only the statement with a conditional update compares revisions.
      expect(plan[s + 1]!.sql.includes("p.value ->> '$.r'")).toBe(changes.some((c) => c.r !== undefined));
    }
    const updates = plan.filter((s) => s.kind === 'update');
    expect(updates.flatMap((s) => s.ops)).toEqual(ops.map((_, i) => i));
    expect(updates.flatMap((s) => (JSON.parse(packedParam(s)) as Array<{ id: string }>).map((c) => c.id))).toEqual(ids(200));
    // Each statement numbers its rows from the largest sequence number when it runs.
    for (const s of updates) expect(s.sql).toContain(`_seq = (SELECT coalesce(max(_seq), 0) FROM "t") + p.key + 1`);
  });

  it('keeps a change larger than the limit in a statement of its own', () => {
    const ops = [update('a', { s: 'x' }), update('b', { s: 'x'.repeat(3_000) }), update('c', { s: 'x' }), update('d', { s: 'x' })];
    const plan = planWrites('"t"', ops, small(1_000), new Map());
    expect(plan.filter((s) => s.kind === 'update').map((s) => s.ops)).toEqual([[0], [1], [2, 3]]);
  });

  it('splits a bulk delete into statements of ids within the limit', () => {
    const limits = small(2_000);
    const ops: WriteOperation[] = ids(500).map((id) => ({ type: 'delete', id }));
    const plan = planWrites('"t"', ops, limits, new Map());
    expect(plan.length).toBeGreaterThan(5);
    expect(plan.every((s) => s.kind === 'delete' && bytes(packedParam(s)) <= limits.maxPackedBytes)).toBe(true);
    expect(plan.flatMap((s) => s.ops)).toEqual(ops.map((_, i) => i));
    expect(plan.flatMap((s) => JSON.parse(packedParam(s)) as string[])).toEqual(ids(500));
  });

  it('leaves a batch that fits as it was: one statement for each kind', () => {
    const ops: WriteOperation[] = [...ids(1000).map((id) => update(id, { n: 1 })), ...ids(1000).map((id): WriteOperation => ({ type: 'delete', id }))];
    expect(planWrites('"t"', ops, DEFAULT_SQL_LIMITS, new Map()).map((s) => s.kind)).toEqual(['guard', 'update', 'delete']);
  });

  it('splits 2,000 updates of 1.2 KB each, at the default limits, into statements under 1 MB', () => {
    const ops = ids(2000).map((id) => update(id, { body: 'b'.repeat(1_200) }));
    const plan = planWrites('"t"', ops, DEFAULT_SQL_LIMITS, new Map());
    expect(plan.map((s) => s.kind)).toEqual(['guard', 'update', 'guard', 'update', 'guard', 'update']);
    for (const s of plan) expect(bytes(packedParam(s))).toBeLessThanOrEqual(DEFAULT_SQL_LIMITS.maxPackedBytes);
  });
});

describe('lists in reads', () => {
  /** A list read from several parameters of one statement. */
  const SPLIT = /\(SELECT j\.value FROM \(VALUES \(\?\)(?:, \(\?\))*\) AS l, json_each\(l\.column1\) AS j\)/g;
  /** The values of a statement's parameters, each a list's JSON array. */
  const lists = (params: unknown[]) => params.map((p) => JSON.parse(p as string) as unknown[]);

  it('reads 60,000 UUIDs from several parameters of one statement, each under 1 MB, the key hint too', () => {
    const uuids = Array.from({ length: 60_000 }, (_, i) => `${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`);
    const compiled = compileFind('"t"', { filter: condition.in('userId', uuids), sort: [], skip: 0, limit: null }, DEFAULT_SQL_LIMITS);
    const parts = compiled.sql.match(SPLIT)!;
    // The condition and its sort-key hint, each read from three lists.
    expect(parts).toHaveLength(2);
    for (const part of parts) expect(part.match(/\(\?\)/g)).toHaveLength(3);
    expect(compiled.sql.replace(SPLIT, '(L)')).toBe(
      `SELECT data FROM "t" WHERE _deleted IS NULL AND (((json_extract(data, '$.userId') IN (L))) AND ${compiled.sql.slice(compiled.sql.indexOf('CASE json_type'), compiled.sql.lastIndexOf(' IN ('))} IN (L))`,
    );
    for (const p of compiled.params) expect(bytes(p as string)).toBeLessThanOrEqual(DEFAULT_SQL_LIMITS.maxPackedBytes);
    const found = lists(compiled.params);
    expect(found.slice(0, 3).flat()).toEqual(uuids);
    expect(found.slice(3).flat()).toEqual(uuids);
  });

  it('splits notIn the same way, inside its NOT, and leaves short lists as they were', () => {
    const values = ids(100);
    const limits = small(1_000);
    const compiled = compileCount('"t"', condition.nin('userId', values), limits);
    expect(compiled.sql.replace(SPLIT, '(L)')).toBe(
      `SELECT count(*) AS n FROM "t" WHERE _deleted IS NULL AND (NOT IFNULL(((json_extract(data, '$.userId') IN (L))), 0))`,
    );
    expect(lists(compiled.params).flat()).toEqual(values);
    for (const p of compiled.params) expect(bytes(p as string)).toBeLessThanOrEqual(1_000);
    const short = compileCount('"t"', condition.nin('userId', ids(3)), limits);
    expect(short.sql).not.toContain('UNION');
  });

  it('packs split lists with other values into arrays within the limit, lists as arrays', () => {
    const values = ids(100);
    const limits = small(1_000, { maxBoundParameters: 10 });
    const filter = { kind: 'and' as const, filters: [condition.eq('a', 'x'), condition.in('b', values), condition.eq('c', 5)] };
    const compiled = compileFind('"t"', { filter, sort: [], skip: 0, limit: 10 }, limits);
    // 12 values: the list in 4 parts, and its key hint's; a, c and their hints.
    expect(compiled.params).toHaveLength(8);
    expect(compiled.sql).not.toMatch(/json_each\(\?\)|\?(?!\d)/);
    // A split list's parts are rows of arrays: json_extract gives each array's JSON text.
    expect(compiled.sql).toContain(
      `IN (SELECT j.value FROM (VALUES (json_extract(?1, '$[1]')), (json_extract(?2, '$[0]')), (json_extract(?3, '$[0]')), (json_extract(?4, '$[0]'))) AS l, json_each(l.column1) AS j)`,
    );
    for (const p of compiled.params) expect(bytes(p as string)).toBeLessThanOrEqual(1_000);
    // The packed arrays hold the list (and its hint's) as arrays, the values in order.
    const packed = compiled.params.flatMap((p) => JSON.parse(p as string) as unknown[]);
    expect(packed.filter(Array.isArray).flat()).toEqual([...values, ...values]);
  });

  it('packs a list that fits as an array of its packed parameter', () => {
    const compiled = compileCount('"t"', condition.in('b', ['x', 'y']), small(1_000, { maxBoundParameters: 0 }));
    expect(compiled.sql).toContain(`IN (SELECT value FROM json_each(?1, '$[0]'))`);
    expect(compiled.params).toEqual(['[["x","y"],["x","y"]]']);
  });

  it('refuses values that need more parameters than a statement binds even packed', () => {
    const limits = small(1_000, { maxBoundParameters: 3 });
    const filter = { kind: 'or' as const, filters: ids(100).map((id) => condition.eq('name', id)) };
    expect(() => compileFind('"t"', { filter, sort: [], skip: 0, limit: null }, limits)).toThrow(QueryError);
    expect(() => compileFind('"t"', { filter, sort: [], skip: 0, limit: null }, small(1_000, { maxBoundParameters: 10 }))).not.toThrow();
    // 0: always packed, into at most the platform's 100 arrays.
    expect(compileFind('"t"', { filter, sort: [], skip: 0, limit: null }, small(1_000, { maxBoundParameters: 0 })).params.length).toBeLessThan(10);
    const wide = { kind: 'or' as const, filters: ids(101).map((id) => condition.eq('name', id.padEnd(1_000, 'z'))) };
    expect(() => compileFind('"t"', { filter: wide, sort: [], skip: 0, limit: null }, small(1_000, { maxBoundParameters: 0 }))).toThrow(QueryError);
  });

  it('writes a statement that fits with a ? per value and one json_each(?) per list', () => {
    const statement = sql`SELECT 1 WHERE ${bind('x')} IN ${bindList('["a"]')} AND ${bind("it's ? not a placeholder")} = '?'`;
    expect(fitStatement(statement, DEFAULT_SQL_LIMITS)).toEqual({
      sql: `SELECT 1 WHERE ? IN (SELECT value FROM json_each(?)) AND ? = '?'`,
      params: ['x', '["a"]', "it's ? not a placeholder"],
    });
  });

  it('leaves a question mark in SQL text alone when it packs values', () => {
    const statement = sql`SELECT '?' AS q WHERE ${bind('x')} IN ${bindList('["a"]')} AND "col?" = ${bind(1)}`;
    expect(fitStatement(statement, small(1_000, { maxBoundParameters: 0 }))).toEqual({
      sql: `SELECT '?' AS q WHERE json_extract(?1, '$[0]') IN (SELECT value FROM json_each(?1, '$[1]')) AND "col?" = json_extract(?1, '$[2]')`,
      params: ['["x",["a"],1]'],
    });
  });
});
