import { and, condition, or, parsePath, type Filter, type RegexCondition, type StoredDocument } from '@pocket/core';
import { readPath } from '@pocket/core/adapter';
import type { Row } from './statement.js';

/**
 * How a filter SQL cannot run whole is run: SQLite has no regular expressions (D1 offers no
 * REGEXP function), so a filter with `matches()` in it is split in two.
 *
 * - `where` is the filter without its regular expressions: a superset of the matches, for the
 *   statement's `WHERE` (`null`: every row).
 * - Every part of the filter that has no regular expression in it, and that `where` does not
 *   already enforce, is still run by SQL (`columns`): the statement returns a text of one '0'
 *   or '1' per part, in one column (a result may have at most 100 columns).
 * - `keep(row, doc)` then tests the regular expressions in JavaScript and combines them with
 *   those flags the way the filter's and/or groups say.
 *
 * So SQL decides every condition it can, with the semantics the rest of the compiler has, and
 * the store needs no second implementation of them: core's evaluator, larger than this file,
 * stays out of a D1 Worker's bundle.
 */
export interface SplitFilter {
  where: Filter | null;
  /**
   * `null` when SQL runs the whole filter: every row the statement returns is a match. Else the
   * parts SQL still decides, each a filter without regular expressions (`compileFilter`), and
   * `keep`, which reads their results from the row's RESIDUAL_COLUMN.
   */
  residual: { columns: Filter[]; keep(row: Row, doc: StoredDocument): boolean } | null;
}

/** The column of the residual parts' results: one '0' or '1' per entry of `columns`, in order. */
export const RESIDUAL_COLUMN = 'pocket_residual';

export function splitFilter(filter: Filter | null): SplitFilter {
  if (filter === null || !hasRegex(filter)) return { where: filter, residual: null };
  const columns: Filter[] = [];
  const keep = plan(filter, true, columns);
  return { where: superset(filter), residual: { columns, keep } };
}

type Test = (row: Row, doc: StoredDocument) => boolean;

/**
 * `enforced`: every group above this part is an AND, so `where` holds the part's regex-free
 * conditions already, and every row the statement returns passes them.
 */
function plan(filter: Filter, enforced: boolean, columns: Filter[]): Test {
  if (filter.kind === 'condition' && filter.op === 'regex') return regexTest(filter);
  if (filter.kind === 'condition' || !hasRegex(filter)) {
    if (enforced) return () => true;
    const index = columns.length;
    columns.push(filter);
    // String(): with a single part SQLite returns the number itself.
    return (row) => String(row[RESIDUAL_COLUMN])[index] === '1';
  }
  const parts = filter.filters.map((f) => plan(f, enforced && filter.kind === 'and', columns));
  return filter.kind === 'and' ? (row, doc) => parts.every((test) => test(row, doc)) : (row, doc) => parts.some((test) => test(row, doc));
}

/** Core's regex semantics: the field is a string the pattern matches. */
function regexTest(c: RegexCondition): Test {
  // The builder checked the pattern; a filter made by hand has not been: check it the same way.
  const { source, flags } = condition.regex(c.path, c.source, c.flags) as RegexCondition;
  const re = new RegExp(source, flags);
  const segments = parsePath(c.path);
  return (_row, doc) => {
    const value = readPath(doc, segments);
    return typeof value === 'string' && re.test(value);
  };
}

function hasRegex(filter: Filter): boolean {
  return filter.kind === 'condition' ? filter.op === 'regex' : filter.filters.some(hasRegex);
}

/** The filter without its regular expressions: every document the filter matches, matches it. */
function superset(filter: Filter): Filter | null {
  switch (filter.kind) {
    case 'condition':
      return filter.op === 'regex' ? null : filter;
    case 'and':
      return and(...filter.filters.map(superset));
    case 'or': {
      const parts = filter.filters.map(superset);
      return parts.includes(null) ? null : or(...(parts as Filter[]));
    }
  }
}
