import { prefixRange, type BatchOp, type KvEngine } from '../storage/kvEngine.js';

/** How the simulator plugs an engine into simulated time and its node. */
export interface EngineHost {
  /** Runs `fn` on the engine's node after `delayMs` of simulated time (dropped if the node crashed meanwhile). */
  later(delayMs: number, fn: () => void): void;
  /** How long one write takes: an fsync when `sync`, a buffered write otherwise. */
  writeLatency(sync: boolean): number;
  /** How long one read takes (sometimes a stall: a compaction, a cold page). */
  readLatency(): number;
  /** Ops that just became durable (for the invariant checkers). */
  onDurable(ops: readonly BatchOp[]): void;
}

/**
 * A node's simulated LevelDB, beneath the real storage layer (group commit, lingering, the value
 * cache and the outcome filter run above it as in a node). Writes complete one at a time after a
 * latency; reads see the state when they were issued and answer later. Only `durable` survives a
 * crash: a synced write makes everything before it durable (the log is sequential); of the
 * unsynced writes after the last sync, a crash keeps a random prefix (whatever the OS had
 * flushed), and a write in flight lands or not.
 */
export class SimEngine implements KvEngine {
  readonly visible = new Map<string, string>();
  readonly durable = new Map<string, string>();
  private unsynced: (readonly BatchOp[])[] = [];
  private inFlight: { ops: readonly BatchOp[]; sync: boolean } | null = null;
  /** Bumped by a crash: completions of an earlier life are dropped. */
  private epoch = 0;
  readonly stats = { writes: 0, syncs: 0, lostOnCrash: 0 };

  constructor(private readonly host: EngineHost) {}

  /** Writes that exist before the simulation starts (initial balances): durable at once. */
  preload(ops: readonly BatchOp[]): void {
    applyOps(this.visible, ops);
    applyOps(this.durable, ops);
  }

  get isOpen(): boolean {
    return true;
  }

  write(ops: readonly BatchOp[], sync: boolean, done: (err: Error | null) => void): void {
    // The storage layer's writer has one write in flight at a time, as LevelDB's writer does.
    if (this.inFlight) throw new Error('simulated engine: a write while another is in flight');
    this.inFlight = { ops, sync };
    const epoch = this.epoch;
    this.host.later(this.host.writeLatency(sync), () => {
      if (epoch !== this.epoch) return;
      this.inFlight = null;
      applyOps(this.visible, ops);
      this.stats.writes++;
      if (sync) {
        this.stats.syncs++;
        this.syncWith(ops);
      } else {
        this.unsynced.push(ops);
      }
      done(null);
    });
  }

  getMany(keys: readonly string[], done: (err: Error | null, values: (string | undefined)[]) => void): void {
    const values = keys.map((k) => this.visible.get(k));
    const epoch = this.epoch;
    this.host.later(this.host.readLatency(), () => {
      if (epoch === this.epoch) done(null, values);
    });
  }

  get(key: string): Promise<string | undefined> {
    return Promise.resolve(this.visible.get(key));
  }

  put(key: string, value: string): Promise<void> {
    const ops: BatchOp[] = [{ type: 'put', key, value }];
    applyOps(this.visible, ops);
    this.syncWith(ops);
    return Promise.resolve();
  }

  scan(prefix: string): Promise<[string, string][]> {
    return Promise.resolve(this.entries(prefix, this.visible));
  }

  scanKeys(prefix: string): Promise<string[]> {
    return Promise.resolve(this.entries(prefix, this.visible).map(([k]) => k));
  }

  scanPage(gt: string, lt: string, limit: number, done: (err: Error | null, entries: [string, string][]) => void): void {
    const page: [string, string][] = [];
    for (const [k, v] of this.visible) if (k > gt && k < lt) page.push([k, v]);
    page.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const entries = page.slice(0, limit);
    const epoch = this.epoch;
    this.host.later(this.host.readLatency(), () => {
      if (epoch === this.epoch) done(null, entries);
    });
  }

  /** Nothing to reclaim in memory. */
  compactRange(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Entries under a prefix in key order (LevelDB iterates keys sorted bytewise; keys here are ASCII). */
  entries(prefix: string, from: Map<string, string> = this.visible): [string, string][] {
    const { gte, lt } = prefixRange(prefix);
    const out: [string, string][] = [];
    for (const [k, v] of from) if (k >= gte && k < lt) out.push([k, v]);
    return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Power loss: what was in flight lands or not, the unsynced tail partly survives. `rand` makes each choice. */
  crash(rand: (lo: number, hi: number) => number): void {
    this.epoch++;
    if (this.inFlight && rand(0, 1) === 1) {
      if (this.inFlight.sync) this.syncWith(this.inFlight.ops);
      else this.unsynced.push(this.inFlight.ops);
    }
    this.inFlight = null;
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

  private syncWith(ops: readonly BatchOp[]): void {
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
