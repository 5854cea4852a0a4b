import { describe, isPlainObject } from '../document.js';
import { QueryError } from '../errors.js';
import type { Condition, Filter, FindQuery, SortSpec } from './ast.js';
import { and, condition, or, selectFields } from './conditions.js';
import { positionOf } from './cursor.js';
import { parsePath } from './path.js';

/**
 * Checks a query AST that came from outside (JSON from a client, an RPC call, a cache) and
 * returns it rebuilt from the same factories the builder uses, frozen. Anything the builder
 * could not have produced is a `QueryError`, so a hostile AST is refused, never half-run.
 */
export function parseQuery(input: unknown): FindQuery {
  if (!isPlainObject(input)) throw new QueryError(`A query must be an object { filter, sort, skip, limit }, got ${describe(input)}.`);
  const { filter = null, sort = [], skip = 0, limit = null, after = null, select = null } = input;
  if (!Array.isArray(sort)) throw new QueryError(`A query's sort must be an array of { path, direction }, got ${describe(sort)}.`);
  const query: FindQuery = {
    filter: filter === null ? null : parseFilter(filter, 0),
    sort: Object.freeze(sort.map(parseSort)),
    skip: whole(skip, 'skip'),
    limit: limit === null ? null : whole(limit, 'limit'),
  };
  if (select !== null) {
    if (!Array.isArray(select)) throw new QueryError(`A query's select must be an array of field names, got ${describe(select)}.`);
    Object.assign(query, { select: selectFields(select) });
  }
  if (after === null) return Object.freeze(query);
  if (!isPlainObject(after)) throw new QueryError(`A query's after must be { values, id }, got ${describe(after)}.`);
  if (query.sort.length === 0) throw new QueryError(`A query with after needs a sort: a position is a place in an order.`);
  return Object.freeze({ ...query, after: positionOf(after.values, after.id, query.sort, "A query's after") });
}

const MAX_NESTING = 32;

function parseFilter(node: unknown, depth: number): Filter {
  if (!isPlainObject(node)) throw new QueryError(`A filter node must be an object, got ${describe(node)}.`);
  if (depth > MAX_NESTING) throw new QueryError(`A filter nests deeper than ${MAX_NESTING} and/or groups.`);
  if (node.kind === 'and' || node.kind === 'or') {
    if (!Array.isArray(node.filters) || node.filters.length === 0) {
      throw new QueryError(`An "${node.kind}" node needs a non-empty array of filters.`);
    }
    const parts = node.filters.map((f) => parseFilter(f, depth + 1));
    return node.kind === 'and' ? and(...parts)! : or(...parts);
  }
  if (node.kind !== 'condition') throw new QueryError(`Unknown filter node kind ${JSON.stringify(node.kind)}; expected "and", "or" or "condition".`);
  return parseCondition(node);
}

function parseCondition(node: Record<string, unknown>): Condition {
  const path = node.path as string;
  switch (node.op) {
    case 'eq':
    case 'ne':
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
    case 'contains':
      return condition[node.op](path, node.value);
    case 'in':
    case 'nin':
      return condition[node.op](path, node.values);
    case 'exists':
      return condition.exists(path, node.exists);
    case 'startsWith':
      return condition.startsWith(path, node.prefix);
    case 'regex':
      if (typeof node.flags !== 'string') throw new QueryError(`A regex condition needs string flags.`);
      return condition.regex(path, node.source, node.flags);
    default:
      throw new QueryError(`Unknown operator ${JSON.stringify(node.op)}.`);
  }
}

function parseSort(spec: unknown): SortSpec {
  if (!isPlainObject(spec)) throw new QueryError(`A sort entry must be { path, direction }, got ${describe(spec)}.`);
  parsePath(spec.path);
  if (spec.direction !== 'asc' && spec.direction !== 'desc') throw new QueryError(`Sort direction must be 'asc' or 'desc', got ${describe(spec.direction)}.`);
  return Object.freeze({ path: spec.path as string, direction: spec.direction });
}

function whole(n: unknown, what: string): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
    throw new QueryError(`A query's ${what} must be a whole number of 0 or more, got ${describe(n)}.`);
  return n;
}
