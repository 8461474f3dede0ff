import type { CallOptions } from './transport.js';

/**
 * The one place where node-to-node deadlines live. The simulator runs the same runtime, so it
 * uses these very numbers.
 *
 * Prepares take the transaction's own timeout (the coordinator passes it); decisions wait for
 * a restarting participant (the resend timer retries anyway); side calls (state queries,
 * PreCommit, a participant asking the coordinator) fail fast on a node that is down, so that
 * termination starts at once.
 */
export const CALL_POLICY = {
  /** A coordinator's Commit/Abort/ReleaseReadOnly to a participant. */
  decision: { deadlineMs: 5000, waitForReady: true },
  /** A decision a participant passes on to a peer: it saves the peer a termination round, no more. */
  peerDecision: { deadlineMs: 2000, waitForReady: false },
  precommit: { deadlineMs: 2000, waitForReady: false },
  stateQuery: { deadlineMs: 2000, waitForReady: false },
  /** A question passed on to the coordinator that owns the transaction (not listening: tried again once). */
  forwardQuery: { deadlineMs: 2000, waitForReady: false },
  /** A participant asking the coordinator for an outcome (GetTransaction). */
  inquiry: { deadlineMs: 3000, waitForReady: false },
} as const satisfies Record<string, CallOptions>;

/** A prepare waits for a restarting participant until the transaction's timeout. */
export function preparePolicy(timeoutMs: number): CallOptions {
  return { deadlineMs: timeoutMs, waitForReady: true };
}
