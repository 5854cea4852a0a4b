import type { FindQuery, QueryExplanation } from '@pocket/core';
import { createIndexSql, type IndexKey } from './schema.js';
import type { CompiledFind } from './select.js';
import { splitFilter } from './residual.js';
import { fixedFields } from './sort-key.js';

/**
 * A query's explanation from SQLite's `EXPLAIN QUERY PLAN` lines: whether the table is scanned
 * (`SCAN <table>` without an index) or every match sorted (`USE TEMP B-TREE FOR ORDER BY`), and
 * if so the index that would serve it, in the shape Pocket declares.
 */
export function explanation(table: string, query: FindQuery, compiled: CompiledFind, plan: readonly string[]): QueryExplanation {
  // `SCAN t USING INDEX i` walks a whole index: for a sorted query that is the order (and the
  // read stops at the limit); for any other it reads every document, as `SCAN t` does. (With
  // declared indexes that hold live rows only, SQLite may pick one to scan instead of the table.)
  const escaped = table.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const scan = new RegExp(query.sort.length > 0 ? `^SCAN ${escaped}(?! USING)` : `^SCAN ${escaped}`);
  const fullScan = plan.some((line) => scan.test(line));
  const sortsAllMatches = plan.includes('USE TEMP B-TREE FOR ORDER BY');
  const keys = fullScan || sortsAllMatches ? indexFor(query) : [];
  return {
    sql: compiled.sql,
    params: compiled.params,
    plan,
    fullScan,
    sortsAllMatches,
    suggestedIndex:
      keys.length === 0
        ? null
        : { fields: keys.map((k) => (k.direction === 'desc' ? { path: k.path, direction: 'desc' as const } : k.path)), sql: createIndexSql(table, keys) },
  };
}

/**
 * SQLite's rule for one index: the fields the filter pins to one value first, then the field of
 * the first sort key (in its direction) or, without a sort, the first field of a range.
 */
function indexFor(query: FindQuery): IndexKey[] {
  const fixed = fixedFields(splitFilter(query.filter).where);
  const keys: IndexKey[] = [...fixed.values].filter((path) => path !== '_id').map((path) => ({ path, direction: 'asc' }));
  const sorted = query.sort.find((s) => !fixed.values.has(s.path));
  if (sorted !== undefined) {
    if (sorted.path !== '_id') keys.push({ path: sorted.path, direction: sorted.direction });
  } else {
    const ranged = [...fixed.narrowing.keys()].find((path) => !fixed.values.has(path) && path !== '_id');
    if (ranged !== undefined) keys.push({ path: ranged, direction: 'asc' });
  }
  return keys;
}
