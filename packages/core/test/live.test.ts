import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryStorage, Database, StorageError, type AnyDocument, type StorageAdapter } from '@pocket/core';
import { idsOf, recorder } from '@pocket/core/testing';

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * A memory adapter whose reads can be held back: a read takes its snapshot at once but answers
 * only when the gate opens, like a slow round trip. It also counts reads and overlapping reads.
 */
function slowStorage() {
  const base = createMemoryStorage();
  const state = { reads: 0, inFlight: 0, maxInFlight: 0, failNext: 0 };
  let gate: Promise<void> | null = null;
  let open = () => {};
  const control = {
    state,
    close() {
      gate = new Promise((resolve) => (open = resolve));
    },
    open() {
      gate = null;
      open();
    },
  };
  const storage: StorageAdapter = {
    name: 'slow',
    capabilities: base.capabilities,
    collection(name, context) {
      const inner = base.collection(name, context);
      return {
        ...inner,
        async find(query) {
          state.reads++;
          state.inFlight++;
          state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
          try {
            const snapshot = await inner.find(query);
            if (gate) await gate;
            if (state.failNext > 0) {
              state.failNext--;
              throw new StorageError('read failed');
            }
            return snapshot;
          } finally {
            state.inFlight--;
          }
        },
      };
    },
  };
  const db = Database.open({ name: 'live', storage });
  return { ...control, db, todos: db.collection('todos') };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('observe', () => {
  it('delivers initial results, then the results after every change, then stops', async () => {
    const { todos } = slowStorage();
    await todos.bulkInsert([
      { _id: 'a', n: 1 },
      { _id: 'b', n: 2 },
    ]);
    const results = recorder<AnyDocument[]>();
    const stop = todos.find().where('n').gte(2).observe(results.push);
    expect(idsOf(await results.next())).toEqual(['b']);
    await todos.insert({ _id: 'c', n: 3 });
    expect(idsOf(await results.next())).toEqual(['b', 'c']);
    await todos.update('a', { n: 5 });
    expect(idsOf(await results.next())).toEqual(['a', 'b', 'c']);
    await todos.delete('b');
    expect(idsOf(await results.next())).toEqual(['a', 'c']);
    stop();
    await todos.insert({ _id: 'd', n: 4 });
    await results.none();
    expect(results.all).toHaveLength(4);
  });

  it('misses no write that lands while the first run is in flight, and never delivers the stale result', async () => {
    const s = slowStorage();
    const results = recorder<AnyDocument[]>();
    s.close();
    const stop = s.todos.find().observe(results.push);
    await s.todos.insert({ _id: 'raced' }); // the first run already took its (empty) snapshot
    s.open();
    expect(idsOf(await results.next())).toEqual(['raced']);
    await results.none();
    expect(results.all).toHaveLength(1);
    expect(s.state.reads).toBe(2);
    stop();
  });

  it('writes that land while a run is in flight cost one more run together, and runs never overlap', async () => {
    const s = slowStorage();
    const results = recorder<AnyDocument[]>();
    const stop = s.todos.find().observe(results.push);
    expect(await results.next()).toEqual([]);
    s.close();
    await s.todos.insert({ _id: 'first' });
    await tick(); // the re-run has started, and waits on the gate
    expect(s.state.inFlight).toBe(1);
    for (let i = 0; i < 10; i++) await s.todos.insert({ _id: `d${i}` });
    s.open();
    // The run in flight missed the ten: its results are stale, so only the next run's come.
    expect(await results.next()).toHaveLength(11);
    await results.none();
    expect(s.state.reads).toBe(3);
    expect(s.state.maxInFlight).toBe(1);
    stop();
  });

  it('a burst of 3,000 writes costs a handful of runs, and the last delivery is the final state', async () => {
    const s = slowStorage();
    const results = recorder<AnyDocument[]>();
    const stop = s.todos.find().observe(results.push);
    expect(await results.next()).toEqual([]);
    for (let i = 0; i < 3000; i++) await s.todos.insert({ _id: `t${String(i).padStart(4, '0')}` });
    await s.todos.delete('t0000');
    const final = await results.until((docs) => docs.length === 2999);
    await results.none();
    expect(results.all.at(-1)).toBe(final);
    expect(idsOf(final)[0]).toBe('t0001');
    expect(results.all.length).toBeLessThanOrEqual(5);
    expect(s.state.reads).toBeLessThanOrEqual(5);
    stop();
  });

  it('writes awaited one after another in separate tasks each get their results', async () => {
    const s = slowStorage();
    const results = recorder<AnyDocument[]>();
    const stop = s.todos.find().observe(results.push);
    expect(await results.next()).toEqual([]);
    for (const id of ['a', 'b', 'c']) {
      await s.todos.insert({ _id: id });
      await tick();
    }
    expect(results.all.map(idsOf)).toEqual([[], ['a'], ['a', 'b'], ['a', 'b', 'c']]);
    stop();
  });

  it('unsubscribing while a run is in flight delivers nothing more', async () => {
    const s = slowStorage();
    const results = recorder<AnyDocument[]>();
    s.close();
    const stop = s.todos.find().observe(results.push);
    stop();
    s.open();
    await results.none();
    await s.todos.insert({ _id: 'a' });
    await results.none();
    expect(results.all).toEqual([]);
  });

  it('does not re-run for writes to other collections', async () => {
    const s = slowStorage();
    const results = recorder<AnyDocument[]>();
    const stop = s.todos.find().observe(results.push);
    await results.next();
    await s.db.collection('users').insert({ _id: 'u' });
    await results.none();
    expect(s.state.reads).toBe(1);
    stop();
  });

  it('a failed run goes to onError, and the next change runs the query again', async () => {
    const s = slowStorage();
    const results = recorder<AnyDocument[]>();
    const errors = recorder<unknown>();
    s.state.failNext = 1;
    const stop = s.todos.find().observe(results.push, errors.push);
    expect(await errors.next()).toBeInstanceOf(StorageError);
    expect(results.all).toEqual([]);
    await s.todos.insert({ _id: 'a' });
    expect(idsOf(await results.next())).toEqual(['a']);
    stop();
  });

  it('an error thrown by the listener goes to onError, and the query keeps running', async () => {
    const { todos } = slowStorage();
    const errors = recorder<unknown>();
    const calls: string[][] = [];
    const stop = todos.find().observe((docs) => {
      calls.push(idsOf(docs) as string[]);
      if (calls.length === 1) throw new Error('listener bug');
    }, errors.push);
    expect(await errors.next()).toMatchObject({ message: 'listener bug' });
    await todos.insert({ _id: 'a' });
    await tick();
    expect(calls).toEqual([[], ['a']]);
    await errors.none();
    stop();
  });

  it('without onError, failures are logged; a throwing onError is logged too', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const s = slowStorage();
    s.state.failNext = 1;
    const stopLogged = s.todos.find().observe(() => {});
    await tick();
    expect(logged).toHaveBeenCalledWith('[pocket] a live query failed:', expect.any(StorageError));

    const stopThrowing = s.todos.find().observe(
      () => {
        throw new Error('listener bug');
      },
      () => {
        throw new Error('handler bug');
      },
    );
    await tick();
    expect(logged).toHaveBeenCalledWith(
      "[pocket] a live query's onError threw:",
      expect.objectContaining({ message: 'handler bug' }),
      'while reporting:',
      expect.objectContaining({ message: 'listener bug' }),
    );
    stopLogged();
    stopThrowing();
  });
});
