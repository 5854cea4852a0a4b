/**
 * `@pocket/sync/server`: the sync server. `DurableObjectSync` serves live WebSocket clients
 * from a Durable Object (and polling ones over HTTP); `handleSyncHttp` serves polling clients
 * from any Worker, e.g. on D1.
 */
export { SyncServer, SyncAccessError, DEFAULT_PULL_LIMIT, type SyncServerOptions, type FeedPage } from './sync-server.js';
export { DurableObjectSync } from './durable-object.js';
export { handleSyncHttp } from './http.js';
export type { SyncRules, CollectionRules, SyncWrite } from './rules.js';
