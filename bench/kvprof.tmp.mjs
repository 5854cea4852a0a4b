import { Database } from '@pocket/core';
import { createDurableObjectStorage, createDurableObjectSqlStorage } from '@pocket/storage-edge';
const map = new Map();
const storage = {
  async get(k) { if (Array.isArray(k)) { const m = new Map(); for (const x of k) if (map.has(x)) m.set(x, map.get(x)); return m; } return map.get(k); },
  async put(e) { for (const [k, v] of Object.entries(e)) map.set(k, v); },
  async delete(k) { if (Array.isArray(k)) { let n = 0; for (const x of k) n += map.delete(x) ? 1 : 0; return n; } return map.delete(k); },
  async list() { return new Map(map); },
};
const todos = Database.open({ name: 'b', storage: createDurableObjectStorage({ storage }) }).collection('todos');
const doc = { _id: 'doc-000042', title: 'Buy groceries before the weekend (#42)', completed: false, userId: 'user-042', priority: 7, createdAt: 1700000000000, tags: ['home', 'errand'] };
await todos.insert(doc);
map.set('raw:' + doc._id, structuredClone(doc));
const N = 200000;
async function time(name, fn) {
  for (let i = 0; i < 20000; i++) await fn(i);
  const s = performance.now();
  for (let i = 0; i < N; i++) await fn(i);
  console.log(name, ((performance.now() - s) * 1000 / N).toFixed(2), 'µs');
}
for (let r = 0; r < 2; r++) {
await time('raw update', async (i) => { const v = await storage.get('raw:' + doc._id); v.completed = i % 2 === 0; await storage.put({ ['raw:' + doc._id]: v }); });
await time('pocket update', (i) => todos.update(doc._id, { completed: i % 2 === 0 }));
await time('raw delete', (i) => storage.delete('raw:x' + i));
await time('pocket delete', (i) => todos.delete('x' + i));
await time('raw get', () => storage.get('raw:' + doc._id));
await time('pocket get', () => todos.get(doc._id));
}
