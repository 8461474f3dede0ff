import type { CommitProtocol } from '../commitProtocol.js';
import { cooperativeTermination } from '../termination.js';
import { COMMIT_RECORD, coordinatorCommitted } from './shared.js';

/**
 * Presumed-abort two-phase commit (R*): the coordinator's forced COMMIT is the decision; no
 * record means abort. Read-only branches force nothing. A participant in doubt can only follow
 * a peer that knows the outcome (cooperative termination); otherwise it blocks.
 */
export const twoPhase: CommitProtocol<'2pc'> = {
  name: '2pc',
  wire: 'TWO_PC',
  summary: '2pc (presumed-abort, default)',
  readOnlyVoteIsUnforced: true,
  noVoteIsForced: false,
  // A READ_ONLY branch forces nothing, so once it forgets a transaction it cannot tell "voted"
  // from "never saw it": it must not be made to abort by a termination query.
  terminationAbortsUnvoted: false,
  terminate: (ctx) => cooperativeTermination(ctx.states),
  onAllYes: 'forceDecision',
  onMissingVote: 'abort',
  decisionIsForced: true,
  probeRetriedIds: false,
  confirmReadOnlyBranches: true,
  // A forced COMMIT at the owner precedes every commit anywhere: without a record there, it
  // never committed. Another coordinator's missing record says nothing: only the owner may presume.
  resolveInDoubt: (_r, byOwner) => (byOwner ? 'ABORTED' : 'PENDING'),
  commitUnjustified: (view, txn) => coordinatorCommitted(view, txn),
  isDurablyCommitted: (view, txn) => view.coordinatorDecision(txn) === 'COMMITTED',
  participantsDecideAlone: false,
  durability: `every commit fsync'd: participant prepare record (sync) + coordinator decision record (sync) before the client hears COMMITTED, ${COMMIT_RECORD}`,
  commitPath: {
    roundTrips: 2,
    forcedWrites: 2,
    path:
      'client→coordinator, coordinator→participants Prepare (in parallel), participant forces its prepare record, ' +
      'votes YES, coordinator forces its decision, replies; Commit and the participant commit record follow off the reply path',
  },
};
