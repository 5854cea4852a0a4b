import { expect } from 'vitest';
import { Database } from '../database.js';
import { evaluate } from '../evaluator/evaluate.js';
import type { Condition, FindQuery } from '../query/ast.js';
import { EMPTY_QUERY } from '../query/ast.js';
import type { StoredDocument } from '../storage/adapter.js';
import { uniqueName, type SuiteOptions } from './conformance.js';
import { createRandom, type Random } from './random.js';
import { stepsBetween, withNeighbours } from './doubles.js';
import { rowDifference, withRevision } from './rows.js';

/**
 * The magnitudes between which an adapter reads every stored number exactly (0 is always read
 * exactly): queries compare, and sorts order, such numbers as JavaScript does, neighbours one
 * step apart included. Outside, a store may read a number up to `maxSteps` doubles away from it.
 */
export interface ExactNumbers {
  readonly min: number;
  readonly max: number;
  /** How many doubles away from the stored one a number outside the range may be read (default 2). */
  readonly maxSteps?: number;
}

/**
 * A random double of about `10 ** exponent`, with all 17 significant digits, and its neighbours.
 * Random mantissas make the values the ones text-to-double conversions get wrong, when they do.
 */
function randomNear(rng: Random, exponent: number): number[] {
  const x = Number(`${(1 + rng.next() * 9).toPrecision(17)}e${exponent}`) * (rng.chance(0.5) ? 1 : -1);
  return withNeighbours(x);
}

/**
 * Stores numbers one step apart, inside and outside `exact`, and checks what docs/limitations.md
 * says of them:
 * - every document is read back exactly as stored, whatever its numbers;
 * - inside the range, `equals`, `gt`, `lte` and `sort` agree with the evaluator exactly;
 * - outside it, every answer differs from the evaluator only by documents whose number is at
 *   most `maxSteps` doubles from the one asked for, and at least one does differ: if none does,
 *   the store now reads those numbers exactly, and the range (and the docs) can widen.
 * Without `exact` every double is inside.
 */
export async function checkNumberNeighbours(options: Omit<SuiteOptions, 'wrap' | 'timeout'> & { exactNumbers?: ExactNumbers; seed: number }): Promise<void> {
  const { exactNumbers: exact, seed } = options;
  const rng = createRandom(seed);
  const inside = (x: number) => exact === undefined || x === 0 || (Math.abs(x) >= exact.min && Math.abs(x) <= exact.max);
  const candidates = [
    ...[0.1, 0.3, 3.14159, 1e21, 1e-7, 123456.789, Number.MAX_SAFE_INTEGER, 5e-50, 1e100].flatMap(withNeighbours),
    ...Array.from({ length: 40 }, () => randomNear(rng, rng.int(-60, 100))).flat(),
    ...[5e-99, 1e300, 1.5e-200, 7.5e250].flatMap(withNeighbours),
    ...Array.from({ length: 60 }, () => randomNear(rng, rng.chance(0.5) ? rng.int(-300, -100) : rng.int(130, 300))).flat(),
  ];
  const db = await Database.create({ name: uniqueName('numbers_'), storage: await options.createStorage() });
  const where = `numbers one step apart (seed ${seed})`;

  const check = async (values: readonly number[], label: string, exactly: boolean): Promise<number> => {
    const collection = db.collection(uniqueName(`n${label}_`));
    const docs = values.map((n, i) => ({ _id: `n${String(i).padStart(4, '0')}`, n }));
    const stored = docs.map((doc) => withRevision(doc, 1));
    await collection.bulkInsert(docs);
    const all = await collection.find().sort('_id').exec();
    const roundTrip = rowDifference(all, stored);
    if (roundTrip !== null) expect.fail(`documents are not read back exactly as stored: ${roundTrip}; ${label} the exact range; ${where}`);

    const queries: FindQuery[] = [{ ...EMPTY_QUERY, sort: [{ path: 'n', direction: 'asc' }] }];
    for (const n of values) {
      for (const op of ['eq', 'gt', 'lte'] as const) {
        queries.push({ ...EMPTY_QUERY, filter: { kind: 'condition', op, path: 'n', value: n } as Condition, sort: [{ path: '_id', direction: 'asc' }] });
      }
    }
    let differing = 0;
    for (const query of queries) {
      const actual = (await collection.query(query).exec()) as StoredDocument[];
      const expected = evaluate(query, stored);
      const difference = rowDifference(actual, expected);
      if (difference === null) continue;
      const about = `${JSON.stringify(query)}: ${difference}; ${label} the exact range ${exact === undefined ? '(every double)' : `${exact.min} to ${exact.max}`}; ${where}`;
      if (exactly) expect.fail(about);
      differing++;
      // Only documents whose number is within maxSteps of the one asked for may differ. For the
      // sort, each row must sit within maxSteps of the number the evaluator puts at its place.
      const limit = exact?.maxSteps ?? 2;
      const condition = query.filter as Condition | null;
      if (condition !== null && condition.kind === 'condition' && 'value' in condition) {
        const asked = condition.value as number;
        const ids = new Set(actual.map((d) => d._id));
        const wrong = stored.filter((d) => ids.has(d._id) !== expected.some((e) => e._id === d._id));
        const far = wrong.find((d) => Math.sign(d.n as number) !== Math.sign(asked) || stepsBetween(d.n as number, asked) > limit);
        if (far !== undefined) expect.fail(`${about}; ${far._id} (${far.n}) is more than ${limit} steps from ${asked}`);
      } else {
        actual.forEach((d, i) => {
          const want = expected[i]!.n as number;
          if (Math.sign(d.n as number) !== Math.sign(want) || stepsBetween(d.n as number, want) > limit)
            expect.fail(`${about}; row ${i} holds ${d.n}, more than ${limit} steps from ${want}`);
        });
      }
    }
    return differing;
  };

  await check(candidates.filter(inside), 'inside', true);
  const outside = candidates.filter((x) => !inside(x));
  if (outside.length > 0) {
    const differing = await check(outside, 'outside', false);
    if (differing === 0) {
      expect.fail(
        `every query on numbers outside ${exact!.min} to ${exact!.max} agreed with the evaluator: the store reads them exactly now. Widen exactNumbers, and the range docs/limitations.md gives; ${where}`,
      );
    }
  }
}
