// The exported compiler checks what it writes into SQL text itself, whoever calls it: a hostile
// skip, limit, sort direction or table name is a QueryError, never part of a statement.
import { EMPTY_QUERY, QueryError, type FindQuery } from '@pocket/core';
import { describe, expect, it } from 'vitest';
import { compileCount, compileFind } from '../src/sql-compiler.js';

const T = '"pocket_todos"';
const hostile = (change: Record<string, unknown>) => ({ ...EMPTY_QUERY, ...change }) as unknown as FindQuery;

describe('the compiler refuses input it would write into SQL', () => {
  it('skip and limit are whole numbers, or limit is null', () => {
    for (const bad of ['(SELECT count(*) FROM pocket_secrets)', '1; DROP TABLE x', -1, 1.5, Number.NaN, Infinity, 2 ** 60, null, undefined, {}]) {
      expect(() => compileFind(T, hostile({ limit: bad === null ? 'null' : bad }))).toThrow(QueryError);
      expect(() => compileFind(T, hostile({ skip: bad }))).toThrow(QueryError);
    }
    expect(compileFind(T, hostile({ skip: 3, limit: 4 })).sql).toMatch(/ LIMIT 4 OFFSET 3$/);
    expect(compileFind(T, hostile({ limit: null })).sql).not.toMatch(/LIMIT/);
  });

  it('sort directions are asc or desc', () => {
    expect(() => compileFind(T, hostile({ sort: [{ path: 'a', direction: 'desc; DROP TABLE x' }] }))).toThrow(QueryError);
    expect(() => compileFind(T, hostile({ sort: 'a' }))).toThrow(QueryError);
    expect(compileFind(T, hostile({ sort: [{ path: 'a', direction: 'desc' }] })).sql).toMatch(/ORDER BY .* DESC/);
  });

  it('the table is one quoted identifier', () => {
    for (const bad of ['pocket_todos', '"a"; DROP TABLE x; --"', '"a" b "c"', '""', 'x"', 42]) {
      expect(() => compileFind(bad as string, EMPTY_QUERY)).toThrow(QueryError);
      expect(() => compileCount(bad as string, null)).toThrow(QueryError);
    }
    expect(compileCount('"odd ""name"""', null).sql).toContain('FROM "odd ""name"""');
  });
});
