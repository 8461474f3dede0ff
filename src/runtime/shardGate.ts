import { shardOf } from '../protocol/shardMap.js';
import type { TxnOp } from '../protocol/types.js';
import type { RuntimeClock } from './env.js';
import { RequestError } from './requestError.js';

/** The most transactions held at once on moving shards; beyond it they are refused (retry later). */
export const MAX_HELD = 10_000;

interface Hold {
  shards: Set<number>;
  /** Releases it by itself when the mover goes silent. */
  cancel: () => void;
}

/**
 * The coordinator's half of a move's barrier: while shards are held, a new transaction that
 * touches one waits here (it has not prepared anywhere), and runs once the hold ends — by the new
 * map (it then routes to the new owner) or by the mover giving up or going silent (the old one).
 */
export class ShardGate {
  private readonly holds = new Map<string, Hold>();
  private waiting: { ops: readonly TxnOp[]; run: () => void; fail: (e: RequestError) => void }[] = [];

  constructor(
    private readonly clock: RuntimeClock,
    private readonly shardCount: () => number,
  ) {}

  get held(): number {
    return this.waiting.length;
  }

  heldShards(): Set<number> {
    const out = new Set<number>();
    for (const h of this.holds.values()) for (const s of h.shards) out.add(s);
    return out;
  }

  /** Holds (or renews the hold of) `shards` for `ttlMs`. */
  hold(moveId: string, shards: readonly number[], ttlMs: number): void {
    this.holds.get(moveId)?.cancel();
    const cancel = this.clock.after(ttlMs, () => this.release(moveId));
    this.holds.set(moveId, { shards: new Set(shards), cancel });
  }

  release(moveId: string): void {
    const h = this.holds.get(moveId);
    if (!h) return;
    h.cancel();
    this.holds.delete(moveId);
    const blocked = this.heldShards();
    const still: typeof this.waiting = [];
    const go: (() => void)[] = [];
    for (const w of this.waiting) {
      if (this.touches(w.ops, blocked)) still.push(w);
      else go.push(w.run);
    }
    this.waiting = still;
    for (const run of go) run();
  }

  /** Runs `run` now, or once no hold covers the ops' shards. */
  admit(ops: readonly TxnOp[], run: () => void, fail: (e: RequestError) => void): void {
    if (this.holds.size === 0 || !this.touches(ops, this.heldShards())) return run();
    if (this.waiting.length >= MAX_HELD) {
      return fail(new RequestError('UNAVAILABLE', `${this.waiting.length} transactions already wait for shards being moved; retry shortly`));
    }
    this.waiting.push({ ops, run, fail });
  }

  stop(): void {
    for (const h of this.holds.values()) h.cancel();
    this.holds.clear();
    for (const w of this.waiting) w.fail(new RequestError('UNAVAILABLE', 'coordinator stopping'));
    this.waiting = [];
  }

  private touches(ops: readonly TxnOp[], shards: ReadonlySet<number>): boolean {
    if (shards.size === 0) return false;
    const n = this.shardCount();
    return ops.some((op) => shards.has(shardOf(op.key, n)));
  }
}
