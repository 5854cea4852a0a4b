// One TenantDO per tenant: its own SQLite database inside a Durable Object, reached over RPC.
import { DurableObject } from 'cloudflare:workers';
import { Database, ValidationError, type QueryPage, type WithRev } from '@pocket/core';
import { createDurableObjectSqlStorage } from '@pocket/storage-edge';
import type { Env } from './tenant-storage.js';

export interface Note {
  _id: string;
  text: string;
  createdAt: string;
}

/** The longest note accepted, in characters: it bounds every note, so every page sent over RPC. */
export const MAX_NOTE_LENGTH = 1000;
/** Notes per page. */
export const NOTES_PAGE_SIZE = 100;

export class TenantDO extends DurableObject<Env> {
  // Database.open is synchronous and does no I/O, so the constructor can open it. The data is in
  // ctx.storage: an evicted object's replacement opens a new Database over the same tables.
  private readonly db = Database.open({
    name: 'tenant',
    storage: createDurableObjectSqlStorage({ storage: this.ctx.storage }),
  });

  /** A page of notes, oldest first: the first, or the one after `cursor` (a QueryError if malformed). */
  async listNotes(cursor: string | null): Promise<QueryPage<WithRev<Note>>> {
    const query = this.db.collection<Note>('notes').find().sort('createdAt').limit(NOTES_PAGE_SIZE);
    return (cursor === null ? query : query.after(cursor)).page();
  }

  /**
   * The object checks what it stores, whoever calls it. Its errors reach the caller as plain
   * Errors: the Worker rebuilds them with fromRpcError, so this one answers 400 there.
   */
  async addNote(text: string): Promise<WithRev<Note>> {
    if (text.length > MAX_NOTE_LENGTH) {
      throw new ValidationError(`The note is ${text.length} characters long; the limit is ${MAX_NOTE_LENGTH}.`, { path: 'text' });
    }
    return this.db.collection<Note>('notes').insert({ text, createdAt: new Date().toISOString() });
  }

  async deleteNote(id: string): Promise<boolean> {
    return this.db.collection<Note>('notes').delete(id);
  }
}
