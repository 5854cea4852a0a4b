import { ConflictError, FilterBuilder, type AnyDocument, type Collection, type Database, type Filter, type JsonObject } from '@pocket/core';
import { matches } from '@pocket/core/adapter';
import { SYNC_LIMITS, utf8Length, type Mutation, type MutationResult, type PulledChange } from '../protocol.js';
import { LocalState, type DocState } from './local-state.js';
import { HttpTransport, SyncRequestError, WebSocketTransport, type Transport, type WebSocketFactory } from './transports.js';

export type SyncStatus = 'connecting' | 'online' | 'syncing' | 'offline' | 'error' | 'stopped';

/** Both sides of a conflict: the local document (`null`: deleted here) and the server's (`null`: deleted there, or not yours to read). */
export interface SyncConflict {
  collection: string;
  id: string;
  local: JsonObject | null;
  server: JsonObject | null;
  serverRev: number | null;
}

/**
 * Decides a conflict: return the document to keep (pushed again, on top of the server's
 * revision), `null` to delete it, or `undefined` to take the server's version (the default).
 */
export type ConflictResolver = (conflict: SyncConflict) => JsonObject | null | undefined | Promise<JsonObject | null | undefined>;

export interface SyncedCollection {
  /** The documents to sync: a builder function `(q) => q.where('listId').equals(id)`, or a filter; every document the server lets you read without one. */
  filter?: ((q: FilterBuilder<AnyDocument>) => FilterBuilder<AnyDocument>) | Filter | null;
}

export interface SyncClientOptions {
  /** The local database to keep in step; any storage adapter with a change feed (memory, D1, Durable Objects). */
  database: Database;
  /** `ws://` or `wss://` for a live connection to a Durable Object; `http://` or `https://` to poll `…/pull` and `…/push`. */
  url: string;
  /** The collections to sync, each with the documents wanted. */
  collections: Record<string, SyncedCollection | true>;
  resolve?: ConflictResolver;
  /** The WebSocket class, where there is no global one (Node 20: the `ws` package). */
  WebSocket?: WebSocketFactory;
  fetch?: typeof fetch;
  /** Headers for HTTP requests, e.g. `Authorization` (a WebSocket carries credentials in its URL or cookies). */
  headers?: () => HeadersInit | Promise<HeadersInit>;
  /** Milliseconds between polls over HTTP (default 2,000). */
  pollInterval?: number;
  /** The local collection for the client's own records (default `pocket_sync`). */
  stateCollection?: string;
  /** Reconnect delays in milliseconds: the first, doubling up to the last (default 250 to 10,000). */
  retry?: { min: number; max: number };
}

export interface SyncEvents {
  status: (status: SyncStatus) => void;
  /** A push met a newer server version; `resolution` is what the client kept (`undefined`: the server's). */
  conflict: (conflict: SyncConflict & { resolution: JsonObject | null | undefined }) => void;
  /** The server refused a write (rules, validation); the local document went back to the server's. */
  rejected: (rejection: SyncConflict & { code: string; message: string }) => void;
  error: (error: Error) => void;
}

/**
 * Keeps collections of a local `Database` in step with a sync server. Local writes are made as
 * usual (`db.collection('todos').insert(…)`): the client finds them in the local change feed,
 * pushes them, and writes what others changed into the local database, where live queries see it.
 */
export class SyncClient {
  readonly #options: SyncClientOptions;
  readonly #db: Database;
  readonly #state: LocalState;
  readonly #filters = new Map<string, Filter | null>();
  readonly #listeners: { [E in keyof SyncEvents]: Set<SyncEvents[E]> } = { status: new Set(), conflict: new Set(), rejected: new Set(), error: new Set() };
  #status: SyncStatus = 'stopped';
  #transport: Transport | null = null;
  #connected = false;
  #started: Promise<void> | null = null;
  /** Everything that touches the local state runs one after another on this queue. */
  #queue: Promise<unknown> = Promise.resolve();
  #caughtUp = new Set<string>();
  #pushing = false;
  #retryDelay: number;
  #reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  #pollTimer: ReturnType<typeof setTimeout> | null = null;
  #unsubscribeLocal: (() => void) | null = null;
  #waiters: Array<{ resolve: () => void; round: number }> = [];
  /** Polling rounds started and finished: `synced()` waits for a round that started after it was called. */
  #roundsStarted = 0;
  #roundsDone = 0;

  constructor(options: SyncClientOptions) {
    if (!/^(wss?|https?):\/\//.test(options.url))
      throw new TypeError(`url must start with ws://, wss://, http:// or https://, got ${JSON.stringify(options.url).slice(0, 80)}.`);
    this.#options = options;
    this.#db = options.database;
    this.#state = new LocalState(options.database, options.stateCollection ?? 'pocket_sync');
    this.#retryDelay = options.retry?.min ?? 250;
    for (const [name, spec] of Object.entries(options.collections)) {
      this.#db.collection(name); // validates the name now, not at the first sync
      const filter = spec === true ? null : (spec.filter ?? null);
      this.#filters.set(name, typeof filter === 'function' ? filter(new FilterBuilder()).filter : filter);
    }
  }

  get status(): SyncStatus {
    return this.#status;
  }

  /** The id this client pushes under, kept in local storage. */
  get clientId(): string {
    return this.#state.client.clientId;
  }

  on<E extends keyof SyncEvents>(event: E, listener: SyncEvents[E]): () => void {
    this.#listeners[event].add(listener);
    return () => this.#listeners[event].delete(listener);
  }

  /** Loads the client's records from local storage and connects. Resolves once it has started connecting. */
  start(): Promise<void> {
    this.#started ??= this.#enqueue(async () => {
      // Listening starts before the feed is read, so a write that lands during the first scan is
      // scanned again rather than missed. Only which collections changed matters: the local change
      // feed says what, durably.
      this.#unsubscribeLocal = this.#db.onChange(
        (changes) => {
          if (changes.some((c) => this.#filters.has(c.collection))) this.#localChanged();
        },
        { documents: false },
      );
      await this.#state.load();
      // Local writes made while stopped are found first, so a changed subscription keeps them.
      await this.#scanLocal();
      await this.#forgetChangedSubscriptions();
      this.#connect();
    });
    return this.#started;
  }

  /** Disconnects; local writes made meanwhile are pushed after the next `start()`. */
  async stop(): Promise<void> {
    await this.#started;
    this.#started = null;
    this.#unsubscribeLocal?.();
    this.#clearTimers();
    const transport = this.#transport;
    this.#transport = null;
    this.#connected = false;
    transport?.close();
    await this.#queue.catch(() => undefined);
    this.#setStatus('stopped');
  }

  /**
   * Resolves when everything written locally so far has been pushed and answered, and every
   * collection has pulled up to the server's latest change. Waits through disconnections.
   */
  synced(): Promise<void> {
    return new Promise((resolve) => {
      // Over HTTP, what others wrote is known only from a pull made after this call.
      this.#waiters.push({ resolve, round: this.#roundsStarted + 1 });
      this.#checkSynced();
    });
  }

  // --- connection -------------------------------------------------------------------------

  #connect(): void {
    if (this.#started === null) return;
    this.#setStatus('connecting');
    this.#caughtUp.clear();
    const transport = this.#makeTransport();
    this.#transport = transport;
    transport.connect({
      open: () => {
        if (this.#transport !== transport) return;
        this.#connected = true;
        this.#setStatus('syncing');
        if (transport.live) {
          for (const [collection, filter] of this.#filters) transport.subscribe(collection, filter, this.#state.collections.get(collection)?.since ?? null);
        }
        void this.#pushLoop();
        if (!transport.live) void this.#poll(transport);
      },
      close: (reason) => {
        if (this.#transport !== transport) return;
        this.#transport = null;
        this.#connected = false;
        this.#emit('error', reason);
        if (reason instanceof SyncRequestError && !reason.retryable) {
          this.#setStatus('error');
          return;
        }
        this.#setStatus('offline');
        this.#scheduleReconnect();
      },
      changes: (message) => {
        void this.#enqueue(async () => {
          // Pages of a connection that has closed are dropped: the next one resumes from the checkpoint saved.
          if (this.#transport !== transport) return;
          await this.#applyPulled(message.collection, message.changes, message.checkpoint, message.caughtUp);
          this.#answered();
        }).catch((error) => {
          // A page that could not be written must not be skipped by the next one's checkpoint:
          // reconnecting subscribes again from the last checkpoint saved, which is before it.
          if (this.#transport === transport) this.#dropConnection(error as Error);
          else this.#fail(error);
        });
      },
      error: (code, message, ref) => {
        this.#emit('error', new SyncRequestError(code, message, false));
        // A refused subscription does not get better by waiting: the rules or the filter must change.
        if (ref?.startsWith('subscribe:')) this.#setStatus('error');
      },
    });
  }

  #makeTransport(): Transport {
    const { url } = this.#options;
    if (url.startsWith('ws')) {
      const WebSocket = this.#options.WebSocket ?? (globalThis as { WebSocket?: WebSocketFactory }).WebSocket;
      if (WebSocket === undefined)
        throw new TypeError('There is no global WebSocket here (Node 20): pass one, e.g. createSyncClient({ WebSocket: (await import("ws")).WebSocket, … }).');
      return new WebSocketTransport(url, WebSocket);
    }
    return new HttpTransport(url, this.#options.fetch ?? fetch.bind(globalThis), this.#options.headers ?? (() => ({})));
  }

  #scheduleReconnect(): void {
    if (this.#started === null || this.#reconnectTimer !== null) return;
    const delay = this.#retryDelay * (0.75 + Math.random() * 0.5);
    this.#retryDelay = Math.min(this.#retryDelay * 2, this.#options.retry?.max ?? 10_000);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      this.#connect();
    }, delay);
  }

  /** The server answered: the next disconnection starts again from the shortest pause. */
  #answered(): void {
    this.#retryDelay = this.#options.retry?.min ?? 250;
  }

  /** A request failed: drop the connection and try again after a pause. */
  #dropConnection(error: Error): void {
    const transport = this.#transport;
    this.#transport = null;
    this.#connected = false;
    transport?.close();
    this.#emit('error', error);
    if (error instanceof SyncRequestError && !error.retryable) {
      this.#setStatus('error');
      return;
    }
    this.#setStatus('offline');
    this.#scheduleReconnect();
  }

  async #poll(transport: Transport): Promise<void> {
    const round = ++this.#roundsStarted;
    try {
      for (const [collection, filter] of this.#filters) {
        for (;;) {
          const since = this.#state.collections.get(collection)?.since ?? null;
          const page = await transport.pull({ collection, filter, since, limit: SYNC_LIMITS.maxPullLimit });
          if (this.#transport !== transport) return;
          this.#answered();
          const current = await this.#enqueue(async () => {
            if (this.#transport !== transport) return false;
            await this.#applyPulled(collection, page.changes, page.checkpoint, page.caughtUp);
            return true;
          });
          if (!current) return;
          if (page.caughtUp) break;
        }
      }
    } catch (error) {
      if (this.#transport === transport) this.#dropConnection(error as Error);
      return;
    }
    this.#roundsDone = Math.max(this.#roundsDone, round);
    this.#checkSynced();
    // Stopped or reconnected meanwhile: that connection polls on its own.
    if (this.#transport !== transport) return;
    this.#pollTimer = setTimeout(() => {
      this.#pollTimer = null;
      if (this.#transport === transport) void this.#poll(transport);
    }, this.#options.pollInterval ?? 2_000);
  }

  // --- local writes ------------------------------------------------------------------------

  #localScanScheduled = false;
  /** A scan is reading the feed: what it finds is not pending yet, so `synced()` must wait for it. */
  #localScanRunning = false;

  #localChanged(): void {
    if (this.#localScanScheduled) return;
    this.#localScanScheduled = true;
    void this.#enqueue(async () => {
      this.#localScanScheduled = false;
      this.#localScanRunning = true;
      try {
        await this.#scanLocal();
      } finally {
        this.#localScanRunning = false;
      }
    })
      .then(() => this.#pushLoop())
      .catch((error) => this.#fail(error));
  }

  /**
   * Finds local writes in the local change feed: an entry whose `_rev` is not the one the client
   * recorded for that document was written by someone else than the sync, so it is pushed.
   */
  async #scanLocal(): Promise<void> {
    for (const collection of this.#filters.keys()) {
      const state = this.#collectionState(collection);
      let since = state.localSince;
      for (;;) {
        const page = await this.#db.collection(collection).changes({ since, limit: 1_000 });
        const updates: Array<[string, DocState]> = [];
        for (const change of page.changes) {
          const key = LocalState.key(collection, change.id);
          const doc = this.#state.docs.get(key);
          if (doc !== undefined && change.rev === doc.localRev) continue;
          if (doc !== undefined && change.deleted && change.rev === doc.ownDelete) {
            // This client's own removal of a document out of its view, whose record a crash kept from being saved.
            updates.push([key, { ...doc, exists: false, localRev: change.rev, seenLocalRev: change.rev, ownDelete: null }]);
            continue;
          }
          if (!LocalState.fits(collection, change.id)) {
            this.#emit(
              'error',
              new Error(
                `Document "${change.id.slice(0, 40)}…" of "${collection}" has an id too long to sync (the collection name and id together are at most ${500} characters); it stays local.`,
              ),
            );
            continue;
          }
          updates.push([key, { ...(doc ?? { rev: 0, exists: false, localRev: 0, inflight: null }), seenLocalRev: change.rev, dirty: true }]);
        }
        await this.#state.saveDocs(updates);
        since = page.checkpoint;
        await this.#state.saveCollection(collection, { ...this.#collectionState(collection), localSince: since });
        if (page.changes.length < 1_000) break;
      }
    }
  }

  // --- pull --------------------------------------------------------------------------------

  /** Writes the server's changes into the local database, except over local writes not yet pushed (the push decides those). */
  async #applyPulled(collection: string, changes: readonly PulledChange[], checkpoint: string, caughtUp: boolean): Promise<void> {
    if (!this.#filters.has(collection)) return;
    const local = this.#db.collection(collection);
    const updates: Array<[string, DocState | null]> = [];
    const inserts: JsonObject[] = [];
    for (const change of changes) {
      const key = LocalState.key(collection, change.id);
      const known = this.#state.docs.get(key);
      if (known !== undefined && (known.dirty || known.inflight !== null)) {
        // Kept aside, not written: the push settles this document. If the push turns out to have
        // been applied before this change (an answer the server gives again from its record), the
        // change is written then; the checkpoint moves past it now.
        if (change.rev > known.rev && change.rev > (known.newer?.rev ?? 0)) updates.push([key, { ...known, newer: { rev: change.rev, doc: change.doc } }]);
        continue;
      }
      // A removal at the revision held here is news too: this client's own write took the document out of its view.
      const removedHere = known !== undefined && change.rev === known.rev && change.doc === null && known.exists;
      if (known !== undefined && change.rev <= known.rev && !removedHere) continue;
      if (known === undefined && change.doc !== null) {
        inserts.push(change.doc);
        continue;
      }
      updates.push([key, await this.#writeLocal(local, change.id, known, change.doc, change.rev)]);
    }
    if (inserts.length > 0) updates.push(...(await this.#insertLocal(collection, local, inserts, changes)));
    await this.#state.saveDocs(updates);
    await this.#state.saveCollection(collection, { ...this.#collectionState(collection), since: checkpoint });
    if (caughtUp) this.#caughtUp.add(collection);
    this.#checkSynced();
  }

  /** New documents in one bulk insert; one that exists locally already (written here meanwhile) is left to the push. */
  async #insertLocal(collection: string, local: Collection, docs: JsonObject[], changes: readonly PulledChange[]): Promise<Array<[string, DocState | null]>> {
    const revs = new Map(changes.map((c) => [c.id, c.rev]));
    try {
      const written = await local.bulkInsert(docs.map(withoutRev) as never[]);
      return written.map((doc) => [LocalState.key(collection, doc._id), fresh(revs.get(doc._id)!, doc._rev)]);
    } catch {
      const out: Array<[string, DocState | null]> = [];
      for (const doc of docs)
        out.push([
          LocalState.key(collection, doc._id as string),
          await this.#writeLocal(local, doc._id as string, undefined, doc, revs.get(doc._id as string)!),
        ]);
      return out;
    }
  }

  /**
   * Writes one server document locally, on the condition that the local copy is still the one
   * the client recorded: a local write in between wins here and is pushed.
   */
  async #writeLocal(local: Collection, id: string, known: DocState | undefined, doc: JsonObject | null, rev: number): Promise<DocState | null> {
    // A tombstone has no revision to expect: a document the server had deleted is expected absent.
    const expectedRev = known?.exists === true ? known.localRev : 0;
    try {
      if (doc === null) {
        if (known === undefined || !known.exists) return known === undefined ? null : { ...known, rev };
        // At the revision held here, this removal is of this client's own write, which the server keeps.
        const deleted = rev === known.rev ? await this.#deleteOutOfView(local, id, known) : await local.delete(id, { expectedRev });
        return {
          ...known,
          rev,
          exists: false,
          localRev: deleted ? expectedRev + 1 : known.localRev,
          seenLocalRev: deleted ? expectedRev + 1 : known.seenLocalRev,
        };
      }
      const written = await local.upsert(withoutRev(doc) as never, { expectedRev });
      return fresh(rev, written._rev);
    } catch (error) {
      if (error instanceof ConflictError) return known ?? null;
      throw error;
    }
  }

  // --- push --------------------------------------------------------------------------------

  async #pushLoop(): Promise<void> {
    if (this.#pushing) return;
    this.#pushing = true;
    try {
      while (this.#connected && this.#transport !== null) {
        const transport = this.#transport;
        const batch = await this.#enqueue(() => this.#nextBatch());
        if (batch.length === 0) break;
        this.#setStatus('syncing');
        let response;
        try {
          response = await transport.push({ clientId: this.#state.client.clientId, mutations: batch });
        } catch (error) {
          if (this.#transport === transport) {
            this.#dropConnection(error as Error);
            return;
          }
          // A newer connection opened while this push was out; its own loop saw this one running
          // and left the pushing to it, so it goes on, resending these mutations there.
          continue;
        }
        this.#answered();
        await this.#enqueue(() => this.#applyResults(response.results));
      }
    } catch (error) {
      this.#fail(error);
    } finally {
      this.#pushing = false;
      this.#checkSynced();
    }
  }

  /** The next mutations to send: the unanswered ones again (same numbers, so the server answers rather than applies them twice), then new ones. */
  async #nextBatch(): Promise<Mutation[]> {
    const inflight: Array<[string, DocState]> = [];
    const dirty: Array<[string, DocState]> = [];
    for (const key of this.#state.pending) {
      const entry: [string, DocState] = [key, this.#state.docs.get(key)!];
      if (entry[1].inflight !== null) inflight.push(entry);
      else if (dirty.length < SYNC_LIMITS.maxMutationsPerPush) dirty.push(entry);
    }
    inflight.sort((a, b) => a[1].inflight!.mid - b[1].inflight!.mid);
    const chosen = [...inflight, ...dirty].slice(0, SYNC_LIMITS.maxMutationsPerPush);
    const batch: Mutation[] = [];
    const updates: Array<[string, DocState]> = [];
    // Half a message for the mutations leaves room for the envelope; one mutation that alone is
    // over it could never be sent, so it stays local (and reported) rather than block every push.
    const budget = SYNC_LIMITS.maxMessageBytes / 2;
    let bytes = 0;
    for (const [key, state] of chosen) {
      const slash = key.indexOf('/');
      const collection = key.slice(0, slash);
      const id = key.slice(slash + 1);
      const current = (await this.#db.collection(collection).get(id)) as JsonObject | null;
      const localRev = current === null ? state.seenLocalRev : (current._rev as number);
      const mid = state.inflight?.mid ?? this.#state.client.nextMid;
      const mutation: Mutation = { mid, collection, id, baseRev: state.exists ? state.rev : 0, doc: current === null ? null : withoutRev(current) };
      const size = utf8Length(JSON.stringify(mutation));
      if (size > budget && state.inflight === null) {
        this.#emit(
          'error',
          new Error(
            `Document "${id.slice(0, 80)}" of "${collection}" is ${size} bytes as a push, over the ${budget} a push may carry; it stays local until it is smaller.`,
          ),
        );
        continue;
      }
      bytes += size;
      if (batch.length > 0 && bytes > budget) break;
      batch.push(mutation);
      if (state.inflight === null) this.#state.client.nextMid++;
      // A resent mutation keeps the local revision it was first sent for: the server may answer it
      // from its record without applying this newer content, which then stays dirty and goes next.
      if (state.inflight === null) updates.push([key, { ...state, inflight: { mid, localRev, deleted: current === null } }]);
    }
    await this.#state.saveClient();
    await this.#state.saveDocs(updates);
    return batch;
  }

  async #applyResults(results: readonly MutationResult[]): Promise<void> {
    const byMid = new Map<number, string>();
    for (const key of this.#state.pending) {
      const inflight = this.#state.docs.get(key)!.inflight;
      if (inflight !== null) byMid.set(inflight.mid, key);
    }
    for (const result of results) {
      const key = byMid.get(result.mid);
      const state = key === undefined ? undefined : this.#state.docs.get(key);
      if (key === undefined || state === undefined || state.inflight === null) continue;
      const slash = key.indexOf('/');
      const collection = key.slice(0, slash);
      const id = key.slice(slash + 1);
      if (result.status === 'accepted') {
        const { localRev, deleted } = state.inflight;
        // A local write after the pushed one keeps the document dirty: it goes in the next push.
        await this.#state.saveDocs([
          [
            key,
            {
              rev: Math.max(result.rev, state.rev),
              exists: !deleted && result.rev > 0,
              localRev,
              seenLocalRev: Math.max(state.seenLocalRev, localRev),
              dirty: state.seenLocalRev > localRev,
              inflight: null,
              newer: state.newer ?? null,
            },
          ],
        ]);
        await this.#applyNewer(collection, id, key);
        await this.#dropIfOutOfView(collection, id, key);
        continue;
      }
      await this.#settleConflict(collection, id, key, state, result);
    }
  }

  /** A conflict or a rejection: the resolver (or the server) decides what the document becomes here. */
  async #settleConflict(collection: string, id: string, key: string, state: DocState, result: Exclude<MutationResult, { status: 'accepted' }>): Promise<void> {
    const local = this.#db.collection(collection);
    const current = (await local.get(id)) as JsonObject | null;
    const conflict: SyncConflict = {
      collection,
      id,
      local: current === null ? null : withoutRev(current),
      server: result.doc === null ? null : withoutRev(result.doc),
      serverRev: result.rev,
    };
    let resolution: JsonObject | null | undefined;
    if (result.status === 'conflict' && this.#options.resolve !== undefined) {
      try {
        resolution = await this.#options.resolve(conflict);
      } catch (error) {
        this.#emit('error', error as Error);
        resolution = undefined;
      }
    }
    const serverExists = result.rev !== null && result.doc !== null;
    const base = { rev: result.rev ?? state.rev, exists: result.rev !== null, inflight: null };
    const kept = resolution === undefined ? conflict.server : resolution;
    const written = await this.#overwriteLocal(local, id, current, kept);
    // `null`: written locally while the resolver ran. That newer write is kept, recorded as a
    // change on top of the server's revision, and pushed; the conflict is still reported.
    const raced = written === null;
    const localRev = written ?? (current === null ? state.seenLocalRev : (current._rev as number));
    await this.#state.saveDocs([
      [
        key,
        {
          ...base,
          exists: base.exists && (raced || resolution !== undefined || serverExists),
          localRev,
          seenLocalRev: localRev,
          dirty: raced || resolution !== undefined,
          newer: state.newer ?? null,
        },
      ],
    ]);
    if (!raced && resolution === undefined) {
      await this.#applyNewer(collection, id, key);
      await this.#dropIfOutOfView(collection, id, key);
    }
    if (result.status === 'conflict') this.#emit('conflict', { ...conflict, resolution });
    else this.#emit('rejected', { ...conflict, code: result.code, message: result.message });
  }

  /** Writes a server change that was kept aside while a push was open, if it is newer than what the push settled on and nothing local is pending. */
  async #applyNewer(collection: string, id: string, key: string): Promise<void> {
    const state = this.#state.docs.get(key);
    if (state?.newer == null) return;
    const { newer } = state;
    if (state.dirty || state.inflight !== null) return;
    // A removal at the revision the push settled on is news too: that write took the document out of view.
    const removal = newer.doc === null && newer.rev === state.rev && state.exists;
    if (newer.rev <= state.rev && !removal) {
      await this.#state.saveDocs([[key, { ...state, newer: null }]]);
      return;
    }
    const written = await this.#writeLocal(this.#db.collection(collection), id, state, newer.doc, newer.rev);
    await this.#state.saveDocs([[key, written === null ? null : { ...written, newer: null }]]);
  }

  /**
   * A document this client wrote, or took from a conflict, that its subscription does not cover
   * is not kept: the server's feed may already be past its change, so no removal would come.
   */
  async #dropIfOutOfView(collection: string, id: string, key: string): Promise<void> {
    const filter = this.#filters.get(collection) ?? null;
    const state = this.#state.docs.get(key);
    if (filter === null || state === undefined || !state.exists || state.dirty || state.inflight !== null) return;
    const local = this.#db.collection(collection);
    const current = (await local.get(id)) as JsonObject | null;
    if (current === null || current._rev !== state.localRev || matches(filter, current)) return;
    if (!(await this.#deleteOutOfView(local, id, state).catch(() => false))) return;
    await this.#state.saveDocs([[key, { ...state, exists: false, localRev: state.localRev + 1, seenLocalRev: state.localRev + 1 }]]);
  }

  /**
   * Deletes locally a document the server keeps but this client no longer sees. The delete is
   * recorded first (`ownDelete`), so that after a crash right after it, the scan does not push it
   * as the user's delete; the record is put back when the delete does not happen.
   */
  async #deleteOutOfView(local: Collection, id: string, state: DocState): Promise<boolean> {
    const key = LocalState.key(local.name, id);
    await this.#state.saveDocs([[key, { ...state, ownDelete: state.localRev + 1 }]]);
    let deleted = false;
    try {
      deleted = await local.delete(id, { expectedRev: state.localRev });
      return deleted;
    } finally {
      if (!deleted) await this.#state.saveDocs([[key, state]]);
    }
  }

  /**
   * Makes the local document `doc` (`null`: deleted) in place of `current`, and returns its local
   * `_rev`; `null` when the local document is no longer `current` (a local write in between).
   */
  async #overwriteLocal(local: Collection, id: string, current: JsonObject | null, doc: JsonObject | null): Promise<number | null> {
    const expectedRev = current === null ? 0 : (current._rev as number);
    try {
      if (doc === null) {
        if (current === null) {
          if ((await local.get(id)) !== null) return null;
          return this.#state.docs.get(LocalState.key(local.name, id))?.seenLocalRev ?? 0;
        }
        await local.delete(id, { expectedRev });
        return expectedRev + 1;
      }
      return (await local.upsert({ ...withoutRev(doc), _id: id } as never, { expectedRev }))._rev;
    } catch (error) {
      if (error instanceof ConflictError) return null;
      throw error;
    }
  }

  // --- bookkeeping -------------------------------------------------------------------------

  /**
   * A collection whose filter changed since the last run starts over: its synced documents are
   * dropped and pulled again. Runs after the first scan, so documents with local writes not yet
   * pushed are known and kept; a document written locally since that scan is kept too.
   */
  async #forgetChangedSubscriptions(): Promise<void> {
    for (const [collection, filter] of this.#filters) {
      const filterKey = JSON.stringify(filter);
      const state = this.#collectionState(collection);
      if (state.filterKey === filterKey) continue;
      const local = this.#db.collection(collection);
      const forget: Array<[string, DocState]> = [];
      for (const [key, doc] of this.#state.docs) {
        if (!key.startsWith(`${collection}/`) || doc.dirty || doc.inflight !== null) continue;
        const id = key.slice(collection.length + 1);
        const current = (await local.get(id)) as JsonObject | null;
        if (current !== null && (current._rev !== doc.localRev || !(await local.delete(id, { expectedRev: doc.localRev }).catch(() => false)))) continue;
        // Known as never synced, at the local revision of this delete, so the scan passes over it.
        const localRev = current === null ? doc.localRev : doc.localRev + 1;
        forget.push([key, { rev: 0, exists: false, localRev, seenLocalRev: localRev, dirty: false, inflight: null }]);
      }
      await this.#state.saveDocs(forget);
      // The local feed goes on from where the scan left it, so anything written since is still found.
      await this.#state.saveCollection(collection, { filterKey, since: null, localSince: state.localSince });
    }
  }

  #collectionState(collection: string) {
    return this.#state.collections.get(collection) ?? { filterKey: JSON.stringify(this.#filters.get(collection) ?? null), since: null, localSince: null };
  }

  #checkSynced(): void {
    const pending = this.#state.pending.size > 0;
    const done =
      this.#connected &&
      !pending &&
      !this.#pushing &&
      !this.#localScanScheduled &&
      !this.#localScanRunning &&
      [...this.#filters.keys()].every((c) => this.#caughtUp.has(c));
    if (!done) return;
    if (this.#status === 'syncing' || this.#status === 'connecting') this.#setStatus('online');
    const live = this.#transport?.live === true;
    const ready = this.#waiters.filter((w) => live || w.round <= this.#roundsDone);
    this.#waiters = this.#waiters.filter((w) => !ready.includes(w));
    for (const { resolve } of ready) resolve();
  }

  #enqueue<R>(task: () => Promise<R>): Promise<R> {
    const run = this.#queue.then(task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #fail(error: unknown): void {
    this.#emit('error', error instanceof Error ? error : new Error(String(error)));
  }

  #clearTimers(): void {
    if (this.#reconnectTimer !== null) clearTimeout(this.#reconnectTimer);
    if (this.#pollTimer !== null) clearTimeout(this.#pollTimer);
    this.#reconnectTimer = null;
    this.#pollTimer = null;
  }

  #setStatus(status: SyncStatus): void {
    if (this.#status === status) return;
    this.#status = status;
    this.#emit('status', status);
  }

  #emit<E extends keyof SyncEvents>(event: E, value: Parameters<SyncEvents[E]>[0]): void {
    for (const listener of [...this.#listeners[event]]) {
      try {
        (listener as (v: typeof value) => void)(value);
      } catch (error) {
        console.error(`[pocket/sync] a ${event} listener threw:`, error);
      }
    }
  }
}

/** Starts keeping `options.collections` of `options.database` in step with the server at `options.url`. Call `start()` on the result. */
export function createSyncClient(options: SyncClientOptions): SyncClient {
  return new SyncClient(options);
}

function fresh(rev: number, localRev: number): DocState {
  return { rev, exists: true, localRev, seenLocalRev: localRev, dirty: false, inflight: null };
}

function withoutRev(doc: JsonObject): JsonObject {
  const { _rev: _ignored, ...rest } = doc;
  return rest;
}
