import type { BatchOp } from '../storage/groupCommit.js';

export type { BatchOp };

/** How the simulator plugs a disk into simulated time. */
export interface DiskHost {
  /** Runs `fn` after `delayMs` of simulated time. */
  schedule(delayMs: number, fn: () => void): void;
  /** How long one batch takes: an fsync when `sync`, a buffered write otherwise. */
  latency(sync: boolean): number;
  /** Ops that just became durable (for the invariant checkers). */
  onDurable(ops: readonly BatchOp[]): void;
  /** Hands the completion callbacks to the node (which may be paused: they then run late). */
  deliver(fn: () => void): void;
}

interface Append {
  ops: BatchOp[];
  sync: boolean;
  /** Called when the batch holding this append completed (the runtime's 'persisted'). */
  done: (() => void) | null;
  /** Called after every `done` of the same batch: the effects that waited on this write. */
  after: (() => void) | null;
}

/**
 * A node's simulated LevelDB with the GroupCommitWriter in front of it: appends queue up
 * FIFO; while one batch is being written, the next ones wait and then go out together,
 * synced if any of them asked for it. Reads see every completed batch (`visible`). Only
 * `durable` survives a crash: a synced batch makes everything before it durable (the log
 * is sequential); of the unsynced batches after the last sync, a crash keeps a random
 * prefix (whatever the OS had flushed), and a batch in flight lands or not.
 */
export class SimDisk {
  readonly visible = new Map<string, string>();
  readonly durable = new Map<string, string>();
  private unsynced: BatchOp[][] = [];
  private queue: Append[] = [];
  private inFlight: { group: Append[]; sync: boolean } | null = null;
  private epoch = 0;
  readonly stats = { batches: 0, syncs: 0, lostOnCrash: 0 };

  constructor(private readonly host: DiskHost) {}

  /** Writes that exist before the simulation starts (initial balances): durable at once. */
  preload(ops: readonly BatchOp[]): void {
    applyOps(this.visible, ops);
    applyOps(this.durable, ops);
  }

  append(ops: BatchOp[], sync: boolean, done: (() => void) | null, after: (() => void) | null): void {
    this.queue.push({ ops, sync, done, after });
    this.drain();
  }

  get(key: string): string | undefined {
    return this.visible.get(key);
  }

  /** Entries under a prefix in key order (LevelDB iterates keys sorted bytewise; keys here are ASCII). */
  scan(prefix: string, from: 'visible' | 'durable' = 'visible'): [string, string][] {
    const m = from === 'visible' ? this.visible : this.durable;
    const out: [string, string][] = [];
    for (const [k, v] of m) if (k.startsWith(prefix)) out.push([k, v]);
    return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  get busy(): boolean {
    return this.inFlight !== null || this.queue.length > 0;
  }

  /** Power loss: in-memory queue gone, unsynced tail partly lost. `coin` decides each random choice. */
  crash(rand: (lo: number, hi: number) => number): void {
    this.epoch++;
    if (this.inFlight && rand(0, 1) === 1) {
      const ops = this.inFlight.group.flatMap((a) => a.ops);
      if (this.inFlight.sync) this.syncWith(ops);
      else this.unsynced.push(ops);
    }
    this.inFlight = null;
    this.queue = [];
    const keep = rand(0, this.unsynced.length);
    for (const ops of this.unsynced.slice(0, keep)) {
      applyOps(this.durable, ops);
      this.host.onDurable(ops);
    }
    this.stats.lostOnCrash += this.unsynced.length - keep;
    this.unsynced = [];
    this.visible.clear();
    for (const [k, v] of this.durable) this.visible.set(k, v);
  }

  private drain(): void {
    if (this.inFlight || this.queue.length === 0) return;
    const group = this.queue;
    this.queue = [];
    const sync = group.some((a) => a.sync);
    this.inFlight = { group, sync };
    const epoch = this.epoch;
    this.host.schedule(this.host.latency(sync), () => {
      if (epoch !== this.epoch) return;
      this.complete(group, sync);
    });
  }

  private complete(group: Append[], sync: boolean): void {
    const ops = group.flatMap((a) => a.ops);
    applyOps(this.visible, ops);
    this.stats.batches++;
    if (sync) {
      this.stats.syncs++;
      this.syncWith(ops);
    } else {
      this.unsynced.push(ops);
    }
    this.inFlight = null;
    const epoch = this.epoch;
    this.host.deliver(() => {
      if (epoch !== this.epoch) return;
      for (const a of group) a.done?.();
      for (const a of group) a.after?.();
    });
    this.drain();
  }

  private syncWith(ops: BatchOp[]): void {
    for (const u of this.unsynced) {
      applyOps(this.durable, u);
      this.host.onDurable(u);
    }
    this.unsynced = [];
    applyOps(this.durable, ops);
    this.host.onDurable(ops);
  }
}

function applyOps(m: Map<string, string>, ops: readonly BatchOp[]): void {
  for (const op of ops) {
    if (op.type === 'put') m.set(op.key, op.value);
    else m.delete(op.key);
  }
}
