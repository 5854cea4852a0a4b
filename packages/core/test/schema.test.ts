import { ConflictError, createMemoryStorage, Database, increment, ValidationError, type StandardSchemaV1, type WithRev } from '@pocket/core';
import * as v from 'valibot';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';

const Todo = z.object({
  _id: z.string().optional(),
  title: z.string().min(1),
  done: z.boolean().default(false),
  views: z.number().int().nonnegative().default(0),
  tags: z.array(z.string()).max(3).default([]),
});

function open() {
  return Database.open({ name: 'schemas', storage: createMemoryStorage() });
}

describe('collections with a Standard Schema', () => {
  it('infer the document type from the schema output', () => {
    const todos = open().collection('todos', { schema: Todo });
    type Stored = Awaited<ReturnType<typeof todos.insert>>;
    expectTypeOf<Stored['views']>().toEqualTypeOf<number>();
    expectTypeOf<Stored>().toExtend<WithRev<{ _id: string; title: string; done: boolean }>>();
    // @ts-expect-error title is a string
    void (() => todos.update('a', { title: 1 }));
  });

  it('store the schema output: defaults filled, unknown keys dropped', async () => {
    const todos = open().collection('todos', { schema: Todo });
    const doc = await todos.insert({ _id: 'a', title: 'write docs', extra: 'dropped' } as never);
    expect(doc).toEqual({ _id: 'a', title: 'write docs', done: false, views: 0, tags: [], _rev: 1 });
    expect(await todos.get('a')).toEqual(doc);
  });

  it('refuse a bad document with a ValidationError that lists every issue, and write nothing', async () => {
    const todos = open().collection('todos', { schema: Todo });
    const error = await todos.insert({ _id: 'b', title: '', tags: ['a', 'b', 'c', 'd'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    const issues = (error as ValidationError).issues!;
    expect(issues.map((i) => i.path)).toEqual(['title', 'tags']);
    expect((error as ValidationError).message).toMatch(
      /Document "b" does not match the schema of collection "todos": title: .+; tags: .+\. Nothing was written\./,
    );
    expect((error as ValidationError).toJSON()).toMatchObject({ code: 'VALIDATION_ERROR', status: 400, issues });
    expect(await todos.get('b')).toBeNull();
  });

  it('validate the merged document of an update, operators applied', async () => {
    const todos = open().collection('todos', { schema: Todo });
    await todos.insert({ _id: 'a', title: 't' });
    expect(await todos.update('a', { views: increment(2) })).toMatchObject({ views: 2, _rev: 2 });
    await expect(todos.update('a', { views: increment(-5) })).rejects.toBeInstanceOf(ValidationError);
    await expect(todos.update('a', { title: '' })).rejects.toThrow(/title/);
    expect(await todos.get('a')).toMatchObject({ title: 't', views: 2, _rev: 2 });
    await expect(
      todos.bulkUpdate([
        { id: 'a', changes: { done: true } },
        { id: 'a', changes: { tags: ['1', '2', '3', '4'] } },
      ]),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(await todos.get('a')).toMatchObject({ done: false, _rev: 2 });
  });

  it('keep increments atomic: concurrent validated updates all count', async () => {
    const todos = open().collection('todos', { schema: Todo });
    await todos.insert({ _id: 'a', title: 't' });
    await Promise.all(Array.from({ length: 20 }, () => todos.update('a', { views: increment(1) })));
    expect(await todos.get('a')).toMatchObject({ views: 20, _rev: 21 });
  });

  it('honour expectedRev without retrying', async () => {
    const todos = open().collection('todos', { schema: Todo });
    await todos.insert({ _id: 'a', title: 't' });
    await expect(todos.update('a', { title: 'x' }, { expectedRev: 7 })).rejects.toBeInstanceOf(ConflictError);
    expect(await todos.update('a', { title: 'x' }, { expectedRev: 1 })).toMatchObject({ title: 'x', _rev: 2 });
  });

  it('take async validators and other libraries (valibot)', async () => {
    const Note = v.pipeAsync(
      v.object({ _id: v.optional(v.string()), text: v.string() }),
      v.checkAsync(async (note) => !note.text.includes('spam'), 'no spam'),
    );
    const notes = open().collection('notes', { schema: Note });
    expect(await notes.insert({ _id: 'n', text: 'hello' })).toEqual({ _id: 'n', text: 'hello', _rev: 1 });
    await expect(notes.upsert({ _id: 'n', text: 'spam!' })).rejects.toThrow(/no spam/);
  });

  it('refuse what is not a Standard Schema, and a second, different schema', () => {
    const db = open();
    expect(() => db.collection('x', { schema: {} as StandardSchemaV1 })).toThrow(/Standard Schema v1/);
    db.collection('todos', { schema: Todo });
    expect(() => db.collection('todos', { schema: z.object({}) })).toThrow(/already open with another schema/);
    expect(db.collection('todos')).toBe(db.collection('todos', { schema: Todo }));
  });
});
