import type { RuntimeClock } from './env.js';

/**
 * A runtime's timers, grouped by transaction, so that the timers of a transaction the core
 * forgot are cleared at once instead of firing into nothing (and, should the id come back,
 * into a later run of it).
 */
export class TxnTimers {
  private readonly byTxn = new Map<string, Set<() => void>>();
  private stopped = false;

  constructor(private readonly clock: RuntimeClock) {}

  /** Calls `fire` at clock time `at`. */
  set(txn: string, at: number, fire: () => void): void {
    if (this.stopped) return;
    let set = this.byTxn.get(txn);
    if (!set) this.byTxn.set(txn, (set = new Set()));
    const timers = set;
    const cancel = this.clock.after(Math.max(0, at - this.clock.now()), () => {
      timers.delete(cancel);
      if (timers.size === 0 && this.byTxn.get(txn) === timers) this.byTxn.delete(txn);
      fire();
    });
    timers.add(cancel);
  }

  clear(txn: string): void {
    const set = this.byTxn.get(txn);
    if (!set) return;
    this.byTxn.delete(txn);
    for (const cancel of set) cancel();
  }

  /** Timers pending (for status and tests). */
  get size(): number {
    let n = 0;
    for (const s of this.byTxn.values()) n += s.size;
    return n;
  }

  stop(): void {
    this.stopped = true;
    for (const txn of [...this.byTxn.keys()]) this.clear(txn);
  }
}
