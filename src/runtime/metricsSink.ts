import type { AbortCode, ProtocolName } from '../protocol/types.js';

/**
 * What the runtimes report for metrics, in domain terms. A node plugs in Prometheus
 * (src/node/nodeMetrics.ts); the simulator plugs in nothing, so none of this runs there.
 * Every call sits on a per-transaction path: an implementation must not allocate or build
 * strings per call (bind its label sets once).
 */

/** How a client's transaction ended, as the coordinator answered it. */
export type TxnEnd = 'committed' | 'aborted' | 'unknown' | 'refused';

/** A transaction's phases at its coordinator (README "Metrics" says where each starts and ends). */
export type TxnPhase = 'prepare' | 'decision' | 'commit';

export interface CoordinatorMetricsSink {
  /** A Transact (or Read) answered: its end, protocol and abort code (null unless aborted). */
  transaction(end: TxnEnd, protocol: ProtocolName, code: AbortCode | null, seconds: number): void;
  phase(phase: TxnPhase, protocol: ProtocolName, seconds: number): void;
}

export interface ParticipantMetricsSink {
  /** A prepare that queued for a lock stopped waiting (granted, timed out or aborted). */
  lockWait(seconds: number): void;
}
