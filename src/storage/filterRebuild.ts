import { prefixRange } from './kvEngine.js';
import type { NodeStore } from './nodeStore.js';
import { OutcomeFilter } from './outcomeFilter.js';

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

/**
 * A log's id filter that can be rebuilt while it serves: ids written during a rebuild join both
 * the filter in use and the one being built, and the new one takes over once it holds every
 * record left (collected ids drop out of it). The coordinator's decisions and a participant's
 * outcome records each keep one.
 */
export class RebuildableIdFilter {
  private current: OutcomeFilter;
  private next: OutcomeFilter | null = null;

  constructor(
    private readonly store: NodeStore,
    private readonly prefix: string,
    private readonly capacity: number | undefined,
  ) {
    this.current = new OutcomeFilter(capacity);
  }

  add(id: string): void {
    this.current.add(id);
    this.next?.add(id);
  }

  mightContain(id: string): boolean {
    return this.current.mightContain(id);
  }

  /** How many ids the filter holds (collected ones too, until a rebuild). */
  get count(): number {
    return this.current.count;
  }

  /** A new filter from the records left; `done` once it serves (at once if a rebuild runs already). */
  rebuild(pageSize: number, done: (err: Error | null, ids: number) => void): void {
    if (this.next) return done(null, this.current.count);
    const next = new OutcomeFilter(this.capacity);
    this.next = next;
    rebuildFilter(this.store, this.prefix, next, pageSize, (err) => {
      this.next = null;
      if (!err) this.current = next;
      done(err, next.count);
    });
  }
}
