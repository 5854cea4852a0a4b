// A bulk write in which one document fails writes nothing on the memory adapter, wherever the
// failing document is and whatever the failure (duplicate id, missing id, bad value).
import { createMemoryStorage, Database, DocumentNotFoundError, DuplicateKeyError, ValidationError, type AnyDocument, type Collection } from '@pocket/core';
import { describe, expect, it } from 'vitest';

async function seeded(): Promise<Collection<AnyDocument>> {
  const c = (await Database.create({ name: 'atomic', storage: createMemoryStorage() })).collection('items');
  await c.bulkInsert(Array.from({ length: 10 }, (_, i) => ({ _id: `old-${i}`, n: i })));
  return c;
}

const positions = [0, 1, 49, 99];

describe('all-or-nothing bulk writes on the memory adapter', () => {
  it.each(positions)('bulkInsert with an existing id at position %i writes nothing', async (at) => {
    const c = await seeded();
    const before = await c.find().exec();
    const docs = Array.from({ length: 100 }, (_, i) => ({ _id: i === at ? 'old-3' : `new-${i}`, n: i }));
    await expect(c.bulkInsert(docs)).rejects.toBeInstanceOf(DuplicateKeyError);
    expect(await c.find().exec()).toEqual(before);
  });

  it.each(positions)('bulkInsert repeating an id at position %i writes nothing', async (at) => {
    const c = await seeded();
    const before = await c.find().exec();
    const docs = Array.from({ length: 100 }, (_, i) => ({ _id: `new-${i === at ? (at + 1) % 100 : i}`, n: i }));
    await expect(c.bulkInsert(docs)).rejects.toBeInstanceOf(DuplicateKeyError);
    expect(await c.find().exec()).toEqual(before);
  });

  it.each(positions)('bulkInsert with a bad value at position %i writes nothing', async (at) => {
    const c = await seeded();
    const before = await c.find().exec();
    const docs = Array.from({ length: 100 }, (_, i) => ({ _id: `new-${i}`, n: i === at ? Number.NaN : i }));
    await expect(c.bulkInsert(docs)).rejects.toBeInstanceOf(ValidationError);
    expect(await c.find().exec()).toEqual(before);
  });

  it.each(positions)('bulkUpdate with a missing id at position %i changes nothing', async (at) => {
    const c = await seeded();
    const before = await c.find().exec();
    const updates = Array.from({ length: 100 }, (_, i) => ({ id: i === at ? 'missing' : `old-${i % 10}`, changes: { n: -i } }));
    await expect(c.bulkUpdate(updates)).rejects.toBeInstanceOf(DocumentNotFoundError);
    expect(await c.find().exec()).toEqual(before);
  });

  it('a mixed batch given to the store fails whole when its last operation fails', async () => {
    const storage = createMemoryStorage();
    const c = (await Database.create({ name: 'atomic', storage })).collection('items');
    await c.bulkInsert([
      { _id: 'a', n: 1 },
      { _id: 'b', n: 2 },
    ]);
    const store = storage.collection('items', { database: 'atomic' });
    const before = await c.find().exec();
    await expect(
      store.write([
        { type: 'insert', doc: { _id: 'c', n: 3 } },
        { type: 'update', id: 'a', patch: { n: 10 } },
        { type: 'delete', id: 'b' },
        { type: 'upsert', doc: { _id: 'd', n: 4 } },
        { type: 'insert', doc: { _id: 'a', n: 5 } },
      ]),
    ).rejects.toBeInstanceOf(DuplicateKeyError);
    expect(await c.find().exec()).toEqual(before);
  });
});
