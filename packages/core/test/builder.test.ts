import { describe, expect, it } from 'vitest';
import { and, condition, createMemoryStorage, Database, FilterBuilder, or, QueryError, type AnyDocument, type FindQuery } from '@pocket/core';

function todos() {
  return Database.open({ name: 'builder', storage: createMemoryStorage() }).collection('todos');
}

function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  return Object.isFrozen(value) && Object.values(value).every(isDeepFrozen);
}

const eq = (path: string, value: unknown) => ({ kind: 'condition', op: 'eq', path, value });

describe('immutability', () => {
  it('extending a builder leaves the original as it was', () => {
    const base = todos().find().where('userId').equals('u1');
    const before = JSON.stringify(base.toQuery());
    const extended = base.where('done').equals(false).sort('createdAt', 'desc').skip(10).limit(5);
    expect(extended).not.toBe(base);
    expect(JSON.stringify(base.toQuery())).toBe(before);
    expect(base.toQuery()).toEqual({ filter: eq('userId', 'u1'), sort: [], skip: 0, limit: null });
    expect(extended.toQuery()).toEqual({
      filter: { kind: 'and', filters: [eq('userId', 'u1'), eq('done', false)] },
      sort: [{ path: 'createdAt', direction: 'desc' }],
      skip: 10,
      limit: 5,
    });
  });

  it('one builder can be extended in several directions', () => {
    const base = todos().find().where('a').equals(1).sort('a');
    const left = base.where('b').equals(2);
    const right = base
      .or(
        (q) => q.where('c').equals(3),
        (q) => q.where('d').equals(4),
      )
      .sort('b', 'desc');
    const paged = base.limit(3);
    expect(left.toQuery().filter).toEqual({ kind: 'and', filters: [eq('a', 1), eq('b', 2)] });
    expect(left.toQuery().sort).toEqual([{ path: 'a', direction: 'asc' }]);
    expect(right.toQuery().filter).toEqual({ kind: 'and', filters: [eq('a', 1), { kind: 'or', filters: [eq('c', 3), eq('d', 4)] }] });
    expect(right.toQuery().sort).toEqual([
      { path: 'a', direction: 'asc' },
      { path: 'b', direction: 'desc' },
    ]);
    expect(paged.toQuery()).toEqual({ filter: eq('a', 1), sort: [{ path: 'a', direction: 'asc' }], skip: 0, limit: 3 });
    expect(base.toQuery()).toEqual({ filter: eq('a', 1), sort: [{ path: 'a', direction: 'asc' }], skip: 0, limit: null });
  });

  it('skip and limit replace earlier values; sort keys accumulate', () => {
    const q = todos().find().skip(5).skip(2).limit(10).limit(1).sort('a').sort('b', 'desc').toQuery();
    expect(q).toMatchObject({
      skip: 2,
      limit: 1,
      sort: [
        { path: 'a', direction: 'asc' },
        { path: 'b', direction: 'desc' },
      ],
    });
  });

  it('toQuery() is frozen all the way down, for every kind of node', () => {
    const q = todos()
      .find({ userId: 'u1', profile: { tags: ['x'] } })
      .where('n')
      .between(1, 5)
      .where('tags')
      .in([['a'], { k: [1] }])
      .where('tags')
      .notIn([])
      .where('name')
      .matches(/^a/i)
      .or(
        (g) => g.where('x').exists(),
        (g) =>
          g
            .where('y')
            .startsWith('p')
            .where('z')
            .contains({ deep: [1] }),
      )
      .sort('n', 'desc')
      .toQuery();
    expect(isDeepFrozen(q)).toBe(true);
    expect(isDeepFrozen(todos().find().toQuery())).toBe(true);
    expect(isDeepFrozen(new FilterBuilder<AnyDocument>().where('a').equals({ b: [{ c: 1 }] }).filter)).toBe(true);
  });

  it('the AST cannot be changed through toQuery(), nor through the values given to the builder', () => {
    const list: unknown[] = [1, { a: 1 }];
    const object = { nested: [1, 2] };
    const builder = todos()
      .find()
      .where('a')
      .in(list as number[])
      .where('b')
      .equals(object);
    const snapshot = JSON.stringify(builder.toQuery());
    list.push(3);
    (list[1] as { a: number }).a = 2;
    object.nested.push(3);
    const query = builder.toQuery() as unknown as { sort: unknown[] };
    expect(() => query.sort.push({ path: 'x', direction: 'asc' })).toThrow(TypeError);
    expect(JSON.stringify(builder.toQuery())).toBe(snapshot);
  });

  it('toQuery() round-trips through JSON', () => {
    const q = todos()
      .find()
      .where('title')
      .matches('^é.+😀', 'iu')
      .where('n')
      .between(-1.5, 1e21)
      .where('tags')
      .in(['a', null, true, 0, [], {}])
      .or(
        (g) => g.where('a').exists(false),
        (g) =>
          g.and(
            (h) => h.where('b').notEquals(null),
            (h) => h.where('c').lt('z'),
          ),
      )
      .sort('n', 'desc')
      .skip(3)
      .limit(7)
      .toQuery();
    const copy: FindQuery = JSON.parse(JSON.stringify(q));
    expect(copy).toStrictEqual(JSON.parse(JSON.stringify(copy)));
    expect(copy).toEqual(q);
  });
});

describe('the AST of each condition', () => {
  const where = (path = 'f') => new FilterBuilder<AnyDocument>().where(path);

  it('equals, notEquals and ranges', () => {
    expect(where().equals('x').filter).toEqual({ kind: 'condition', op: 'eq', path: 'f', value: 'x' });
    expect(where().equals(null).filter).toEqual({ kind: 'condition', op: 'eq', path: 'f', value: null });
    expect(where().notEquals(1).filter).toEqual({ kind: 'condition', op: 'ne', path: 'f', value: 1 });
    expect(where().gt(1).filter).toEqual({ kind: 'condition', op: 'gt', path: 'f', value: 1 });
    expect(where().gte('a').filter).toEqual({ kind: 'condition', op: 'gte', path: 'f', value: 'a' });
    expect(where().lt(true).filter).toEqual({ kind: 'condition', op: 'lt', path: 'f', value: true });
    expect(where().lte(-0.5).filter).toEqual({ kind: 'condition', op: 'lte', path: 'f', value: -0.5 });
  });

  it('between is gte AND lte, both ends included', () => {
    expect(where().between(1, 9).filter).toEqual({
      kind: 'and',
      filters: [
        { kind: 'condition', op: 'gte', path: 'f', value: 1 },
        { kind: 'condition', op: 'lte', path: 'f', value: 9 },
      ],
    });
  });

  it('in and notIn copy their lists, empty lists included', () => {
    expect(where().in([1, 'a', null]).filter).toEqual({ kind: 'condition', op: 'in', path: 'f', values: [1, 'a', null] });
    expect(where().in([]).filter).toEqual({ kind: 'condition', op: 'in', path: 'f', values: [] });
    expect(where().notIn([[1], { a: 1 }]).filter).toEqual({ kind: 'condition', op: 'nin', path: 'f', values: [[1], { a: 1 }] });
  });

  it('exists, startsWith, contains', () => {
    expect(where().exists().filter).toEqual({ kind: 'condition', op: 'exists', path: 'f', exists: true });
    expect(where().exists(false).filter).toEqual({ kind: 'condition', op: 'exists', path: 'f', exists: false });
    expect(where().startsWith('pre').filter).toEqual({ kind: 'condition', op: 'startsWith', path: 'f', prefix: 'pre' });
    expect(where().contains('x').filter).toEqual({ kind: 'condition', op: 'contains', path: 'f', value: 'x' });
    expect(where().contains({ a: [1] }).filter).toEqual({ kind: 'condition', op: 'contains', path: 'f', value: { a: [1] } });
  });

  it('matches keeps the source and the flags that make sense for a filter', () => {
    expect(where().matches(/ab+c/i).filter).toEqual({ kind: 'condition', op: 'regex', path: 'f', source: 'ab+c', flags: 'i' });
    expect(where().matches('^a', 'mu').filter).toEqual({ kind: 'condition', op: 'regex', path: 'f', source: '^a', flags: 'mu' });
    expect(where().matches('x').filter).toEqual({ kind: 'condition', op: 'regex', path: 'f', source: 'x', flags: '' });
    // g, y and d make RegExp#test stateful or are meaningless for a filter: they are dropped.
    expect(where().matches(/x/dgy).filter).toEqual({ kind: 'condition', op: 'regex', path: 'f', source: 'x', flags: '' });
    expect(where().matches(/x/s, 'i').filter).toEqual({ kind: 'condition', op: 'regex', path: 'f', source: 'x', flags: 'i' });
  });

  it('nested paths are kept as written', () => {
    expect(where('profile.address.city').equals('Zürich').filter).toEqual({ kind: 'condition', op: 'eq', path: 'profile.address.city', value: 'Zürich' });
  });

  it('the builder and the exported factories build the same nodes', () => {
    expect(where().equals(1).filter).toEqual(condition.eq('f', 1));
    expect(where().in([1]).filter).toEqual(condition.in('f', [1]));
    expect(where().matches('a', 'i').filter).toEqual(condition.regex('f', 'a', 'i'));
    expect(where().between(1, 2).filter).toEqual(and(condition.gte('f', 1), condition.lte('f', 2)));
  });
});

describe('combining conditions', () => {
  it('several conditions on one field AND together', () => {
    const q = new FilterBuilder<AnyDocument>().where('n').gt(1).where('n').lt(5).where('n').notEquals(3);
    expect(q.filter).toEqual({
      kind: 'and',
      filters: [
        { kind: 'condition', op: 'gt', path: 'n', value: 1 },
        { kind: 'condition', op: 'lt', path: 'n', value: 5 },
        { kind: 'condition', op: 'ne', path: 'n', value: 3 },
      ],
    });
  });

  it('ANDs are flattened; between followed by another condition gives one flat AND', () => {
    const q = new FilterBuilder<AnyDocument>().where('n').between(1, 5).where('m').equals(2);
    expect(q.filter).toEqual({ kind: 'and', filters: [condition.gte('n', 1), condition.lte('n', 5), eq('m', 2)] });
  });

  it('or() adds one group that ANDs with what is already there', () => {
    const q = new FilterBuilder<AnyDocument>()
      .where('a')
      .equals(1)
      .or(
        (g) => g.where('b').equals(2),
        (g) => g.where('c').equals(3).where('d').equals(4),
      );
    expect(q.filter).toEqual({
      kind: 'and',
      filters: [eq('a', 1), { kind: 'or', filters: [eq('b', 2), { kind: 'and', filters: [eq('c', 3), eq('d', 4)] }] }],
    });
  });

  it('an or() with one group is just that group', () => {
    expect(new FilterBuilder<AnyDocument>().or((g) => g.where('a').equals(1)).filter).toEqual(eq('a', 1));
  });

  it('nested ors flatten, ands inside ors stay groups', () => {
    const q = new FilterBuilder<AnyDocument>().or(
      (g) => g.where('a').equals(1),
      (g) =>
        g.or(
          (h) => h.where('b').equals(2),
          (h) => h.where('c').equals(3),
        ),
      (g) =>
        g.and(
          (h) => h.where('d').equals(4),
          (h) => h.where('e').equals(5),
        ),
    );
    expect(q.filter).toEqual({ kind: 'or', filters: [eq('a', 1), eq('b', 2), eq('c', 3), { kind: 'and', filters: [eq('d', 4), eq('e', 5)] }] });
  });

  it('and() groups merge into the surrounding AND', () => {
    const q = new FilterBuilder<AnyDocument>()
      .where('a')
      .equals(1)
      .and(
        (g) => g.where('b').equals(2),
        (g) => g.where('c').equals(3),
      );
    expect(q.filter).toEqual({ kind: 'and', filters: [eq('a', 1), eq('b', 2), eq('c', 3)] });
    expect(new FilterBuilder<AnyDocument>().and().filter).toBeNull();
  });

  it('the factories: and() of nothing is no filter, or() of nothing matches nothing', () => {
    expect(and()).toBeNull();
    expect(and(null, null)).toBeNull();
    expect(and(condition.eq('a', 1))).toEqual(eq('a', 1));
    expect(or()).toEqual({ kind: 'or', filters: [] });
  });

  it('find(object) is equality on each key, in key order, ignoring undefined', () => {
    const c = todos();
    expect(c.find({ userId: 'u1', 'profile.age': 3, skipped: undefined }).toQuery().filter).toEqual({
      kind: 'and',
      filters: [eq('userId', 'u1'), eq('profile.age', 3)],
    });
    expect(c.find({ done: null }).toQuery().filter).toEqual(eq('done', null));
    expect(c.find({}).toQuery().filter).toBeNull();
    expect(c.find().toQuery().filter).toBeNull();
  });
});

describe('builder errors', () => {
  const find = () => todos().find();

  it('skip and limit take whole numbers of 0 or more', () => {
    expect(find().limit(0).toQuery().limit).toBe(0);
    expect(find().skip(0).toQuery().skip).toBe(0);
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '3' as unknown as number]) {
      expect(() => find().limit(bad)).toThrow(QueryError);
      expect(() => find().skip(bad)).toThrow(QueryError);
    }
    expect(() => find().limit(-1)).toThrow('limit() takes a whole number of 0 or more, got number -1.');
    expect(() => find().skip(0.5)).toThrow('skip() takes a whole number of 0 or more, got number 0.5.');
  });

  it('groups must be functions returning a builder with a condition', () => {
    expect(() => find().or()).toThrow(/or\(\) needs at least one group/);
    expect(() => find().or((q) => q)).toThrow(/Group 1 has no condition/);
    expect(() =>
      find().and(
        (q) => q.where('a').equals(1),
        (q) => q,
      ),
    ).toThrow(/Group 2 has no condition/);
    expect(() => find().or('a' as never)).toThrow(/Group 1 must be a function/);
    expect(() => find().or((() => ({ filter: null })) as never)).toThrow(/must return the builder it was given/);
  });

  it('sort checks its path and direction', () => {
    expect(() => find().sort('a..b')).toThrow(QueryError);
    expect(() => find().sort('')).toThrow(QueryError);
    expect(() => find().sort('a', 'ascending' as 'asc')).toThrow("sort() direction must be 'asc' or 'desc', got a string.");
  });

  it('values are checked when the condition is added, naming the path', () => {
    expect(() =>
      find()
        .where('at')
        .equals(new Date() as never),
    ).toThrow('Field "at" of the query value is a Date; store date.toISOString() or a timestamp number.');
    expect(() => find().where('a').gt(Number.NaN)).toThrow('gt() on "a" takes a finite number, a string or a boolean, got number NaN.');
    expect(() =>
      find()
        .where('a')
        .lt(new Date() as never),
    ).toThrow(/Compare ISO strings/);
    expect(() =>
      find()
        .where('a')
        .in([1, undefined] as never),
    ).toThrow('in() on "a": the list contains undefined.');
    expect(() =>
      find()
        .where('a')
        .notEquals(undefined as never),
    ).toThrow(/use exists\(false\)/);
    expect(() =>
      find()
        .where('a')
        .exists('yes' as never),
    ).toThrow('exists() takes true or false, got a string.');
    expect(() => find().where('a').matches('x'.repeat(513))).toThrow(/the limit is 512/);
    expect(() => find().where('a').matches('a', 'g')).toThrow(/flags "g" are not supported/);
    expect(() =>
      find()
        .where('a')
        .matches(5 as never),
    ).toThrow(/takes a RegExp or a pattern string/);
  });

  it('a value error keeps the ValidationError as its cause', () => {
    try {
      find().where('a').equals({ n: Number.NaN });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(QueryError);
      expect((error as QueryError).cause).toMatchObject({ code: 'VALIDATION_ERROR', path: 'a.n' });
    }
  });
});

describe('running', () => {
  it('first() respects limit(0) and leaves the builder unchanged', async () => {
    const c = todos();
    await c.bulkInsert([{ _id: 'a' }, { _id: 'b' }]);
    const q = c.find().sort('_id', 'desc');
    expect(await q.first()).toEqual({ _id: 'b', _rev: 1 });
    expect(await q.limit(0).first()).toBeNull();
    expect(await q.limit(5).first()).toEqual({ _id: 'b', _rev: 1 });
    expect(q.toQuery().limit).toBeNull();
    expect(await q.exec()).toEqual([
      { _id: 'b', _rev: 1 },
      { _id: 'a', _rev: 1 },
    ]);
  });

  it('a builder can be run again and sees new data', async () => {
    const c = todos();
    const q = c.find().where('n').gt(0);
    expect(await q.count()).toBe(0);
    await c.insert({ _id: 'a', n: 1 });
    expect(await q.count()).toBe(1);
    expect(await q.exec()).toEqual([{ _id: 'a', n: 1, _rev: 1 }]);
  });
});
