import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  createMemoryStorage,
  Database,
  type ChangeEvent,
  type Collection,
  type FieldPath,
  type FilterObject,
  type JsonValue,
  type PathValue,
  type QueryBuilder,
  type WithRev,
  increment,
  arrayUnion,
  arrayRemove,
  deleteField,
} from '@pocket/core';

// These tests are checked by `tsc -p tsconfig.json` (expectTypeOf and the @ts-expect-error
// lines); at run time they only build queries, which must not throw.

interface Todo {
  _id: string;
  title: string;
  completed: boolean;
  userId: string;
  createdAt: string;
  priority?: number;
  tags: string[];
  profile: { age: number; name: string; address?: { city: string } } | null;
}

const db = Database.open({ name: 'types', storage: createMemoryStorage() });
const todos = db.collection<Todo>('todos');
const untyped = db.collection('things');

describe('field paths', () => {
  it('are the keys of the document and their nested keys', () => {
    expectTypeOf<'title'>().toExtend<FieldPath<Todo>>();
    expectTypeOf<'profile'>().toExtend<FieldPath<Todo>>();
    expectTypeOf<'profile.age'>().toExtend<FieldPath<Todo>>();
    expectTypeOf<'profile.address.city'>().toExtend<FieldPath<Todo>>();
    expectTypeOf<'titel'>().not.toExtend<FieldPath<Todo>>();
    expectTypeOf<'tags.0'>().not.toExtend<FieldPath<Todo>>();
    expectTypeOf<'profile.agee'>().not.toExtend<FieldPath<Todo>>();
    expectTypeOf<FieldPath<{ _id: string; [key: string]: unknown }>>().toEqualTypeOf<string>();
  });

  it('have the type of the value they lead to', () => {
    expectTypeOf<PathValue<Todo, 'title'>>().toEqualTypeOf<string>();
    expectTypeOf<PathValue<Todo, 'priority'>>().toEqualTypeOf<number | undefined>();
    expectTypeOf<PathValue<Todo, 'profile.age'>>().toEqualTypeOf<number>();
    expectTypeOf<PathValue<Todo, 'profile.address.city'>>().toEqualTypeOf<string>();
    expectTypeOf<PathValue<Todo, 'tags'>>().toEqualTypeOf<string[]>();
  });

  it('on an untyped collection, every undeclared field is unknown, even Object.prototype names', () => {
    type Any = typeof untyped extends Collection<infer T> ? T : never;
    expectTypeOf<PathValue<Any, 'anything'>>().toBeUnknown();
    expectTypeOf<PathValue<Any, 'toString'>>().toBeUnknown();
    expectTypeOf<PathValue<Any, 'constructor'>>().toBeUnknown();
    expectTypeOf<PathValue<Any, 'a.b.c'>>().toBeUnknown();
    expectTypeOf<PathValue<Any, '_id'>>().toEqualTypeOf<string>();
    expect(untyped.find().where('constructor').equals('x').where('toString').gt(1).toQuery().filter).not.toBeNull();
  });
});

describe('conditions are typed by the field', () => {
  it('accept values of the field type', () => {
    const q = todos
      .find()
      .where('title')
      .equals('x')
      .where('completed')
      .equals(false)
      .where('profile.age')
      .gt(18)
      .where('profile.age')
      .between(18, 65)
      .where('profile')
      .equals(null)
      .where('priority')
      .in([1, 2, null])
      .where('tags')
      .contains('urgent')
      .where('title')
      .contains('sub')
      .where('title')
      .startsWith('T')
      .where('title')
      .matches(/^T/i)
      .where('createdAt')
      .gte('2026-01-01T00:00:00.000Z')
      .where('userId')
      .notIn([])
      .where('completed')
      .exists(false);
    expectTypeOf(q).toEqualTypeOf<QueryBuilder<Todo, WithRev<Todo>>>();
    expect(q.toQuery().filter).not.toBeNull();
  });

  it('reject wrong field names and wrong value types', () => {
    const find = () => todos.find();
    const attempts = [
      // @ts-expect-error there is no field 'titel'
      () => find().where('titel'),
      // @ts-expect-error completed is a boolean, not a number
      () => find().where('completed').equals(1),
      // @ts-expect-error profile.age is a number
      () => find().where('profile.age').equals('30'),
      // @ts-expect-error title is a string
      () => find().where('title').gt(5),
      // @ts-expect-error tags holds strings
      () => find().where('tags').contains(1),
      // @ts-expect-error ranges are for scalars; tags is an array
      () => find().where('tags').gt('a'),
      // @ts-expect-error a number field has no substrings or elements
      () => find().where('profile.age').contains(3),
      // @ts-expect-error in() takes values of the field's type
      () => find().where('userId').in([1]),
      // @ts-expect-error startsWith takes a string
      () => find().where('title').startsWith(1),
      // @ts-expect-error sort by a field that does not exist
      () => find().sort('nope'),
      // @ts-expect-error undefined is not a query value: use exists(false)
      () => untyped.find().where('x').equals(undefined),
    ];
    expect(attempts).toHaveLength(11);
  });

  it('groups are typed by the same document', () => {
    const q = todos.find().or(
      (g) => g.where('completed').equals(true),
      (g) =>
        g.and(
          (h) => h.where('profile.age').lt(18),
          (h) => h.where('tags').contains('kid'),
        ),
    );
    expectTypeOf(q).toEqualTypeOf<QueryBuilder<Todo, WithRev<Todo>>>();
    const grouped = todos
      .find()
      // @ts-expect-error inside a group, fields are checked too
      .or((g) => g.where('nope').equals(1));
    expect(grouped.toQuery().filter).toEqual({ kind: 'condition', op: 'eq', path: 'nope', value: 1 });
  });

  it('untyped collections accept any field and any JSON value', () => {
    const q = untyped
      .find()
      .where('any.nested.path')
      .equals({ a: [1, 'x', null] })
      .where('n')
      .gt(1)
      .where('list')
      .contains([1]);
    expectTypeOf<Parameters<ReturnType<typeof q.where<'x'>>['equals']>[0]>().toEqualTypeOf<JsonValue>();
    expect(q.toQuery().filter).not.toBeNull();
  });
});

describe('collection methods', () => {
  it('return the document type', () => {
    expectTypeOf(todos.find().exec()).resolves.toEqualTypeOf<Array<WithRev<WithRev<Todo>>>>();
    expectTypeOf(todos.find().first()).resolves.toEqualTypeOf<WithRev<WithRev<Todo>> | null>();
    expectTypeOf(todos.find().count()).resolves.toEqualTypeOf<number>();
    expectTypeOf(todos.get('a')).resolves.toEqualTypeOf<WithRev<WithRev<Todo>> | null>();
    expectTypeOf(todos.getMany(['a'])).resolves.toEqualTypeOf<Array<WithRev<WithRev<Todo>> | null>>();
    expectTypeOf(todos.insert).returns.resolves.toEqualTypeOf<WithRev<Todo>>();
    expectTypeOf(todos.update).returns.resolves.toEqualTypeOf<WithRev<Todo>>();
    expectTypeOf(todos.bulkInsert).returns.resolves.toEqualTypeOf<Array<WithRev<WithRev<Todo>>>>();
    expectTypeOf(todos.delete).returns.resolves.toEqualTypeOf<boolean>();
    expectTypeOf(todos.bulkDelete).returns.resolves.toEqualTypeOf<number>();
    expectTypeOf(db.collection<Todo>('todos')).toEqualTypeOf<Collection<Todo>>();
  });

  it('insert takes fields of the document type, _id optional; update takes some of its fields', () => {
    const doc = { title: 't', completed: false, userId: 'u', createdAt: '', tags: [], profile: null };
    expectTypeOf(doc).toExtend<Parameters<typeof todos.insert>[0]>();
    expectTypeOf({ ...doc, _id: 'a' }).toExtend<Parameters<typeof todos.insert>[0]>();
    // Fields are optional on insert on purpose (documents are built from a Partial<T>; see NewDocument).
    expectTypeOf<Partial<Todo>>().toExtend<Parameters<typeof todos.insert>[0]>();
    expectTypeOf({ completed: true }).toExtend<Parameters<typeof todos.update>[1]>();
    const attempts = [
      // @ts-expect-error title is a string
      () => todos.insert({ ...doc, title: 5 }),
      // @ts-expect-error no such field
      () => todos.insert({ ...doc, titel: 't' }),
      // @ts-expect-error _id must be a string
      () => todos.insert({ ...doc, _id: 5 }),
      // @ts-expect-error completed is a boolean
      () => todos.update('a', { completed: 'yes' }),
      // @ts-expect-error bulkUpdate takes { id, changes }
      () => todos.bulkUpdate([{ _id: 'a', completed: true }]),
    ];
    expect(attempts).toHaveLength(5);
  });

  it('find(object) is typed by path', () => {
    expectTypeOf<{ userId: string; 'profile.age': number }>().toExtend<FilterObject<Todo>>();
    // null means "null or missing", as with equals(null), whatever the field's type.
    expectTypeOf<{ completed: null; priority: null }>().toExtend<FilterObject<Todo>>();
    expectTypeOf<{ completed: 'no' }>().not.toExtend<FilterObject<Todo>>();
    // @ts-expect-error unknown field in a filter object
    expect(todos.find({ titel: 'x' }).toQuery().filter).not.toBeNull();
  });

  it('change events say which kinds carry a document', () => {
    expectTypeOf<Extract<ChangeEvent, { type: 'delete' }>>().not.toHaveProperty('doc');
    expectTypeOf<Exclude<ChangeEvent, { type: 'delete' }>['doc']['_id']>().toEqualTypeOf<string>();
  });
});

describe('projections and pages', () => {
  it('select() returns a Pick with _id, and filters and sorts still take every field', () => {
    const picked = todos.find().where('completed').equals(false).sort('createdAt', 'desc').select('title', 'userId').limit(20);
    expectTypeOf(picked.exec()).resolves.toEqualTypeOf<Array<Pick<Todo, '_id' | 'title' | 'userId'> & { _rev: number }>>();
    expectTypeOf(picked.first()).resolves.toEqualTypeOf<(Pick<Todo, '_id' | 'title' | 'userId'> & { _rev: number }) | null>();
    expectTypeOf(picked.page()).resolves.toEqualTypeOf<{ docs: Array<Pick<Todo, '_id' | 'title' | 'userId'> & { _rev: number }>; next: string | null }>();
    picked.where('priority').gt(3).sort('profile.age');
    // @ts-expect-error not a field of Todo
    todos.find().select('titel');
    // @ts-expect-error select() takes top-level fields; nested ones are selected with their parent
    const nested = () => todos.find().select('profile.age');
    expect(typeof nested).toBe('function');
    expectTypeOf(untyped.find().select('anything').exec()).resolves.toExtend<Array<{ _id: string }>>();
  });

  it('page() and after() keep the document type', () => {
    const page = todos.find().sort('createdAt', 'desc').limit(20);
    expectTypeOf(page.page()).resolves.toEqualTypeOf<{ docs: Array<WithRev<Todo>>; next: string | null }>();
    expectTypeOf(page.after).returns.toEqualTypeOf<typeof page>();
  });
});

describe('revisions and field operators', () => {
  it('operators are typed by the field they change', () => {
    // Built, never run: only the types are under test here.
    const typed = (): void => {
      void todos.update('a', { priority: increment(1) }, { expectedRev: 3 });
      void todos.update('a', { tags: arrayUnion('x', 'y') });
      void todos.update('a', { tags: arrayRemove('x') });
      void todos.update('a', { priority: deleteField() });
      void todos.upsert({ _id: 'a', title: 't', priority: increment(2) }, { expectedRev: 0 });
      void todos.bulkUpdate([{ id: 'a', changes: { priority: increment(-1) }, expectedRev: 2 }]);
      void todos.delete('a', { expectedRev: 4 });
      // @ts-expect-error increment only on number fields
      void todos.update('a', { title: increment(1) });
      // @ts-expect-error array operators only on array fields
      void todos.update('a', { title: arrayUnion('x') });
      // @ts-expect-error an element of the wrong type
      void todos.update('a', { tags: arrayUnion(1) });
      // @ts-expect-error deleteField only on optional fields
      void todos.update('a', { title: deleteField() });
    };
    expect(typeof typed).toBe('function');
  });

  it('reads carry _rev; a document read back can be written again', () => {
    const roundTrip = async (): Promise<void> => {
      const doc = await todos.get('a');
      if (doc === null) return;
      expectTypeOf(doc._rev).toEqualTypeOf<number>();
      await todos.upsert({ ...doc, title: 'again' }, { expectedRev: doc._rev });
      const feed = await todos.changes({ since: '0', limit: 10 });
      expectTypeOf(feed.checkpoint).toEqualTypeOf<string>();
      expectTypeOf(feed.changes[0]!.doc).toEqualTypeOf<WithRev<Todo> | null>();
    };
    expect(typeof roundTrip).toBe('function');
  });
});

describe('_rev in queries', () => {
  it('filters and sorts may name _rev on a typed collection, as a number', () => {
    const q = todos.find({ _rev: 2 }).where('_rev').gt(1).sort('_rev', 'desc');
    expectTypeOf(q.exec()).resolves.toEqualTypeOf<Array<WithRev<Todo>>>();
    // @ts-expect-error _rev is a number
    todos.find().where('_rev').equals('2');
    expect(q.toQuery().sort).toEqual([{ path: '_rev', direction: 'desc' }]);
  });
});
