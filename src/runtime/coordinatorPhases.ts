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
 * The clock is read at most once per step, and only in a step that crosses a boundary.
 */
export class CoordinatorPhases {
  private readonly timings = new Map<TxnId, Timing>();
  /** The current step's time, read on first use (-1: not yet). */
  private stepNow = -1;

  constructor(
    private readonly sink: CoordinatorMetricsSink,
    private readonly now: () => number,
  ) {}

  /** Sees a core step: the event that came in and the effects it produced. */
  observe(event: CoordinatorEvent, effects: readonly CoordinatorEffect[]): void {
    this.stepNow = -1;
    if (event.type === 'transact') {
      if (!this.timings.has(event.msg.txn)) this.track(event.msg.txn, event.msg.protocol);
    } else if (event.type === 'persisted' && event.record.kind === 'decision') {
      const t = this.timings.get(event.record.record.txn);
      if (t && t.forced && t.decided < 0 && t.votesIn >= 0) {
        t.decided = this.at();
        this.sink.phase('decision', t.protocol, (t.decided - t.votesIn) / 1000);
      }
    }
    for (const e of effects) this.effect(e);
  }

  private at(): number {
    if (this.stepNow < 0) this.stepNow = this.now();
    return this.stepNow;
  }

  private effect(e: CoordinatorEffect): void {
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
        if (t.prepareSent < 0) t.prepareSent = this.at();
        return;
      }
      if (m.kind === 'query') return;
      this.votesIn(t);
      // A commit sent before any forced write (nb: the votes are the decision) starts delivery now.
      if (m.kind === 'commit' && t.decided < 0 && !t.forced) t.decided = this.at();
      return;
    }
    if (e.type !== 'persist') return;
    const r = e.record;
    if (r.kind === 'end') {
      const t = this.timings.get(r.txn);
      if (t && t.decided >= 0) this.sink.phase('commit', t.protocol, (this.at() - t.decided) / 1000);
      this.timings.delete(r.txn);
      return;
    }
    const t = this.timings.get(r.record.txn);
    if (!t) return;
    this.votesIn(t);
    if (e.sync) t.forced = true;
  }

  private votesIn(t: Timing): void {
    if (t.votesIn >= 0 || t.prepareSent < 0) return;
    t.votesIn = this.at();
    this.sink.phase('prepare', t.protocol, (t.votesIn - t.prepareSent) / 1000);
  }

  private track(txn: TxnId, protocol: ProtocolName): void {
    if (this.timings.size >= MAX_TRACKED) this.timings.delete(this.timings.keys().next().value!);
    this.timings.set(txn, { protocol, prepareSent: -1, votesIn: -1, decided: -1, forced: false });
  }

  /** The core forgot a transaction (after the step that ended it was observed). */
  ended(txn: TxnId): void {
    this.timings.delete(txn);
  }
}
