import { parsePath, ValidationError } from '@pocket/core';

/**
 * Table prefixes: lower-case letters, digits, `_` and `-`, at most 64 characters (may be empty).
 * Lower case only because SQLite compares table names without regard to ASCII case: with
 * upper case allowed, `tenant_ACME_` would quietly name the tables of `tenant_acme_`.
 */
const TABLE_PREFIX = /^[a-z0-9_-]{0,64}$/;
/** Names SQLite (`sqlite_…`) and Cloudflare (`_cf_…`) keep for themselves. */
const RESERVED_TABLE = /^(sqlite_|_cf_)/i;
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Checks a table prefix such as `'pocket_'` or `` `tenant_${tenantId}_` ``. Anything outside the
 * allowed characters is refused rather than escaped, so a hostile tenant id fails loudly
 * instead of quietly naming another tenant's table.
 */
export function assertTablePrefix(prefix: unknown, where: string): asserts prefix is string {
  if (typeof prefix !== 'string' || !TABLE_PREFIX.test(prefix)) {
    const upper = typeof prefix === 'string' && TABLE_PREFIX.test(prefix.toLowerCase());
    throw new ValidationError(
      upper
        ? `${where} tablePrefix ${JSON.stringify(prefix)} has upper-case letters. SQLite table names ignore case, so it would name the same tables as ${JSON.stringify(prefix.toLowerCase())}; use lower case (existing tables are found either way).`
        : `${where} tablePrefix ${JSON.stringify(prefix)} is not valid: use lower-case letters, digits, "_" or "-" (at most 64), e.g. 'pocket_' or \`tenant_\${id}_\` with a checked id.`,
    );
  }
  if (RESERVED_TABLE.test(prefix)) {
    throw new ValidationError(`${where} tablePrefix ${JSON.stringify(prefix)} starts with a name SQLite or D1 reserves; choose another prefix.`);
  }
}

/**
 * Checks a whole table name (prefix + collection). With an empty prefix the collection name
 * alone names the table, and `sqlite_…` or `_cf_…` would reach SQLite's or Cloudflare's own
 * tables: the platform refuses that, but as a storage failure (503), not as the bad name it is.
 */
export function assertTableName(table: string, collection: string): void {
  if (RESERVED_TABLE.test(table)) {
    throw new ValidationError(
      `Collection ${JSON.stringify(collection)} would be stored in table ${JSON.stringify(table)}, a name SQLite or Cloudflare reserves (sqlite_…, _cf_…); use another collection name or a tablePrefix.`,
    );
  }
}

/** A SQL identifier in double quotes, with embedded quotes doubled. */
export function quoteIdentifier(name: string): string {
  // Checked table names never hold a quote, and a store is made per request: no replaceAll then.
  return name.includes('"') ? `"${name.replaceAll('"', '""')}"` : `"${name}"`;
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
