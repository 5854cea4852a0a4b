import { Database, type Collection } from '@pocket/core';
import { createD1Storage } from '@pocket/storage-edge';
import { COLLECTION, type Todo } from './data.js';
import { BY_USER_LIMIT, RANGE_LIMIT, type Variant } from './harness.js';

/** Pocket's operations on a collection, whatever the storage under it: the code a user writes. */
export function pocketVariant(todos: Collection<Todo>): Variant {
  return {
    get: (id) => todos.get(id),
    // Sorted by _id as raw's statement is: without a sort the order would be the index's.
    byUser: (userId) => todos.find().where('userId').equals(userId).sort('_id').limit(BY_USER_LIMIT).exec(),
    range: (minPriority) => todos.find().where('priority').gte(minPriority).sort('createdAt', 'desc').limit(RANGE_LIMIT).exec(),
    count: () => todos.count(),
    update: (id, completed) => todos.update(id, { completed }),
    bulkUpdate: (changes) => todos.bulkUpdate(changes.map((c) => ({ id: c.id, changes: { completed: c.completed } }))),
    bulkInsert: (docs) => todos.bulkInsert(docs),
    delete: (id) => todos.delete(id),
  };
}

/** Pocket on D1 as a Worker can keep it: one Database per isolate, reused by every request. */
export function pocketD1(db: D1Database): Variant {
  return pocketVariant(Database.open({ name: 'bench', storage: createD1Storage({ database: db }) }).collection<Todo>(COLLECTION));
}

/**
 * Pocket on D1 as the guide writes it: `Database.create` with a new adapter on every request
 * (here: before every operation). Only `get` is measured this way, the cheapest read, where
 * the cost of creating the database would show most.
 */
export function pocketD1PerRequest(db: D1Database): Variant {
  const reused = pocketD1(db);
  return {
    ...reused,
    async get(id) {
      const database = await Database.create({ name: 'bench', storage: createD1Storage({ database: db }) });
      return database.collection<Todo>(COLLECTION).get(id);
    },
  };
}
