import { type Filter, type FindQuery, type StoredDocument } from '@pocket/core';
import { evaluate, matches, project } from '@pocket/core/adapter';
import { assertText, decode } from './kv-values.js';
import type { DurableObjectKvStorageLike } from './kv-types.js';

/**
 * Reads the entries under `prefix` in key order, one `list()` page at a time. `nextSize`
 * chooses each page's size, so a caller that needs few documents asks for few.
 */
async function* entryPages(storage: DurableObjectKvStorageLike, prefix: string, nextSize: () => number): AsyncGenerator<Map<string, unknown>> {
  let startAfter: string | undefined;
  for (;;) {
    const limit = nextSize();
    const page = await storage.list({ prefix, limit, ...(startAfter === undefined ? {} : { startAfter }) });
    for (const key of page.keys()) startAfter = key;
    if (page.size > 0) yield page;
    if (page.size < limit) return;
  }
}

/** The documents under `prefix`, page by page (see `entryPages`). */
async function* pages(storage: DurableObjectKvStorageLike, prefix: string, nextSize: () => number): AsyncGenerator<StoredDocument[]> {
  for await (const page of entryPages(storage, prefix, nextSize)) {
    const docs: StoredDocument[] = [];
    for (const [key, value] of page) docs.push(decode(key, value));
    yield docs;
  }
}

/**
 * `evaluate(query, allDocuments)`, without holding every document. Keys list in UTF-8 byte
 * order, which for one collection's prefix is `_id` order by code point: exactly core's order
 * when a query has no sort. So a limited query without sort stops reading at its last match;
 * any other query keeps only the matches of each page, then sorts and slices them as core does.
 */
export async function findInPages(storage: DurableObjectKvStorageLike, prefix: string, query: FindQuery, pageSize: number): Promise<StoredDocument[]> {
  if (query.limit === 0) return [];
  if (query.sort.length === 0 && query.limit !== null) {
    const wanted = query.skip + query.limit;
    const found: StoredDocument[] = [];
    // Start with as many keys as could suffice, then double, so a selective filter costs few calls.
    let size = Math.min(pageSize, wanted);
    for await (const docs of pages(storage, prefix, () => size)) {
      for (const doc of docs) {
        if (!matches(query.filter, doc)) continue;
        found.push(doc);
        if (found.length === wanted) return selected(found.slice(query.skip), query.select);
      }
      size = Math.min(pageSize, size * 2);
    }
    return selected(found.slice(query.skip), query.select);
  }
  const kept: StoredDocument[] = [];
  for await (const docs of pages(storage, prefix, () => pageSize)) {
    for (const doc of docs) if (matches(query.filter, doc)) kept.push(doc);
  }
  return evaluate({ ...query, filter: null }, kept);
}

export async function countInPages(storage: DurableObjectKvStorageLike, prefix: string, filter: Filter | null, pageSize: number): Promise<number> {
  let n = 0;
  if (filter === null) {
    // Every document counts, so none needs parsing; checking that each value is Pocket's text
    // still reports foreign values. JSON.parse was half the time of counting a collection.
    for await (const page of entryPages(storage, prefix, () => pageSize)) {
      for (const [key, value] of page) assertText(key, value);
      n += page.size;
    }
    return n;
  }
  for await (const docs of pages(storage, prefix, () => pageSize)) {
    for (const doc of docs) if (matches(filter, doc)) n++;
  }
  return n;
}

/** A query's projection, applied to what the fast path found (`evaluate` applies it otherwise). */
function selected(docs: StoredDocument[], select: readonly string[] | null | undefined): StoredDocument[] {
  return select == null ? docs : docs.map((doc) => project(doc, select));
}
