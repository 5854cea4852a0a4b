import { MAX_ID_LENGTH, type Collection, type Database, type JsonObject } from '@pocket/core';

/**
 * What the client knows of one synced document, kept beside it in local storage:
 * - `rev`: the server's revision it last saw (0: none), and `exists`: whether the server has it;
 * - `localRev`: the local `_rev` that matches that server state, so a local write shows up as a
 *   different `_rev` in the local change feed, whoever made it and whenever;
 * - `seenLocalRev`: the newest local `_rev` the client has seen in that feed;
 * - `dirty`: a local write not yet pushed; `inflight`: the mutation sent for it, not yet answered.
 */
export interface DocState {
  rev: number;
  exists: boolean;
  localRev: number;
  seenLocalRev: number;
  dirty: boolean;
  inflight: { mid: number; localRev: number; deleted: boolean } | null;
  /** A server change pulled while a local write was pending, kept until the push settles. */
  newer?: { rev: number; doc: JsonObject | null } | null;
  /** The local `_rev` of a delete this client is about to make of a document out of its view: the user did not make it. */
  ownDelete?: number | null;
}

/** Per collection: the server checkpoint, the local feed's checkpoint, and the filter they belong to. */
export interface CollectionState {
  filterKey: string;
  since: string | null;
  localSince: string | null;
}

interface StoredRecord {
  _id: string;
  state: DocState | CollectionState | ClientState;
}

export interface ClientState {
  clientId: string;
  nextMid: number;
}

/**
 * The client's bookkeeping in one collection of the local database, so that a persistent local
 * store resumes where it stopped: checkpoints, the client id and mutation counter, and a record
 * per synced document. Everything is also held in memory; writes go through to storage.
 */
export class LocalState {
  readonly #records: Collection<StoredRecord>;
  readonly docs = new Map<string, DocState>();
  /** Keys of documents with a local write not yet answered (dirty or in flight), so pushes never scan every document. */
  readonly pending = new Set<string>();
  readonly collections = new Map<string, CollectionState>();
  client: ClientState = { clientId: '', nextMid: 1 };

  constructor(database: Database, name: string) {
    this.#records = database.collection<StoredRecord>(name);
  }

  static key(collection: string, id: string): string {
    return `${collection}/${id}`;
  }

  async load(): Promise<void> {
    for (const record of await this.#records.find().exec()) {
      const [kind] = record._id.split('/', 1);
      if (kind === 'client') this.client = record.state as ClientState;
      else if (kind === 'c') this.collections.set(record._id.slice(2), record.state as CollectionState);
      else if (kind === 'd') this.#remember(record._id.slice(2), record.state as DocState);
    }
    if (this.client.clientId === '') {
      this.client = { clientId: randomId(), nextMid: 1 };
      await this.saveClient();
    }
  }

  async saveClient(): Promise<void> {
    await this.#records.upsert({ _id: 'client', state: this.client });
  }

  async saveCollection(collection: string, state: CollectionState): Promise<void> {
    this.collections.set(collection, state);
    await this.#records.upsert({ _id: `c/${collection}`, state });
  }

  /** Stores the records of these documents (`null`: forget it). */
  async saveDocs(entries: ReadonlyArray<[key: string, state: DocState | null]>): Promise<void> {
    const fresh: StoredRecord[] = [];
    for (const [key, state] of entries) {
      const existed = this.docs.has(key);
      if (state === null) {
        this.docs.delete(key);
        this.pending.delete(key);
        if (existed) await this.#records.delete(`d/${key}`);
      } else {
        this.#remember(key, state);
        if (existed) await this.#records.upsert({ _id: `d/${key}`, state });
        else fresh.push({ _id: `d/${key}`, state });
      }
    }
    if (fresh.length > 0) await this.#records.bulkInsert(fresh);
  }

  #remember(key: string, state: DocState): void {
    this.docs.set(key, state);
    if (state.dirty || state.inflight !== null) this.pending.add(key);
    else this.pending.delete(key);
  }

  /** Whether a document of this collection and id can be tracked: its record's id must fit Pocket's id limit. */
  static fits(collection: string, id: string): boolean {
    return `d/${collection}/${id}`.length <= MAX_ID_LENGTH;
  }
}

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}
