import { parseQuery, type Filter, type JsonObject } from '@pocket/core';

/**
 * The sync protocol's messages, version 1, and their validation. Both sides parse what they
 * receive with these functions, so a message either has exactly the shape below or is refused
 * with a `SyncProtocolError` that says what was wrong. docs/sync.md describes the exchange.
 */
export const SYNC_PROTOCOL_VERSION = 1;

/** Limits both sides hold each other to. */
export const SYNC_LIMITS = {
  /** The largest message, in bytes of UTF-8 (Cloudflare accepts WebSocket messages to 32 MiB; a sync frame never needs that much). */
  maxMessageBytes: 4 * 1024 * 1024,
  /** Mutations in one push. The client sends at most this many and waits for their results. */
  maxMutationsPerPush: 500,
  /** Changes in one pull page. */
  maxPullLimit: 2_000,
  /** Collections one connection may subscribe to. */
  maxSubscriptions: 32,
  /** A subscription's or a pull's filter, as JSON: the server tests it against every document it reads, so its size is its cost. */
  maxFilterBytes: 4_096,
  /** A client id: letters, digits, `_` and `-`. */
  clientIdPattern: /^[A-Za-z0-9_-]{8,64}$/,
} as const;

/** One local write the client pushes: the document as it is now (`null`: deleted) and the server revision it was based on (`0`: none). */
export interface Mutation {
  /** The client's own number for this mutation, increasing; the server answers each once. */
  mid: number;
  collection: string;
  id: string;
  baseRev: number;
  doc: JsonObject | null;
}

/** A document as the server sends it: its state at `rev`, or `null` when it was deleted or left the client's view. */
export interface PulledChange {
  id: string;
  rev: number;
  doc: JsonObject | null;
}

/** What became of one mutation. A conflict and a rejection carry the server's document as the client may see it. */
export type MutationResult =
  | { mid: number; status: 'accepted'; /** The document's revision now; `0` when a delete found nothing to delete. */ rev: number }
  | { mid: number; status: 'conflict'; rev: number | null; doc: JsonObject | null }
  | { mid: number; status: 'rejected'; code: string; message: string; rev: number | null; doc: JsonObject | null };

export interface PullRequest {
  collection: string;
  filter: Filter | null;
  since: string | null;
  limit?: number;
}

export interface PullResponse {
  changes: PulledChange[];
  checkpoint: string;
  /** Whether this page reached the end of the feed. */
  caughtUp: boolean;
}

export interface PushRequest {
  clientId: string;
  mutations: Mutation[];
}

export interface PushResponse {
  results: MutationResult[];
}

/** Client to server, over a WebSocket. */
export type ClientMessage =
  | { v: 1; type: 'subscribe'; collection: string; filter: Filter | null; since: string | null }
  | { v: 1; type: 'unsubscribe'; collection: string }
  | ({ v: 1; type: 'push'; id: number } & PushRequest);

/** Server to client, over a WebSocket. */
export type ServerMessage =
  | ({ v: 1; type: 'changes'; collection: string } & PullResponse)
  | ({ v: 1; type: 'push-result'; id: number } & PushResponse)
  | { v: 1; type: 'error'; code: string; message: string; ref?: string };

/** WebSocket close codes the server uses (4000–4999 are the application's). */
export const CLOSE_CODES = {
  /** The connection's credentials were refused. */
  unauthorized: 4401,
  /** The client speaks another protocol version. */
  unsupportedVersion: 4426,
  /** A message was larger than `SYNC_LIMITS.maxMessageBytes`. */
  messageTooBig: 1009,
} as const;

/** A message that does not follow the protocol. `code` is stable; the message says what to fix. */
export class SyncProtocolError extends Error {
  override readonly name = 'SyncProtocolError';
  readonly code: 'BAD_MESSAGE' | 'UNSUPPORTED_VERSION' | 'TOO_LARGE';
  constructor(code: SyncProtocolError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

/** Parses and validates a client's message (server side). */
export function parseClientMessage(data: string | ArrayBuffer | ArrayBufferView): ClientMessage {
  const message = decode(data);
  switch (message.type) {
    case 'subscribe':
      return { v: 1, type: 'subscribe', collection: name(message.collection), filter: filter(message.filter), since: checkpoint(message.since) };
    case 'unsubscribe':
      return { v: 1, type: 'unsubscribe', collection: name(message.collection) };
    case 'push':
      return { v: 1, type: 'push', id: counter(message.id, 'id'), ...parsePushRequest(message) };
    default:
      throw bad(`unknown message type ${JSON.stringify(String(message.type)).slice(0, 40)}; a client sends "subscribe", "unsubscribe" or "push"`);
  }
}

/** Parses and validates a server's message (client side). */
export function parseServerMessage(data: string | ArrayBuffer | ArrayBufferView): ServerMessage {
  const message = decode(data);
  switch (message.type) {
    case 'changes':
      return { v: 1, type: 'changes', collection: name(message.collection), ...parsePullResponse(message) };
    case 'push-result':
      return { v: 1, type: 'push-result', id: counter(message.id, 'id'), ...parsePushResponse(message) };
    case 'error':
      return {
        v: 1,
        type: 'error',
        code: text(message.code, 'code', 64),
        message: text(message.message, 'message', 4096),
        ...(message.ref === undefined ? {} : { ref: text(message.ref, 'ref', 64) }),
      };
    default:
      throw bad(`unknown message type ${JSON.stringify(String(message.type)).slice(0, 40)}; a server sends "changes", "push-result" or "error"`);
  }
}

export function parsePullRequest(input: unknown): PullRequest {
  const body = object(input, 'a pull request');
  const request: PullRequest = { collection: name(body.collection), filter: filter(body.filter ?? null), since: checkpoint(body.since ?? null) };
  if (body.limit !== undefined) request.limit = bounded(body.limit, 'limit', 1, SYNC_LIMITS.maxPullLimit);
  return request;
}

export function parsePullResponse(input: unknown): PullResponse {
  const body = object(input, 'a pull response');
  if (!Array.isArray(body.changes)) throw bad('changes must be an array');
  const checkpointValue = checkpoint(body.checkpoint);
  if (checkpointValue === null) throw bad('a pull response has a checkpoint');
  if (typeof body.caughtUp !== 'boolean') throw bad('caughtUp must be true or false');
  return { changes: body.changes.map(pulledChange), checkpoint: checkpointValue, caughtUp: body.caughtUp };
}

export function parsePushRequest(input: unknown): PushRequest {
  const body = object(input, 'a push request');
  if (typeof body.clientId !== 'string' || !SYNC_LIMITS.clientIdPattern.test(body.clientId)) {
    throw bad('clientId must be 8 to 64 letters, digits, "_" or "-"');
  }
  if (!Array.isArray(body.mutations)) throw bad('mutations must be an array');
  if (body.mutations.length > SYNC_LIMITS.maxMutationsPerPush)
    throw bad(`a push carries at most ${SYNC_LIMITS.maxMutationsPerPush} mutations, got ${body.mutations.length}; send the rest after the results`);
  return { clientId: body.clientId, mutations: body.mutations.map(mutation) };
}

export function parsePushResponse(input: unknown): PushResponse {
  const body = object(input, 'a push response');
  if (!Array.isArray(body.results)) throw bad('results must be an array');
  return { results: body.results.map(mutationResult) };
}

/** The message as JSON text, refused when it would be larger than the other side accepts. */
export function encodeMessage(message: ClientMessage | ServerMessage): string {
  const text = JSON.stringify(message);
  if (utf8Length(text) > SYNC_LIMITS.maxMessageBytes)
    throw new SyncProtocolError(
      'TOO_LARGE',
      `A ${message.type} message would be larger than ${SYNC_LIMITS.maxMessageBytes} bytes; send fewer changes at once.`,
    );
  return text;
}

function decode(data: string | ArrayBuffer | ArrayBufferView): Record<string, unknown> {
  if (typeof data !== 'string') throw bad('messages are JSON text, not binary');
  // A text has at least as many UTF-8 bytes as UTF-16 code units: the cheap check refuses first.
  if (data.length > SYNC_LIMITS.maxMessageBytes || utf8Length(data) > SYNC_LIMITS.maxMessageBytes)
    throw new SyncProtocolError('TOO_LARGE', `A message is at most ${SYNC_LIMITS.maxMessageBytes} bytes.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    throw bad('not valid JSON');
  }
  const message = object(parsed, 'a message');
  if (message.v !== SYNC_PROTOCOL_VERSION) {
    throw new SyncProtocolError(
      'UNSUPPORTED_VERSION',
      `This side speaks sync protocol version ${SYNC_PROTOCOL_VERSION}, the message says ${JSON.stringify(message.v ?? null).slice(0, 20)}; update the client and the server together.`,
    );
  }
  return message;
}

function pulledChange(input: unknown): PulledChange {
  const change = object(input, 'a change');
  return { id: id(change.id), rev: bounded(change.rev, 'rev', 1, Number.MAX_SAFE_INTEGER), doc: change.doc === null ? null : document(change.doc) };
}

function mutation(input: unknown): Mutation {
  const m = object(input, 'a mutation');
  const doc = m.doc === null ? null : document(m.doc);
  const mid = counter(m.mid, 'mid');
  const docId = id(m.id);
  if (doc !== null && doc._id !== undefined && doc._id !== docId) throw bad(`mutation ${mid}: the document's _id differs from the mutation's id`);
  return { mid, collection: name(m.collection), id: docId, baseRev: bounded(m.baseRev, 'baseRev', 0, Number.MAX_SAFE_INTEGER), doc };
}

function mutationResult(input: unknown): MutationResult {
  const r = object(input, 'a mutation result');
  const mid = counter(r.mid, 'mid');
  const rev = r.rev === null ? null : bounded(r.rev, 'rev', 0, Number.MAX_SAFE_INTEGER);
  switch (r.status) {
    case 'accepted':
      if (rev === null) throw bad('an accepted mutation has a rev');
      return { mid, status: 'accepted', rev };
    case 'conflict':
      return { mid, status: 'conflict', rev, doc: r.doc === null ? null : document(r.doc) };
    case 'rejected':
      return {
        mid,
        status: 'rejected',
        code: text(r.code, 'code', 64),
        message: text(r.message, 'message', 4096),
        rev,
        doc: r.doc === null ? null : document(r.doc),
      };
    default:
      throw bad('a mutation result\'s status is "accepted", "conflict" or "rejected"');
  }
}

function filter(input: unknown): Filter | null {
  if (input === null || input === undefined) return null;
  if (utf8Length(JSON.stringify(input)) > SYNC_LIMITS.maxFilterBytes)
    throw bad(`the filter is larger than ${SYNC_LIMITS.maxFilterBytes} bytes as JSON; subscribe to a broader set, or split it over collections`);
  try {
    return parseQuery({ filter: input }).filter;
  } catch (error) {
    throw bad(`the filter is not a Pocket filter: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function object(input: unknown, what: string): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw bad(`${what} must be a JSON object`);
  return input as Record<string, unknown>;
}

function document(input: unknown): JsonObject {
  return object(input, 'a document') as JsonObject;
}

function name(input: unknown): string {
  if (typeof input !== 'string' || !/^[a-z_][a-z0-9_-]{0,63}$/.test(input)) throw bad('collection must be a collection name (a-z, 0-9, _ and -, at most 64)');
  return input;
}

function id(input: unknown): string {
  if (typeof input !== 'string' || input.length === 0 || input.length > 512) throw bad('a document id is a string of 1 to 512 characters');
  return input;
}

function checkpoint(input: unknown): string | null {
  if (input === null || input === undefined) return null;
  if (typeof input !== 'string' || input.length > 64) throw bad('since/checkpoint is a checkpoint string the server sent, or null');
  return input;
}

function counter(input: unknown, field: string): number {
  return bounded(input, field, 1, Number.MAX_SAFE_INTEGER);
}

function bounded(input: unknown, field: string, min: number, max: number): number {
  if (typeof input !== 'number' || !Number.isSafeInteger(input) || input < min || input > max)
    throw bad(`${field} must be a whole number from ${min} to ${max}`);
  return input;
}

function text(input: unknown, field: string, max: number): string {
  if (typeof input !== 'string' || input.length > max) throw bad(`${field} must be a string of at most ${max} characters`);
  return input;
}

function bad(what: string): SyncProtocolError {
  return new SyncProtocolError('BAD_MESSAGE', `Bad sync message: ${what}.`);
}

/** Bytes of `text` in UTF-8, without encoding it. */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) bytes += code >= 0x800 && (code < 0xd800 || code > 0xdfff) ? 2 : 1;
    // A surrogate pair is 4 bytes: 2 UTF-16 units, each counted 1 + 1.
  }
  return bytes;
}
