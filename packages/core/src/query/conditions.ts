import { toJsonValue, describe, type JsonValue } from '../document.js';
import { PocketError, QueryError } from '../errors.js';
import type { Condition, Filter, RangeValue } from './ast.js';
import { parsePath } from './path.js';
import { checkedRegex } from './regex-safety.js';

/**
 * Factories for filter nodes. Each checks its input, copies user values (so later mutation of
 * an array passed to `in` cannot change a built query) and returns a frozen node.
 */
export const condition = {
  eq: (path: string, value: unknown): Condition => compare('eq', path, value),
  ne: (path: string, value: unknown): Condition => compare('ne', path, value),
  gt: (path: string, value: unknown): Condition => range('gt', path, value),
  gte: (path: string, value: unknown): Condition => range('gte', path, value),
  lt: (path: string, value: unknown): Condition => range('lt', path, value),
  lte: (path: string, value: unknown): Condition => range('lte', path, value),
  in: (path: string, values: unknown): Condition => list('in', path, values),
  nin: (path: string, values: unknown): Condition => list('nin', path, values),
  exists(path: string, exists: unknown = true): Condition {
    if (typeof exists !== 'boolean') throw new QueryError(`exists() takes true or false, got ${describe(exists)}.`);
    return freeze({ kind: 'condition', op: 'exists', path: checked(path), exists });
  },
  startsWith(path: string, prefix: unknown): Condition {
    if (typeof prefix !== 'string') {
      throw new QueryError(`startsWith() on "${path}" takes a string, got ${describe(prefix)}.`);
    }
    return freeze({ kind: 'condition', op: 'startsWith', path: checked(path), prefix: value(path, prefix) as string });
  },
  contains(path: string, element: unknown): Condition {
    return freeze({ kind: 'condition', op: 'contains', path: checked(path), value: value(path, element) });
  },
  regex(path: string, pattern: unknown, flags?: string): Condition {
    return freeze({ kind: 'condition', op: 'regex', path: checked(path), ...checkedRegex(path, pattern, flags) });
  },
};

/** AND of filters, flattening nested ANDs and dropping nulls. */
export function and(...filters: Array<Filter | null>): Filter | null {
  const parts: Filter[] = [];
  for (const f of filters) {
    if (f === null) continue;
    if (f.kind === 'and') parts.push(...f.filters);
    else parts.push(f);
  }
  if (parts.length === 0) return null;
  if (parts.length === 1) return parts[0]!;
  return freeze({ kind: 'and' as const, filters: freeze(parts) });
}

/** OR of filters. An OR of nothing matches nothing, like `in([])`. */
export function or(...filters: Filter[]): Filter {
  const parts: Filter[] = [];
  for (const f of filters) {
    if (f.kind === 'or') parts.push(...f.filters);
    else parts.push(f);
  }
  if (parts.length === 1) return parts[0]!;
  return freeze({ kind: 'or' as const, filters: freeze(parts) });
}

function compare(op: 'eq' | 'ne', path: string, v: unknown): Condition {
  if (v === undefined) {
    throw new QueryError(
      `${op === 'eq' ? 'equals' : 'notEquals'}(undefined) on "${path}": use exists(false) to find documents without the field, or equals(null).`,
    );
  }
  return freeze({ kind: 'condition', op, path: checked(path), value: value(path, v) });
}

function range(op: 'gt' | 'gte' | 'lt' | 'lte', path: string, v: unknown): Condition {
  if (typeof v !== 'string' && typeof v !== 'boolean' && !(typeof v === 'number' && Number.isFinite(v))) {
    const hint = v instanceof Date ? ' Compare ISO strings (date.toISOString()) or timestamp numbers.' : '';
    throw new QueryError(`${op}() on "${path}" takes a finite number, a string or a boolean, got ${describe(v)}.${hint}`);
  }
  return freeze({ kind: 'condition', op, path: checked(path), value: value(path, v) as RangeValue });
}

function list(op: 'in' | 'nin', path: string, values: unknown): Condition {
  if (!Array.isArray(values)) {
    throw new QueryError(`${op === 'in' ? 'in' : 'notIn'}() on "${path}" takes an array of values, got ${describe(values)}.`);
  }
  const copy = values.map((v) => {
    if (v === undefined) throw new QueryError(`${op === 'in' ? 'in' : 'notIn'}() on "${path}": the list contains undefined.`);
    return value(path, v);
  });
  return freeze({ kind: 'condition', op, path: checked(path), values: freeze(copy) });
}

function checked(path: string): string {
  parsePath(path);
  return path;
}

function value(path: string, v: unknown): JsonValue {
  try {
    return deepFreeze(toJsonValue(v, path, 'query value'));
  } catch (error) {
    if (error instanceof PocketError) throw new QueryError(error.message, { cause: error });
    throw error;
  }
}

function freeze<T extends object>(node: T): T {
  return Object.freeze(node);
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Checks `select()`'s fields: top-level field names, each once. */
export function selectFields(fields: readonly unknown[]): readonly string[] {
  const out: string[] = [];
  for (const field of fields) {
    if (typeof field !== 'string') throw new QueryError(`select() takes field names, got ${describe(field)}.`);
    const segments = parsePath(field);
    if (segments.length !== 1) throw new QueryError(`select() takes top-level field names; "${field}" is a path: select "${segments[0]}" instead.`);
    if (field !== '_id' && !out.includes(field)) out.push(field);
  }
  return Object.freeze(out);
}
