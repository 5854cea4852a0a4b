// No prototype pollution anywhere: not through the public API (refused), and not below it either
// — the memory adapter and the evaluator handle `__proto__`, `constructor` and `prototype` keys
// as plain data even when they get documents, patches and filters that skipped core's checks.
import { createMemoryStorage, Database, toJsonObject, type Filter, type StoredDocument } from '@pocket/core';
import { compareBy, evaluate, matches, readPath } from '@pocket/core/adapter';
import { describe, expect, it } from 'vitest';
import { expectNoPollution, prototypeSnapshot } from '@pocket/test-support/hostile-inputs';

// JSON.parse makes "__proto__" an own key, as a request body would.
const payloads = [
  '{"__proto__":{"polluted":"yes"}}',
  '{"constructor":{"prototype":{"polluted":"yes"}}}',
  '{"a":{"__proto__":{"polluted":"yes"}},"b":[{"__proto__":{"polluted":"yes"}}]}',
  '{"prototype":{"polluted":"yes"},"__defineGetter__":"x","hasOwnProperty":"y","toString":"z","valueOf":1}',
].map((text) => JSON.parse(text) as Record<string, unknown>);

describe('prototype pollution', () => {
  it('the memory adapter stores raw hostile documents and patches as data', async () => {
    const before = prototypeSnapshot();
    const store = createMemoryStorage().collection('c', { database: 'raw' });
    // Straight to the adapter: no validation in front of it.
    const docs = payloads.map((p, i) => ({ ...p, _id: `d${i}` }) as StoredDocument);
    await store.write(docs.map((doc) => ({ type: 'insert' as const, doc })));
    await store.write(payloads.map((patch, i) => ({ type: 'update' as const, id: `d${i}`, patch: patch as StoredDocument })));
    await store.write([{ type: 'upsert', doc: { ...payloads[0]!, _id: 'u' } as StoredDocument }]);
    const read = await store.find({ filter: null, sort: [{ path: 'constructor.prototype.polluted', direction: 'desc' }], skip: 0, limit: null });
    expect(read).toHaveLength(5);
    expect(Object.hasOwn(read[0]!, '__proto__') || Object.hasOwn(read[0]!, 'constructor')).toBe(true);
    // Inserted, then updated: revision 2.
    expect(await store.getMany(['d0'])).toEqual([JSON.parse('{"__proto__":{"polluted":"yes"},"_id":"d0","_rev":2}')]);
    expect(await store.count({ kind: 'condition', op: 'exists', path: 'prototype.polluted', exists: true })).toBe(1);
    expectNoPollution(before);
  });

  it('the evaluator reads own keys only and never writes to what it reads', () => {
    const before = prototypeSnapshot();
    const docs = payloads.map((p, i) => ({ ...p, _id: `d${i}` }));
    const plain = { _id: 'plain', x: 1 };
    const filters: Filter[] = [
      { kind: 'condition', op: 'eq', path: 'constructor.prototype.polluted', value: 'yes' },
      { kind: 'condition', op: 'exists', path: 'toString', exists: true },
      { kind: 'condition', op: 'exists', path: 'constructor', exists: true },
      { kind: 'condition', op: 'eq', path: 'hasOwnProperty', value: 'y' },
      { kind: 'condition', op: 'contains', path: 'b', value: JSON.parse('{"__proto__":{"polluted":"yes"}}') },
    ];
    // A plain document has no "constructor" or "toString" field, though every object inherits one.
    expect(filters.map((f) => matches(f, plain))).toEqual([false, false, false, false, false]);
    expect(filters.map((f) => docs.filter((d) => matches(f, d)).map((d) => d._id))).toEqual([['d1'], ['d3'], ['d1'], ['d3'], ['d2']]);
    expect(readPath(plain, ['constructor'])).toBe(readPath(plain, ['missing']));
    expect(readPath(Object.create(null), ['a'])).toBe(readPath({}, ['a']));
    expect(
      evaluate(
        {
          filter: null,
          sort: [
            { path: 'toString', direction: 'asc' },
            { path: '__defineGetter__', direction: 'desc' },
          ],
          skip: 0,
          limit: null,
        },
        [...docs, plain],
      ).map((d) => d._id),
    ).toEqual(['d0', 'd1', 'd2', 'plain', 'd3']);
    expect([...docs, plain].sort(compareBy([{ path: 'constructor.prototype.polluted', direction: 'asc' }])).map((d) => d._id)).toEqual([
      'd0',
      'd2',
      'd3',
      'plain',
      'd1',
    ]);
    expectNoPollution(before);
  });

  it('toJsonObject copies into fresh plain objects and refuses own __proto__ keys', () => {
    const before = prototypeSnapshot();
    for (const payload of payloads) {
      let copy: Record<string, unknown> | undefined;
      try {
        copy = toJsonObject(payload);
      } catch {
        copy = undefined;
      }
      if (copy !== undefined) {
        expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
        expect(copy).not.toBe(payload);
      }
    }
    expect(() => toJsonObject(payloads[0])).toThrow(/__proto__/);
    expect(() => toJsonObject(payloads[2])).toThrow(/a\.__proto__/);
    expect(toJsonObject(payloads[1])).toEqual(payloads[1]);
    expectNoPollution(before);
  });

  it('the public API refuses __proto__ everywhere and keeps constructor/prototype as data', async () => {
    const before = prototypeSnapshot();
    const todos = (await Database.create({ name: 'p', storage: createMemoryStorage() })).collection('todos');
    for (const payload of [payloads[0], payloads[2]]) {
      await expect(todos.insert(payload as never)).rejects.toThrow(/__proto__/);
      await expect(todos.upsert({ ...payload, _id: 'x' } as never)).rejects.toThrow(/__proto__/);
      await expect(todos.bulkInsert([{ _id: 'ok' }, payload as never])).rejects.toThrow(/__proto__/);
    }
    await todos.insert({ _id: 'c', ...payloads[1], ...payloads[3] } as never);
    await expect(todos.update('c', payloads[0] as never)).rejects.toThrow(/__proto__/);
    await expect(todos.bulkUpdate([{ id: 'c', changes: payloads[0] as never }])).rejects.toThrow(/__proto__/);
    expect(() => todos.find(payloads[0] as never)).toThrow(/__proto__/);
    expect(() => todos.find().where('__proto__.polluted').exists()).toThrow(/__proto__/);
    expect(() =>
      todos
        .find()
        .where('v')
        .equals(payloads[0] as never),
    ).toThrow(/__proto__/);
    expect(() =>
      todos
        .find()
        .where('v')
        .in([payloads[2]] as never),
    ).toThrow(/__proto__/);
    expect(await todos.find().where('constructor.prototype.polluted').equals('yes').count()).toBe(1);
    expect(await todos.update('c', { constructor: 'now a string' } as never)).toMatchObject({ constructor: 'now a string', prototype: { polluted: 'yes' } });
    expect(await todos.find().sort('constructor').sort('prototype').exec()).toHaveLength(1);
    expectNoPollution(before);
  });
});
