/**
 * `@pocket/core/testing`: what a storage adapter runs to prove it behaves like every other.
 * `runConformanceSuite` checks the whole contract through the public API; the differential kit
 * checks seeded random queries against core's evaluator. Both register vitest tests, so call
 * them at the top level of a test file (vitest is an optional peer dependency of core).
 */
export { runConformanceSuite, CONFORMANCE_TESTS, type ConformanceOptions, type SuiteOptions } from './conformance.js';
export type { ConformanceContext } from './cases/case.js';
export {
  runDifferentialSuite,
  checkAgainstEvaluator,
  evaluatorDifference,
  expectEvaluatorResult,
  queryBuilderFor,
  DEFAULT_SEED,
  type DifferentialOptions,
} from './differential.js';
export { rowDifference, withRevision } from './rows.js';
export { checkNumberNeighbours, type ExactNumbers } from './numbers.js';
export { nextDouble, stepsBetween, withNeighbours } from './doubles.js';
export { createRandom, randomDocuments, randomQuery, RANDOM_FIELDS, RANDOM_OPERATORS, type Random } from './random.js';
export { recorder, expectRejection, expectThrow, idsOf, idsFound, byCodePoint, type Recorder, type ErrorClass } from './helpers.js';
