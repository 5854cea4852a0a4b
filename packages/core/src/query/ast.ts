import type { JsonValue } from '../document.js';

/**
 * The query AST: plain, frozen, JSON-serialisable data. It is the contract between the builder
 * and every adapter, so it can be logged, hashed, snapshot-tested and sent over RPC.
 *
 * A field path is a dot-separated list of object keys (`'profile.age'`). Paths never index into
 * arrays: `'tags.0'` looks for a key named "0".
 */
export type Filter = AndFilter | OrFilter | Condition;

export interface AndFilter {
  readonly kind: 'and';
  readonly filters: readonly Filter[];
}

export interface OrFilter {
  readonly kind: 'or';
  readonly filters: readonly Filter[];
}

export type Condition = CompareCondition | RangeCondition | InCondition | ExistsCondition | StartsWithCondition | ContainsCondition | RegexCondition;

/** `eq`: same type and value (`null` also matches a missing field). `ne`: the opposite. */
export interface CompareCondition {
  readonly kind: 'condition';
  readonly op: 'eq' | 'ne';
  readonly path: string;
  readonly value: JsonValue;
}

/** Ordered comparisons. They only match values of the same type as `value`. */
export interface RangeCondition {
  readonly kind: 'condition';
  readonly op: 'gt' | 'gte' | 'lt' | 'lte';
  readonly path: string;
  readonly value: RangeValue;
}

export type RangeValue = string | number | boolean;

/** `in`: equals one of `values`. `nin`: equals none of them (a missing field matches). */
export interface InCondition {
  readonly kind: 'condition';
  readonly op: 'in' | 'nin';
  readonly path: string;
  readonly values: readonly JsonValue[];
}

/** The field is present (even if `null`) or, with `exists: false`, absent. */
export interface ExistsCondition {
  readonly kind: 'condition';
  readonly op: 'exists';
  readonly path: string;
  readonly exists: boolean;
}

/** The field is a string starting with `prefix` (case-sensitive). */
export interface StartsWithCondition {
  readonly kind: 'condition';
  readonly op: 'startsWith';
  readonly path: string;
  readonly prefix: string;
}

/** The field is an array with an element equal to `value`, or a string containing `value`. */
export interface ContainsCondition {
  readonly kind: 'condition';
  readonly op: 'contains';
  readonly path: string;
  readonly value: JsonValue;
}

/** The field is a string matched by the regular expression `source` with `flags`. */
export interface RegexCondition {
  readonly kind: 'condition';
  readonly op: 'regex';
  readonly path: string;
  readonly source: string;
  readonly flags: string;
}

export type ConditionOp = Condition['op'];

export interface SortSpec {
  readonly path: string;
  readonly direction: 'asc' | 'desc';
}

/**
 * A whole find query. Results are ordered by `sort`, then by `_id` ascending, so pages are
 * deterministic. With no sort the order is unspecified: an adapter may return the matches in any
 * order (SQL storage returns them as the index it reads holds them).
 */
export interface FindQuery {
  readonly filter: Filter | null;
  readonly sort: readonly SortSpec[];
  readonly skip: number;
  readonly limit: number | null;
  /**
   * Only documents strictly after this position in the query's order (a cursor page's start).
   * Set only with a non-empty `sort`. An adapter that declares `capabilities.cursorPages` applies
   * it; core refuses such a query for one that does not.
   */
  readonly after?: QueryPosition | null;
  /**
   * Return only `_id` and these top-level fields of each document (a projection). Filters and
   * sorts still see the whole document. An adapter that declares `capabilities.projections`
   * selects them itself; for one that does not, core trims what it returns.
   */
  readonly select?: readonly string[] | null;
}

/** A place in a sorted query's order: a document's value at each sort path (missing as `null`), and its `_id`. */
export interface QueryPosition {
  readonly values: readonly JsonValue[];
  readonly id: string;
}

/** The sort a cursor page uses when its query has none. */
export const ID_SORT: readonly SortSpec[] = Object.freeze([Object.freeze({ path: '_id', direction: 'asc' as const })]);

export const EMPTY_QUERY: FindQuery = Object.freeze({ filter: null, sort: Object.freeze([]), skip: 0, limit: null });
