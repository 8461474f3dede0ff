import type { DurableView, ResolutionAnswers, Unjustified } from '../commitProtocol.js';
import { isInDoubt } from '../termination.js';
import type { NodeId } from '../types.js';

/** Participants whose log does not durably hold their YES (or the commit that replaced it). */
export function missingYes(view: DurableView, txn: string, participants: readonly NodeId[]): NodeId[] {
  return participants.filter((p) => !view.yesDurable(p, txn));
}

/** A commit is justified once every participant's YES is durable in its own log (3pc, nb). */
export function everyYesDurable(view: DurableView, txn: string, participants: readonly NodeId[]): Unjustified | null {
  const missing = missingYes(view, txn, participants);
  return missing.length === 0 ? null : { rule: 'commit-without-votes', missing: `no durable YES at ${missing.join(',')}` };
}

/** A commit is justified by the coordinator's forced COMMIT (2pc). */
export function coordinatorCommitted(view: DurableView, txn: string): Unjustified | null {
  const d = view.coordinatorDecision(txn);
  return d === 'COMMITTED' ? null : { rule: 'commit-without-decision', missing: `the coordinator's durable decision is ${d ?? 'absent'}` };
}

/** Every participant the transaction named answered that it holds YES. */
export function everyListedInDoubt(r: ResolutionAnswers): boolean {
  return (
    r.listed.size > 0 &&
    [...r.listed].every((p) => {
      const a = r.answers.get(p);
      return a !== undefined && isInDoubt(a.state);
    })
  );
}

export const COMMIT_RECORD =
  'then the participant commit record (sync) with the writes, acknowledged only once synced (it may wait up to 2 ms to share ' +
  "the next prepare's fsync; until then its forced prepare and the decision redo it after a crash); no fsync is skipped";
