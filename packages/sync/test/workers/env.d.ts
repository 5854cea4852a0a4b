import type { SyncRoom } from './worker.js';

declare global {
  namespace Cloudflare {
    interface Env {
      ROOM: DurableObjectNamespace<SyncRoom>;
      DB: D1Database;
    }
  }
}
