import type { ChangeHub } from '../changes.js';

/**
 * Keeps a query's results fresh: runs it now and again after each batch of changes to its
 * collection. It subscribes before the first run, so no write is missed. Runs never overlap,
 * and a re-run waits for the current task to end (a macrotask) before it starts: the changes
 * that arrive meanwhile, or while a run is in flight, cost that one queued re-run together.
 * So a burst of writes costs a few runs, not one per write, and the last delivery always holds
 * the results after the last change.
 */
export function observeQuery<T>(
  hub: ChangeHub,
  collection: string,
  run: () => Promise<T[]>,
  listener: (results: T[]) => void,
  onError: (error: unknown) => void = (error) => console.error('[pocket] a live query failed:', error),
): () => void {
  let active = true;
  /** A run is scheduled or in flight: a change now only marks the results stale. */
  let busy = false;
  let dirty = true;
  // refresh() runs unawaited, so anything thrown from it would be an unhandled rejection,
  // which ends a Node process: a throwing listener (or onError) is reported instead.
  const report = (error: unknown): void => {
    try {
      onError(error);
    } catch (secondary) {
      console.error("[pocket] a live query's onError threw:", secondary, 'while reporting:', error);
    }
  };

  const deliver = (results: T[]): void => {
    try {
      listener(results);
    } catch (error) {
      report(error);
    }
  };

  const refresh = async (): Promise<void> => {
    try {
      while (dirty && active) {
        dirty = false;
        try {
          const results = await run();
          // Stale already: the loop runs again and delivers those results instead.
          if (active && !dirty) deliver(results);
        } catch (error) {
          if (active) report(error);
        }
        if (dirty && active) await nextTask();
      }
    } finally {
      busy = false;
    }
  };

  const unsubscribe = hub.subscribe((changes) => {
    if (!changes.some((c) => c.collection === collection)) return;
    dirty = true;
    if (busy) return;
    busy = true;
    void nextTask().then(refresh);
  });
  busy = true;
  void refresh();

  return () => {
    active = false;
    unsubscribe();
  };
}

/** Resolves after the current task and its microtasks: writes awaited in a loop all land first. */
function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
