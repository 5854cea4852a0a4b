/**
 * `@pocket/sync/client`: keeps collections of a local Pocket database in step with a sync
 * server, live over a WebSocket or by polling HTTP. Runs in browsers, Workers and Node.
 */
export {
  SyncClient,
  createSyncClient,
  type SyncClientOptions,
  type SyncedCollection,
  type SyncStatus,
  type SyncConflict,
  type ConflictResolver,
  type SyncEvents,
} from './client.js';
export { SyncRequestError, type WebSocketLike, type WebSocketFactory } from './transports.js';
