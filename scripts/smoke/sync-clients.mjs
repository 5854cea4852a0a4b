// Two Node clients from the tarballs, over real sockets to `wrangler dev`: a write of one
// reaches the other live, and a polling client over HTTP sees it too.
import { Database, createMemoryStorage } from '@pocket/core';
import { createSyncClient } from '@pocket/sync/client';
import { WebSocket } from 'ws';

const port = process.argv[2];
const client = async (user, url) => {
  const db = await Database.create({ name: user, storage: createMemoryStorage() });
  const sync = createSyncClient({ database: db, url, collections: { todos: { filter: (q) => q.where('listId').equals('l1') } }, WebSocket, pollInterval: 100 });
  await sync.start();
  await sync.synced();
  return { db, sync };
};
const a = await client('a', `ws://127.0.0.1:${port}/lists/smoke/sync?user=a`);
const b = await client('b', `ws://127.0.0.1:${port}/lists/smoke/sync?user=b`);
const c = await client('c', `http://127.0.0.1:${port}/lists/smoke/sync?user=c`);
await a.db.collection('todos').insert({ _id: 't1', listId: 'l1', title: 'from a tarball' });
await a.sync.synced();
const deadline = Date.now() + 10_000;
while ((await b.db.collection('todos').get('t1')) === null) {
  if (Date.now() > deadline) throw new Error('client b never received the todo');
  await new Promise((r) => setTimeout(r, 20));
}
await c.sync.synced();
if ((await c.db.collection('todos').get('t1'))?.title !== 'from a tarball') throw new Error('the polling client did not receive the todo');
await Promise.all([a.sync.stop(), b.sync.stop(), c.sync.stop()]);
console.log('smoke sync: a write reached a WebSocket client live and a polling client');
