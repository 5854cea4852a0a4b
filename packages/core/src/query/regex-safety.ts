// What makes a regular expression safe to run on stored documents: `matches()` checks its
// pattern here when a query is built, and the evaluator checks again before running a pattern it
// was handed (a query parsed from JSON, or an AST built by hand), since a Worker cannot interrupt
// a runaway match.
import { describe } from '../document.js';
import { QueryError } from '../errors.js';

/** Longest accepted regular-expression source; long patterns are where backtracking hides. */
export const MAX_REGEX_LENGTH = 512;
const ALLOWED_FLAGS = /^[imsu]*$/;

/**
 * The source and flags of a `matches()` pattern, checked: a RegExp or a pattern string, flags
 * among i, m, s, u (g and y dropped), at most `MAX_REGEX_LENGTH` characters, valid, and without
 * the nesting that makes matching take exponential time.
 */
export function checkedRegex(path: string, pattern: unknown, flags?: string): { source: string; flags: string } {
  let source: string;
  let f: string;
  if (pattern instanceof RegExp) {
    source = pattern.source;
    // g and y make RegExp#test stateful; a filter must give the same answer every time.
    f = (flags ?? pattern.flags).replace(/[gyd]/g, '');
  } else if (typeof pattern === 'string') {
    source = pattern;
    f = flags ?? '';
  } else {
    throw new QueryError(`matches() on "${path}" takes a RegExp or a pattern string, got ${describe(pattern)}.`);
  }
  if (!ALLOWED_FLAGS.test(f)) throw new QueryError(`matches() on "${path}": flags "${f}" are not supported; use any of i, m, s, u.`);
  if (source.length > MAX_REGEX_LENGTH) {
    throw new QueryError(`matches() on "${path}": the pattern is ${source.length} characters; the limit is ${MAX_REGEX_LENGTH}.`);
  }
  try {
    new RegExp(source, f);
  } catch (error) {
    throw new QueryError(`matches() on "${path}": invalid regular expression /${source}/${f}.`, { cause: error });
  }
  assertLinearRegex(path, source);
  return { source, flags: f };
}

/**
 * Refuses the pattern shape behind catastrophic backtracking: a group that repeats around
 * something that itself matches a varying number of times — `(a+)+`, `(\w*\s?)*`, `(x+y)+`,
 * `(a?){20}`. On a string that almost matches (`'aaaa…b'` for `/(a+)+$/`) a backtracking engine
 * tries every way to split the input between the two quantifiers: exponential time, with no way
 * to interrupt it inside a Worker. Exact repeats (`(\d{3})+`) and groups repeated at most once
 * (`(a+)?`) are allowed. Overlapping alternatives under a quantifier (`(a|ab)*`) are not detected;
 * see the limitations page.
 */
export function assertLinearRegex(path: string, source: string): void {
  const nested = nestedQuantifier(source);
  if (nested !== null) {
    throw new QueryError(
      `matches() on "${path}": the pattern repeats ${JSON.stringify(nested)}, a group that itself contains a repetition; such patterns can take exponential time on some inputs (catastrophic backtracking), so Pocket refuses them. Write it without the nesting, e.g. /(a+)+$/ as /a+$/.`,
    );
  }
}

const QUANTIFIER = /^(?:([*+?])|\{(\d+)(?:(,)(\d*))?\})\??/;

/** The first repeated group that contains a variable repetition (as source text), or null. */
export function nestedQuantifier(source: string): string | null {
  // One entry per open group: where it starts and whether something inside repeats variably.
  const groups: Array<{ start: number; variable: boolean }> = [];
  let atom: { start: number; variable: boolean } | null = null;
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === '\\') {
      const start = i;
      i += 2;
      // \u{…}, \p{…}, \P{…}, \k<…>: skip the braces so they are not read as a quantifier.
      const next = source[i - 1];
      if ((next === 'u' || next === 'p' || next === 'P') && source[i] === '{') i = source.indexOf('}', i) + 1 || source.length;
      else if (next === 'k' && source[i] === '<') i = source.indexOf('>', i) + 1 || source.length;
      atom = { start, variable: false };
    } else if (c === '[') {
      const start = i++;
      if (source[i] === '^') i++;
      while (i < source.length && source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
      i++;
      atom = { start, variable: false };
    } else if (c === '(') {
      groups.push({ start: i, variable: false });
      i++;
      if (source[i] === '?') {
        // (?: (?= (?! (?<= (?<! (?<name>
        if (source[i + 1] === '<' && source[i + 2] !== '=' && source[i + 2] !== '!') i = source.indexOf('>', i) + 1;
        else i += source[i + 1] === '<' ? 3 : 2;
      }
      atom = null;
    } else if (c === ')') {
      const group = groups.pop() ?? { start: 0, variable: false };
      if (group.variable && groups.length > 0) groups[groups.length - 1]!.variable = true;
      atom = { start: group.start, variable: group.variable };
      i++;
    } else {
      const q = QUANTIFIER.exec(source.slice(i, i + 24));
      if (q === null || atom === null) {
        // A literal, an anchor, `|`, `.`, or a `{` that is not a quantifier.
        atom = c === '|' ? null : { start: i, variable: false };
        i++;
        continue;
      }
      const min = q[1] === undefined ? Number(q[2]) : q[1] === '+' ? 1 : 0;
      const max = q[1] === undefined ? (q[3] === undefined ? min : q[4] === '' ? Infinity : Number(q[4])) : q[1] === '?' ? 1 : Infinity;
      if (atom.variable && max > 1) return source.slice(atom.start, i + q[0].length);
      if (max !== min && groups.length > 0) groups[groups.length - 1]!.variable = true;
      i += q[0].length;
      atom = null;
    }
  }
  return null;
}
