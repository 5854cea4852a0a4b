import { jsonPath, quoteLiteral } from './identifiers.js';

/**
 * Fields one json_set call sets: D1 allows a function 32 arguments (SQLite's default is 127),
 * two a field and one the document.
 */
export const FIELDS_PER_JSON_SET = 15;

/** Paths one json_remove call takes: 32 arguments, one the document. */
export const PATHS_PER_JSON_REMOVE = 31;

/** `base` without the JSON `paths` (quoted literals), in calls of at most 31 paths. */
export function removeFieldsSql(base: string, paths: readonly string[]): string {
  let sql = base;
  for (let i = 0; i < paths.length; i += PATHS_PER_JSON_REMOVE) sql = `json_remove(${sql}, ${paths.slice(i, i + PATHS_PER_JSON_REMOVE).join(', ')})`;
  return sql;
}

/**
 * The JSON object `base` with the top-level fields `keys` set to their values in the JSON object
 * `patch` (`valueOf(key)` reads one). A field `base` has keeps its place; a new one follows, in
 * the patch's order, as json_set places them. Up to FIELDS_PER_JSON_SET fields it is one
 * json_set call, the common case; past that, `mergeSql`, whose text and depth do not grow with
 * the fields: nested json_set calls would pass D1's 100 KB a statement or its 100 levels of
 * nesting for a patch of a few thousand fields.
 */
export function setFieldsSql(base: string, keys: readonly string[], patch: string, valueOf: (key: string) => string): string {
  if (keys.length > FIELDS_PER_JSON_SET) return mergeSql(base, patch);
  return `json_set(${base}${keys.map((k) => `, ${quoteLiteral(jsonPath([k]))}, ${valueOf(k)}`).join('')})`;
}

/**
 * `base` with every member of the JSON object `patch` set, as `setFieldsSql` orders them, in one
 * expression of the same size whatever the number of members. Each value is copied as JSON text
 * (`->`), so it keeps its JSON type and digits. `base` and `patch` are computed once (a
 * materialized CTE), not once per member.
 */
export function mergeSql(base: string, patch: string): string {
  return (
    `(WITH x AS MATERIALIZED (SELECT ${base} AS bd, ${patch} AS pd) ` +
    `SELECT json_group_object(m.k, json(m.v) ORDER BY m.s, m.i) FROM (` +
    `SELECT 0 AS s, b.id AS i, b.key AS k, CASE WHEN q.key IS NULL THEN x.bd -> b.fullkey ELSE x.pd -> q.fullkey END AS v ` +
    `FROM x, json_each(x.bd) AS b LEFT JOIN json_each(x.pd) AS q ON q.key = b.key ` +
    `UNION ALL SELECT 1, q.id, q.key, x.pd -> q.fullkey FROM x, json_each(x.pd) AS q ` +
    `WHERE NOT EXISTS (SELECT 1 FROM json_each(x.bd) AS b WHERE b.key = q.key)) AS m)`
  );
}
