import { DEFAULT_PROTOCOL, rulesOf } from './protocols/index.js';
import { decided, isInDoubt } from './termination.js';
import type { NodeId, Outcome, PeerState, ProtocolName } from './types.js';

/**
 * What a coordinator with no record of a transaction (it restarted, or never ran it) tells a
 * client, from every participant's state after asking each to abort if it had not voted.
 * With someone in doubt, the protocol's rule decides (see CommitProtocol.resolveInDoubt).
 */
export function coordinatorResolution(
  answers: Map<NodeId, { state: PeerState; protocol: ProtocolName | null; participants: NodeId[] }>,
  byOwner: boolean,
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
  // Someone voted and waits (a read-only vote too: it holds its read locks for the decision).
  const waiting = relevant.find((a) => isInDoubt(a.state)) ?? relevant.find((a) => a.state === 'READ_ONLY');
  if (!waiting) return 'PENDING';
  return rulesOf(waiting.protocol ?? DEFAULT_PROTOCOL).resolveInDoubt({ listed, answers }, byOwner);
}
