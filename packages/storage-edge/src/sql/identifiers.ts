import { parsePath, ValidationError } from '@pocket/core';

/** Table prefixes: letters, digits, `_` and `-`, at most 64 characters (may be empty). */
const TABLE_PREFIX = /^[A-Za-z0-9_-]{0,64}$/;
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Checks a table prefix such as `'pocket_'` or `` `tenant_${tenantId}_` ``. Anything outside the
 * allowed characters is refused rather than escaped, so a hostile tenant id fails loudly
 * instead of quietly naming another tenant's table.
 */
export function assertTablePrefix(prefix: unknown, where: string): asserts prefix is string {
  if (typeof prefix !== 'string' || !TABLE_PREFIX.test(prefix)) {
    throw new ValidationError(
      `${where} tablePrefix ${JSON.stringify(prefix)} is not valid: use letters, digits, "_" or "-" (at most 64), e.g. 'pocket_' or \`tenant_\${id}_\` with a checked id.`,
    );
  }
  if (/^(sqlite_|_cf_)/i.test(prefix)) {
    throw new ValidationError(`${where} tablePrefix ${JSON.stringify(prefix)} starts with a name SQLite or D1 reserves; choose another prefix.`);
  }
}

/** A SQL identifier in double quotes, with embedded quotes doubled. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A SQL string literal in single quotes, with embedded quotes doubled. */
export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * The SQLite JSON path of a field path, as a SQL literal: `'$.userId'`, `'$.profile.age'`,
 * `'$."display name"'`. Plain keys are written bare on purpose: SQLite uses an expression index
 * only when the query's expression is the index's, and users write
 * `CREATE INDEX … ON pocket_todos(json_extract(data, '$.userId'))`.
 */
export function jsonPathLiteral(path: string): string {
  const segments = parsePath(path); // rejects ", \ and control characters, which no quoting can carry
  return quoteLiteral(jsonPath(segments));
}

export function jsonPath(segments: readonly string[]): string {
  return '$' + segments.map((key) => (PLAIN_KEY.test(key) ? `.${key}` : `."${key}"`)).join('');
}
