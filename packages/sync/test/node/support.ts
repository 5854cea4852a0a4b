import { Database, createMemoryStorage, type Filter } from '@pocket/core';
import { SyncServer, handleSyncHttp, type SyncRules } from '@pocket/sync/server';
import { createSyncClient, type SyncClient, type SyncClientOptions } from '@pocket/sync/client';

export interface User {
  id: string;
}

export interface Todo {
  _id: string;
  listId: string;
  owner?: string;
  title: string;
  done?: boolean;
  n?: number;
}

/** Every user may read and write every document of "todos" and "notes". */
export const openRules: SyncRules<User> = {
  authenticate: (request) => {
    const id = request.headers.get('x-user');
    return id === null ? null : { id };
  },
  collections: { todos: {}, notes: {} },
};

/** A user reads and writes only the todos they own. */
export const ownerRules: SyncRules<User> = {
  authenticate: openRules.authenticate,
  collections: { todos: { read: (user, q) => q.where('owner').equals(user.id) } },
};

export interface Network {
  /** While false, every request fails as a lost connection would. */
  online: boolean;
  requests: number;
}

/** A server on memory storage and a `fetch` that hands requests to its HTTP handler. */
export async function startServer(rules: SyncRules<User> = openRules) {
  const database = await Database.create({ name: 'server', storage: createMemoryStorage() });
  const server = new SyncServer({ database, rules });
  const network: Network = { online: true, requests: 0 };
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    network.requests++;
    if (!network.online) throw new TypeError('fetch failed: offline');
    return handleSyncHttp(server, new Request(input, init));
  };
  return { database, server, network, fetch: fetch as typeof globalThis.fetch };
}

export async function startClient(
  server: { fetch: typeof globalThis.fetch },
  user: string,
  options: Partial<SyncClientOptions> & { filter?: Filter | null } = {},
): Promise<{ db: Database; client: SyncClient }> {
  const db = options.database ?? (await Database.create({ name: `client-${user}`, storage: createMemoryStorage() }));
  const client = createSyncClient({
    url: 'http://sync.test/sync',
    collections: { todos: { filter: options.filter ?? null } },
    pollInterval: 20,
    retry: { min: 5, max: 40 },
    headers: () => ({ 'x-user': user }),
    fetch: server.fetch,
    ...options,
    database: db,
  });
  await client.start();
  return { db, client };
}

/** The documents of a collection without `_rev`, sorted by id: what two sides must agree on. */
export async function contents(db: Database, collection = 'todos'): Promise<unknown[]> {
  const docs = await db.collection(collection).find().sort('_id').exec();
  return docs.map(({ _rev, ...rest }) => rest);
}

export function within<T>(promise: Promise<T>, ms = 10_000): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`not within ${ms} ms`)), ms))]);
}
