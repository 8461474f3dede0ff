import type { CommitProtocol } from '../commitProtocol.js';
import { threePhaseTermination } from '../termination.js';
import { COMMIT_RECORD, everyYesDurable } from './shared.js';

/**
 * Skeen's three-phase commit: nobody commits before every participant is pre-committed (or
 * presumed failed), so the live participants can always finish alone (backup coordinator).
 * Unsafe under partitions: "unreachable" is taken to mean "crashed".
 */
export const threePhase: CommitProtocol<'3pc'> = {
  name: '3pc',
  wire: 'THREE_PC',
  summary: '3pc (Skeen; unsafe under partitions)',
  readOnlyVoteIsUnforced: false,
  noVoteIsForced: false,
  terminationAbortsUnvoted: true,
  terminate: (ctx) => threePhaseTermination(ctx.self, ctx.states, ctx.recovered, ctx.recoveredPeers),
  onAllYes: 'precommitThenDecide',
  onMissingVote: 'abort',
  decisionIsForced: true,
  probeRetriedIds: true,
  confirmReadOnlyBranches: false,
  // Only the participants' termination may decide: until it has, the outcome is open.
  resolveInDoubt: () => 'PENDING',
  commitUnjustified: (view, txn, participants) => everyYesDurable(view, txn, participants),
  // The coordinator forces its decision before replying; a participant's commit, or a backup's
  // decision from a durable pre-commit, is final too (Skeen's termination commits from there).
  isDurablyCommitted: (view, txn, participants) =>
    view.coordinatorDecision(txn) === 'COMMITTED' || view.committedAt(txn).length > 0 || participants.some((p) => view.decidedFromPrecommit(p, txn)),
  participantsDecideAlone: true,
  durability: `every commit fsync'd: participant prepare and pre-commit records (sync) + coordinator decision record (sync) before the client hears COMMITTED, ${COMMIT_RECORD}`,
  commitPath: {
    roundTrips: 3,
    forcedWrites: 3,
    path:
      'client→coordinator, Prepare round (participants force prepare), PreCommit round (participants force pre-commit), ' +
      'coordinator forces commit and replies; DoCommit and the participant commit record follow off the reply path',
  },
};
