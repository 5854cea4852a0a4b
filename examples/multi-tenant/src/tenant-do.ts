// One TenantDO per tenant: its own SQLite database inside a Durable Object, reached over RPC.
import { DurableObject } from 'cloudflare:workers';
import { Database, type WithRev } from '@pocket/core';
import { createDurableObjectSqlStorage } from '@pocket/storage-edge';
import type { Env } from './tenant-storage.js';

export interface Note {
  _id: string;
  text: string;
  createdAt: string;
}

export class TenantDO extends DurableObject<Env> {
  // Database.open is synchronous and does no I/O, so the constructor can open it. The data is in
  // ctx.storage: an evicted object's replacement opens a new Database over the same tables.
  private readonly db = Database.open({
    name: 'tenant',
    storage: createDurableObjectSqlStorage({ storage: this.ctx.storage }),
  });

  async listNotes(): Promise<Array<WithRev<Note>>> {
    return this.db.collection<Note>('notes').find().sort('createdAt').limit(100).exec();
  }

  async addNote(text: string): Promise<WithRev<Note>> {
    return this.db.collection<Note>('notes').insert({ text, createdAt: new Date().toISOString() });
  }

  async deleteNote(id: string): Promise<boolean> {
    return this.db.collection<Note>('notes').delete(id);
  }
}
