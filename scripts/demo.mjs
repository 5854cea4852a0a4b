// A first look at Pocket without Cloudflare: an in-memory database, some writes and queries.
import { Database, createMemoryStorage } from '@pocket/core';

const db = await Database.create({ name: 'demo', storage: createMemoryStorage() });
const todos = db.collection('todos');

await todos.bulkInsert([
  { _id: 'a', title: 'Write docs', completed: false, userId: 'u1', priority: 2, createdAt: '2026-01-03' },
  { _id: 'b', title: 'Ship the D1 adapter', completed: true, userId: 'u1', priority: 1, createdAt: '2026-01-01' },
  { _id: 'c', title: 'Benchmark', completed: false, userId: 'u2', priority: 3, createdAt: '2026-01-02' },
  { _id: 'd', title: 'Answer issues', completed: false, userId: 'u1', priority: 5, createdAt: '2026-01-04' },
]);

const open = await todos.find().where('userId').equals('u1').where('completed').equals(false).sort('createdAt', 'desc').limit(100).exec();
console.log('open todos of u1, newest first:', open.map((t) => t.title));

console.log('priority between 2 and 4:', (await todos.find().where('priority').between(2, 4).exec()).map((t) => t.title));
console.log('count of done:', await todos.count({ completed: true }));
console.log('updated:', await todos.update('a', { completed: true }));
console.log('deleted "c":', await todos.delete('c'), '- again:', await todos.delete('c'));
try {
  await todos.insert({ _id: 'a', title: 'dup' });
} catch (error) {
  console.log(`insert of an existing id -> ${error.name} (${error.code}, ${error.status}): ${error.message}`);
}
