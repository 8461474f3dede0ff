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

/** An insertion-ordered map that forgets its oldest entries beyond a fixed size (and total weight). */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();
  /**
   * A live iterator parked at the oldest entry. A fresh `map.entries()` for each eviction walks
   * every deleted slot at the front of V8's table until the next rehash — evicting from a full
   * 200,000-entry map cost up to 30 µs per set (measured), growing with each eviction. A live
   * iterator passes each deleted slot once: nothing live is ever behind it, since every entry
   * behind it was evicted or deleted and new ones go to the end.
   */
  private oldest: IterableIterator<[K, V]> = this.map.entries();
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
    while (this.map.size > this.capacity || (w && this.weight > w.max && this.map.size > 1)) {
      let next = this.oldest.next();
      if (next.done) {
        // Spent once the map ran empty before it (a clear, or deletes): start again at the front.
        this.oldest = this.map.entries();
        next = this.oldest.next();
      }
      const [oldest, evictedValue] = next.value as [K, V];
      this.map.delete(oldest);
      if (w) this.weight -= w.of(evictedValue);
      this.o.evicted?.(oldest, evictedValue);
    }
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
    this.oldest = this.map.entries();
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
