/**
 * The parts of Durable Object KV storage Pocket uses. Declared here instead of importing
 * `@cloudflare/workers-types`, so the package has no type dependency; `this.ctx.storage` fits.
 */
export interface DurableObjectKvStorageLike {
  get(key: string): Promise<unknown>;
  get(keys: string[]): Promise<Map<string, unknown>>;
  put(key: string, value: unknown): Promise<void>;
  put(entries: Record<string, unknown>): Promise<void>;
  delete(key: string): Promise<boolean>;
  delete(keys: string[]): Promise<number>;
  list(options: { prefix?: string; startAfter?: string; limit?: number }): Promise<Map<string, unknown>>;
}
