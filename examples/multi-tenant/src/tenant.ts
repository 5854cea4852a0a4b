// Who the tenant is, and the one check every tenant id passes before it names anything.

/**
 * Tenant ids: 1 to 32 lowercase letters, digits and inner hyphens (`acme`, `acme-eu-2`).
 *
 * The id becomes part of a D1 table name (`tenant_<id>_todos`) and a Durable Object name, so
 * it is checked against this pattern, never escaped or cleaned up:
 * - no quotes, semicolons, dots, slashes, spaces or non-ASCII: nothing that could end an
 *   identifier, start another statement or look like a path;
 * - lowercase only: SQLite table names ignore case, so `Acme` and `acme` would share tables;
 * - no underscore: `_` separates the id from the collection name, so tenant `a` with collection
 *   `b_todos` and tenant `a_b` with collection `todos` would both name `tenant_a_b_todos`;
 * - 32 characters at most, well inside D1's limits on names.
 */
export const TENANT_ID = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

/** No tenant (401) or an id that fails the check (400). */
export class TenantError extends Error {
  override readonly name = 'TenantError';
  constructor(
    readonly status: 401 | 400,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The tenant of a request. The `x-tenant-id` header stands in for authentication: a real app
 * takes the tenant from a verified token or session, never from anything the client can set
 * freely. Whatever the source, the result goes through `TENANT_ID`.
 */
export function tenantOf(request: Request): string {
  const tenantId = request.headers.get('x-tenant-id');
  if (tenantId === null) throw new TenantError(401, 'Send an x-tenant-id header.');
  if (!TENANT_ID.test(tenantId)) {
    throw new TenantError(400, 'The tenant id must be 1-32 lowercase letters, digits or inner hyphens.');
  }
  return tenantId;
}
