import { describe, expect, it } from 'vitest';
import { Database } from '../database.js';
import type { BaseDocument } from '../document.js';
import type { StorageAdapter } from '../storage/adapter.js';
import type { ConformanceCase, ConformanceContext, ConformanceGroup } from './cases/case.js';
import { changeCases } from './cases/changes.js';
import { feedCases } from './cases/feed.js';
import { operatorCases } from './cases/operators.js';
import { pageCases } from './cases/pages.js';
import { projectionCases } from './cases/projections.js';
import { queryCases } from './cases/queries.js';
import { revisionCases } from './cases/revisions.js';
import { semanticsCases } from './cases/semantics.js';
import { validationCases } from './cases/validation.js';
import { writeCases } from './cases/writes.js';

export interface SuiteOptions {
  /** Names the adapter in test titles: `'memory'`, `'d1'`. */
  name: string;
  /** Called once per test. Each test uses its own database name and collection names. */
  createStorage: () => StorageAdapter | Promise<StorageAdapter>;
  /**
   * Runs each test body, `createStorage()` included. For storage that is only usable inside a
   * context, such as a Durable Object's: `wrap: (body) => runInDurableObject(stub, () => body())`.
   */
  wrap?: (body: () => Promise<void>) => Promise<void>;
  /** Timeout of each test in ms (default: vitest's). */
  timeout?: number;
  /** Timeout of the tests that move a lot of data, such as 1,000 inserts (default 60 s). */
  slowTimeout?: number;
}

export interface ConformanceOptions extends SuiteOptions {
  /**
   * Tests this adapter does not run, by test name, each with the reason a user would accept
   * ("the backend has no transactions; see docs/…"). An unknown name is an error, so a renamed
   * test never silently runs unskipped or stays skipped.
   */
  skip?: Record<string, string>;
}

const GROUPS: readonly ConformanceGroup[] = [
  ...writeCases,
  ...queryCases,
  ...pageCases,
  ...projectionCases,
  ...semanticsCases,
  ...validationCases,
  ...changeCases,
  ...revisionCases,
  ...operatorCases,
  ...feedCases,
];

/** The name of every conformance test, for building a `skip` list. */
export const CONFORMANCE_TESTS: readonly string[] = GROUPS.flatMap((g) => g.cases.map((c) => c.name));

let counter = 0;

/** A name no other test in this process has used, valid as a database and as a collection name. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}${counter}_${crypto.randomUUID().slice(0, 8)}`;
}

/**
 * Registers the adapter conformance suite with vitest: call it at the top level of a test file.
 *
 * ```ts
 * import { runConformanceSuite } from '@pocket/core/testing';
 * runConformanceSuite({ name: 'memory', createStorage: createMemoryStorage });
 * ```
 *
 * Every test goes through the public API (`Database`, `Collection`, the query builder) and
 * checks the semantics of core's evaluator, so an adapter that passes behaves like every other.
 */
export function runConformanceSuite(options: ConformanceOptions): void {
  const skip = checkSkipList(options.skip ?? {});
  describe(`@pocket/core conformance: ${options.name}`, () => {
    for (const group of GROUPS) {
      describe(group.name, () => {
        for (const testCase of group.cases) {
          const reason = skip.get(testCase.name);
          if (reason !== undefined) {
            // Not a skipped test of this repository: `@pocket/core/testing` is published for
            // third-party adapters, and one whose backend cannot offer a behaviour (say, no
            // atomic batches) must be able to say so instead of failing the whole suite. The
            // skip is reasoned by construction: checkSkipList refuses unknown test names and
            // empty reasons, and the reason is printed in the report. No adapter here skips.
            it.skip(`${testCase.name} (skipped for ${options.name}: ${reason})`, () => {});
            continue;
          }
          const timeout = testCase.slow ? Math.max(options.slowTimeout ?? 60_000, options.timeout ?? 0) : options.timeout;
          it(testCase.name, () => runCase(options, testCase), timeout);
        }
      });
    }
  });
}

function checkSkipList(skip: Record<string, string>): Map<string, string> {
  const known = new Set(CONFORMANCE_TESTS);
  const entries = Object.entries(skip);
  for (const [name, reason] of entries) {
    if (!known.has(name)) {
      throw new Error(`[pocket/testing] skip names an unknown conformance test: ${JSON.stringify(name)}. Names are listed in CONFORMANCE_TESTS.`);
    }
    if (typeof reason !== 'string' || reason.trim() === '') {
      throw new Error(`[pocket/testing] skipping ${JSON.stringify(name)} needs a reason.`);
    }
  }
  return new Map(entries);
}

async function runCase(options: SuiteOptions, testCase: ConformanceCase): Promise<void> {
  const wrap = options.wrap ?? ((body) => body());
  await wrap(async () => {
    const storage = await options.createStorage();
    expect(storage, `createStorage() of ${options.name} returned nothing`).toBeTruthy();
    const db = await Database.create({ name: uniqueName(`conformance_${options.name.slice(0, 40)}_`), storage });
    const context: ConformanceContext = {
      storage,
      db,
      collection: db.collection(uniqueName('c')),
      fresh: <T extends BaseDocument>() => db.collection<T>(uniqueName('c')),
    };
    await testCase.run(context);
  });
}
