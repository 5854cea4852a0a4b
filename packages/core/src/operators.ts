import type { JsonValue } from './document.js';
import { describe, FIELD_OPERATOR, toJsonValue } from './document.js';
import type { FieldUpdate } from './storage/adapter.js';
import { ValidationError } from './errors.js';

/**
 * Field operators: values in an `update`, `bulkUpdate` or `upsert` patch that say how to change
 * a field from its stored value instead of what to set it to. Storage applies them where the
 * write happens (inside the SQL UPDATE, or inside a Durable Object's write queue), so concurrent
 * writers never lose each other's changes.
 *
 * A registered symbol marks them, not a class: a patch built with another copy of
 * `@pocket/core` (two bundles, a test helper) still carries operators, not plain objects.
 */
const OPERATOR = FIELD_OPERATOR;

/** `increment(n)`: adds `n` to a number field; a missing or null field counts as 0. */
export interface Increment {
  readonly [OPERATOR]: 'increment';
  readonly by: number;
}

/** `arrayUnion(...values)`: appends each value the array does not hold yet. */
export interface ArrayUnion<E = JsonValue> {
  readonly [OPERATOR]: 'arrayUnion';
  readonly values: readonly E[];
}

/** `arrayRemove(...values)`: removes every element equal to one of the values. */
export interface ArrayRemove<E = JsonValue> {
  readonly [OPERATOR]: 'arrayRemove';
  readonly values: readonly E[];
}

/** `deleteField()`: removes the field from the document. */
export interface DeleteField {
  readonly [OPERATOR]: 'deleteField';
}

export type FieldOperator = Increment | ArrayUnion<unknown> | ArrayRemove<unknown> | DeleteField;

/**
 * The operators a patch may use on a field of type `V`: `increment` on number fields,
 * `arrayUnion`/`arrayRemove` on array fields (with the element type), `deleteField` on optional
 * fields. A field of unknown type (a collection opened without a type) takes any of them.
 */
export type OperatorFor<V> = unknown extends V
  ? FieldOperator
  : | (NonNullable<V> extends number ? Increment : never)
    | (NonNullable<V> extends ReadonlyArray<infer E> ? ArrayUnion<E> | ArrayRemove<E> : never)
    | (undefined extends V ? DeleteField : never);

/** Adds `by` (a finite number, negative to subtract) to the field, atomically. */
export function increment(by: number): Increment {
  if (typeof by !== 'number' || !Number.isFinite(by)) {
    throw new ValidationError(`increment() takes a finite number, got ${describe(by)}.`);
  }
  return Object.freeze({ [OPERATOR]: 'increment', by: by === 0 ? 0 : by }) as Increment;
}

/** Appends each of `values` that the array field does not already hold (equal as `equals()` compares). */
export function arrayUnion<E extends JsonValue>(...values: E[]): ArrayUnion<E> {
  return Object.freeze({ [OPERATOR]: 'arrayUnion', values: distinct(values, 'arrayUnion') }) as unknown as ArrayUnion<E>;
}

/** Removes from the array field every element equal to one of `values`. */
export function arrayRemove<E extends JsonValue>(...values: E[]): ArrayRemove<E> {
  return Object.freeze({ [OPERATOR]: 'arrayRemove', values: distinct(values, 'arrayRemove') }) as unknown as ArrayRemove<E>;
}

/** Removes the field from the document. */
export function deleteField(): DeleteField {
  return DELETE_FIELD;
}

const DELETE_FIELD = Object.freeze({ [OPERATOR]: 'deleteField' }) as DeleteField;

/** Whether `value` is one of the operators above (from any copy of this package). */
export function isFieldOperator(value: unknown): value is FieldOperator {
  return typeof value === 'object' && value !== null && Object.hasOwn(value, OPERATOR);
}

/** The operator's kind: `'increment'`, `'arrayUnion'`, `'arrayRemove'` or `'deleteField'`. */
export function operatorKind(operator: FieldOperator): FieldUpdate['kind'] {
  return (operator as unknown as Record<symbol, FieldUpdate['kind']>)[OPERATOR]!;
}

/** The values, checked as JSON, each once (equal values collapse to the first). */
function distinct(values: readonly unknown[], name: string): JsonValue[] {
  const out: JsonValue[] = [];
  const seen = new Set<string>();
  values.forEach((value, i) => {
    const checked = toJsonValue(value, `[${i}]`, `${name}() value`);
    const key = JSON.stringify(checked);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(checked);
    }
  });
  return out;
}
