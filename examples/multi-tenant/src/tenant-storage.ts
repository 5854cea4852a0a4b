// The three ways to store a tenant's data. Kept out of src/index.ts, whose exports are what
// the runtime loads (the default handler and the Durable Object class).
import { Database, DocumentNotFoundError, type QueryPage, type WithRev } from '@pocket/core';
import { createD1Storage } from '@pocket/storage-edge';
import type { TenantDO } from './tenant-do.js';

export interface Env {
  DB: D1Database;
  TENANT_DO: DurableObjectNamespace<TenantDO>;
}

/** The longest title accepted, in characters: it bounds every todo, so every page. */
export const MAX_TITLE_LENGTH = 200;
/** Todos per page. */
export const PAGE_SIZE = 100;

export interface Todo {
  _id: string;
  title: string;
  completed: boolean;
  createdAt: string;
}

/** A todo in the shared table. */
export interface SharedTodo extends Todo {
  tenantId: string;
}

// ---- Per-tenant tables ---------------------------------------------------------------------

/** The tenant's own database: same D1 binding, tables named tenant_<id>_<collection>. */
export function getTenantDb(env: Env, tenantId: string): Database {
  // tenantId has passed TENANT_ID; createD1Storage would refuse a prefix with other characters
  // anyway, but a checked id is what makes the name unambiguous (see src/tenant.ts).
  return Database.open({
    name: `tenant-${tenantId}`,
    storage: createD1Storage({ database: env.DB, tablePrefix: `tenant_${tenantId}_` }),
  });
}

// ---- One Durable Object per tenant ---------------------------------------------------------

export function getTenantStub(env: Env, tenantId: string): DurableObjectStub<TenantDO> {
  return env.TENANT_DO.get(env.TENANT_DO.idFromName(tenantId));
}

// ---- Shared table with a tenantId on every row ---------------------------------------------

export function sharedDb(env: Env): Database {
  // Every list filters on tenantId and sorts by createdAt: one index serves both, so a page of a
  // tenant's todos reads the rows it returns however many the table holds.
  return Database.open({
    name: 'shared',
    storage: createD1Storage({ database: env.DB, indexes: { todos: [['tenantId', 'createdAt']] } }),
  });
}

/**
 * The only way this Worker touches the shared table: every read is filtered by the tenant,
 * every insert gets the tenant from the context, and updates and deletes first check that the
 * document belongs to the tenant. Another tenant's document behaves as if it did not exist.
 */
export function tenantTodos(db: Database, tenantId: string) {
  const todos = db.collection<SharedTodo>('todos');

  async function own(id: string): Promise<WithRev<SharedTodo>> {
    const todo = await todos.get(id);
    if (!todo || todo.tenantId !== tenantId) throw new DocumentNotFoundError(todos.name, id);
    return todo;
  }

  return {
    /** A page of the tenant's todos, oldest first: the first, or the one after `cursor`. */
    list(cursor: string | null): Promise<QueryPage<WithRev<SharedTodo>>> {
      const query = todos.find().where('tenantId').equals(tenantId).sort('createdAt').limit(PAGE_SIZE);
      return (cursor === null ? query : query.after(cursor)).page();
    },
    get: own,
    create(data: Pick<Todo, 'title'>): Promise<WithRev<SharedTodo>> {
      return todos.insert({
        _id: crypto.randomUUID(),
        title: data.title,
        completed: false,
        createdAt: new Date().toISOString(),
        tenantId, // always from the authenticated context
      });
    },
    async update(id: string, changes: Partial<Pick<Todo, 'title' | 'completed'>>): Promise<WithRev<SharedTodo>> {
      await own(id);
      // The patch is built from title/completed only, so tenantId can never change.
      return todos.update(id, changes);
    },
    async remove(id: string): Promise<void> {
      const todo = await todos.get(id);
      if (todo && todo.tenantId === tenantId) await todos.delete(id); // not ours or not there: nothing to do
    },
  };
}
