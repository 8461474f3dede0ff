/** An insertion-ordered map that forgets its oldest entries beyond a fixed size. */
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
  /** `evicted` hears of each entry dropped for want of room (not of deletes). */
  constructor(
    private readonly capacity: number,
    private readonly evicted?: (key: K, value: V) => void,
  ) {}

  has(key: K): boolean {
    return this.map.has(key);
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.capacity) {
      let next = this.oldest.next();
      if (next.done) {
        // Spent once the map ran empty before it (a clear, or deletes): start again at the front.
        this.oldest = this.map.entries();
        next = this.oldest.next();
      }
      const [oldest, evictedValue] = next.value as [K, V];
      this.map.delete(oldest);
      this.evicted?.(oldest, evictedValue);
    }
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
    this.oldest = this.map.entries();
  }

  /** Forgets every entry that `drop` picks; returns how many. */
  deleteWhere(drop: (key: K, value: V) => boolean): number {
    let n = 0;
    for (const [k, v] of this.map) {
      if (drop(k, v)) {
        this.map.delete(k);
        n++;
      }
    }
    return n;
  }

  get size(): number {
    return this.map.size;
  }
}
