// Golden SQL: the statement the compiler builds for each operator and value type, and for sorts,
// pages and projections, pinned as text. A change to the SQL (losing the index-friendly
// `json_extract(data, '$.userId') = ?`, a sort key that no longer matches the declared indexes)
// shows up here as a diff to read, before any backend runs it. Each field's sort key is written
// `key('$.field')` below; the first test pins that expression itself.
// Writes are pinned too, with their long fixed parts named (`shortWrite`).
// Every read keeps to live rows (`WHERE _deleted IS NULL AND (…)`: a delete leaves a tombstone
// row for the change feed), the filter in parentheses so a bare OR in it cannot escape the AND.
import type { Filter, FindQuery, WriteOperation } from '@pocket/core';
import { describe, expect, it } from 'vitest';
import { d1SchemaSql } from '../src/index.js';
import { compileCount, compileFind } from '../src/sql-compiler.js';
import { DEFAULT_SQL_LIMITS } from '../src/sql/limits.js';
import { sortKeySql } from '../src/sql/sort-key.js';
import { planWrites } from '../src/sql/writes.js';

/** The compiled SQL with each field's sort key written `key('$.field')`. */
function short(sql: string): string {
  return sql.replace(
    /CASE json_type\(data, ('(?:[^']|'')*')\) WHEN 'object' THEN CAST\(x'01' \|\| json_extract\(data, \1\) AS BLOB\) WHEN 'array' THEN CAST\(x'02' \|\| json_extract\(data, \1\) AS BLOB\) WHEN 'true' THEN x'0301' WHEN 'false' THEN x'0300' ELSE ifnull\(json_extract\(data, \1\), -9e999\) END/g,
    'key($1)',
  );
}

const FILTERS: Array<[string, Filter, string]> = [
  [
    'equals a string',
    { kind: 'condition', op: 'eq', path: 'userId', value: 'u1' },
    "SELECT data FROM \"t\" WHERE _deleted IS NULL AND ((json_extract(data, '$.userId') = ?) AND key('$.userId') = ?)",
  ],
  [
    'equals a string that looks like JSON',
    { kind: 'condition', op: 'eq', path: 'title', value: '[1]' },
    "SELECT data FROM \"t\" WHERE _deleted IS NULL AND ((json_extract(data, '$.title') = ? AND json_type(data, '$.title') = 'text') AND key('$.title') = ?)",
  ],
  [
    'equals a number',
    { kind: 'condition', op: 'eq', path: 'n', value: 5 },
    "SELECT data FROM \"t\" WHERE _deleted IS NULL AND ((json_extract(data, '$.n') = json_extract(?, '$')) AND key('$.n') = json_extract(?, '$'))",
  ],
  [
    'equals 1, which booleans read as',
    { kind: 'condition', op: 'eq', path: 'n', value: 1 },
    "SELECT data FROM \"t\" WHERE _deleted IS NULL AND ((json_extract(data, '$.n') = json_extract(?, '$') AND json_type(data, '$.n') IN ('integer', 'real')) AND key('$.n') = json_extract(?, '$'))",
  ],
  [
    'equals true',
    { kind: 'condition', op: 'eq', path: 'done', value: true },
    "SELECT data FROM \"t\" WHERE _deleted IS NULL AND ((json_extract(data, '$.done') = ? AND json_type(data, '$.done') = 'true') AND key('$.done') = x'0301')",
  ],
  [
    'equals null',
    { kind: 'condition', op: 'eq', path: 'note', value: null },
    "SELECT data FROM \"t\" WHERE _deleted IS NULL AND ((json_extract(data, '$.note') IS NULL) AND key('$.note') = -9e999)",
  ],
  [
    'equals an object',
    { kind: 'condition', op: 'eq', path: 'at', value: { x: 1 } },
    "SELECT data FROM \"t\" WHERE _deleted IS NULL AND ((json_type(data, '$.at') = 'object' AND json_extract(data, '$.at') = ?) AND key('$.at') = CAST(x'01' || ? AS BLOB))",
  ],
  [
    'equals an array',
    { kind: 'condition', op: 'eq', path: 'tags', value: ['a'] },
    "SELECT data FROM \"t\" WHERE _deleted IS NULL AND ((json_type(data, '$.tags') = 'array' AND json_extract(data, '$.tags') = ?) AND key('$.tags') = CAST(x'02' || ? AS BLOB))",
  ],
  [
    'notEquals a string',
    { kind: 'condition', op: 'ne', path: 'userId', value: 'u1' },
    'SELECT data FROM "t" WHERE _deleted IS NULL AND (NOT IFNULL((json_extract(data, \'$.userId\') = ?), 0))',
  ],
  [
    'gt a number above 1',
    { kind: 'condition', op: 'gt', path: 'n', value: 5 },
    "SELECT data FROM \"t\" WHERE _deleted IS NULL AND ((json_extract(data, '$.n') > json_extract(?, '$') AND json_extract(data, '$.n') < '') AND key('$.n') > json_extract(?, '$') AND key('$.n') <= 9e999)",
  ],
  [
    'gte a number above 1',
    { kind: 'condition', op: 'gte', path: 'n', value: 5 },
    "SELECT data FROM \"t\" WHERE _deleted IS NULL AND ((json_extract(data, '$.n') BETWEEN json_extract(?, '$') AND 9e999) AND key('$.n') BETWEEN json_extract(?, '$') AND 9e999)",
  ],
  [
    'lt a negative number',
    { kind: 'condition', op: 'lt', path: 'n', value: -1 },
    "SELECT data FROM \"t\" WHERE _deleted IS NULL AND ((json_extract(data, '$.n') < json_extract(?, '$')) AND key('$.n') < json_extract(?, '$') AND key('$.n') >= -1.7976931348623157e308)",
  ],
  [
    'lte 0, which false reads as',
    { kind: 'condition', op: 'lte', path: 'n', value: 0 },
    "SELECT data FROM \"t\" WHERE _deleted IS NULL AND ((json_extract(data, '$.n') <= json_extract(?, '$') AND json_type(data, '$.n') IN ('integer', 'real')) AND key('$.n') BETWEEN -1.7976931348623157e308 AND json_extract(?, '$'))",
  ],
  [
    'gt a string',
    { kind: 'condition', op: 'gt', path: 'title', value: 'm' },
    "SELECT data FROM \"t\" WHERE _deleted IS NULL AND ((json_extract(data, '$.title') > ? AND json_type(data, '$.title') = 'text') AND key('$.title') > ? AND key('$.title') <= x'')",
  ],
  [
    'lt a boolean',
    { kind: 'condition', op: 'lt', path: 'done', value: true },
    "SELECT data FROM \"t\" WHERE _deleted IS NULL AND ((json_extract(data, '$.done') < ? AND json_type(data, '$.done') IN ('true', 'false')) AND key('$.done') < x'0301' AND key('$.done') >= x'0300')",
  ],
  [
    'in strings',
    { kind: 'condition', op: 'in', path: 'userId', values: ['u1', 'u2'] },
    "SELECT data FROM \"t\" WHERE _deleted IS NULL AND (((json_extract(data, '$.userId') IN (SELECT value FROM json_each(?)))) AND key('$.userId') IN (SELECT value FROM json_each(?)))",
  ],
  [
    'in mixed values',
    { kind: 'condition', op: 'in', path: 'v', values: ['a', 2, true, null] },
    "SELECT data FROM \"t\" WHERE _deleted IS NULL AND ((json_extract(data, '$.v') IS NULL) OR (json_extract(data, '$.v') IN (SELECT value FROM json_each(?))) OR (json_extract(data, '$.v') IN (SELECT value FROM json_each(?))) OR (json_type(data, '$.v') IN ('true')))",
  ],
  [
    'notIn strings',
    { kind: 'condition', op: 'nin', path: 'userId', values: ['u1'] },
    'SELECT data FROM "t" WHERE _deleted IS NULL AND (NOT IFNULL(((json_extract(data, \'$.userId\') IN (SELECT value FROM json_each(?)))), 0))',
  ],
  [
    'exists',
    { kind: 'condition', op: 'exists', path: 'note', exists: true },
    'SELECT data FROM "t" WHERE _deleted IS NULL AND (json_type(data, \'$.note\') IS NOT NULL)',
  ],
  [
    'does not exist',
    { kind: 'condition', op: 'exists', path: 'note', exists: false },
    'SELECT data FROM "t" WHERE _deleted IS NULL AND (json_type(data, \'$.note\') IS NULL)',
  ],
  [
    'startsWith',
    { kind: 'condition', op: 'startsWith', path: 'title', prefix: 'Bu' },
    "SELECT data FROM \"t\" WHERE _deleted IS NULL AND ((json_type(data, '$.title') = 'text' AND substr(CAST(json_extract(data, '$.title') AS BLOB), 1, 2) = CAST(? AS BLOB)) AND key('$.title') BETWEEN ? AND x'')",
  ],
  [
    'contains a string',
    { kind: 'condition', op: 'contains', path: 'tags', value: 'x' },
    "SELECT data FROM \"t\" WHERE _deleted IS NULL AND ((json_type(data, '$.tags') = 'array' AND EXISTS (SELECT 1 FROM json_each(data, '$.tags') WHERE type = 'text' AND value = ?)) OR (json_type(data, '$.tags') = 'text' AND instr(json_extract(data, '$.tags'), ?) > 0))",
  ],
  [
    'a nested path',
    { kind: 'condition', op: 'eq', path: 'profile.age', value: 30 },
    "SELECT data FROM \"t\" WHERE _deleted IS NULL AND ((json_extract(data, '$.profile.age') = json_extract(?, '$')) AND key('$.profile.age') = json_extract(?, '$'))",
  ],
  [
    'a key that needs quoting',
    { kind: 'condition', op: 'eq', path: "it's a key", value: 'v' },
    "SELECT data FROM \"t\" WHERE _deleted IS NULL AND ((json_extract(data, '$.\"it''s a key\"') = ?) AND key('$.\"it''s a key\"') = ?)",
  ],
];

const QUERIES: Array<[string, FindQuery, string, unknown[]]> = [
  [
    'sort asc, limit',
    { filter: null, sort: [{ path: 'createdAt', direction: 'asc' }], skip: 0, limit: 20 },
    'SELECT data FROM "t" WHERE _deleted IS NULL ORDER BY key(\'$.createdAt\'), _id LIMIT 20',
    [],
  ],
  [
    'sort desc, skip and limit',
    { filter: null, sort: [{ path: 'createdAt', direction: 'desc' }], skip: 20, limit: 10 },
    'SELECT data FROM "t" WHERE _deleted IS NULL ORDER BY key(\'$.createdAt\') DESC, _id LIMIT 10 OFFSET 20',
    [],
  ],
  [
    'equality then sort on another field',
    { filter: { kind: 'condition', op: 'eq', path: 'userId', value: 'u1' }, sort: [{ path: 'createdAt', direction: 'desc' }], skip: 0, limit: 20 },
    "SELECT data FROM \"t\" WHERE _deleted IS NULL AND ((json_extract(data, '$.userId') = ?) AND key('$.userId') = ?) ORDER BY key('$.createdAt') DESC, _id LIMIT 20",
    ['u1', 'u1'],
  ],
  [
    'range and sort on the same field',
    { filter: { kind: 'condition', op: 'lt', path: 'createdAt', value: 1000 }, sort: [{ path: 'createdAt', direction: 'desc' }], skip: 0, limit: 20 },
    "SELECT data FROM \"t\" WHERE _deleted IS NULL AND ((json_extract(data, '$.createdAt') < json_extract(?, '$') AND json_type(data, '$.createdAt') IN ('integer', 'real')) AND key('$.createdAt') < json_extract(?, '$') AND key('$.createdAt') >= -1.7976931348623157e308) ORDER BY key('$.createdAt') DESC, _id LIMIT 20",
    ['1000', '1000'],
  ],
  [
    'range on another field than the sort',
    { filter: { kind: 'condition', op: 'gte', path: 'priority', value: 5 }, sort: [{ path: 'createdAt', direction: 'desc' }], skip: 0, limit: 20 },
    "SELECT data FROM \"t\" WHERE _deleted IS NULL AND (json_extract(data, '$.priority') BETWEEN json_extract(?, '$') AND 9e999) ORDER BY key('$.createdAt') DESC, _id LIMIT 20",
    ['5'],
  ],
  [
    'sort by _id',
    { filter: null, sort: [{ path: '_id', direction: 'desc' }], skip: 0, limit: 5 },
    'SELECT data FROM "t" WHERE _deleted IS NULL ORDER BY _id DESC LIMIT 5',
    [],
  ],
  [
    'a sort on a field the filter pins',
    { filter: { kind: 'condition', op: 'eq', path: 'userId', value: 'u1' }, sort: [{ path: 'userId', direction: 'asc' }], skip: 0, limit: 5 },
    "SELECT data FROM \"t\" WHERE _deleted IS NULL AND ((json_extract(data, '$.userId') = ?) AND key('$.userId') = ?) ORDER BY _id LIMIT 5",
    ['u1', 'u1'],
  ],
  [
    'a page after a position',
    { filter: null, sort: [{ path: 'createdAt', direction: 'desc' }], skip: 0, limit: 21, after: { values: [1000], id: 'x' } },
    "SELECT data FROM \"t\" WHERE _deleted IS NULL AND (key('$.createdAt') <= json_extract(?, '$') AND (key('$.createdAt') < json_extract(?, '$') OR (key('$.createdAt') = json_extract(?, '$') AND (_id > ?)))) ORDER BY key('$.createdAt') DESC, _id LIMIT 21",
    ['1000', '1000', '1000', 'x'],
  ],
  [
    'a projection',
    { filter: null, sort: [], skip: 0, limit: 5, select: ['title', 'userId'] },
    "SELECT _id, coalesce(data ->> '$._rev', 1) AS _rev, data -> '$.title' AS p0, data -> '$.userId' AS p1 FROM \"t\" WHERE _deleted IS NULL LIMIT 5",
    [],
  ],
];

describe('golden SQL', () => {
  it('writes a sort key as one expression that orders types as core does', () => {
    expect(sortKeySql("'$.f'")).toBe(
      "CASE json_type(data, '$.f') WHEN 'object' THEN CAST(x'01' || json_extract(data, '$.f') AS BLOB) WHEN 'array' THEN CAST(x'02' || json_extract(data, '$.f') AS BLOB) WHEN 'true' THEN x'0301' WHEN 'false' THEN x'0300' ELSE ifnull(json_extract(data, '$.f'), -9e999) END",
    );
  });

  it.each(FILTERS)('%s', (_name, filter, sql) => {
    expect(short(compileFind('"t"', { filter, sort: [], skip: 0, limit: null }).sql)).toBe(sql);
  });

  it.each(QUERIES)('%s', (_name, query, sql, params) => {
    const compiled = compileFind('"t"', query);
    expect(short(compiled.sql)).toBe(sql);
    expect(compiled.params).toEqual(params);
  });

  it('counts with the filter and its sort-key terms, without ORDER BY', () => {
    expect(short(compileCount('"t"', { kind: 'condition', op: 'gte', path: 'n', value: 5 }).sql)).toBe(
      "SELECT count(*) AS n FROM \"t\" WHERE _deleted IS NULL AND ((json_extract(data, '$.n') BETWEEN json_extract(?, '$') AND 9e999) AND key('$.n') BETWEEN json_extract(?, '$') AND 9e999)",
    );
  });

  it("declares the table with the change feed's columns and index, then an index of sort keys and _id", () => {
    expect(short(d1SchemaSql({ collections: ['todos'], indexes: { todos: [['userId', { path: 'createdAt', direction: 'desc' }]] } })).split('\n')).toEqual([
      `CREATE TABLE IF NOT EXISTS "pocket_todos" (_id TEXT PRIMARY KEY, data TEXT NOT NULL, created_at INTEGER DEFAULT (unixepoch()), updated_at INTEGER DEFAULT (unixepoch()), _seq INTEGER, _deleted INTEGER);`,
      `CREATE INDEX IF NOT EXISTS "pocket_todos:seq" ON "pocket_todos" (_seq);`,
      `CREATE INDEX IF NOT EXISTS "pocket_todos:deleted" ON "pocket_todos" (_deleted) WHERE _deleted IS NOT NULL;`,
      `CREATE INDEX IF NOT EXISTS "pocket_todos_userId__createdAt_desc_n4ljz0" ON "pocket_todos" (key('$.userId'), key('$.createdAt') DESC, _id) WHERE _deleted IS NULL;`,
      '',
    ]);
  });
});

/**
 * A write statement with its long, fixed parts named: the next sequence number, the row's
 * revision, the size guard, an increment's sum and an arrayRemove's filtered array.
 */
function shortWrite(sql: string): string {
  return sql
    .replaceAll(`(SELECT coalesce(max(_seq), 0) FROM "t")`, 'next_seq')
    .replaceAll(`coalesce(data ->> '$._rev', 1)`, 'rev')
    .replaceAll(
      `CASE WHEN length(CAST(data AS BLOB)) > ${DEFAULT_SQL_LIMITS.maxDocumentBytes} THEN json_extract('{}', 'pocket-document-too-large') END AS too_large`,
      'too_large',
    )
    .replace(/json\(\(SELECT CASE WHEN abs\(s\) >= 9e999 .*? AS s\)\)\)/g, 'incremented')
    .replace(
      /\(SELECT json_group_array\(json\(data -> e\.fullkey\) ORDER BY e\.key\) FROM json_each\(data, ('[^']*')\) AS e WHERE NOT EXISTS .*?\)\)/g,
      'without($1)',
    );
}

const fields = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}`, i]));

const WRITES: Array<[string, WriteOperation[], string[]]> = [
  [
    'an update of one field',
    [{ type: 'update', id: 'a', patch: { title: 'x' } }],
    [
      "UPDATE \"t\" SET data = json_set(json_set(json_remove(data, '$._rev'), '$.title', ?1 -> '$.title'), '$._rev', rev + 1), _seq = next_seq + 1, updated_at = unixepoch() WHERE _id = ?2 AND _deleted IS NULL RETURNING data, too_large",
    ],
  ],
  // D1 allows a function 32 arguments: 15 fields are one json_set call, more are merged by one expression of fixed size.
  [
    'an update of 15 fields',
    [{ type: 'update', id: 'a', patch: fields(15) }],
    [
      `UPDATE "t" SET data = json_set(json_set(json_remove(data, '$._rev')${Object.keys(fields(15))
        .map((k) => `, '$.${k}', ?1 -> '$.${k}'`)
        .join('')}), '$._rev', rev + 1), _seq = next_seq + 1, updated_at = unixepoch() WHERE _id = ?2 AND _deleted IS NULL RETURNING data, too_large`,
    ],
  ],
  [
    'an update of 16 fields',
    [{ type: 'update', id: 'a', patch: fields(16) }],
    [
      "UPDATE \"t\" SET data = json_set((WITH x AS MATERIALIZED (SELECT json_remove(data, '$._rev') AS bd, ?1 AS pd) SELECT json_group_object(m.k, json(m.v) ORDER BY m.s, m.i) FROM (SELECT 0 AS s, b.id AS i, b.key AS k, CASE WHEN q.key IS NULL THEN x.bd -> b.fullkey ELSE x.pd -> q.fullkey END AS v FROM x, json_each(x.bd) AS b LEFT JOIN json_each(x.pd) AS q ON q.key = b.key UNION ALL SELECT 1, q.id, q.key, x.pd -> q.fullkey FROM x, json_each(x.pd) AS q WHERE NOT EXISTS (SELECT 1 FROM json_each(x.bd) AS b WHERE b.key = q.key)) AS m), '$._rev', rev + 1), _seq = next_seq + 1, updated_at = unixepoch() WHERE _id = ?2 AND _deleted IS NULL RETURNING data, too_large",
    ],
  ],
  [
    'updates of the same field, grouped behind a guard',
    [
      { type: 'update', id: 'a', patch: { done: true } },
      { type: 'update', id: 'b', patch: { done: true } },
    ],
    [
      'SELECT json_extract(\'{}\', \'pocket-precondition-failed\') WHERE (SELECT count(*) FROM "t", json_each(?) AS p WHERE "t"._id = p.value ->> \'$.id\' AND "t"._deleted IS NULL) < ?',
      "UPDATE \"t\" SET data = json_set(json_set(json_remove(data, '$._rev'), '$.done', p.value -> '$.c.done'), '$._rev', rev + 1), _seq = next_seq + p.key + 1, updated_at = unixepoch() FROM json_each(?) AS p WHERE \"t\"._id = p.value ->> '$.id' AND \"t\"._deleted IS NULL RETURNING \"t\"._id, \"t\".data, CASE WHEN length(CAST(\"t\".data AS BLOB)) > 1995904 THEN json_extract('{}', 'pocket-document-too-large') END AS too_large",
    ],
  ],
  // Each operator wraps the SQL before it once (an arrayRemove skips a missing field with a NULL path); deleteFields share a json_remove.
  [
    'field operators',
    [
      {
        type: 'update',
        id: 'a',
        patch: {},
        operators: [
          { field: 'n', kind: 'increment', by: 1 },
          { field: 'tags', kind: 'arrayRemove', values: ['x'] },
          { field: 'a', kind: 'deleteField' },
          { field: 'b', kind: 'deleteField' },
        ],
      },
    ],
    [
      "UPDATE \"t\" SET data = json_set(json_remove(json_set(json_set(json_set(json_remove(data, '$._rev')), '$.n', incremented), CASE WHEN json_type(data, '$.tags') IS NULL OR json_type(data, '$.tags') = 'null' THEN NULL ELSE '$.tags' END, CASE WHEN json_type(data, '$.tags') IS NULL OR json_type(data, '$.tags') = 'null' THEN NULL WHEN json_type(data, '$.tags') = 'array' THEN without('$.tags') ELSE json_extract('{}', 'pocket-operator-wrong-type-1') END), '$.a', '$.b'), '$._rev', rev + 1), _seq = next_seq + 1, updated_at = unixepoch() WHERE _id = ?2 AND _deleted IS NULL RETURNING data, too_large",
    ],
  ],
  // The operators' fields leave the document as inserted, and come back in the operators' order, as every store places them.
  [
    'an upsert with an increment',
    [{ type: 'upsert', doc: { _id: 'a', title: 'x', _rev: 1 }, operators: [{ field: 'n', kind: 'increment', by: 1 }] }],
    [
      "INSERT INTO \"t\" (_id, data, _seq) VALUES (?1, ?2, next_seq + 1) ON CONFLICT (_id) DO UPDATE SET data = json_set(json_set(json_remove(excluded.data, '$._rev', '$.n'), '$.n', incremented), '$._rev', rev + 1), _deleted = NULL, _seq = excluded._seq, updated_at = unixepoch() RETURNING data, too_large",
    ],
  ],
  [
    'a conditional delete',
    [{ type: 'delete', id: 'a', expectedRev: 2 }],
    [
      "UPDATE \"t\" SET data = json_object('_id', _id, '_rev', rev + 1), _deleted = 1, _seq = next_seq + 1, updated_at = unixepoch() WHERE _id = ? AND _deleted IS NULL AND rev = ? RETURNING data ->> '$._rev' AS rev",
    ],
  ],
  [
    'deletes, grouped',
    [
      { type: 'delete', id: 'a' },
      { type: 'delete', id: 'b' },
    ],
    [
      'UPDATE "t" SET data = json_object(\'_id\', "t"._id, \'_rev\', rev + 1), _deleted = 1, _seq = next_seq + p.key + 1, updated_at = unixepoch() FROM json_each(?) AS p WHERE "t"._id = p.value AND "t"._deleted IS NULL RETURNING "t"._id, "t".data ->> \'$._rev\' AS rev',
    ],
  ],
];

describe('golden SQL of writes', () => {
  it.each(WRITES)('%s', (_name, operations, statements) => {
    expect(planWrites('"t"', operations, DEFAULT_SQL_LIMITS, new Map()).map((s) => shortWrite(s.sql))).toEqual(statements);
  });
});
