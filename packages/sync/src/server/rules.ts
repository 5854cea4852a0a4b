import { FilterBuilder, and, type BaseDocument, type Filter, type JsonObject } from '@pocket/core';

/**
 * Who may sync what. `authenticate` runs once per connection (or HTTP request) and returns the
 * user, or `null` to refuse. The user is kept in the WebSocket's attachment, so it must be JSON
 * and small (Cloudflare allows 2,048 bytes per attachment, shared with the subscriptions).
 */
export interface SyncRules<User> {
  authenticate(request: Request): User | null | Promise<User | null>;
  /** Only collections named here sync; every other name is refused. */
  collections: Record<string, CollectionRules<User, any>>;
}

/** A write as the rules see it: the document before (`null`: none) and after (`null`: deleted). */
export interface SyncWrite<T extends BaseDocument = BaseDocument> {
  collection: string;
  id: string;
  before: T | null;
  after: T | null;
}

export interface CollectionRules<User, T extends BaseDocument = BaseDocument> {
  /**
   * The documents `user` may read: a filter (`q.where('ownerId').equals(user.id)`), `true` for
   * all of them, `false` for none. Without it, every document is readable.
   */
  read?(user: User, q: FilterBuilder<T>): FilterBuilder<T> | boolean;
  /**
   * Whether `user` may make this write. Without it, a write is allowed when the document is
   * readable before (or new) and after (or deleted), so no one writes outside their view.
   */
  write?(user: User, write: SyncWrite<T>): boolean | Promise<boolean>;
}

/** What one user may read of one collection: a filter (`null`: all), or `false`: nothing. */
export type ReadScope = Filter | null | false;

export function readScope<User>(rules: SyncRules<User>, user: User, collection: string): ReadScope {
  const rule = Object.hasOwn(rules.collections, collection) ? rules.collections[collection] : undefined;
  if (rule === undefined) return false;
  if (rule.read === undefined) return null;
  const scope = rule.read(user, new FilterBuilder());
  if (scope === true) return null;
  if (scope === false) return false;
  if (!(scope instanceof FilterBuilder))
    throw new TypeError(`The read rule of "${collection}" must return the builder it was given (with conditions), true or false.`);
  return scope.filter;
}

/** The filter a subscription sees through: its own and the user's read scope, both. */
export function visibleFilter(scope: Filter | null, subscription: Filter | null): Filter | null {
  return and(scope, subscription);
}

export type { JsonObject };
