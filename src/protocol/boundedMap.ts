export interface BoundedMapOptions<K, V> {
  /** Hears of each entry dropped for want of room (not of deletes). */
  evicted?: (key: K, value: V) => void;
  /**
   * A bound on the entries' total weight as well as their number: entries of very different
   * sizes (a transaction of 2 ops, one of 1,000) are then bounded in memory, not only in count.
   * The newest entry stays whatever its weight.
   */
  weight?: { of: (value: V) => number; max: number };
}

/**
 * Over its size, a map forgets this fraction of its capacity at once. Each eviction pass walks the
 * deleted slots at the front of V8's table (left by earlier evictions) before it reaches a live
 * entry: one entry at a time that walk cost up to 30 µs per set on a full 200,000-entry map
 * (measured); a batch pays it once. (A live iterator kept between passes avoids the walk too, but
 * it pins every table the map has outgrown, with their entries: a leak, seen in a heap snapshot.)
 */
const EVICT_BATCH_DIVISOR = 64;

/** An insertion-ordered map that forgets its oldest entries beyond a fixed size (and total weight). */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();
  private weight = 0;

  constructor(
    private readonly capacity: number,
    private readonly o: BoundedMapOptions<K, V> = {},
  ) {}

  has(key: K): boolean {
    return this.map.has(key);
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  set(key: K, value: V): void {
    this.delete(key);
    this.map.set(key, value);
    const w = this.o.weight;
    if (w) this.weight += w.of(value);
    if (this.map.size <= this.capacity && !this.overWeight()) return;
    const keep = this.map.size > this.capacity ? this.capacity - Math.floor(this.capacity / EVICT_BATCH_DIVISOR) : this.map.size;
    const oldest = this.map.entries();
    while (this.map.size > keep || this.overWeight()) {
      const [key, evictedValue] = oldest.next().value as [K, V];
      this.map.delete(key);
      if (w) this.weight -= w.of(evictedValue);
      this.o.evicted?.(key, evictedValue);
    }
  }

  private overWeight(): boolean {
    const w = this.o.weight;
    return w !== undefined && this.weight > w.max && this.map.size > 1;
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  delete(key: K): boolean {
    const w = this.o.weight;
    if (w) {
      const v = this.map.get(key);
      if (v === undefined && !this.map.has(key)) return false;
      this.weight -= w.of(v as V);
    }
    return this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
    this.weight = 0;
  }

  /** Forgets every entry that `drop` picks; returns how many. */
  deleteWhere(drop: (key: K, value: V) => boolean): number {
    let n = 0;
    for (const [k, v] of this.map) {
      if (drop(k, v)) {
        this.map.delete(k);
        if (this.o.weight) this.weight -= this.o.weight.of(v);
        n++;
      }
    }
    return n;
  }

  get size(): number {
    return this.map.size;
  }

  /** The entries' total weight (0 without a weight bound). */
  get totalWeight(): number {
    return this.weight;
  }
}
