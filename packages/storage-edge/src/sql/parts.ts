import type { SqlFragment } from './statement.js';

/**
 * A value bound to a statement. A `list` is a JSON array of values read as a set, which the
 * statement names as a subquery, `(SELECT value FROM json_each(?))`; that one parameter may be
 * split into several, or all the values packed into arrays, when the statement is fitted to the
 * backend (parameters.ts).
 */
export interface Param {
  readonly value: unknown;
  readonly list: boolean;
}

/**
 * SQL as the compiler builds it: `text[i]` comes before `params[i]`, and `text` has one more
 * element than `params`, as a template literal's strings do. The compiler writes no `?`: where a
 * value goes is known, not found again in the text, and `render` (or `fitStatement`) decides how
 * each is written.
 */
export interface SqlParts {
  readonly text: readonly string[];
  readonly params: readonly Param[];
}

/** A value to bind where it stands in `sql\`…\``. */
export function bind(value: unknown): Param {
  return { value, list: false };
}

/** A JSON array of values read as a set, written where it stands as `(SELECT value FROM json_each(?))`. */
export function bindList(json: string): Param {
  return { value: json, list: true };
}

/**
 * SQL from a template: an interpolated string is SQL text the compiler made (a path literal, a
 * column, an operator), an interpolated `Param` a bound value, and `SqlParts` are spliced in.
 */
export function sql(strings: TemplateStringsArray, ...values: ReadonlyArray<string | Param | SqlParts>): SqlParts {
  const text: string[] = [strings[0]!];
  const params: Param[] = [];
  values.forEach((value, i) => {
    if (typeof value === 'string') text[text.length - 1] += value;
    else if (isParts(value)) append(text, params, value);
    else {
      params.push(value);
      text.push('');
    }
    text[text.length - 1] += strings[i + 1]!;
  });
  return { text, params };
}

/** `parts` joined by `separator` (SQL text). */
export function joinParts(parts: readonly SqlParts[], separator: string): SqlParts {
  const text: string[] = [''];
  const params: Param[] = [];
  parts.forEach((part, i) => {
    if (i > 0) text[text.length - 1] += separator;
    append(text, params, part);
  });
  return { text, params };
}

/** Text with no parameter. */
export function raw(text: string): SqlParts {
  return { text: [text], params: [] };
}

/** The statement as the backend takes it: `?` for a value, `(SELECT value FROM json_each(?))` for a list. */
export function render(parts: SqlParts): SqlFragment {
  let text = parts.text[0]!;
  for (let i = 0; i < parts.params.length; i++) text += (parts.params[i]!.list ? LIST_PLACEHOLDER : '?') + parts.text[i + 1]!;
  return { sql: text, params: parts.params.map((p) => p.value) };
}

export const LIST_PLACEHOLDER = '(SELECT value FROM json_each(?))';

function append(text: string[], params: Param[], part: SqlParts): void {
  text[text.length - 1] += part.text[0]!;
  for (let i = 0; i < part.params.length; i++) {
    params.push(part.params[i]!);
    text.push(part.text[i + 1]!);
  }
}

function isParts(value: Param | SqlParts): value is SqlParts {
  return (value as SqlParts).text !== undefined;
}
