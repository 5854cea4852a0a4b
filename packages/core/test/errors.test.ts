import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  COLLECTION_NAME_PATTERN,
  ConflictError,
  createMemoryStorage,
  Database,
  DocumentNotFoundError,
  DuplicateKeyError,
  fromRpcError,
  PocketError,
  QueryError,
  StorageError,
  toJsonObject,
  ValidationError,
  type Filter,
  type PocketErrorStatus,
} from '@pocket/core';
import { evaluate, matches } from '@pocket/core/adapter';
import { expectRejection, expectThrow } from '@pocket/core/testing';

function db(): Database {
  return Database.open({ name: 'errors', storage: createMemoryStorage() });
}

describe('error classes', () => {
  it('have stable codes, statuses and names, and are PocketErrors', () => {
    const cases: Array<[PocketError, string, number, string]> = [
      [new ValidationError('v'), 'VALIDATION_ERROR', 400, 'ValidationError'],
      [new DocumentNotFoundError('todos', 'a'), 'DOCUMENT_NOT_FOUND', 404, 'DocumentNotFoundError'],
      [new DuplicateKeyError('todos', 'a'), 'DUPLICATE_KEY', 409, 'DuplicateKeyError'],
      [new ConflictError('c'), 'CONFLICT', 409, 'ConflictError'],
      [new QueryError('q'), 'QUERY_ERROR', 400, 'QueryError'],
      [new StorageError('s'), 'STORAGE_ERROR', 503, 'StorageError'],
    ];
    for (const [error, code, status, name] of cases) {
      expect(error).toBeInstanceOf(PocketError);
      expect(error).toBeInstanceOf(Error);
      expect([error.code, error.status, error.name]).toEqual([code, status, name]);
    }
  });

  it('say what to do', () => {
    expect(new DocumentNotFoundError('todos', 'a').message).toBe(
      'Document "a" was not found in collection "todos". Check the id, or use upsert() to create it.',
    );
    expect(new DuplicateKeyError('todos', 'a').message).toBe(
      'A document with _id "a" already exists in collection "todos". Use update() or upsert() to change it, or insert with another _id.',
    );
  });

  it('keep their cause, and leave it and the stack out of toJSON()', () => {
    const cause = new Error('disk on fire');
    const error = new StorageError('write failed', { cause, retryable: true, status: 500 });
    expect(error.cause).toBe(cause);
    expect(error.retryable).toBe(true);
    expect(error.status).toBe(500);
    // A failure on Pocket's side keeps its detail for logs and sends a fixed message.
    expect(error.message).toBe('write failed');
    expect(error.toJSON()).toStrictEqual({ name: 'StorageError', code: 'STORAGE_ERROR', status: 500, message: 'Storage failed.' });
    expect(JSON.parse(JSON.stringify(error))).toStrictEqual(error.toJSON());
    const unavailable = new StorageError('D1_ERROR: no such column: secret_column in SELECT …');
    expect(unavailable.toJSON()).toStrictEqual({
      name: 'StorageError',
      code: 'STORAGE_ERROR',
      status: 503,
      message: 'Storage is unavailable; try again later.',
    });
    // A mistake of the caller's keeps its message: it says what to do.
    expect(new ValidationError('title must be a string').toJSON().message).toBe('title must be a string');
    expect(new StorageError('x').retryable).toBe(false);
    expect('cause' in new ValidationError('no cause')).toBe(false);
  });
});

describe('toJSON() is safe to send', () => {
  /** What a backend's own error text can hold, which must never reach a client. */
  const backendText = "D1_ERROR: no such column: secret_column at offset 7: SQLITE_ERROR in SELECT data FROM pocket_todos WHERE json_extract(data, '$.a') = ?";

  it("sends no backend text, SQL, cause or stack for any failure on Pocket's side (5xx), whatever the class", () => {
    // A backend's error class, as adapters write them (storage-edge's D1Error is one).
    class BackendError extends StorageError {
      override readonly name = 'BackendError';
      readonly sql = 'SELECT data FROM pocket_todos';
    }
    const failures: PocketError[] = [
      new StorageError(backendText),
      new StorageError(backendText, { status: 500, cause: new Error(backendText) }),
      new BackendError(backendText, { retryable: true }),
      new PocketError('STORAGE_ERROR', 500, backendText),
      fromRpcError(Object.assign(new Error(`D1Error: ${backendText}`), { remote: true })) as PocketError,
    ];
    for (const error of failures) {
      const sent = JSON.stringify(error);
      expect(sent, error.name).not.toMatch(/D1_ERROR|SQLITE|SELECT|pocket_todos|secret_column|json_extract|offset|stack|cause/);
      expect(JSON.parse(sent), error.name).toStrictEqual({
        name: error.name,
        code: 'STORAGE_ERROR',
        status: error.status,
        message: error.status === 503 ? 'Storage is unavailable; try again later.' : 'Storage failed.',
      });
      // The detail stays in the error, for the log.
      expect(error.message).toContain('secret_column');
    }
  });

  it("keeps the message of the caller's mistakes (4xx), which Pocket writes for them, and nothing else", () => {
    const mistakes: PocketError[] = [
      new ValidationError('id is 600 characters long; the limit is 512.', { path: 'x', cause: new Error('inner') }),
      new QueryError('limit() takes a whole number of 0 or more, got -1.'),
      new DocumentNotFoundError('todos', 'a'),
      new DuplicateKeyError('todos', 'a'),
      ConflictError.revision({ collection: 'todos', id: 'a', expectedRev: 2, currentRev: 3 }),
    ];
    for (const error of mistakes) {
      expect(JSON.parse(JSON.stringify(error)), error.name).toStrictEqual({ name: error.name, code: error.code, status: error.status, message: error.message });
    }
  });
});

describe('database and collection names', () => {
  it('collection names follow COLLECTION_NAME_PATTERN', () => {
    const d = db();
    for (const name of ['todos', 'a', '_private', 'a-b_c9', 'x'.repeat(64), '__proto__', 'constructor', 'tostring']) {
      expect(COLLECTION_NAME_PATTERN.test(name)).toBe(true);
      expect(d.collection(name).name).toBe(name);
    }
    for (const name of ['', 'a b', 'x;drop', 'é', '1abc', '-a', 'x'.repeat(65), 'a.b', 'a/b', '"q"', 'tab\t', 'todos\n', 'Todos', 'userProfiles']) {
      const error = expectThrow(() => d.collection(name), ValidationError, 'VALIDATION_ERROR');
      expect(error.message).toContain(
        `Collection name ${JSON.stringify(name)} is not valid: start with a lower-case letter or "_", then use lower-case letters, digits, "_" or "-", at most 64 characters.`,
      );
    }
    expect(() => d.collection(5 as unknown as string)).toThrow('Collection name number 5 is not valid');
    expect(() => d.collection(null as unknown as string)).toThrow('Collection name null is not valid');
  });

  it('__proto__ and constructor are ordinary collections', async () => {
    const d = db();
    await d.collection('__proto__').insert({ _id: 'p' });
    await d.collection('constructor').insert({ _id: 'c' });
    expect(await d.collection('__proto__').find().exec()).toEqual([{ _id: 'p', _rev: 1 }]);
    expect(await d.collection('constructor').find().exec()).toEqual([{ _id: 'c', _rev: 1 }]);
    expect(await d.collection('tostring').count()).toBe(0);
  });

  it('Database.create checks its options', async () => {
    const storage = createMemoryStorage();
    await expectRejection(Database.create({ name: '', storage }), ValidationError, 'VALIDATION_ERROR');
    await expectRejection(Database.create({ name: 'x'.repeat(129), storage }), ValidationError, 'VALIDATION_ERROR');
    await expectRejection(Database.create(null as never), ValidationError, 'VALIDATION_ERROR');
    const missing = await expectRejection(Database.create({ name: 'app' } as never), ValidationError, 'VALIDATION_ERROR');
    expect(missing.message).toBe(
      'Database "app" needs a storage adapter such as createMemoryStorage() or createD1Storage({ database: env.DB }), got undefined.',
    );
    expect((await Database.create({ name: 'x'.repeat(128), storage })).name).toHaveLength(128);
  });
});

describe('ids', () => {
  it('must be non-empty, well-formed strings of at most 512 characters', async () => {
    const c = db().collection('c');
    const cases: Array<[unknown, string]> = [
      [5, "_id must be a non-empty string, got number 5. Pass the document's string _id."],
      ['', "_id must be a non-empty string, got an empty string. Pass the document's string _id."],
      [null, "_id must be a non-empty string, got null. Pass the document's string _id."],
      [['a'], "_id must be a non-empty string, got an array. Pass the document's string _id."],
      ['x'.repeat(513), '_id is 513 characters long; the limit is 512.'],
      ['a\uD800', 'Field "_id" of the document contains a lone UTF-16 surrogate.'],
    ];
    for (const [id, message] of cases) {
      const error = await expectRejection(c.insert({ _id: id } as never), ValidationError, 'VALIDATION_ERROR');
      expect(error.message).toBe(message);
      expect(error.path).toBe('_id');
    }
    const get = await expectRejection(c.get(7 as never), ValidationError, 'VALIDATION_ERROR');
    expect(get.message).toBe("id must be a non-empty string, got number 7. Pass the document's string _id.");
    const surrogate = await expectRejection(c.delete('a\uD800'), ValidationError, 'VALIDATION_ERROR');
    expect(surrogate.message).toBe('id contains a lone UTF-16 surrogate; ids must be well-formed Unicode.');
    expect((await c.insert({ _id: 'x'.repeat(512) }))._id).toHaveLength(512);
    expect(await c.count()).toBe(1);
  });
});

describe('documents', () => {
  const cycle: Record<string, unknown> = { a: 1 };
  cycle.self = { back: cycle };
  const deep: Record<string, unknown> = {};
  let cursor = deep;
  for (let i = 0; i < 101; i++) cursor = cursor.n = {} as Record<string, unknown>;

  const cases: Array<[string, unknown, string, string]> = [
    ['Date', { at: new Date(0) }, 'at', 'Field "at" of the document is a Date; store date.toISOString() or a timestamp number.'],
    ['NaN', { n: Number.NaN }, 'n', 'Field "n" of the document is NaN, which JSON cannot store.'],
    ['Infinity', { p: { n: Number.NEGATIVE_INFINITY } }, 'p.n', 'Field "p.n" of the document is -Infinity, which JSON cannot store.'],
    ['function', { f() {} }, 'f', 'Field "f" of the document is a function, which JSON cannot store.'],
    ['bigint', { big: 1n }, 'big', 'Field "big" of the document is a bigint, which JSON cannot store.'],
    ['symbol', { s: Symbol.iterator }, 's', 'Field "s" of the document is a symbol, which JSON cannot store.'],
    ['Map', { m: new Map() }, 'm', 'Field "m" of the document is a Map; only plain objects, arrays and primitives are stored.'],
    ['class instance', { u: new URL('https://example.com') }, 'u', 'Field "u" of the document is a URL; only plain objects, arrays and primitives are stored.'],
    ['cycle', cycle, 'self.back', 'Field "self.back" of the document is a circular reference; documents must be trees.'],
    [
      '__proto__ key',
      JSON.parse('{"a":{"__proto__":{"isAdmin":true}}}'),
      'a.__proto__',
      'Field "a.__proto__" of the document uses the reserved key "__proto__".',
    ],
    ['hole in an array', { list: [1, , 3] }, 'list[1]', 'Field "list[1]" of the document is undefined (or a hole); use null.'],
    [
      'value in an array',
      { list: [{ ok: 1 }, { at: new Date(0) }] },
      'list[1].at',
      'Field "list[1].at" of the document is a Date; store date.toISOString() or a timestamp number.',
    ],
    ['lone surrogate', { s: '\uDC00' }, 's', 'Field "s" of the document contains a lone UTF-16 surrogate.'],
    ['too deep', deep, 'n'.repeat(101).split('').join('.'), 'nests deeper than 100 levels'],
  ];

  it.each(cases)('a %s is a ValidationError naming the field', (_what, doc, path, message) => {
    let error: unknown;
    try {
      toJsonObject(doc);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).path).toBe(path);
    expect((error as ValidationError).message).toContain(message);
  });

  it('is rejected by insert, upsert, update and bulk writes, and nothing is written', async () => {
    const c = db().collection('c');
    await c.insert({ _id: 'a', v: 1 });
    for (const [what, doc, path] of cases) {
      const insert = await expectRejection(c.insert(doc as never), ValidationError, 'VALIDATION_ERROR');
      expect(insert.path, what).toBe(path);
      await expectRejection(c.upsert(doc as never), ValidationError, 'VALIDATION_ERROR');
      await expectRejection(c.bulkInsert([{ _id: 'b' }, doc as never]), ValidationError, 'VALIDATION_ERROR');
      const update = await expectRejection(c.update('a', doc as never), ValidationError, 'VALIDATION_ERROR');
      expect(update.message, what).toContain('of the patch');
    }
    expect(await c.find().exec()).toEqual([{ _id: 'a', v: 1, _rev: 1 }]);
  });

  it('the top level must be a plain object', async () => {
    const c = db().collection('c');
    for (const [doc, got] of [
      [null, 'null'],
      [[], 'an array'],
      ['doc', 'a string'],
      [new Date(0), 'a Date'],
      [new Map(), 'a Map'],
      [5, 'number 5'],
    ] as const) {
      const error = await expectRejection(c.insert(doc as never), ValidationError, 'VALIDATION_ERROR');
      expect(error.message).toBe(`A document must be a plain object, got ${got}.`);
    }
    const patch = await expectRejection(c.update('a', [] as never), ValidationError, 'VALIDATION_ERROR');
    expect(patch.message).toBe('A patch must be a plain object, got an array.');
    expect(toJsonObject(Object.assign(Object.create(null) as object, { a: 1 }))).toEqual({ a: 1 });
  });

  it('patch keys that SQL JSON paths cannot address are refused by update, allowed by upsert', async () => {
    const c = db().collection('c');
    await c.insert({ _id: 'a' });
    for (const key of ['', 'a"b', 'back\\slash', 'line\nbreak']) {
      const error = await expectRejection(c.update('a', { [key]: 1 }), ValidationError, 'VALIDATION_ERROR');
      expect(error.path).toBe(key);
      expect(error.message).toContain('can only be written with upsert()');
    }
    // The refused updates wrote nothing: the upsert is the document's second write.
    expect(await c.upsert({ _id: 'a', 'a"b': 1 })).toEqual({ _id: 'a', 'a"b': 1, _rev: 2 });
  });

  it('bulk methods need arrays', async () => {
    const c = db().collection('c');
    await expectRejection(c.bulkInsert({} as never), ValidationError, 'VALIDATION_ERROR');
    await expectRejection(c.bulkUpdate('x' as never), ValidationError, 'VALIDATION_ERROR');
    const item = await expectRejection(c.bulkUpdate([{ id: 'a', changes: {} }, 5] as never), ValidationError, 'VALIDATION_ERROR');
    expect(item.message).toBe('bulkUpdate() item 1 must be { id, changes }, got number 5.');
    await expectRejection(c.bulkDelete(null as never), ValidationError, 'VALIDATION_ERROR');
    await expectRejection(c.getMany('a' as never), ValidationError, 'VALIDATION_ERROR');
  });
});

describe('filters given straight to the evaluator', () => {
  it('an unknown node kind or operator is a QueryError, not a wrong answer', () => {
    const doc = { _id: 'a', f: 1 };
    const unknownKind = { kind: 'xor', filters: [] } as unknown as Filter;
    const unknownOp = { kind: 'condition', op: 'like', path: 'f', value: '%' } as unknown as Filter;
    expect(() => matches(unknownKind, doc)).toThrow(QueryError);
    expect(() => matches(unknownKind, doc)).toThrow('Unknown filter node "xor".');
    expect(() => matches(unknownOp, doc)).toThrow('Unknown operator "like".');
    expect(() => matches({ kind: 'and', filters: [unknownOp] } as Filter, doc)).toThrow(QueryError);
    expect(() => evaluate({ filter: unknownOp, sort: [], skip: 0, limit: null }, [doc])).toThrow(QueryError);
  });

  it('an invalid path in a hand-made node is a QueryError', () => {
    const bad = { kind: 'condition', op: 'eq', path: 'a..b', value: 1 } as Filter;
    expect(() => matches(bad, { _id: 'a' })).toThrow(QueryError);
    expect(() => evaluate({ filter: null, sort: [{ path: '__proto__', direction: 'asc' }], skip: 0, limit: null }, [])).toThrow(QueryError);
  });
});

describe('status as a type', () => {
  it('is a union of literal statuses, so HTTP frameworks take it without a cast', () => {
    expectTypeOf(new ValidationError('x').status).toEqualTypeOf<PocketErrorStatus>();
    expectTypeOf<PocketErrorStatus>().toEqualTypeOf<400 | 404 | 409 | 500 | 503>();
  });
});

describe('fromRpcError', () => {
  /** What Workers RPC hands the caller when a Durable Object method throws `error`. */
  const overRpc = (error: Error) => Object.assign(new Error(`${error.name}: ${error.message}`), { remote: true });

  it('rebuilds each PocketError with its class, code, status and message', () => {
    const originals: PocketError[] = [
      new ValidationError('id is 600 characters long; the limit is 512.'),
      new QueryError('limit() takes a whole number of 0 or more, got -1.'),
      new ConflictError('revision 3 expected, 4 found'),
      new DocumentNotFoundError('notes', 'a "quoted" id. Check'),
      new DuplicateKeyError('notes', 'n1'),
      new DuplicateKeyError('notes', 'n"2', { repeatedInBatch: true }),
      new StorageError('D1: find failed: D1_ERROR: overloaded (transient: retrying may succeed)', { retryable: true }),
    ];
    for (const original of originals) {
      const rebuilt = fromRpcError(overRpc(original)) as PocketError;
      expect(rebuilt, original.name).toBeInstanceOf(original.constructor as new (...args: never[]) => PocketError);
      expect(rebuilt.toJSON(), original.name).toEqual(original.toJSON());
      expect(rebuilt.message).toBe(original.message);
      expect(rebuilt.cause).toBeInstanceOf(Error);
    }
    const notFound = fromRpcError(overRpc(new DocumentNotFoundError('notes', 'a "quoted" id. Check'))) as DocumentNotFoundError;
    expect([notFound.collection, notFound.id]).toEqual(['notes', 'a "quoted" id. Check']);
    expect((fromRpcError(overRpc(new DuplicateKeyError('notes', 'n"2', { repeatedInBatch: true }))) as DuplicateKeyError).repeatedInBatch).toBe(true);
    expect((fromRpcError(overRpc(new StorageError('x (transient: retrying may succeed)'))) as StorageError).retryable).toBe(true);
  });

  it('turns the storage errors of every backend into a StorageError (503)', () => {
    for (const name of ['D1Error', 'DurableObjectStorageError']) {
      const rebuilt = fromRpcError(Object.assign(new Error(`${name}: Durable Object storage: put failed: disk full`), { remote: true }));
      expect(rebuilt).toBeInstanceOf(StorageError);
      expect((rebuilt as StorageError).status).toBe(503);
    }
  });

  it('returns anything else as it is', () => {
    const plain = new Error('TypeError: x is not a function');
    const typeError = new TypeError('boom');
    const pocket = new ValidationError('already one');
    // Only errors that came over RPC: a local Error, or another class, with a Pocket name in its message stays as it is.
    const local = new Error('ValidationError: not from RPC');
    const remoteTypeError = Object.assign(new TypeError('ValidationError: boom'), { remote: true });
    for (const error of [plain, typeError, pocket, 'a string', null, new Error('ValidationError'), local, remoteTypeError])
      expect(fromRpcError(error)).toBe(error);
  });
});
