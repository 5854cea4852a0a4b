import type { AnyDocument, JsonValue, WithRev } from '../document.js';
import type { QueryExplanation } from '../storage/adapter.js';
import { describe } from '../document.js';
import { QueryError } from '../errors.js';
import type { Filter, FindQuery, QueryPosition, SortSpec } from './ast.js';
import { EMPTY_QUERY, ID_SORT } from './ast.js';
import { and, condition, or, selectFields } from './conditions.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { project } from '../evaluator/evaluate.js';
import type { FieldPath, PathValue } from './path.js';
import { parsePath } from './path.js';

/** The value a condition on a field of type `V` accepts; any JSON value where the type is unknown. */
export type QueryValue<V> = unknown extends V ? JsonValue : Exclude<V, undefined>;
/** The value `gt`/`lt`/`between` accept for a field of type `V`. */
export type RangeOf<V> = unknown extends V ? string | number | boolean : Extract<V, string | number | boolean>;
/** What `contains` accepts: an element of an array field, or a substring of a string field. */
export type ElementOf<V> = unknown extends V ? JsonValue : NonNullable<V> extends readonly (infer E)[] ? E : NonNullable<V> extends string ? string : never;

/**
 * Equality shorthand accepted by `find({ ... })`: each key a field path, each value its value,
 * or `null` for "null or missing", as `equals(null)` accepts (`find({ deletedAt: null })`).
 */
export type FilterObject<T> = { [P in FieldPath<WithRev<T>>]?: QueryValue<PathValue<WithRev<T>, P>> | null };

/**
 * The conditions available after `where(path)`. Each one returns the builder it was called on,
 * extended with the new condition (AND). Several conditions on one field all apply.
 */
export class FieldConditions<V, B> {
  readonly #path: string;
  readonly #add: (filter: Filter) => B;

  /** @internal */
  constructor(path: string, add: (filter: Filter) => B) {
    this.#path = path;
    this.#add = add;
  }

  /** Same type and value; objects and arrays compare as whole values. `equals(null)` also matches a missing field. SQL: `json_extract(data, '$.f') = ?` */
  equals(value: QueryValue<V> | null): B {
    return this.#add(condition.eq(this.#path, value));
  }
  /** Anything but `equals(value)`, including documents without the field. */
  notEquals(value: QueryValue<V> | null): B {
    return this.#add(condition.ne(this.#path, value));
  }
  /** Greater than; only values of the same type (number, string or boolean) match. */
  gt(value: RangeOf<V>): B {
    return this.#add(condition.gt(this.#path, value));
  }
  gte(value: RangeOf<V>): B {
    return this.#add(condition.gte(this.#path, value));
  }
  lt(value: RangeOf<V>): B {
    return this.#add(condition.lt(this.#path, value));
  }
  lte(value: RangeOf<V>): B {
    return this.#add(condition.lte(this.#path, value));
  }
  /** `low <= field <= high` (both ends included). */
  between(low: RangeOf<V>, high: RangeOf<V>): B {
    return this.#add(and(condition.gte(this.#path, low), condition.lte(this.#path, high))!);
  }
  /** Equal to one of `values`. An empty list matches nothing. */
  in(values: ReadonlyArray<QueryValue<V> | null>): B {
    return this.#add(condition.in(this.#path, values));
  }
  /** Equal to none of `values`, including documents without the field. */
  notIn(values: ReadonlyArray<QueryValue<V> | null>): B {
    return this.#add(condition.nin(this.#path, values));
  }
  /** The field is present (even when `null`); `exists(false)`: it is absent. */
  exists(exists = true): B {
    return this.#add(condition.exists(this.#path, exists));
  }
  /** A string field starting with `prefix` (case-sensitive). */
  startsWith(prefix: string): B {
    return this.#add(condition.startsWith(this.#path, prefix));
  }
  /** An array field with an element equal to `value`, or a string field containing the substring `value`. */
  contains(value: ElementOf<V>): B {
    return this.#add(condition.contains(this.#path, value));
  }
  /**
   * A string field matching a regular expression (flags i, m, s, u). No backend can run this in
   * SQL, so it is applied after the rest of the filter; keep it beside a selective condition.
   */
  matches(pattern: RegExp | string, flags?: string): B {
    return this.#add(condition.regex(this.#path, pattern, flags));
  }
}

/** A filter under construction: `where`, `and`, `or`. Immutable: every call returns a new builder. */
export class FilterBuilder<T = AnyDocument> {
  readonly #filter: Filter | null;

  constructor(filter: Filter | null = null) {
    this.#filter = filter;
  }

  /** The filter built so far, or `null` for "every document". */
  get filter(): Filter | null {
    return this.#filter;
  }

  /** Starts a condition on a field path (`'userId'`, `'profile.age'`). */
  where<P extends FieldPath<WithRev<T>>>(path: P): FieldConditions<PathValue<WithRev<T>, P>, this> {
    return new FieldConditions(path, (c) => this.withFilter(and(this.#filter, c)!));
  }

  /** Adds a group whose parts must all match: `.and(q => q.where('a').equals(1), q => q.where('b').gt(2))`. */
  and(...parts: Array<(q: FilterBuilder<T>) => FilterBuilder<T>>): this {
    return this.withFilter(and(this.#filter, ...groupFilters(parts)) ?? this.#filter!);
  }

  /** Adds a group of which at least one part must match: `.or(q => q.where('a').equals(1), q => q.where('b').exists())`. */
  or(...parts: Array<(q: FilterBuilder<T>) => FilterBuilder<T>>): this {
    const filters = groupFilters(parts);
    if (filters.length === 0) throw new QueryError("or() needs at least one group, e.g. .or(q => q.where('a').equals(1)).");
    return this.withFilter(and(this.#filter, or(...filters))!);
  }

  /** Returns a copy of this builder with another filter; subclasses keep their own state. */
  protected withFilter(filter: Filter | null): this {
    return new FilterBuilder<T>(filter) as this;
  }
}

function groupFilters<T>(parts: Array<(q: FilterBuilder<T>) => FilterBuilder<T>>): Filter[] {
  return parts.map((part, i) => {
    if (typeof part !== 'function') throw new QueryError(`Group ${i + 1} must be a function (q) => q.where(...)..., got ${describe(part)}.`);
    const built = part(new FilterBuilder<T>());
    if (!(built instanceof FilterBuilder)) throw new QueryError(`Group ${i + 1} must return the builder it was given, extended with conditions.`);
    const filter = built.filter;
    if (filter === null) throw new QueryError(`Group ${i + 1} has no condition; add .where(...) inside it.`);
    return filter;
  });
}

/** What runs a built query: the collection that created the builder. */
export interface QueryRunner<T> {
  find(query: FindQuery): Promise<T[]>;
  explain(query: FindQuery): Promise<QueryExplanation>;
  count(filter: Filter | null): Promise<number>;
  observe(query: FindQuery, listener: (results: T[]) => void, onError?: (error: unknown) => void): () => void;
}

/** One page of a query: its documents, and the cursor of the next page (`null` after the last). */
export interface QueryPage<T> {
  docs: T[];
  next: string | null;
}

/** What `select(...fields)` returns of each document: `_id`, `_rev` and those fields. */
export type Picked<T, K extends keyof T> = Pick<T, K | ('_id' & keyof T)> & { _rev: number };

/**
 * A find query: filter, sort, skip and limit, run by `exec()`, `first()`, `count()` or `page()`.
 * Immutable: a builder can be kept and extended in several directions. `T` is the document type
 * that filters and sorts see; `R` what the query returns (a `Pick` of it after `select()`).
 */
export class QueryBuilder<T, R = T> extends FilterBuilder<T> {
  readonly #runner: QueryRunner<T>;
  readonly #sort: readonly SortSpec[];
  readonly #skip: number;
  readonly #limit: number | null;
  readonly #after: QueryPosition | null;
  readonly #select: readonly string[] | null;

  /** @internal Created by `collection.find()`. */
  constructor(runner: QueryRunner<T>, query: FindQuery = EMPTY_QUERY) {
    super(query.filter);
    this.#runner = runner;
    this.#sort = query.sort;
    this.#skip = query.skip;
    this.#limit = query.limit;
    this.#after = query.after ?? null;
    this.#select = query.select ?? null;
  }

  /**
   * Returns only `_id`, `_rev` and these top-level fields of each document; filters and sorts may still
   * use any field. Typed as a `Pick` of the document. Calling it again replaces the fields.
   */
  select<K extends keyof T & string>(...fields: K[]): QueryBuilder<T, Picked<T, K>> {
    return new QueryBuilder<T, Picked<T, K>>(this.#runner, { ...this.toQuery(), select: selectFields(fields) });
  }

  /** Orders by a field; call again for tie-breakers. Ties left over are ordered by `_id`. */
  sort(path: FieldPath<WithRev<T>>, direction: 'asc' | 'desc' = 'asc'): this {
    parsePath(path);
    if (direction !== 'asc' && direction !== 'desc') {
      throw new QueryError(`sort() direction must be 'asc' or 'desc', got ${describe(direction)}.`);
    }
    if (this.#after !== null) throw new QueryError('sort() after after(): a cursor continues the order it came from; call sort() before after().');
    const spec: SortSpec = Object.freeze({ path, direction });
    return this.#with({ sort: Object.freeze([...this.#sort, spec]) });
  }

  /**
   * Continues a query after the page whose `next` cursor this is: only documents after that
   * page's last one, in the same order. The cursor must come from this query's sort (a query
   * without a sort pages in `_id` order); anything else is a `QueryError`.
   */
  after(cursor: string): this {
    const sort = this.#sort.length > 0 ? this.#sort : ID_SORT;
    return this.#with({ sort, after: decodeCursor(cursor, sort) });
  }

  /**
   * Runs the query for one page of at most `limit` documents, and returns them with the cursor
   * of the next page: `query.after(next).page()`. Pages are keyset-based (the sort values and
   * `_id` of the last document, no OFFSET), so every match comes exactly once, in order, even
   * with ties and with writes between pages. A query without a sort pages in `_id` order.
   */
  async page(): Promise<QueryPage<R>> {
    if (this.#skip > 0) throw new QueryError('page() continues with after(next), not skip(): remove skip().');
    if (this.#limit === 0) throw new QueryError('page() needs a limit of 1 or more, e.g. limit(20).');
    const sort = this.#sort.length > 0 ? this.#sort : ID_SORT;
    const limit = this.#limit;
    // The cursor needs the last document's sort values, which a projection may leave out.
    const select = this.#select;
    const sortFields = select === null ? [] : sort.map((s) => parsePath(s.path)[0]!).filter((f) => !select.includes(f));
    const query = {
      ...this.toQuery(),
      sort,
      limit: limit === null ? null : limit + 1,
      ...(sortFields.length > 0 ? { select: [...select!, ...sortFields] } : {}),
    };
    // One more than the page, to know whether another page follows.
    const found = (await this.#runner.find(query)) as unknown as Array<{ _id: string }>;
    const trim = (docs: Array<{ _id: string }>) => (sortFields.length === 0 ? docs : docs.map((doc) => project(doc, select!))) as unknown as R[];
    if (limit === null || found.length <= limit) return { docs: trim(found), next: null };
    const docs = found.slice(0, limit);
    return { docs: trim(docs), next: encodeCursor(sort, docs[limit - 1]!) };
  }

  /** Skips the first `count` results. */
  skip(count: number): this {
    return this.#with({ skip: count0(count, 'skip') });
  }

  /** Returns at most `count` results. */
  limit(count: number): this {
    return this.#with({ limit: count0(count, 'limit') });
  }

  /** The frozen, JSON-serialisable query AST. */
  toQuery(): FindQuery {
    const query: FindQuery = { filter: this.filter, sort: this.#sort, skip: this.#skip, limit: this.#limit };
    return Object.freeze({ ...query, ...(this.#after === null ? {} : { after: this.#after }), ...(this.#select === null ? {} : { select: this.#select }) });
  }

  /** Runs the query. */
  exec(): Promise<R[]> {
    return this.#runner.find(this.toQuery()) as Promise<unknown[]> as Promise<R[]>;
  }

  /** The first result, or `null`. */
  async first(): Promise<R | null> {
    // limit(0) selects nothing, so neither does first().
    const [doc] = await this.#runner.find({ ...this.toQuery(), limit: Math.min(this.#limit ?? 1, 1) });
    return (doc as R | undefined) ?? null;
  }

  /**
   * How the query would run, without running it: on SQL storage the statement, SQLite's plan,
   * whether it scans the table or sorts every match, and the index to declare if it does.
   */
  explain(): Promise<QueryExplanation> {
    return this.#runner.explain(this.toQuery());
  }

  /** How many documents match the filter (sort, skip, limit and after do not apply). */
  count(): Promise<number> {
    return this.#runner.count(this.filter);
  }

  /**
   * Calls `listener` with the results now and after every change to the collection made through
   * this database. Returns a function that stops it. A failed run, or an error thrown by
   * `listener`, goes to `onError` (by default `console.error`); the query keeps running.
   */
  observe(listener: (results: R[]) => void, onError?: (error: unknown) => void): () => void {
    return this.#runner.observe(this.toQuery(), listener as unknown as (results: T[]) => void, onError);
  }

  protected override withFilter(filter: Filter | null): this {
    return new QueryBuilder<T, R>(this.#runner, { ...this.toQuery(), filter }) as this;
  }

  #with(change: Partial<FindQuery>): this {
    return new QueryBuilder<T, R>(this.#runner, { ...this.toQuery(), ...change }) as this;
  }
}

function count0(n: number, what: string): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new QueryError(`${what}() takes a whole number of 0 or more, got ${describe(n)}.`);
  }
  return n;
}

/** Turns `{ userId: 'u1', completed: false }` into AND-ed equality conditions. */
export function filterFromObject(object: Record<string, unknown>): Filter | null {
  if (typeof object !== 'object' || object === null || Array.isArray(object)) {
    throw new QueryError(`find() takes an object of field values such as { userId: 'u1' }, got ${describe(object)}.`);
  }
  return and(
    ...Object.entries(object)
      .filter(([, v]) => v !== undefined)
      .map(([path, v]) => condition.eq(path, v)),
  );
}
