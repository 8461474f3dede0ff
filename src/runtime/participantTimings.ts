import type { ParticipantEffect, ParticipantEvent } from '../protocol/participantCore.js';
import type { TxnId } from '../protocol/types.js';
import type { ParticipantMetricsSink } from './metricsSink.js';

/** Waits timed at once at most; beyond it the oldest goes (bounded whatever the core does). */
const MAX_TRACKED = 50_000;

/**
 * Times a participant's lock waits from the core's steps (the core stays pure and untouched).
 * A wait starts when a prepare queues for a lock (its lockWait timer is set) and ends when the
 * locks are granted (the read that follows), the wait times out, or the transaction is
 * forgotten. A step without a lock wait costs a scan of its effects and nothing else.
 */
export class ParticipantTimings {
  private readonly waitingSince = new Map<TxnId, number>();

  constructor(
    private readonly sink: ParticipantMetricsSink,
    private readonly now: () => number,
  ) {}

  observe(event: ParticipantEvent, effects: readonly ParticipantEffect[]): void {
    if (event.type === 'timer' && event.timer.kind === 'lockWait') this.waitEnded(event.timer.txn);
    for (const e of effects) {
      if (e.type === 'setTimer' && e.timer.kind === 'lockWait') {
        if (this.waitingSince.has(e.timer.txn)) continue;
        if (this.waitingSince.size >= MAX_TRACKED) this.waitingSince.delete(this.waitingSince.keys().next().value!);
        this.waitingSince.set(e.timer.txn, this.now());
      } else if (e.type === 'read' && this.waitingSince.size > 0) this.waitEnded(e.txn);
    }
  }

  /** The core forgot a transaction (after the step that ended it was observed). */
  ended(txn: TxnId): void {
    if (this.waitingSince.size > 0) this.waitEnded(txn);
  }

  private waitEnded(txn: TxnId): void {
    const since = this.waitingSince.get(txn);
    if (since === undefined) return;
    this.waitingSince.delete(txn);
    this.sink.lockWait((this.now() - since) / 1000);
  }
}
