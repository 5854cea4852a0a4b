import { describe } from '../document.js';
import { ValidationError } from '../errors.js';
import type { CollectionStore, QueryExplanation, StorageAdapter } from '../storage/adapter.js';
import { EMPTY_QUERY, type Filter, type FindQuery } from '../query/ast.js';

/** Thrown by storage wrapped in `requireIndexes()` for a query no index serves. */
export class FullScanError extends Error {
  override readonly name = 'FullScanError';
  readonly collection: string;
  readonly explanation: QueryExplanation;
  constructor(collection: string, explanation: QueryExplanation) {
    const what = explanation.fullScan ? 'reads every document of the collection' : 'reads and sorts every match before the first result';
    const index = explanation.suggestedIndex;
    super(
      [
        `A query on collection "${collection}" ${what}.`,
        `  plan: ${explanation.plan.join('; ')}`,
        ...(explanation.sql === null ? [] : [`  sql: ${explanation.sql}`]),
        index === null
          ? '  No single index serves it (an or(), or a regular expression alone): narrow it with an indexed condition.'
          : `  Declare the index that serves it: indexes: { ${collection}: [${JSON.stringify(index.fields)}] }, or in a migration:\n  ${index.sql};`,
      ].join('\n'),
    );
    this.collection = collection;
    this.explanation = explanation;
  }
}

export interface RequireIndexesOptions {
  /** Also fail queries that an index finds but that sort every match first (default true). */
  sorts?: boolean;
  /** Lets a query through anyway: return true for the ones you accept (an admin report, say). */
  allow?: (query: FindQuery, collection: string) => boolean;
}

/**
 * Wraps storage for your own tests: every `find`, `first`, `page` and `count` is explained first
 * (`query.explain()`), and one that would read the whole collection, or sort every match, fails
 * with a `FullScanError` that shows the plan and the index to declare. Queries with neither a
 * filter nor a sort (`find().limit(20)`, `count()`) pass: they read what they return, or
 * everything by design.
 *
 * ```ts
 * const db = Database.open({ name: 'test', storage: requireIndexes(createD1Storage({ database: env.DB, indexes })) });
 * ```
 *
 * It costs a statement per query: use it in tests, not in production.
 */
export function requireIndexes(storage: StorageAdapter, options: RequireIndexesOptions = {}): StorageAdapter {
  if (typeof storage !== 'object' || storage === null || typeof storage.collection !== 'function') {
    throw new ValidationError(`requireIndexes() takes a storage adapter such as createD1Storage({ database: env.DB }), got ${describe(storage)}.`);
  }
  const { sorts = true, allow } = options;
  return {
    name: storage.name,
    capabilities: storage.capabilities,
    collection(name, context) {
      const store = storage.collection(name, context);
      const explain = store.explain;
      if (explain === undefined) {
        throw new ValidationError(
          `requireIndexes(): the "${storage.name}" storage adapter cannot explain queries, so it cannot tell a full scan; use it with D1 or SQLite-backed Durable Object storage.`,
        );
      }
      const check = async (query: FindQuery): Promise<void> => {
        if ((query.filter === null && query.sort.length === 0) || allow?.(query, name)) return;
        const explanation = await explain.call(store, query);
        if (explanation.fullScan || (sorts && explanation.sortsAllMatches)) throw new FullScanError(name, explanation);
      };
      const checked: CollectionStore = {
        getMany: (ids) => store.getMany(ids),
        find: async (query) => {
          await check(query);
          return store.find(query);
        },
        count: async (filter: Filter | null) => {
          await check({ ...EMPTY_QUERY, filter });
          return store.count(filter);
        },
        explain: (query) => explain.call(store, query),
        write: (operations) => store.write(operations),
      };
      if (store.changes !== undefined) checked.changes = store.changes.bind(store);
      if (store.purgeTombstones !== undefined) checked.purgeTombstones = store.purgeTombstones.bind(store);
      return checked;
    },
  };
}
