import type { CommitProtocol } from '../commitProtocol.js';
import { logOnceTermination } from '../termination.js';
import { COMMIT_RECORD, everyListedInDoubt, everyYesDurable, missingYes } from './shared.js';

/**
 * Non-blocking commit with log-once votes (Cornus): each participant's log holds exactly one
 * vote; the transaction committed iff every log holds YES. The coordinator forces nothing and
 * anyone may terminate by asking every silent log to hold ABORT.
 */
export const nonBlocking: CommitProtocol<'nb'> = {
  name: 'nb',
  wire: 'NON_BLOCKING',
  summary: 'nb (non-blocking, Cornus-style)',
  readOnlyVoteIsUnforced: false,
  noVoteIsForced: true,
  terminationAbortsUnvoted: true,
  terminate: (ctx) => logOnceTermination(ctx.states),
  onAllYes: 'votesAreTheDecision',
  onMissingVote: 'askTheLogs',
  decisionIsForced: false,
  probeRetriedIds: false,
  confirmReadOnlyBranches: false,
  resolveInDoubt: (r) => (everyListedInDoubt(r) ? 'COMMITTED' : 'PENDING'),
  commitUnjustified: (view, txn, participants) => everyYesDurable(view, txn, participants),
  isDurablyCommitted: (view, txn, participants) =>
    view.coordinatorDecision(txn) === 'COMMITTED' || view.committedAt(txn).length > 0 || missingYes(view, txn, participants).length === 0,
  participantsDecideAlone: true,
  durability: `every commit fsync'd: each participant's prepare record (its YES vote, sync) before the client hears COMMITTED — the votes are the decision, the coordinator's record is a cache (not synced) — ${COMMIT_RECORD}`,
  commitPath: {
    roundTrips: 2,
    forcedWrites: 1,
    path:
      'client→coordinator, Prepare round (participants force their vote into their own logs), coordinator replies once all ' +
      'YES votes are durable: no coordinator force on the critical path',
  },
};
