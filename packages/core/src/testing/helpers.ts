import { expect } from 'vitest';
import type { PocketError } from '../errors.js';
import type { QueryBuilder } from '../query/builder.js';

/** The `_id`s of documents, in order: the shortest way to compare query results. */
export function idsOf(docs: ReadonlyArray<{ _id: string } | null>): Array<string | null> {
  return docs.map((doc) => (doc === null ? null : doc._id));
}

/**
 * The ids a query returns, in its order. A query without `sort()` has no defined order (SQL
 * storage returns rows in whatever index order it read), so its ids come back sorted by code
 * point, to compare as a set.
 */
export async function idsFound<T extends { _id: string }>(query: QueryBuilder<T>): Promise<string[]> {
  const ids = (await query.exec()).map((doc) => doc._id);
  return query.toQuery().sort.length === 0 ? byCodePoint(ids) : ids;
}

/** Sorts ids by code point: the order of `sort('_id')`, and of ties in every sort. */
export function byCodePoint(ids: readonly string[]): string[] {
  return [...ids].sort((a, b) => {
    const x = [...a].map((c) => c.codePointAt(0)!);
    const y = [...b].map((c) => c.codePointAt(0)!);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return x.length - y.length;
  });
}

/** An error class (abstract ones too), as `expectRejection` and `expectThrow` take it. */
export type ErrorClass<E> = abstract new (...args: never[]) => E;

/**
 * Awaits `promise`, expects it to reject with a `PocketError` of class `type` and stable `code`,
 * and returns the error for further checks.
 */
export async function expectRejection<E extends PocketError>(promise: Promise<unknown>, type: ErrorClass<E>, code: PocketError['code']): Promise<E> {
  let error: unknown = undefined;
  let settled = false;
  try {
    await promise;
    settled = true;
  } catch (caught) {
    error = caught;
  }
  expect(settled, `expected a ${type.name}, but the call succeeded`).toBe(false);
  expect(error).toBeInstanceOf(type);
  expect((error as E).code).toBe(code);
  return error as E;
}

/** Like `expectRejection`, for calls that throw synchronously (query builders). */
export function expectThrow<E extends PocketError>(fn: () => unknown, type: ErrorClass<E>, code: PocketError['code']): E {
  let error: unknown = undefined;
  let threw = false;
  try {
    fn();
  } catch (caught) {
    threw = true;
    error = caught;
  }
  expect(threw, `expected a ${type.name}, but nothing was thrown`).toBe(true);
  expect(error).toBeInstanceOf(type);
  expect((error as E).code).toBe(code);
  return error as E;
}

/**
 * Records the values a callback receives so a test can wait for them one at a time:
 * `const r = recorder<T[]>(); query.observe(r.push); await r.next()`.
 */
export interface Recorder<T> {
  /** Pass this as the callback. */
  readonly push: (value: T) => void;
  /** The next value not yet taken, waiting up to `timeoutMs` for it. */
  next(timeoutMs?: number): Promise<T>;
  /** Takes values until one satisfies `predicate`, and returns it. */
  until(predicate: (value: T) => boolean, timeoutMs?: number): Promise<T>;
  /** Resolves if no value arrives within `ms`; fails the test if one does. */
  none(ms?: number): Promise<void>;
  /** Every value received so far, taken or not. */
  readonly all: readonly T[];
}

export function recorder<T>(): Recorder<T> {
  const all: T[] = [];
  let taken = 0;
  let wake: (() => void) | null = null;

  const waitForValue = (timeoutMs: number): Promise<boolean> =>
    new Promise((resolve) => {
      if (taken < all.length) return resolve(true);
      const timer = setTimeout(() => {
        wake = null;
        resolve(false);
      }, timeoutMs);
      wake = () => {
        clearTimeout(timer);
        wake = null;
        resolve(true);
      };
    });

  const next = async (timeoutMs = 2000): Promise<T> => {
    if (!(await waitForValue(timeoutMs))) {
      throw new Error(`[pocket/testing] No callback within ${timeoutMs} ms (received ${all.length} so far, all taken).`);
    }
    return all[taken++]!;
  };

  return {
    all,
    push: (value) => {
      all.push(value);
      wake?.();
    },
    next,
    async until(predicate, timeoutMs = 2000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await next(Math.max(1, deadline - Date.now()));
        if (predicate(value)) return value;
      }
    },
    async none(ms = 50) {
      const before = all.length;
      await new Promise((resolve) => setTimeout(resolve, ms));
      expect(all.length, `expected no callback within ${ms} ms`).toBe(before);
    },
  };
}
