/**
 * `@pocket/sync`: the sync protocol's messages and limits, shared by the client
 * (`@pocket/sync/client`) and the server (`@pocket/sync/server`).
 */
export {
  SYNC_PROTOCOL_VERSION,
  SYNC_LIMITS,
  CLOSE_CODES,
  SyncProtocolError,
  parseClientMessage,
  parseServerMessage,
  parsePullRequest,
  parsePullResponse,
  parsePushRequest,
  parsePushResponse,
  encodeMessage,
  type Mutation,
  type MutationResult,
  type PulledChange,
  type PullRequest,
  type PullResponse,
  type PushRequest,
  type PushResponse,
  type ClientMessage,
  type ServerMessage,
} from './protocol.js';
