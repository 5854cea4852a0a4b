import type { StoredDocument } from './storage/adapter.js';

/** One write, as seen after it was stored. */
export type ChangeEvent =
  | { readonly type: 'insert' | 'update' | 'upsert'; readonly collection: string; readonly id: string; readonly doc: StoredDocument }
  | { readonly type: 'delete'; readonly collection: string; readonly id: string };

export type ChangeListener = (changes: readonly ChangeEvent[]) => void;

/**
 * Fans out the changes of one `Database` to its listeners. A listener that throws is reported
 * on the console and does not stop the others or fail the write that caused it.
 */
export class ChangeHub {
  readonly #listeners = new Set<ChangeListener>();

  /** Whether anyone listens, so writers can skip building events nobody reads. */
  get listening(): boolean {
    return this.#listeners.size > 0;
  }

  subscribe(listener: ChangeListener): () => void {
    // Wrapped so that subscribing the same function twice gives two independent subscriptions.
    const entry: ChangeListener = (changes) => listener(changes);
    this.#listeners.add(entry);
    return () => this.#listeners.delete(entry);
  }

  emit(changes: readonly ChangeEvent[]): void {
    if (changes.length === 0) return;
    for (const listener of [...this.#listeners]) {
      try {
        listener(changes);
      } catch (error) {
        console.error('[pocket] a change listener threw:', error);
      }
    }
  }
}
