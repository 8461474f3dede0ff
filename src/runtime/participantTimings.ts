import type { ParticipantEffect, ParticipantEvent } from '../protocol/participantCore.js';
import type { TxnId } from '../protocol/types.js';
import type { ParticipantMetricsSink } from './metricsSink.js';

/** Entries kept per map at most; beyond it the oldest goes (bounded whatever the core does). */
const MAX_TRACKED = 50_000;

/**
 * Times a participant's lock waits and knows since when each prepared transaction has been in
 * doubt, from the core's steps (the core stays pure and untouched). A wait starts when a prepare
 * queues for a lock (its lockWait timer is set) and ends when the locks are granted (the read
 * that follows), the wait times out, or the transaction is forgotten.
 */
export class ParticipantTimings {
  private readonly waitingSince = new Map<TxnId, number>();
  private readonly preparedSince = new Map<TxnId, number>();

  constructor(
    private readonly sink: ParticipantMetricsSink,
    private readonly now: () => number,
  ) {}

  observe(event: ParticipantEvent, effects: readonly ParticipantEffect[]): void {
    const now = this.now();
    switch (event.type) {
      case 'persisted':
        if (event.record.kind === 'prepare') this.set(this.preparedSince, event.record.record.txn, now);
        break;
      case 'recover':
        // In doubt since before the restart: at least since now.
        for (const p of event.prepared) this.set(this.preparedSince, p.txn, now);
        break;
      case 'timer':
        if (event.timer.kind === 'lockWait') this.waitEnded(event.timer.txn, now);
        break;
      default:
        break;
    }
    for (const e of effects) {
      if (e.type === 'setTimer' && e.timer.kind === 'lockWait') this.set(this.waitingSince, e.timer.txn, now);
      else if (e.type === 'read' && this.waitingSince.size > 0) this.waitEnded(e.txn, now);
    }
  }

  /** The core forgot a transaction (after the step that ended it was observed). */
  ended(txn: TxnId): void {
    this.preparedSince.delete(txn);
    if (this.waitingSince.size > 0) this.waitEnded(txn, this.now());
  }

  /** How long the oldest of `inDoubt` has been in doubt, in seconds (0: none). */
  oldestSeconds(inDoubt: readonly TxnId[]): number {
    const now = this.now();
    let oldest = 0;
    for (const txn of inDoubt) {
      const since = this.preparedSince.get(txn);
      if (since !== undefined) oldest = Math.max(oldest, now - since);
    }
    return oldest / 1000;
  }

  private waitEnded(txn: TxnId, now: number): void {
    const since = this.waitingSince.get(txn);
    if (since === undefined) return;
    this.waitingSince.delete(txn);
    this.sink.lockWait((now - since) / 1000);
  }

  private set(map: Map<TxnId, number>, txn: TxnId, now: number): void {
    if (map.has(txn)) return;
    if (map.size >= MAX_TRACKED) map.delete(map.keys().next().value!);
    map.set(txn, now);
  }
}
