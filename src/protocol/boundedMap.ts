/** An insertion-ordered map that forgets its oldest entries beyond a fixed size. */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.capacity) {
      const oldest = this.map.keys().next().value as K;
      this.map.delete(oldest);
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
