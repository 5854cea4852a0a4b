import type { Collection } from '../../collection.js';
import type { Database } from '../../database.js';
import type { AnyDocument, BaseDocument } from '../../document.js';
import type { StorageAdapter } from '../../storage/adapter.js';

/** What each conformance test gets: a fresh database and collection no other test uses. */
export interface ConformanceContext {
  readonly storage: StorageAdapter;
  readonly db: Database;
  /** An empty collection with a unique name. */
  readonly collection: Collection<AnyDocument>;
  /** Another empty collection with a unique name, in the same database. */
  fresh<T extends BaseDocument = AnyDocument>(): Collection<T>;
}

export interface ConformanceCase {
  /** Unique across the suite; it is the key of the `skip` option. */
  readonly name: string;
  readonly run: (t: ConformanceContext) => Promise<void>;
  /** Writes or reads enough data that a remote backend needs more than the default timeout. */
  readonly slow?: boolean;
}

export interface ConformanceGroup {
  readonly name: string;
  readonly cases: readonly ConformanceCase[];
}

export function group(name: string, cases: ConformanceCase[]): ConformanceGroup {
  return { name, cases };
}

export function test(name: string, run: (t: ConformanceContext) => Promise<void>, options: { slow?: boolean } = {}): ConformanceCase {
  return { name, run, ...options };
}
