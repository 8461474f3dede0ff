import { invariant } from './invariant.js';
import type { NodeId, Outcome, PeerState, TxnStateView } from './types.js';

/**
 * The termination rules of the three commit protocols, as pure functions of the states a
 * node gathered. Under 3pc and nb every query asks the peer to abort first if it has not
 * voted (so it answers with a vote or a decision, never "not yet"), which is what makes an
 * ABORTED answer a decision everyone may follow. 2pc asks without that (see cooperativeTermination).
 */
export type TerminationVerdict =
  | { kind: 'decide'; outcome: Outcome }
  /** 3pc backup: bring the uncertain (w) participants to pre-committed, then commit. */
  | { kind: 'precommit'; uncertain: NodeId[] }
  | { kind: 'wait'; why: string };

export function decided(states: Iterable<PeerState>): Outcome | null {
  let committed = false;
  for (const s of states) {
    if (s === 'ABORTED') return 'ABORTED';
    if (s === 'COMMITTED') committed = true;
  }
  return committed ? 'COMMITTED' : null;
}

function unreachable(peers: Map<NodeId, PeerState>): NodeId[] {
  return [...peers].filter(([, s]) => s === 'UNREACHABLE').map(([p]) => p);
}

/**
 * 2pc cooperative termination (Bernstein, Hadzilacos, Goodman ch. 7): follow any peer that
 * knows the decision; otherwise stay blocked. Peers are not asked to abort an unvoted
 * transaction: a READ_ONLY branch forces nothing, so after forgetting one it could not tell
 * "voted" from "never saw it".
 */
export function cooperativeTermination(peers: Map<NodeId, PeerState>): TerminationVerdict {
  const d = decided(peers.values());
  if (d) return { kind: 'decide', outcome: d };
  const down = unreachable(peers);
  return { kind: 'wait', why: down.length ? `uncertain; unreachable: ${down.join(',')}` : 'every participant is uncertain' };
}

/**
 * nb (Cornus): each participant's log holds exactly one vote. After LogOnce(ABORT) on every
 * log, the transaction committed iff every log holds YES; a log that cannot be reached
 * blocks the decision (its data is unavailable anyway).
 */
export function logOnceTermination(peers: Map<NodeId, PeerState>): TerminationVerdict {
  const d = decided(peers.values());
  if (d) return { kind: 'decide', outcome: d };
  const down = unreachable(peers);
  if (down.length) return { kind: 'wait', why: `vote logs unreachable: ${down.join(',')}` };
  // After LogOnce(ABORT) every log holds a vote: an answer without one comes from a peer that
  // broke the rule, or from outside — never decide on it.
  const odd = [...peers].filter(([, s]) => s !== 'PREPARED' && s !== 'PRECOMMITTED');
  if (odd.length > 0) return { kind: 'wait', why: `no vote in ${odd.map(([p, s]) => `${p}=${s}`).join(',')} after LogOnce(ABORT)` };
  return { kind: 'decide', outcome: 'COMMITTED' };
}

/**
 * Skeen's 3pc termination, run by the elected backup (the lowest id among the live
 * participants): any aborted → abort; any committed → commit; some pre-committed → pre-commit
 * the uncertain, then commit; all uncertain → abort. "Unreachable means crashed" is the
 * assumption that partitions break: the other side of a partition may decide the opposite.
 *
 * `self` is in `peers` too. `recovered`: the asker came back from a crash in doubt and the
 * coordinator could not be asked (it may have committed anyway while this participant was down
 * and missed the PreCommit). Skeen's recovery rule: ask the others and adopt their outcome,
 * never decide. It may lead once the coordinator answers that it has no record, and only when
 * every participant answers.
 */
export function threePhaseTermination(
  self: NodeId,
  peers: Map<NodeId, PeerState>,
  recovered: boolean | 'coordinatorHasNoRecord',
  recoveredPeers: ReadonlySet<NodeId> = new Set(),
): TerminationVerdict {
  const d = decided(peers.values());
  if (d) return { kind: 'decide', outcome: d };
  if (recovered === true) return { kind: 'wait', why: 'recovered in doubt; adopting an outcome, not deciding one' };
  const live = [...peers]
    .filter(([, s]) => s !== 'UNREACHABLE')
    .map(([p]) => p)
    .sort();
  invariant(live.includes(self), () => `3pc termination at ${self} without its own state`);
  // Participants that recovered in doubt only adopt an outcome, so they are not candidates;
  // when everyone live has recovered, the lowest of them may lead (coordinatorHasNoRecord only).
  const fresh = live.filter((p) => (p === self ? recovered === false : !recoveredPeers.has(p)));
  const backup = (fresh.length > 0 ? fresh : live)[0]!;
  if (backup !== self) return { kind: 'wait', why: `backup coordinator is ${backup}` };
  const down = unreachable(peers);
  if (recovered && down.length) return { kind: 'wait', why: `recovered in doubt; waiting to hear from ${down.join(',')}` };
  const states = live.map((p) => peers.get(p)!);
  if (states.some((s) => s === 'PRECOMMITTED')) {
    return { kind: 'precommit', uncertain: live.filter((p) => peers.get(p) === 'PREPARED') };
  }
  // All uncertain → abort; an answer that is not a state of a voted participant decides nothing.
  const odd = live.filter((p) => peers.get(p) !== 'PREPARED');
  if (odd.length > 0) return { kind: 'wait', why: `unexpected states ${odd.map((p) => `${p}=${peers.get(p)}`).join(',')}` };
  return { kind: 'decide', outcome: 'ABORTED' };
}

export function isInDoubt(s: PeerState | TxnStateView): boolean {
  return s === 'PREPARED' || s === 'PRECOMMITTED';
}
