// Bad input everywhere a user's data enters core, on the memory adapter: collection names,
// ids, field paths, documents, patches and queries from the shared hostile catalogue. Each is
// refused with a clear PocketError or stored exactly; nothing refused is ever written, and no
// prototype is polluted. storage-edge runs the same catalogue on D1 and both Durable Objects.
import { createMemoryStorage, Database } from '@pocket/core';
import { describe, expect, it } from 'vitest';
import {
  checkCollectionNames,
  checkEdgeQueries,
  checkIds,
  checkPatches,
  checkPaths,
  checkRefusedDocuments,
  checkRefusedQueries,
  checkStoredDocuments,
} from '@pocket/test-support/hostile-checks';
import { ACCEPTED_COLLECTION_NAMES, catalogueSize } from '@pocket/test-support/hostile-inputs';

const open = () => Database.create({ name: 'hostile', storage: createMemoryStorage() });

describe('hostile input on the memory adapter', () => {
  it('refuses non-objects and non-JSON values in documents, writing nothing', async () => {
    expect(await checkRefusedDocuments(await open())).toBeGreaterThan(60);
  });

  it('stores odd but valid documents exactly', async () => {
    expect(await checkStoredDocuments(await open())).toBe(catalogueSize()['documents stored exactly']);
  });

  it('stores, finds, updates and deletes hostile ids as themselves, and refuses bad ones', async () => {
    expect(await checkIds(await open())).toBeGreaterThan(40);
  });

  it('refuses bad patches without touching the document, and merges odd keys exactly', async () => {
    expect(await checkPatches(await open())).toBeGreaterThan(60);
  });

  it('queries and sorts by keys that mean something to SQL or JavaScript, and refuses bad paths', async () => {
    expect(await checkPaths(await open())).toBeGreaterThan(40);
  });

  it('refuses bad collection names before any storage is asked', async () => {
    const storage = createMemoryStorage();
    const asked: string[] = [];
    const spy = { ...storage, collection: (name: string, context: { database: string }) => (asked.push(name), storage.collection(name, context)) };
    expect(await checkCollectionNames(await Database.create({ name: 'names', storage: spy }))).toBeGreaterThan(20);
    expect(asked).toEqual([]);
  });

  it('keeps unusual valid collection names apart', async () => {
    const db = await open();
    for (const name of ACCEPTED_COLLECTION_NAMES) await db.collection(name).insert({ _id: 'same', name });
    for (const name of ACCEPTED_COLLECTION_NAMES) expect(await db.collection(name).find().exec()).toEqual([{ _id: 'same', name, _rev: 1 }]);
  });

  it('refuses every malformed query with a QueryError', async () => {
    expect(await checkRefusedQueries(await open())).toBeGreaterThan(250);
  });

  it('answers queries at the edges of what is allowed as the evaluator does', async () => {
    expect(await checkEdgeQueries(await open())).toBeGreaterThan(90);
  });
});
