import { Database } from '@pocket/core';
import { createDurableObjectStorage } from '@pocket/storage-edge';
const map = new Map();
const storage = {
  async get(k) { return map.get(k); },
  async put(e) { for (const [k, v] of Object.entries(e)) map.set(k, v); },
  async delete(k) { return map.delete(k); },
  async list() { return new Map(map); },
};
const todos = Database.open({ name: 'b', storage: createDurableObjectStorage({ storage }) }).collection('todos');
const doc = { _id: 'doc-000042', title: 'Buy groceries before the weekend (#42)', completed: false, userId: 'user-042', priority: 7, createdAt: 1700000000000, tags: ['home', 'errand'] };
await todos.insert(doc);
for (let i = 0; i < 600000; i++) await todos.update(doc._id, { completed: i % 2 === 0 });
