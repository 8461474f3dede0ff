import { prefixRange } from './kvEngine.js';
import type { NodeStore } from './nodeStore.js';
import type { OutcomeFilter } from './outcomeFilter.js';

/**
 * Fills `into` with the ids of every record under `prefix`, page by page. The caller adds every
 * id written from now on to `into` as well; an empty append first lets every write queued before
 * that reach the engine (the writer keeps order), so no id is in neither — a filter that misses
 * an id would answer "no record" for one that has.
 */
export function rebuildFilter(store: NodeStore, prefix: string, into: OutcomeFilter, pageSize: number, done: (err: Error | null) => void): void {
  const { lt } = prefixRange(prefix);
  const page = (after: string): void =>
    store.engine.scanPage(after, lt, pageSize, (err, entries) => {
      if (err) return done(err);
      for (const [key] of entries) into.add(key.slice(prefix.length));
      if (entries.length < pageSize) return done(null);
      page(entries[entries.length - 1]![0]);
    });
  store.append([], false, 0, (err) => (err ? done(err) : page(prefix)));
}
