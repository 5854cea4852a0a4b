import { ConflictError, PocketError, type BaseDocument, type Database, type Filter, type JsonObject } from '@pocket/core';
import { matches } from '@pocket/core/adapter';
import {
  SYNC_LIMITS,
  utf8Length,
  type Mutation,
  type MutationResult,
  type PulledChange,
  type PullRequest,
  type PullResponse,
  type PushRequest,
  type PushResponse,
} from '../protocol.js';
import { readScope, visibleFilter, type ReadScope, type SyncRules, type SyncWrite } from './rules.js';

export interface SyncServerOptions<User> {
  /** The server's database: documents live here, and its change feed is what clients pull. */
  database: Database;
  rules: SyncRules<User>;
  /**
   * The collection that remembers each client's last answered mutation, so a push resent after
   * a lost connection is answered, not applied twice. Default `pocket_sync_clients`.
   */
  clientsCollection?: string;
}

/** A page of the feed as read from storage, before it is filtered for one reader. */
export interface FeedPage {
  changes: Array<{ id: string; rev: number; doc: JsonObject | null }>;
  checkpoint: string;
  caughtUp: boolean;
}

/** The record of a client's last push: which mutation numbers were answered and how. */
interface ClientRecord {
  _id: string;
  owner: string;
  lastMid: number;
  results: Array<[mid: number, status: 'accepted' | 'conflict' | 'rejected', rev: number | null]>;
}

export const DEFAULT_PULL_LIMIT = 1_000;

/** The most a pull's changes take as JSON: half a message, so any answer fits whatever the documents' sizes. */
const PULL_ANSWER_BYTES = SYNC_LIMITS.maxMessageBytes / 2;

/**
 * The transport-free part of the server: pull a page of one collection's feed as one user may
 * see it, and apply a client's mutations with the revision each was based on. The HTTP handler
 * and the Durable Object handler are built on it.
 */
export class SyncServer<User> {
  readonly database: Database;
  readonly rules: SyncRules<User>;
  readonly #clients: string;
  /**
   * Told of each write this server makes for a client: first with the document as it was
   * before (`rev` is the revision the write will have, when known), then with the revision it got.
   */
  onWrite: ((collection: string, id: string, before: JsonObject | null, rev: number | null) => void) | undefined;
  /** Pushes of one client run one after another, so its mutation numbers stay in order. */
  readonly #clientQueues = new Map<string, Promise<unknown>>();

  constructor(options: SyncServerOptions<User>) {
    this.database = options.database;
    this.rules = options.rules;
    this.#clients = options.clientsCollection ?? 'pocket_sync_clients';
    if (Object.hasOwn(this.rules.collections, this.#clients))
      throw new TypeError(`"${this.#clients}" holds the sync server's client records; it cannot be a synced collection.`);
  }

  authenticate(request: Request): Promise<User | null> {
    return Promise.resolve(this.rules.authenticate(request));
  }

  /** The user's read scope of `collection`, or a `SyncAccessError` when the collection is not theirs to read. */
  scope(user: User, collection: string): Filter | null {
    const scope: ReadScope = readScope(this.rules, user, collection);
    if (scope === false)
      throw new SyncAccessError(`Collection "${collection}" is not synced to this user; the server's rules name the collections a user may read.`);
    return scope;
  }

  /** Reads one page of a collection's feed, unfiltered; `pull()` and the live fan-out filter it per reader. */
  async readFeed(collection: string, since: string | null, limit: number): Promise<FeedPage> {
    const page = await this.database.collection(collection).changes({ since, limit });
    return {
      changes: page.changes.map((c) => ({ id: c.id, rev: c.rev, doc: c.doc as JsonObject | null })),
      checkpoint: page.checkpoint,
      caughtUp: page.changes.length < limit,
    };
  }

  /**
   * One page of what `user` sees of `collection` after `since`: each visible document at its
   * latest state, and `doc: null` for a document deleted or moved out of the visible set. The
   * first page of a sync (`since: null`) leaves those out: the client holds nothing yet.
   */
  async pull(user: User, request: PullRequest): Promise<PullResponse> {
    const visible = visibleFilter(this.scope(user, request.collection), request.filter);
    let limit = Math.min(request.limit ?? DEFAULT_PULL_LIMIT, SYNC_LIMITS.maxPullLimit);
    for (;;) {
      const page = await this.readFeed(request.collection, request.since, limit);
      const changes = visibleChanges(page, visible, request.since === null ? new Set() : null);
      const bytes = utf8Length(JSON.stringify(changes));
      if (bytes <= PULL_ANSWER_BYTES || limit === 1) return { changes, checkpoint: page.checkpoint, caughtUp: page.caughtUp };
      // Too large for one answer: read again with fewer entries, in proportion (the feed has no
      // checkpoint per entry to cut at); the client pulls the rest next, as for any page.
      limit = Math.max(1, Math.floor((limit * PULL_ANSWER_BYTES) / bytes / 1.25));
    }
  }

  /** Applies a client's mutations in order; each is accepted, a conflict, or rejected. */
  push(user: User, request: PushRequest): Promise<PushResponse> {
    const previous = this.#clientQueues.get(request.clientId) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.#push(user, request));
    this.#clientQueues.set(request.clientId, run);
    void run.finally(() => {
      if (this.#clientQueues.get(request.clientId) === run) this.#clientQueues.delete(request.clientId);
    });
    return run;
  }

  async #push(user: User, request: PushRequest): Promise<PushResponse> {
    const clients = this.database.collection<ClientRecord>(this.#clients);
    const owner = await ownerKey(user);
    const record = await clients.get(request.clientId);
    if (record !== null && record.owner !== owner)
      throw new SyncAccessError('This clientId belongs to another user; a client makes up a new random clientId for each user.');
    const answered = new Map((record?.results ?? []).map(([mid, status, rev]) => [mid, { status, rev }]));
    const lastMid = record?.lastMid ?? 0;
    const results: MutationResult[] = [];
    // A document whose earlier mutation in this push failed: later ones were based on it, so they fail too.
    const failed = new Set<string>();
    for (const mutation of request.mutations) {
      if (mutation.mid <= lastMid) {
        results.push(await this.#answerAgain(user, mutation, answered.get(mutation.mid)));
        continue;
      }
      const key = `${mutation.collection}\u0000${mutation.id}`;
      const result = failed.has(key) ? await this.#conflict(user, mutation) : await this.#apply(user, mutation);
      if (result.status !== 'accepted') failed.add(key);
      results.push(result);
    }
    const fresh = results.filter((r) => r.mid > lastMid);
    if (fresh.length > 0) {
      const newest = Math.max(lastMid, ...fresh.map((r) => r.mid));
      // A client resends its unanswered mutations oldest first, so the oldest mid here acknowledges
      // every answer below it; the answers from it up are kept, as this push's answer may be lost
      // too. A client has at most one push unanswered, so the newest two pushes' worth bound the
      // record whatever a client sends.
      const oldest = Math.min(...request.mutations.map((m) => m.mid));
      const kept = (record?.results ?? []).filter(([mid]) => mid >= oldest);
      const answers = [...kept, ...fresh.map((r): ClientRecord['results'][number] => [r.mid, r.status, r.rev])];
      await clients.upsert({ _id: request.clientId, owner, lastMid: newest, results: answers.slice(-2 * SYNC_LIMITS.maxMutationsPerPush) });
    }
    return { results };
  }

  async #apply(user: User, mutation: Mutation): Promise<MutationResult> {
    const { mid, collection: name, id, baseRev, doc } = mutation;
    let scope: Filter | null;
    try {
      scope = this.scope(user, name);
    } catch (error) {
      return { mid, status: 'rejected', code: 'FORBIDDEN', message: (error as Error).message, rev: null, doc: null };
    }
    const collection = this.database.collection(name);
    const current = (await collection.get(id)) as JsonObject | null;
    const currentRev = current === null ? null : (current._rev as number);
    if ((currentRev ?? 0) !== baseRev) return { mid, status: 'conflict', ...seen(current, scope) };
    const after = doc === null ? null : withoutRev({ ...doc, _id: id });
    let allowed: boolean;
    try {
      allowed = await this.#allowed(user, scope, { collection: name, id, before: current as BaseDocument | null, after: after as BaseDocument | null });
    } catch (error) {
      // A rule that throws refuses this write only: failing the push would resend it first forever.
      console.error(`[pocket/sync] the write rule of "${name}" threw; the write is refused:`, error);
      allowed = false;
    }
    if (!allowed) {
      return {
        mid,
        status: 'rejected',
        code: 'FORBIDDEN',
        message: `This user may not write document "${id.slice(0, 80)}" of "${name}".`,
        ...seen(current, scope),
      };
    }
    try {
      if (after === null) {
        if (current === null) return { mid, status: 'accepted', rev: 0 };
        // Announced before the write: its change event starts the fan-out that asks.
        this.onWrite?.(name, id, current, baseRev + 1);
        await collection.delete(id, { expectedRev: baseRev });
        return { mid, status: 'accepted', rev: baseRev + 1 };
      }
      this.onWrite?.(name, id, current, current === null ? null : baseRev + 1);
      const written = await collection.upsert(after as never, { expectedRev: baseRev });
      this.onWrite?.(name, id, current, written._rev);
      return { mid, status: 'accepted', rev: written._rev };
    } catch (error) {
      if (error instanceof ConflictError) return this.#conflict(user, mutation);
      if (error instanceof PocketError && error.status < 500) {
        return { mid, status: 'rejected', code: error.code, message: error.message, ...seen(current, scope) };
      }
      throw error;
    }
  }

  async #allowed(user: User, scope: Filter | null, write: SyncWrite): Promise<boolean> {
    const rule = this.rules.collections[write.collection];
    if (rule?.write !== undefined) return (await rule.write(user, write)) === true;
    return (write.before === null || matches(scope, write.before)) && (write.after === null || matches(scope, write.after));
  }

  async #conflict(user: User, mutation: Mutation): Promise<MutationResult> {
    let scope: Filter | null = null;
    try {
      scope = this.scope(user, mutation.collection);
    } catch {
      return { mid: mutation.mid, status: 'conflict', rev: null, doc: null };
    }
    const current = (await this.database.collection(mutation.collection).get(mutation.id)) as JsonObject | null;
    return { mid: mutation.mid, status: 'conflict', ...seen(current, scope) };
  }

  /** The answer to a mutation this server already answered: the same status, with today's document for a conflict or rejection. */
  async #answerAgain(user: User, mutation: Mutation, answer: { status: MutationResult['status']; rev: number | null } | undefined): Promise<MutationResult> {
    if (answer?.status === 'accepted' && answer.rev !== null) return { mid: mutation.mid, status: 'accepted', rev: answer.rev };
    const { rev, doc } = (await this.#conflict(user, mutation)) as { rev: number | null; doc: JsonObject | null };
    if (answer?.status === 'conflict') return { mid: mutation.mid, status: 'conflict', rev, doc };
    const message =
      answer === undefined
        ? `Mutation ${mutation.mid} is older than this client's last push; it was answered then.`
        : `Mutation ${mutation.mid} was rejected when first pushed.`;
    return { mid: mutation.mid, status: 'rejected', code: answer === undefined ? 'STALE' : 'REJECTED', message, rev, doc };
  }
}

/** A user asked for what the rules do not give them. */
export class SyncAccessError extends Error {
  override readonly name = 'SyncAccessError';
  readonly code = 'FORBIDDEN';
}

/**
 * The visible part of a feed page. `sent`, during a first sync, holds the ids sent so far: a
 * document that left the view needs a removal only if the client was sent it. `null`: the
 * client may hold anything, so every invisible change is a removal.
 */
export function visibleChanges(page: FeedPage, visible: Filter | null, sent: Set<string> | null): PulledChange[] {
  const out: PulledChange[] = [];
  for (const change of page.changes) {
    if (change.doc !== null && matches(visible, change.doc)) {
      out.push({ id: change.id, rev: change.rev, doc: change.doc });
      sent?.add(change.id);
    } else if (sent === null || sent.has(change.id)) {
      out.push({ id: change.id, rev: change.rev, doc: null });
      sent?.delete(change.id);
    }
  }
  return out;
}

/** The server's document as a conflict or rejection shows it: with its revision when the user may read it, else neither. */
function seen(doc: JsonObject | null, scope: Filter | null): { rev: number | null; doc: JsonObject | null } {
  return doc !== null && matches(scope, doc) ? { rev: doc._rev as number, doc } : { rev: null, doc: null };
}

function withoutRev(doc: JsonObject): JsonObject {
  const { _rev: _ignored, ...rest } = doc;
  return rest;
}

/** A short, stable key of a user, so a client record can be tied to the user that made it. */
async function ownerKey(user: unknown): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify(user ?? null));
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(digest).slice(0, 16)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
