import type { ClassicLevel } from 'classic-level';
import { invariant } from '../protocol/invariant.js';

export type BatchOp = { type: 'put'; key: string; value: string } | { type: 'del'; key: string };

interface Pending {
  ops: BatchOp[];
  sync: boolean;
  /** performance.now() by which this append must be on its way to LevelDB. */
  due: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** The longest an append may be held back to share a batch (a bound, not a default). */
export const MAX_LINGER_MS = 50;

/**
 * Group commit: appends that arrive while a batch is being written wait and then go
 * out together as one LevelDB batch — synced if any of them asked for it. One fsync
 * then covers many records, which is what lets throughput exceed 1/fsync-latency.
 *
 * An append may also *linger*: wait up to `lingerMs` for company when the log is idle.
 * Records that nobody is waiting on right now (a participant's commit record, whose ack
 * can come a moment later; a coordinator's END marker) then ride in the next batch —
 * typically the next transaction's prepare, synced anyway — instead of costing a LevelDB
 * round trip (two thread wake-ups) and an fsync of their own. A lingering append is as
 * durable as any other once its promise resolves: it resolves only after its batch.
 */
export class GroupCommitWriter {
  private queue: Pending[] = [];
  private writing = false;
  private closing = false;
  private timer: NodeJS.Timeout | null = null;
  private timerDue = Infinity;
  readonly stats = { batches: 0, records: 0, syncedBatches: 0, lingered: 0 };
  private readonly writeBatch: (ops: BatchOp[], options: { sync: boolean }) => Promise<void>;

  constructor(
    private readonly db: ClassicLevel<string, string>,
    private readonly maxBatchOps = 4096,
  ) {
    // abstract-level's public batch() clones and re-encodes every op on the main thread (a
    // tenth of a participant's CPU under load, profiled). Our ops are already what
    // classic-level's binding takes — utf8 strings on a utf8 store, no hooks, no sublevels —
    // so they go to its implementation method directly; the public path remains the fallback.
    const direct = (db as unknown as { _batch?: unknown })._batch;
    const utf8 = db.keyEncoding().format === 'utf8' && db.valueEncoding().format === 'utf8';
    this.writeBatch =
      typeof direct === 'function' && utf8
        ? (ops, options) => (direct as (o: BatchOp[], opt: { sync: boolean }) => Promise<void>).call(db, ops, options)
        : (ops, options) => db.batch(ops, options);
  }

  append(ops: BatchOp[], sync: boolean, lingerMs = 0): Promise<void> {
    if (this.closing) return Promise.reject(new Error('storage is closed'));
    invariant(lingerMs >= 0 && lingerMs <= MAX_LINGER_MS, () => `linger ${lingerMs} ms outside 0..${MAX_LINGER_MS}`);
    return new Promise((resolve, reject) => {
      this.queue.push({ ops, sync, due: lingerMs > 0 ? performance.now() + lingerMs : 0, resolve, reject });
      if (lingerMs > 0) this.stats.lingered++;
      this.kick();
    });
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
    const now = performance.now();
    if (due <= now) {
      this.clearTimer();
      void this.drain();
    } else if (due < this.timerDue) {
      this.clearTimer();
      this.timerDue = due;
      this.timer = setTimeout(() => {
        this.timer = null;
        this.timerDue = Infinity;
        this.kick();
      }, Math.ceil(due - now));
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerDue = Infinity;
  }

  /** Writes one batch from the head of the queue (everything waiting rides along, up to the bound). */
  private async drain(): Promise<void> {
    this.writing = true;
    const group: Pending[] = [];
    let size = 0;
    while (this.queue.length > 0 && (group.length === 0 || size + this.queue[0]!.ops.length <= this.maxBatchOps)) {
      const p = this.queue.shift()!;
      group.push(p);
      size += p.ops.length;
    }
    const sync = group.some((p) => p.sync);
    try {
      // The implementation method skips abstract-level's open check: never call it on a closed store.
      if (this.db.status !== 'open') throw new Error('storage is closed');
      await this.writeBatch(
        group.flatMap((p) => p.ops),
        { sync },
      );
      this.stats.batches++;
      this.stats.records += group.length;
      if (sync) this.stats.syncedBatches++;
      for (const p of group) p.resolve();
    } catch (err) {
      for (const p of group) p.reject(err);
    } finally {
      this.writing = false;
    }
    this.kick();
  }
}
