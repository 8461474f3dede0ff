import type { ParticipantCore } from '../protocol/participantCore.js';
import type { NodeStore } from '../storage/nodeStore.js';
import { PKEY } from '../storage/participantStore.js';
import { decodeParticipantOutcome, decodePrepare } from '../storage/recordCodec.js';
import type { InspectView, TxnAdmin, TxnRecordView } from './txnAdmin.js';

const MAX_KEYS_SHOWN = 10;

function keysIn(keys: string[]): string {
  const more = keys.length > MAX_KEYS_SHOWN ? ` … (${keys.length} keys)` : '';
  return keys.slice(0, MAX_KEYS_SHOWN).join(',') + more;
}

/** A participant's side of in-doubt administration: what it holds of a transaction, in memory and in its log. */
export function participantTxnAdmin(core: ParticipantCore, store: NodeStore): TxnAdmin {
  return {
    role: 'participant',
    views: () => core.operatorViews(),
    async inspect(txn: string): Promise<InspectView> {
      const records: TxnRecordView[] = [];
      const rawPrepare = await store.engine.get(PKEY.prepare(txn));
      if (rawPrepare !== undefined) {
        const p = decodePrepare(rawPrepare, store.at(PKEY.prepare(txn)));
        records.push({
          kind: 'prepare',
          summary: `voted YES (${p.protocol ?? '2pc'}${p.precommitted ? ', pre-committed' : ''}), coordinator ${p.coordinatorId}, participants ${p.participants.join(',')}, locks ${keysIn(p.locks.map((l) => l.key))}`,
        });
      }
      const rawOutcome = await store.engine.get(PKEY.outcome(txn));
      const outcome = rawOutcome === undefined ? null : decodeParticipantOutcome(rawOutcome, store.at(PKEY.outcome(txn)));
      if (outcome) {
        const keys = outcome.outcome === 'COMMITTED' ? outcome.results.map((r) => r.key) : (outcome.keys ?? []);
        records.push({ kind: 'outcome', summary: `${outcome.outcome}${keys.length ? `, keys ${keysIn(keys)}` : ' (held nothing here)'}` });
      }
      return { view: core.operatorView(txn), records, decided: outcome?.outcome ?? null, heuristic: null };
    },
  };
}
