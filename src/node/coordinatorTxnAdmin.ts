import type { DecisionRecord } from '../protocol/records.js';
import type { Outcome } from '../protocol/types.js';
import type { CoordinatorRuntime, QueryAnswer } from '../runtime/coordinatorRuntime.js';
import { RequestError } from '../runtime/requestError.js';
import { answer } from '../rpc/status.js';
import { CKEY } from '../storage/coordinatorStore.js';
import type { NodeStore } from '../storage/nodeStore.js';
import { decodeDecision } from '../storage/recordCodec.js';
import type { InspectView, ResolveRequest, ResolveResult, TxnAdmin, TxnRecordView } from './txnAdmin.js';

function describeDecision(d: DecisionRecord): string {
  const h = d.heuristic ? ` HEURISTIC by ${d.heuristic.by} (${d.heuristic.note})` : '';
  const why = d.reason ? `: ${d.reason}` : '';
  return `${d.outcome}${h} at ${new Date(d.decidedAtMs).toISOString()}, participants ${d.participants.join(',') || '-'}${why}`;
}

/**
 * A coordinator's side of in-doubt administration. Resolve decides nothing by itself: it asks the
 * protocol's own resolution (GetTransaction: the decision record, else every participant's
 * state) and acts only when that gives the outcome the operator asked for; only `heuristic`
 * forces one, written as a heuristic decision.
 */
export function coordinatorTxnAdmin(runtime: CoordinatorRuntime, store: NodeStore): TxnAdmin {
  const records = async (txn: string): Promise<{ records: TxnRecordView[]; decision: DecisionRecord | null }> => {
    const out: TxnRecordView[] = [];
    const raw = await store.engine.get(CKEY.decision(txn));
    const decision = raw === undefined ? null : decodeDecision(raw, store.at(CKEY.decision(txn)));
    if (decision) out.push({ kind: 'decision', summary: describeDecision(decision) });
    if ((await store.engine.get(CKEY.unfinished(txn))) !== undefined)
      out.push({ kind: 'unfinished', summary: 'the commit has not reached every participant yet' });
    return { records: out, decision };
  };
  const query = (txn: string): Promise<QueryAnswer> => answer((r) => runtime.query(txn, r));
  return {
    role: 'coordinator',
    views: () => runtime.core.operatorViews(),
    async inspect(txn: string): Promise<InspectView> {
      const { records: recs, decision } = await records(txn);
      const known = decision ?? runtime.core.remembered(txn);
      return { view: runtime.core.operatorView(txn), records: recs, decided: known?.outcome ?? null, heuristic: known?.heuristic ?? null };
    },
    async resolve(req: ResolveRequest): Promise<ResolveResult> {
      const a = await query(req.txn);
      const safe = a.outcome;
      if (safe === req.outcome) return { txn: req.txn, outcome: safe, heuristic: false, rule: `the protocol's outcome: ${a.reason || safe}` };
      if (safe !== 'PENDING') {
        throw new RequestError(
          'FAILED_PRECONDITION',
          `txn ${req.txn} is ${safe} (${a.reason || 'decided'}): ${verb(req.outcome)} is not safe; nothing was changed`,
        );
      }
      if (a.inProgress) throw new RequestError('FAILED_PRECONDITION', `txn ${req.txn} is still running at its coordinator: it settles by itself (${a.reason})`);
      if (!req.heuristic) {
        throw new RequestError(
          'FAILED_PRECONDITION',
          `no outcome of txn ${req.txn} is safe to decide now: ${a.reason}. --heuristic forces ${req.outcome} and records it as a heuristic outcome (it may contradict what the owner decided)`,
        );
      }
      if (a.participants.length === 0)
        throw new RequestError('FAILED_PRECONDITION', `no participant names the participants of txn ${req.txn}: nothing to decide`);
      const done = await answer<QueryAnswer>((r) => runtime.heuristic(req.txn, req.outcome, a.participants, req.actor, req.reason, r));
      return { txn: req.txn, outcome: done.outcome as Outcome, heuristic: true, rule: `forced by ${req.actor} (no outcome was safe: ${a.reason})` };
    },
  };
}

function verb(o: Outcome): string {
  return o === 'COMMITTED' ? '--commit' : '--abort';
}
