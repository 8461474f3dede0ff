import type { BatchOp } from '../storage/kvEngine.js';
import { PKEY } from '../storage/participantStore.js';

/**
 * What changed in some shards' rows since a move's precopy began: the data rows written or
 * deleted, and the transactions whose outcome records were written (their index rows name the
 * shards). Fed every batch appended to the source's log, so that once the shards are frozen only
 * these rows need copying again, not the whole shards. Bounded: past `maxEntries` it gives up
 * (overflowed) and the frozen export copies everything, as without a precopy.
 */
export class ShardChangeTracker {
  readonly dataKeys = new Set<string>();
  readonly txns = new Set<string>();
  private full = false;
  /** Shards whose precopy began after this note did: only those can be finished from it. */
  private readonly precopied = new Set<number>();

  constructor(
    readonly moveId: string,
    readonly shards: ReadonlySet<number>,
    readonly startedAt: number,
    private readonly maxEntries: number,
  ) {}

  note(ops: readonly BatchOp[]): void {
    if (this.full) return;
    for (const op of ops) {
      const key = op.key;
      if (key.startsWith(PKEY.dataPrefix)) {
        if (this.shards.has(PKEY.shardOfData(key))) this.dataKeys.add(key);
      } else if (key.startsWith(PKEY.outcomeIndexPrefixAll)) {
        const { shard, txn } = PKEY.ofOutcomeIndex(key);
        // Unkeyed outcome records (aborts of ids that held nothing here) go with every move.
        if (shard === null || this.shards.has(shard)) this.txns.add(txn);
      }
    }
    if (this.dataKeys.size + this.txns.size > this.maxEntries) {
      this.full = true;
      this.dataKeys.clear();
      this.txns.clear();
    }
  }

  /** Tracks exactly these shards (a frozen move over other shards cannot use it). */
  covers(shards: readonly number[]): boolean {
    return shards.length === this.shards.size && shards.every((s) => this.shards.has(s));
  }

  /** A precopy of these shards begins now (every change to them from here on is noted). */
  precopying(shards: readonly number[]): void {
    for (const s of shards) this.precopied.add(s);
  }

  precopiedShards(): number[] {
    return [...this.precopied];
  }

  /** Whether the frozen export of `shards` may copy only what this note holds: all precopied under it, nothing dropped. */
  completes(shards: readonly number[]): boolean {
    return !this.full && this.covers(shards) && shards.every((s) => this.precopied.has(s));
  }
}
