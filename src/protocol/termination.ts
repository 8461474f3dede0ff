import { invariant } from './invariant.js';
import type { NodeId, Outcome, PeerState, ProtocolName, TxnStateView } from './types.js';

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

function decided(states: Iterable<PeerState>): Outcome | null {
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
  for (const [p, s] of peers) {
    invariant(s === 'PREPARED' || s === 'PRECOMMITTED', () => `nb termination: participant ${p} answered ${s} after LogOnce(ABORT)`);
  }
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
  const live = [...peers].filter(([, s]) => s !== 'UNREACHABLE').map(([p]) => p).sort();
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
  for (const p of live) {
    const s = peers.get(p)!;
    invariant(s === 'PREPARED', () => `3pc termination: participant ${p} answered ${s}`);
  }
  return { kind: 'decide', outcome: 'ABORTED' };
}

/**
 * What a coordinator with no record of a transaction (it restarted, or never ran it) tells a
 * client, from every participant's state after asking each to abort if it had not voted.
 * 2pc: no commit record means it never committed (the decision is forced before anyone hears
 * it), so in-doubt participants are told ABORTED. nb: committed iff every listed participant
 * holds YES. 3pc: only the participants' termination may decide; until then PENDING.
 */
export function coordinatorResolution(
  answers: Map<NodeId, { state: PeerState; protocol: ProtocolName | null; participants: NodeId[] }>,
): Outcome | 'PENDING' {
  // Every node was asked, and one that never took part aborts its (empty) vote when asked:
  // once anyone names the participants, only theirs count.
  const listed = new Set([...answers.values()].flatMap((a) => a.participants));
  const relevant = listed.size > 0 ? [...answers].filter(([p]) => listed.has(p)).map(([, a]) => a) : [...answers.values()];
  // A commit anywhere is final (it only ever follows a commit decision); check it first, so a
  // node that never took part and aborted its empty vote cannot outvote it.
  if ([...answers.values()].some((a) => a.state === 'COMMITTED')) return 'COMMITTED';
  // Nobody names the participants and some node is out of reach: an ABORTED from a node that
  // never took part must not decide for participants that cannot be heard.
  if (listed.size === 0 && [...answers.values()].some((a) => a.state === 'UNREACHABLE')) return 'PENDING';
  const d = decided(relevant.map((a) => a.state));
  if (d) return d;
  const inDoubt = relevant.filter((a) => isInDoubt(a.state));
  if (inDoubt.length === 0) {
    // Only a 2pc branch votes READ_ONLY, and without a commit record 2pc never committed.
    return relevant.some((a) => a.state === 'READ_ONLY') ? 'ABORTED' : 'PENDING';
  }
  const protocol = inDoubt[0]!.protocol ?? '2pc';
  if (protocol === '2pc') return 'ABORTED';
  if (protocol === '3pc') return 'PENDING';
  const allYes = listed.size > 0 && [...listed].every((p) => {
    const a = answers.get(p);
    return a !== undefined && isInDoubt(a.state);
  });
  return allYes ? 'COMMITTED' : 'PENDING';
}

export function isInDoubt(s: PeerState | TxnStateView): boolean {
  return s === 'PREPARED' || s === 'PRECOMMITTED';
}
