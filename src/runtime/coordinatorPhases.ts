import type { CoordinatorEffect, CoordinatorEvent } from '../protocol/coordinatorCore.js';
import type { ProtocolName, TxnId } from '../protocol/types.js';
import type { CoordinatorMetricsSink } from './metricsSink.js';

/** Transactions timed at once; beyond it the oldest entry goes (its phases are then not observed). */
const MAX_TRACKED = 50_000;

/** Monotonic ms of each phase boundary reached so far (-1: not yet). */
interface Timing {
  protocol: ProtocolName;
  prepareSent: number;
  votesIn: number;
  decided: number;
  /** Its decision is forced: the decision phase ends when that write is durable. */
  forced: boolean;
}

/**
 * Times each transaction's phases at the coordinator from the core's steps, without touching
 * the core: the first Prepare sent → every vote in (the first decision effect: a decision
 * record, a PreCommit, a Commit or Abort) → the decision durable (forced decisions only; 3pc's
 * includes the PreCommit round) → every participant acknowledged the commit (END written).
 * It also knows since when each decided transaction has been delivering (the in-doubt age).
 */
export class CoordinatorPhases {
  private readonly timings = new Map<TxnId, Timing>();

  constructor(
    private readonly sink: CoordinatorMetricsSink,
    private readonly now: () => number,
  ) {}

  /** Sees a core step: the event that came in and the effects it produced. */
  observe(event: CoordinatorEvent, effects: readonly CoordinatorEffect[]): void {
    const now = this.now();
    switch (event.type) {
      case 'transact':
        if (!this.timings.has(event.msg.txn)) this.track(event.msg.txn, event.msg.protocol, -1, false);
        break;
      case 'recover':
        // Decided before the restart: delivering since at least now.
        for (const d of event.pending) this.track(d.txn, d.protocol ?? '2pc', now, true);
        break;
      case 'persisted': {
        const r = event.record;
        const t = r.kind === 'decision' ? this.timings.get(r.record.txn) : undefined;
        if (t && t.forced && t.decided < 0 && t.votesIn >= 0) {
          t.decided = now;
          this.sink.phase('decision', t.protocol, (now - t.votesIn) / 1000);
        }
        break;
      }
      default:
        break;
    }
    for (const e of effects) this.effect(e, now);
  }

  private effect(e: CoordinatorEffect, now: number): void {
    // Passed on to its owner: timed there.
    if (e.type === 'forward') {
      this.timings.delete(e.txn);
      return;
    }
    if (e.type === 'send') {
      const m = e.message;
      const t = this.timings.get(m.kind === 'prepare' ? m.msg.txn : m.txn);
      if (!t) return;
      if (m.kind === 'prepare') {
        if (t.prepareSent < 0) t.prepareSent = now;
        return;
      }
      if (m.kind === 'query') return;
      this.votesIn(t, now);
      // A commit sent before any forced write (nb: the votes are the decision) starts delivery now.
      if (m.kind === 'commit' && t.decided < 0 && !t.forced) t.decided = now;
      return;
    }
    if (e.type !== 'persist') return;
    const r = e.record;
    if (r.kind === 'end') {
      const t = this.timings.get(r.txn);
      if (t && t.decided >= 0) this.sink.phase('commit', t.protocol, (now - t.decided) / 1000);
      this.timings.delete(r.txn);
      return;
    }
    const t = this.timings.get(r.record.txn);
    if (!t) return;
    this.votesIn(t, now);
    if (e.sync) t.forced = true;
  }

  private votesIn(t: Timing, now: number): void {
    if (t.votesIn >= 0 || t.prepareSent < 0) return;
    t.votesIn = now;
    this.sink.phase('prepare', t.protocol, (now - t.prepareSent) / 1000);
  }

  private track(txn: TxnId, protocol: ProtocolName, decided: number, forced: boolean): void {
    if (this.timings.size >= MAX_TRACKED) this.timings.delete(this.timings.keys().next().value!);
    this.timings.set(txn, { protocol, prepareSent: -1, votesIn: -1, decided, forced });
  }

  /** The core forgot a transaction (after the step that ended it was observed). */
  ended(txn: TxnId): void {
    this.timings.delete(txn);
  }

  /** How long the oldest of `inDoubt` has been delivering its decision, in seconds (0: none). */
  oldestSeconds(inDoubt: readonly TxnId[]): number {
    const now = this.now();
    let oldest = 0;
    for (const txn of inDoubt) {
      const since = this.timings.get(txn)?.decided ?? -1;
      if (since >= 0) oldest = Math.max(oldest, now - since);
    }
    return oldest / 1000;
  }
}
