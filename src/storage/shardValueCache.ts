import { BoundedMap } from '../protocol/boundedMap.js';

/**
 * A participant's bounded cache of data values, indexed by shard as well: a shard move forgets
 * the moved shards' values (they may be stale once the shard comes back) in time proportional to
 * those values, not to the whole cache. Walking 200,000 cached keys and hashing each took
 * 50–230 ms of one participant's event loop on every move step — a stall every transaction
 * through that participant waited for.
 */
export class ShardValueCache<V> {
  private readonly entries: BoundedMap<string, V>;
  private readonly byShard = new Map<number, Set<string>>();

  constructor(
    capacity: number,
    private readonly shardOf: (key: string) => number,
  ) {
    this.entries = new BoundedMap(capacity, { evicted: (key) => this.unindex(key) });
  }

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: V): void {
    if (!this.entries.has(key)) {
      const shard = this.shardOf(key);
      let keys = this.byShard.get(shard);
      if (!keys) this.byShard.set(shard, (keys = new Set()));
      keys.add(key);
    }
    this.entries.set(key, value);
  }

  /** Forgets every value of these shards; returns how many. */
  forgetShards(shards: Iterable<number>): number {
    let n = 0;
    for (const shard of shards) {
      const keys = this.byShard.get(shard);
      if (!keys) continue;
      for (const key of keys) if (this.entries.delete(key)) n++;
      this.byShard.delete(shard);
    }
    return n;
  }

  get size(): number {
    return this.entries.size;
  }

  private unindex(key: string): void {
    const shard = this.shardOf(key);
    const keys = this.byShard.get(shard);
    if (!keys) return;
    keys.delete(key);
    if (keys.size === 0) this.byShard.delete(shard);
  }
}
