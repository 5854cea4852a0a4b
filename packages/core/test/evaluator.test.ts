import { describe, expect, it } from 'vitest';
import { and, condition, or, type Filter, type FindQuery, type JsonValue } from '@pocket/core';
import { compareStrings, compareValues, compareBy, evaluate, matches, MISSING, readPath, typeRank } from '@pocket/core/adapter';

const query = (q: Partial<FindQuery>): FindQuery => ({ filter: null, sort: [], skip: 0, limit: null, ...q });

/** Which of these values of field `v` does the filter match? */
function matching(filter: Filter, values: Record<string, JsonValue | typeof MISSING>): string[] {
  return Object.entries(values)
    .filter(([, v]) => matches(filter, v === MISSING ? { _id: 'x' } : { _id: 'x', v }))
    .map(([name]) => name);
}

const VALUES: Record<string, JsonValue | typeof MISSING> = {
  missing: MISSING,
  null: null,
  zero: 0,
  one: 1,
  oneString: '1',
  empty: '',
  text: 'text',
  true: true,
  false: false,
  array: [1],
  emptyArray: [],
  object: { a: 1 },
  emptyObject: {},
};

describe('readPath', () => {
  it('follows own keys of plain objects only', () => {
    const doc = { a: { b: { c: 1 } }, list: [{ b: 2 }], n: null, s: 'str' };
    expect(readPath(doc, ['a', 'b', 'c'])).toBe(1);
    expect(readPath(doc, ['a', 'b'])).toEqual({ c: 1 });
    expect(readPath(doc, ['n'])).toBeNull();
    expect(readPath(doc, ['n', 'x'])).toBe(MISSING);
    expect(readPath(doc, ['s', 'length'])).toBe(MISSING);
    expect(readPath(doc, ['list', '0'])).toBe(MISSING);
    expect(readPath(doc, ['list', 'b'])).toBe(MISSING);
    expect(readPath(doc, ['constructor'])).toBe(MISSING);
    expect(readPath(doc, ['a', 'toString'])).toBe(MISSING);
    expect(readPath({ u: undefined }, ['u'])).toBe(MISSING);
    expect(readPath(null, ['a'])).toBe(MISSING);
  });
});

describe('compareValues and typeRank', () => {
  it('orders types: missing = null < numbers < strings < objects < arrays < booleans', () => {
    // Strictly increasing: every pair must compare by its position in this list.
    const ordered: Array<JsonValue | typeof MISSING> = [null, -1e21, -1, 0, 0.5, 1e21, '', '0', 'a', '😀', { a: 1 }, {}, [0], [], false, true];
    for (let i = 0; i < ordered.length; i++) {
      for (let j = 0; j < ordered.length; j++) {
        const order = Math.sign(compareValues(ordered[i]!, ordered[j]!));
        expect(order, `${JSON.stringify(ordered[i])} vs ${JSON.stringify(ordered[j])}`).toBe(Math.sign(i - j));
      }
    }
    expect([MISSING, null, 1, 's', {}, [], true].map(typeRank)).toEqual([0, 0, 1, 2, 3, 4, 5]);
    expect(compareValues(MISSING, null)).toBe(0);
    expect(compareValues(null, 0)).toBeLessThan(0);
  });

  it('compares within a type by value', () => {
    expect(compareValues(2, 10)).toBeLessThan(0);
    expect(compareValues('10', '2')).toBeLessThan(0);
    expect(compareValues(false, true)).toBeLessThan(0);
    expect(compareValues(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER - 1)).toBeGreaterThan(0);
    expect(compareValues(Number.MIN_VALUE, 0)).toBeGreaterThan(0);
    expect(compareValues(-Number.MAX_VALUE, Number.MAX_VALUE)).toBeLessThan(0);
    expect(compareValues(0.1 + 0.2, 0.3)).toBeGreaterThan(0);
  });

  it('compares arrays and objects by their JSON text', () => {
    expect(compareValues([1, 'a'], [1])).toBeLessThan(0); // '[1,' < '[1]'
    expect(compareValues([1], [])).toBeLessThan(0); // '[1' < '[]'
    expect(compareValues({ a: 1 }, {})).toBeLessThan(0);
    expect(compareValues({ a: 1, b: 2 }, { a: 1, b: 2 })).toBe(0);
    expect(compareValues({ b: 2, a: 1 }, { a: 1, b: 2 })).not.toBe(0);
  });

  it('orders strings by code point, unlike JavaScript string comparison', () => {
    expect('😀' < '\uE000').toBe(true); // UTF-16 code units
    expect(compareStrings('😀', '\uE000')).toBeGreaterThan(0); // code points, as UTF-8 bytes
    expect(compareStrings('\uFFFF', '𝔸')).toBeLessThan(0);
    expect(compareStrings('𝔸', '😀')).toBeLessThan(0);
    expect(compareStrings('a😀', 'a\uE000b')).toBeGreaterThan(0);
    expect(compareStrings('B', 'a')).toBeLessThan(0);
    expect(compareStrings('é', 'e\u0301')).toBeGreaterThan(0);
    expect(compareStrings('ab', 'a')).toBeGreaterThan(0);
    expect(compareStrings('same', 'same')).toBe(0);
    const words = ['😀', 'z', '\uE000', 'é', '', 'Z', '中', '𝔸', '\uFFFD', 'a'];
    const utf8 = (s: string) => [...new TextEncoder().encode(s)];
    const byBytes = [...words].sort((x, y) => {
      const [a, b] = [utf8(x), utf8(y)];
      for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
      return a.length - b.length;
    });
    expect([...words].sort(compareStrings)).toEqual(byBytes);
  });
});

describe('matches: null and missing', () => {
  it('equals(null) matches null and missing; notEquals(null) the rest', () => {
    expect(matching(condition.eq('v', null), VALUES)).toEqual(['missing', 'null']);
    expect(matching(condition.ne('v', null), VALUES)).toEqual(Object.keys(VALUES).filter((k) => k !== 'missing' && k !== 'null'));
  });

  it('exists(true) matches null; exists(false) only missing', () => {
    expect(matching(condition.exists('v', true), VALUES)).not.toContain('missing');
    expect(matching(condition.exists('v', true), VALUES)).toContain('null');
    expect(matching(condition.exists('v', false), VALUES)).toEqual(['missing']);
  });

  it('notEquals and notIn match missing; in([null]) matches missing', () => {
    expect(matching(condition.ne('v', 1), VALUES)).toContain('missing');
    expect(matching(condition.nin('v', [1]), VALUES)).toContain('missing');
    expect(matching(condition.in('v', [null]), VALUES)).toEqual(['missing', 'null']);
    expect(matching(condition.nin('v', [null]), VALUES)).not.toContain('missing');
  });

  it('ranges and string operators never match null or missing', () => {
    for (const filter of [
      condition.gte('v', 0),
      condition.lte('v', 'z'),
      condition.gte('v', false),
      condition.startsWith('v', ''),
      condition.regex('v', ''),
      condition.contains('v', ''),
    ]) {
      expect(matching(filter, VALUES)).not.toContain('missing');
      expect(matching(filter, VALUES)).not.toContain('null');
    }
  });
});

describe('matches: types never mix', () => {
  it('booleans and numbers', () => {
    expect(matching(condition.eq('v', true), VALUES)).toEqual(['true']);
    expect(matching(condition.eq('v', 1), VALUES)).toEqual(['one']);
    expect(matching(condition.eq('v', 0), VALUES)).toEqual(['zero']);
    expect(matching(condition.eq('v', false), VALUES)).toEqual(['false']);
    expect(matching(condition.in('v', [true, 0]), VALUES)).toEqual(['zero', 'true']);
    expect(matching(condition.gt('v', 0), VALUES)).toEqual(['one']);
    expect(matching(condition.lt('v', true), VALUES)).toEqual(['false']);
    expect(matching(condition.contains('v', true), { a: [1], b: [true] })).toEqual(['b']);
  });

  it('numbers and numeric strings', () => {
    expect(matching(condition.eq('v', '1'), VALUES)).toEqual(['oneString']);
    expect(matching(condition.gte('v', 1), VALUES)).toEqual(['one']);
    expect(matching(condition.gte('v', '1'), VALUES)).toEqual(['oneString', 'text']);
    expect(matching(condition.in('v', ['1']), VALUES)).toEqual(['oneString']);
    expect(matching(condition.startsWith('v', '1'), VALUES)).toEqual(['oneString']);
    expect(matching(condition.regex('v', '^\\d$'), VALUES)).toEqual(['oneString']);
  });

  it('arrays and objects are whole values', () => {
    expect(matching(condition.eq('v', [1]), VALUES)).toEqual(['array']);
    expect(matching(condition.eq('v', 1), VALUES)).not.toContain('array');
    expect(matching(condition.eq('v', []), VALUES)).toEqual(['emptyArray']);
    expect(matching(condition.eq('v', {}), VALUES)).toEqual(['emptyObject']);
    expect(matching(condition.eq('v', { a: 1 }), VALUES)).toEqual(['object']);
    expect(matching(condition.eq('v', [1]), { arr: [1], obj: { 0: 1 } })).toEqual(['arr']);
    expect(matching(condition.eq('v', { b: 1, a: 2 }), { same: { b: 1, a: 2 }, reordered: { a: 2, b: 1 } })).toEqual(['same']);
    expect(matching(condition.gt('v', 0), { arr: [5] })).toEqual([]);
  });

  it('contains: array elements by whole value, or a substring of a string', () => {
    const values = { list: ['a', 'bc'], nested: [['a']], objects: [{ k: 1 }], string: 'abc', number: 5, nulls: [null] };
    expect(matching(condition.contains('v', 'a'), values)).toEqual(['list', 'string']);
    expect(matching(condition.contains('v', 'b'), values)).toEqual(['string']);
    expect(matching(condition.contains('v', ['a']), values)).toEqual(['nested']);
    expect(matching(condition.contains('v', { k: 1 }), values)).toEqual(['objects']);
    expect(matching(condition.contains('v', null), values)).toEqual(['nulls']);
    expect(matching(condition.contains('v', 5), values)).toEqual([]);
  });

  it('startsWith and regex are case-sensitive unless the regex says i', () => {
    const values = { lower: 'apple', upper: 'Apple', other: 'pear' };
    expect(matching(condition.startsWith('v', 'a'), values)).toEqual(['lower']);
    expect(matching(condition.regex('v', '^a'), values)).toEqual(['lower']);
    expect(matching(condition.regex('v', '^a', 'i'), values)).toEqual(['lower', 'upper']);
  });

  it('a regex gives the same answer every time, even built from a /g RegExp', () => {
    const filter = condition.regex('v', /a/g);
    const doc = { _id: 'x', v: 'banana' };
    expect([1, 2, 3, 4].map(() => matches(filter, doc))).toEqual([true, true, true, true]);
  });

  it('unicode: no normalisation, u flag counts code points', () => {
    const values = { nfc: 'é', nfd: 'e\u0301', emoji: '😀' };
    expect(matching(condition.eq('v', 'é'), values)).toEqual(['nfc']);
    expect(matching(condition.regex('v', '^.$'), values)).toEqual(['nfc']);
    expect(matching(condition.regex('v', '^.$', 'u'), values)).toEqual(['nfc', 'emoji']);
    expect(matching(condition.gt('v', '\uFFFF'), values)).toEqual(['emoji']);
  });
});

describe('matches: combinations', () => {
  it('null filter matches everything; empty and matches everything; empty or matches nothing', () => {
    expect(matches(null, { _id: 'a' })).toBe(true);
    expect(matches({ kind: 'and', filters: [] }, { _id: 'a' })).toBe(true);
    expect(matches(or(), { _id: 'a' })).toBe(false);
  });

  it('nested and/or', () => {
    const filter = and(condition.eq('a', 1), or(condition.eq('b', 1), and(condition.eq('c', 1), condition.eq('d', 1))!))!;
    expect(matches(filter, { a: 1, b: 1 })).toBe(true);
    expect(matches(filter, { a: 1, c: 1, d: 1 })).toBe(true);
    expect(matches(filter, { a: 1, c: 1 })).toBe(false);
    expect(matches(filter, { b: 1, c: 1, d: 1 })).toBe(false);
  });

  it('nested paths', () => {
    const filter = condition.gte('profile.age', 18);
    expect(matches(filter, { profile: { age: 18 } })).toBe(true);
    expect(matches(filter, { profile: { age: '18' } })).toBe(false);
    expect(matches(filter, { profile: [{ age: 18 }] })).toBe(false);
    expect(matches(condition.eq('profile.age', null), { profile: 'x' })).toBe(true);
  });
});

describe('evaluate', () => {
  const docs = [
    { _id: 'd', n: 2, s: 'b' },
    { _id: 'a', n: 1, s: 'b' },
    { _id: 'c', s: 'a' },
    { _id: 'b', n: 2, s: null },
    { _id: 'e', n: 'x', s: 'a' },
  ];

  it('orders by _id when there is no sort', () => {
    expect(evaluate(query({}), docs).map((d) => d._id)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('sorts by each key in turn, breaking ties by _id ascending in both directions', () => {
    expect(evaluate(query({ sort: [{ path: 'n', direction: 'asc' }] }), docs).map((d) => d._id)).toEqual(['c', 'a', 'b', 'd', 'e']);
    expect(evaluate(query({ sort: [{ path: 'n', direction: 'desc' }] }), docs).map((d) => d._id)).toEqual(['e', 'b', 'd', 'a', 'c']);
    expect(
      evaluate(
        query({
          sort: [
            { path: 's', direction: 'asc' },
            { path: 'n', direction: 'desc' },
          ],
        }),
        docs,
      ).map((d) => d._id),
    ).toEqual(['b', 'e', 'c', 'd', 'a']);
  });

  it('applies skip and limit after sorting', () => {
    const q = query({ sort: [{ path: 'n', direction: 'asc' }], skip: 1, limit: 2 });
    expect(evaluate(q, docs).map((d) => d._id)).toEqual(['a', 'b']);
    expect(evaluate(query({ limit: 0 }), docs)).toEqual([]);
    expect(evaluate(query({ skip: 10 }), docs)).toEqual([]);
  });

  it('filters before sorting, returns the documents themselves, and leaves the input alone', () => {
    const input = [...docs];
    const result = evaluate(query({ filter: condition.eq('s', 'a') }), input);
    expect(result.map((d) => d._id)).toEqual(['c', 'e']);
    expect(result[0]).toBe(docs[2]);
    expect(input).toEqual(docs);
  });

  it('compareBy is the order evaluate uses', () => {
    const sort = [{ path: 's', direction: 'desc' as const }];
    expect([...docs].sort(compareBy(sort))).toEqual(evaluate(query({ sort }), docs));
  });
});
