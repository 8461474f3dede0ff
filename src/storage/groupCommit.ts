import { invariant } from '../protocol/invariant.js';
import type { BatchOp, KvEngine } from './kvEngine.js';

export type { BatchOp };

/** The time a writer needs: a monotonic reading and a cancellable wake-up (real timers, or a simulator's). */
export interface WriterClock {
  now(): number;
  after(ms: number, fn: () => void): () => void;
}

interface Pending {
  ops: BatchOp[];
  sync: boolean;
  /** Clock time by which this append must be on its way to the engine. */
  due: number;
  done: (err: Error | null) => void;
}

/** One batch written: how many appends and ops it carried, whether it was synced, how long the engine took. */
export type BatchObserver = (records: number, ops: number, sync: boolean, seconds: number) => void;

/** The longest an append may be held back to share a batch (a bound, not a default). */
export const MAX_LINGER_MS = 50;

/**
 * Group commit: appends that arrive while a batch is being written wait and then go
 * out together as one engine batch — synced if any of them asked for it. One fsync
 * then covers many records, which is what lets throughput exceed 1/fsync-latency.
 *
 * An append may also *linger*: wait up to `lingerMs` for company when the log is idle.
 * Records that nobody is waiting on right now (a participant's commit record, whose ack
 * can come a moment later; a coordinator's END marker) then ride in the next batch —
 * typically the next transaction's prepare, synced anyway — instead of costing an engine
 * round trip and an fsync of their own. A lingering append is as durable as any other once
 * its callback runs: it runs only after its batch.
 */
export class GroupCommitWriter {
  private queue: Pending[] = [];
  private writing = false;
  private closing = false;
  private cancelTimer: (() => void) | null = null;
  private timerDue = Infinity;
  readonly stats = { batches: 0, records: 0, syncedBatches: 0, lingered: 0 };
  /** Sees every batch written (a node's metrics); timed with performance.now() only when set. */
  onBatch: BatchObserver | null = null;

  constructor(
    private readonly engine: KvEngine,
    private readonly clock: WriterClock,
    private readonly maxBatchOps = 4096,
  ) {}

  append(ops: BatchOp[], sync: boolean, lingerMs: number, done: (err: Error | null) => void): void {
    if (this.closing) return done(new Error('storage is closed'));
    invariant(lingerMs >= 0 && lingerMs <= MAX_LINGER_MS, () => `linger ${lingerMs} ms outside 0..${MAX_LINGER_MS}`);
    this.queue.push({ ops, sync, due: lingerMs > 0 ? this.clock.now() + lingerMs : 0, done });
    if (lingerMs > 0) this.stats.lingered++;
    this.kick();
  }

  /** Lets every lingering append go now (someone waits on what it releases). */
  flushLingering(): void {
    for (const p of this.queue) p.due = 0;
    this.kick();
  }

  /** Writes whatever is queued, lingering or not, then refuses further appends. */
  async close(): Promise<void> {
    this.closing = true;
    this.kick();
    for (let i = 0; i < 10_000 && (this.writing || this.queue.length > 0); i++) await new Promise((r) => setTimeout(r, 1));
    this.clearTimer();
  }

  /**
   * Starts a batch if one is due, else arms the timer for the earliest lingering append.
   * (Appends made while a batch is being written wait for its end: the queue is scanned
   * once per batch, not once per append.)
   */
  private kick(): void {
    if (this.writing || this.queue.length === 0) return;
    let due = this.closing ? 0 : Infinity;
    for (const p of this.queue) if (p.due < due) due = p.due;
    const now = this.clock.now();
    if (due <= now) {
      this.clearTimer();
      this.drain();
    } else if (due < this.timerDue) {
      this.clearTimer();
      this.timerDue = due;
      this.cancelTimer = this.clock.after(Math.ceil(due - now), () => {
        this.cancelTimer = null;
        this.timerDue = Infinity;
        this.kick();
      });
    }
  }

  private clearTimer(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.timerDue = Infinity;
  }

  /** Writes one batch from the head of the queue (everything waiting rides along, up to the bound). */
  private drain(): void {
    this.writing = true;
    const group: Pending[] = [];
    let size = 0;
    while (this.queue.length > 0 && (group.length === 0 || size + this.queue[0]!.ops.length <= this.maxBatchOps)) {
      const p = this.queue.shift()!;
      group.push(p);
      size += p.ops.length;
    }
    const sync = group.some((p) => p.sync);
    const ops = group.length === 1 ? group[0]!.ops : group.flatMap((p) => p.ops);
    const observer = this.onBatch;
    const started = observer ? performance.now() : 0;
    this.engine.write(ops, sync, (err) => {
      this.writing = false;
      if (!err) {
        this.stats.batches++;
        this.stats.records += group.length;
        if (sync) this.stats.syncedBatches++;
        observer?.(group.length, ops.length, sync, (performance.now() - started) / 1000);
      }
      for (const p of group) p.done(err);
      this.kick();
    });
  }
}
