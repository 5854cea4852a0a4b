import type { StoredDocument } from './storage/adapter.js';

/** One write, as seen after it was stored. */
export type ChangeEvent =
  | { readonly type: 'insert' | 'update' | 'upsert'; readonly collection: string; readonly id: string; readonly doc: StoredDocument }
  | { readonly type: 'delete'; readonly collection: string; readonly id: string };

export type ChangeListener = (changes: readonly ChangeEvent[]) => void;

/** A change without its document: what a listener subscribed with `{ documents: false }` gets. */
export type ChangeNotice = { readonly type: ChangeEvent['type']; readonly collection: string; readonly id: string };

export type ChangeNoticeListener = (changes: readonly ChangeNotice[]) => void;

/**
 * Fans out the changes of one `Database` to its listeners. A listener that throws is reported
 * on the console and does not stop the others or fail the write that caused it.
 */
export class ChangeHub {
  /** Each listener, and whether it reads documents: copies are made only when one does. */
  readonly #listeners = new Map<ChangeListener, boolean>();
  #documentReaders = 0;

  /** Whether anyone listens, so writers can skip building events nobody reads. */
  get listening(): boolean {
    return this.#listeners.size > 0;
  }

  subscribe(listener: ChangeListener, options?: { documents?: true }): () => void;
  subscribe(listener: ChangeNoticeListener, options: { documents: false }): () => void;
  subscribe(listener: ChangeListener | ChangeNoticeListener, { documents = true }: { documents?: boolean } = {}): () => void {
    // Wrapped so that subscribing the same function twice gives two independent subscriptions.
    const entry: ChangeListener = (changes) => (listener as ChangeListener)(changes);
    this.#listeners.set(entry, documents);
    if (documents) this.#documentReaders++;
    return () => {
      if (this.#listeners.delete(entry) && documents) this.#documentReaders--;
    };
  }

  /** `build(true)` makes the events with copies of the documents; `build(false)` without, when no listener reads them. */
  emit(build: (documents: boolean) => readonly ChangeEvent[]): void {
    if (this.#listeners.size === 0) return;
    const changes = build(this.#documentReaders > 0);
    if (changes.length === 0) return;
    for (const listener of [...this.#listeners.keys()]) {
      try {
        listener(changes);
      } catch (error) {
        console.error('[pocket] a change listener threw:', error);
      }
    }
  }
}
