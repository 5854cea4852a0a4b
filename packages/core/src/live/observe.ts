import type { ChangeHub } from '../changes.js';

/**
 * Keeps a query's results fresh: runs it now and again after each batch of changes to its
 * collection. It subscribes before the first run and re-runs if changes arrive while a run is
 * in flight, so no write is missed; runs never overlap, and a burst of writes costs one re-run.
 */
export function observeQuery<T>(
  hub: ChangeHub,
  collection: string,
  run: () => Promise<T[]>,
  listener: (results: T[]) => void,
  onError: (error: unknown) => void = (error) => console.error('[pocket] a live query failed:', error),
): () => void {
  let active = true;
  let running = false;
  let dirty = true;
  // refresh() runs unawaited, so anything thrown from it would be an unhandled rejection,
  // which ends a Node process: a throwing listener (or onError) is reported instead.
  const report = (error: unknown): void => {
    try {
      onError(error);
    } catch (secondary) {
      console.error('[pocket] a live query\'s onError threw:', secondary, 'while reporting:', error);
    }
  };

  const refresh = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      while (dirty && active) {
        dirty = false;
        let results: T[];
        try {
          results = await run();
        } catch (error) {
          if (active) report(error);
          continue;
        }
        if (active && !dirty) {
          try {
            listener(results);
          } catch (error) {
            report(error);
          }
        }
      }
    } finally {
      running = false;
    }
  };

  const unsubscribe = hub.subscribe((changes) => {
    if (!changes.some((c) => c.collection === collection)) return;
    dirty = true;
    void refresh();
  });
  void refresh();

  return () => {
    active = false;
    unsubscribe();
  };
}
