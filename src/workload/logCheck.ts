import type { LocalCluster } from '../cluster/localCluster.js';
import type { DecisionRecord, ParticipantOutcomeRecord, PrepareRecord } from '../protocol/records.js';
import { CKEY } from '../storage/coordinatorStore.js';
import { NodeStore } from '../storage/nodeStore.js';
import { PKEY } from '../storage/participantStore.js';
import type { CheckResult } from './checks.js';

/**
 * Reads every node's LevelDB directly (the cluster must be stopped) and checks the
 * protocol's own promises, independent of any workload: no transaction committed on one
 * participant and aborted on another, no participant commit without a coordinator COMMIT,
 * every COMMITTED told to a client durable at the coordinator, nothing left prepared or
 * undelivered after healing.
 */
export async function checkLogs(cluster: LocalCluster, toldCommitted: ReadonlySet<string>): Promise<CheckResult[]> {
  const outcomes = new Map<string, Map<string, string>>(); // txn → participant → outcome
  const prepared: string[] = [];
  for (const name of cluster.participantNames) {
    const store = await NodeStore.open(cluster.node(name).spec.dataDir, { id: name, role: 'participant' });
    try {
      for (const { value } of await store.scanJson<ParticipantOutcomeRecord>(PKEY.outcomePrefix)) {
        if (!outcomes.has(value.txn)) outcomes.set(value.txn, new Map());
        outcomes.get(value.txn)!.set(name, value.outcome);
      }
      for (const { value } of await store.scanJson<PrepareRecord>(PKEY.preparePrefix)) prepared.push(`${name}:${value.txn}`);
    } finally {
      await store.close();
    }
  }
  const coord = await NodeStore.open(cluster.node('c1').spec.dataDir, { id: 'c1', role: 'coordinator' });
  const decisions = new Map<string, DecisionRecord>();
  let unfinished: string[];
  try {
    for (const { value } of await coord.scanJson<DecisionRecord>('d!')) decisions.set(value.txn, value);
    unfinished = (await coord.scanJson<string>(CKEY.unfinishedPrefix)).map((e) => e.key);
  } finally {
    await coord.close();
  }

  const split: string[] = [];
  const unauthorised: string[] = [];
  for (const [txn, byParticipant] of outcomes) {
    const kinds = new Set(byParticipant.values());
    if (kinds.has('COMMITTED') && kinds.has('ABORTED')) {
      split.push(`${txn} (${[...byParticipant].map(([p, o]) => `${p}:${o}`).join(' ')})`);
    }
    if (kinds.has('COMMITTED') && decisions.get(txn)?.outcome !== 'COMMITTED') unauthorised.push(txn);
  }
  const notApplied: string[] = [];
  for (const d of decisions.values()) {
    if (d.outcome !== 'COMMITTED' || d.readOnly) continue;
    for (const p of d.participants) if (outcomes.get(d.txn)?.get(p) === 'ABORTED') notApplied.push(`${d.txn}@${p}`);
  }
  const lost = [...toldCommitted].filter((t) => decisions.get(t)?.outcome !== 'COMMITTED');
  return [
    {
      name: 'atomicity: never committed on one participant and aborted on another',
      ok: split.length === 0 && notApplied.length === 0,
      detail: `${outcomes.size} txns in participant logs; ${split.length} split, ${notApplied.length} aborted despite a COMMIT ${[...split, ...notApplied].slice(0, 2).join(' ')}`,
    },
    {
      name: 'no participant commit without a coordinator COMMIT',
      ok: unauthorised.length === 0,
      detail: `${unauthorised.length} unauthorised ${unauthorised.slice(0, 3).join(' ')}`,
    },
    {
      name: 'COMMITTED told to a client is durable',
      ok: lost.length === 0,
      detail: `${toldCommitted.size} told COMMITTED, ${lost.length} without a durable decision ${lost.slice(0, 3).join(' ')}`,
    },
    {
      name: 'after healing: nothing prepared or undelivered',
      ok: prepared.length === 0 && unfinished.length === 0,
      detail: `${prepared.length} prepare records, ${unfinished.length} undelivered commits ${[...prepared, ...unfinished].slice(0, 3).join(' ')}`,
    },
  ];
}
