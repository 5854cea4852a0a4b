// The regular-expression policy (docs/limitations.md): patterns of at most 512 characters, flags
// i, m, s and u, and no group that repeats around another repetition — the shape of
// catastrophic backtracking, e.g. /(a+)+$/ on 'aaaa…b'. Refused by the builder and, for filters
// made by hand or received as JSON, by the evaluator, before any regex runs.
import { condition, createMemoryStorage, Database, QueryError, type Filter } from '@pocket/core';
import { evaluate, matches } from '@pocket/core/adapter';
import { describe, expect, it } from 'vitest';
import { nestedQuantifier } from '../src/query/regex-safety.js';

const refused: Array<[pattern: string, nested: string]> = [
  ['(a+)+$', '(a+)+'],
  ['^(a*)*b', '(a*)*'],
  ['(\\w+\\s?)*$', '(\\w+\\s?)*'],
  ['(x+x+)+y', '(x+x+)+'],
  ['(a?){25}a{25}', '(a?){25}'],
  ['((ab)*)+$', '((ab)*)+'],
  ['(.*a){12}', '(.*a){12}'],
  ['^(?:[a-z]+\\d*)+$', '(?:[a-z]+\\d*)+'],
  ['(?<word>\\w+)*!', '(?<word>\\w+)*'],
  ['((a)+)+', '((a)+)+'],
  ['(a{2,3})+', '(a{2,3})+'],
  ['(a{2,})*', '(a{2,})*'],
  ['(a+)*?', '(a+)*?'],
  ['(a|b+)+', '(a|b+)+'],
  ['(\\p{L}+)+', '(\\p{L}+)+'],
  ['^([a-zA-Z0-9])(([\\-.]|[_]+)?([a-zA-Z0-9]+))*(@)', '(([\\-.]|[_]+)?([a-zA-Z0-9]+))*'],
];

const allowed = [
  '^a',
  '^(a|b)+$',
  '(\\d{3})+',
  '(a+)?',
  '(?:a+){1}',
  '(a+){1,1}',
  '(a)+',
  '(a){2,}',
  '[(a+)]+',
  '\\(a+\\)+',
  '\\d+-\\d+',
  '^[^@]+@[^@]+\\.[a-z]{2,}$',
  '\\u{1F600}+',
  '(?=a+)b',
  'a{2}b{3,}c*',
  '\\{(a+)\\}+',
  '^-?\\d+(\\.\\d+)?$',
];

describe('regular expressions', () => {
  it.each(refused)('refuses /%s/: it repeats %s around a repetition', (pattern, nested) => {
    expect(nestedQuantifier(pattern)).toBe(nested);
    const error = (() => {
      try {
        condition.regex('s', pattern);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(QueryError);
    expect((error as QueryError).message).toContain(JSON.stringify(nested));
    expect((error as QueryError).message).toContain('catastrophic backtracking');
    expect(() => condition.regex('s', new RegExp(pattern, 'u'))).toThrow(QueryError);
  });

  it.each(allowed)('allows /%s/', (pattern) => {
    expect(nestedQuantifier(pattern)).toBeNull();
    expect(condition.regex('s', pattern, 'u')).toMatchObject({ op: 'regex', source: pattern });
  });

  it('the evaluator refuses a hand-made filter with a nested quantifier before running it', () => {
    const hostile = `${'a'.repeat(64)}b`; // would take about 2^64 steps
    const filter: Filter = { kind: 'condition', op: 'regex', path: 's', source: '(a+)+$', flags: '' };
    expect(() => matches(filter, { _id: 'x', s: hostile })).toThrow(QueryError);
    expect(() =>
      evaluate({ filter: { kind: 'or', filters: [{ kind: 'condition', op: 'eq', path: 's', value: 1 }, filter] }, sort: [], skip: 0, limit: null }, [
        { _id: 'x', s: hostile },
      ]),
    ).toThrow(/catastrophic backtracking/);
  });

  it('allowed patterns give the evaluator’s answers on hostile strings', async () => {
    const todos = (await Database.create({ name: 'r', storage: createMemoryStorage() })).collection('todos');
    const docs = [
      { _id: 'a', s: `${'a'.repeat(5000)}b` },
      { _id: 'b', s: 'ab'.repeat(2000) },
      { _id: 'c', s: 'x@example.com' },
      { _id: 'd', s: '-12.5' },
      { _id: 'e', s: '😀😀' },
      { _id: 'f', s: 42 },
    ];
    await todos.bulkInsert(docs);
    const ids = async (pattern: string, flags = '') => (await todos.find().where('s').matches(pattern, flags).exec()).map((d) => d._id);
    expect(await ids('^a+b$')).toEqual(['a']);
    expect(await ids('^(a|b)+$')).toEqual(['a', 'b']);
    expect(await ids('^[^@]+@[^@]+\\.[a-z]{2,}$')).toEqual(['c']);
    expect(await ids('^-?\\d+(\\.\\d+)?$')).toEqual(['d']);
    expect(await ids('^\\u{1F600}+$', 'u')).toEqual(['e']);
    expect(await ids('^.$')).toEqual([]);
    expect(await ids('^..$', 'u')).toEqual(['e']);
  });

  it('keeps the other limits: 512 characters, flags i m s u, stateless g and y dropped from RegExp objects', () => {
    expect(() => condition.regex('s', 'a'.repeat(513))).toThrow(/limit is 512/);
    expect(condition.regex('s', 'a'.repeat(512))).toMatchObject({ op: 'regex' });
    expect(() => condition.regex('s', 'a', 'g')).toThrow(QueryError);
    expect(() => condition.regex('s', 'a', 'v')).toThrow(QueryError);
    expect(condition.regex('s', /a/gimsuy)).toMatchObject({ flags: 'imsu' });
    expect(() => condition.regex('s', '(')).toThrow(/invalid regular expression/);
  });
});
