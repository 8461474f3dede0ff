import type { LocalCluster } from '../cluster/localCluster.js';
import type { DurableView, Unjustified } from '../protocol/commitProtocol.js';
import { DEFAULT_PROTOCOL, rulesOf } from '../protocol/protocols/index.js';
import { ownerOfTxn } from '../protocol/ownership.js';
import type { DecisionRecord } from '../protocol/records.js';
import type { ProtocolName } from '../protocol/types.js';
import { CKEY } from '../storage/coordinatorStore.js';
import { NodeStore } from '../storage/nodeStore.js';
import { PKEY } from '../storage/participantStore.js';
import { decodeDecision, decodeParticipantOutcome, decodePrepare } from '../storage/recordCodec.js';
import type { CheckResult } from './checks.js';

interface ClusterLogs {
  /** txn → participant → outcome */
  outcomes: Map<string, Map<string, string>>;
  prepared: string[];
  /** `${participant}:${txn}` of every prepare record left */
  preparedAt: Set<string>;
  decisions: Map<string, DecisionRecord>;
  /** txn → the coordinators whose logs hold a decision for it */
  decidedBy: Map<string, string[]>;
  unfinished: string[];
}

/** Every node's log, read from its stopped LevelDB. */
async function readLogs(cluster: LocalCluster): Promise<ClusterLogs> {
  const logs: ClusterLogs = { outcomes: new Map(), prepared: [], preparedAt: new Set(), decisions: new Map(), decidedBy: new Map(), unfinished: [] };
  for (const name of cluster.participantNames) {
    const store = await NodeStore.openDir(cluster.node(name).spec.dataDir, { id: name, role: 'participant' });
    try {
      for (const { value } of await store.scanDecoded(PKEY.outcomePrefix, decodeParticipantOutcome)) {
        if (!logs.outcomes.has(value.txn)) logs.outcomes.set(value.txn, new Map());
        logs.outcomes.get(value.txn)!.set(name, value.outcome);
      }
      for (const { value } of await store.scanDecoded(PKEY.preparePrefix, decodePrepare)) {
        logs.prepared.push(`${name}:${value.txn}`);
        logs.preparedAt.add(`${name}:${value.txn}`);
      }
    } finally {
      await store.close();
    }
  }
  for (const name of cluster.coordinatorNames) {
    const coord = await NodeStore.openDir(cluster.node(name).spec.dataDir, { id: name, role: 'coordinator' });
    try {
      for (const { value } of await coord.scanDecoded(CKEY.decisionPrefix, decodeDecision)) {
        logs.decisions.set(value.txn, value);
        logs.decidedBy.set(value.txn, [...(logs.decidedBy.get(value.txn) ?? []), name]);
      }
      logs.unfinished.push(...(await coord.scanKeys(CKEY.unfinishedPrefix)));
    } finally {
      await coord.close();
    }
  }
  return logs;
}

/**
 * A node asked about a transaction it never saw records ABORT for it (so that a late prepare is
 * refused): for the workload's transactions, such records at non-participants are set aside.
 */
function setAsideNonParticipants(
  outcomes: ClusterLogs['outcomes'],
  participantsOf: ReadonlyMap<string, ReadonlySet<string>>,
): { fences: number; strays: string[] } {
  let fences = 0;
  const strays: string[] = [];
  for (const [txn, all] of outcomes) {
    const mine = participantsOf.get(txn);
    if (!mine) continue;
    for (const [p, o] of all) {
      if (mine.has(p)) continue;
      all.delete(p);
      if (o === 'ABORTED') fences++;
      else strays.push(`${txn}@${p} (${o} on a node that was not a participant)`);
    }
    if (all.size === 0) outcomes.delete(txn);
  }
  return { fences, strays };
}

/** Split outcomes, commits against a coordinator ABORT, and commits the protocol's rule does not justify. */
function judgeOutcomes(
  outcomes: ClusterLogs['outcomes'],
  decisions: ClusterLogs['decisions'],
  unjustified: (txn: string) => Unjustified | null,
): { split: string[]; contradicted: string[]; unauthorised: string[] } {
  const split: string[] = [];
  const contradicted: string[] = [];
  const unauthorised: string[] = [];
  for (const [txn, byParticipant] of outcomes) {
    const kinds = new Set(byParticipant.values());
    if (kinds.has('COMMITTED') && kinds.has('ABORTED')) split.push(`${txn} (${[...byParticipant].map(([p, o]) => `${p}:${o}`).join(' ')})`);
    if (!kinds.has('COMMITTED')) continue;
    const d = decisions.get(txn);
    const committedOn = [...byParticipant].filter(([, o]) => o === 'COMMITTED').map(([p]) => p);
    if (d?.outcome === 'ABORTED') {
      contradicted.push(`${txn} (c1:ABORTED ${d.reason}; committed on ${committedOn.join(',')})`);
      continue;
    }
    const why = unjustified(txn);
    if (why) unauthorised.push(`${txn} (${why.missing})`);
  }
  return { split, contradicted, unauthorised };
}

/**
 * Only a transaction's owner runs it and writes its decision (any other coordinator forwards):
 * no id decided in two coordinators' logs, and every decision in its owner's log.
 */
function ownershipChecks(decidedBy: ReadonlyMap<string, string[]>, coordinators: string[]): CheckResult[] {
  const twice = [...decidedBy].filter(([, by]) => by.length > 1).map(([t, by]) => `${t} (${by.join('+')})`);
  const elsewhere = [...decidedBy]
    .filter(([t, by]) => by.some((c) => c !== ownerOfTxn(t, coordinators)))
    .map(([t, by]) => `${t}@${by.join('+')} (owner ${ownerOfTxn(t, coordinators)})`);
  return [
    {
      id: 'single-owner',
      name: 'no transaction run by two coordinators',
      ok: twice.length === 0,
      detail: `${decidedBy.size} decisions over ${coordinators.length} coordinator log(s), ${twice.length} in two ${twice.slice(0, 3).join(' ')}`,
    },
    {
      id: 'owner',
      name: 'every client asked the right owner or was forwarded',
      ok: elsewhere.length === 0,
      detail: `${elsewhere.length} decisions outside their owner's log ${elsewhere.slice(0, 3).join(' ')}`,
    },
  ];
}

/** The id of the atomicity check in every chaos report. */
export const ATOMICITY = 'atomicity';

/**
 * Reads every node's LevelDB directly (the cluster must be stopped) and checks the
 * protocol's own promises, independent of any workload:
 * - atomicity (every protocol): no transaction committed on one participant and aborted on
 *   another, and no participant outcome against the coordinator's recorded decision;
 * - every participant commit justified by the protocol's rule (CommitProtocol.commitUnjustified:
 *   2pc a forced coordinator COMMIT; 3pc and nb every participant's durable YES);
 * - every COMMITTED told to a client durable by the protocol's rule (CommitProtocol.isDurablyCommitted);
 * - nothing left prepared or undelivered after healing.
 */
export async function checkLogs(
  cluster: LocalCluster,
  toldCommitted: ReadonlySet<string>,
  protocol: ProtocolName = DEFAULT_PROTOCOL,
  /**
   * The participants of the transactions the workload ran (from their keys). A node asked
   * about a transaction it never saw records ABORT for it (so that a late prepare is refused);
   * for these transactions such records at non-participants are set aside. Transactions not
   * listed are judged on every node's record.
   */
  participantsOf: ReadonlyMap<string, ReadonlySet<string>> = new Map(),
): Promise<CheckResult[]> {
  const rules = rulesOf(protocol);
  const { outcomes, prepared, preparedAt, decisions, decidedBy, unfinished } = await readLogs(cluster);

  const { fences, strays } = setAsideNonParticipants(outcomes, participantsOf);
  const view: DurableView = {
    coordinatorDecision: (t) => decisions.get(t)?.outcome,
    committedAt: (t) => [...(outcomes.get(t) ?? [])].filter(([, o]) => o === 'COMMITTED').map(([p]) => p),
    yesDurable: (p, t) => preparedAt.has(`${p}:${t}`) || outcomes.get(t)?.get(p) === 'COMMITTED',
    // Memory, not logs: a backup's decision from a pre-commit shows as its commit record here.
    decidedFromPrecommit: () => false,
  };
  const participantsOfTxn = (t: string): string[] => [...(participantsOf.get(t) ?? decisions.get(t)?.participants ?? outcomes.get(t)?.keys() ?? [])].sort();
  const { split, contradicted, unauthorised } = judgeOutcomes(outcomes, decisions, (txn) => rules.commitUnjustified(view, txn, participantsOfTxn(txn)));
  const notApplied: string[] = [];
  for (const d of decisions.values()) {
    if (d.outcome !== 'COMMITTED' || d.readOnly) continue;
    for (const p of d.participants) if (outcomes.get(d.txn)?.get(p) === 'ABORTED') notApplied.push(`${d.txn}@${p} (c1:COMMITTED)`);
  }
  const lost = [...toldCommitted].filter((t) => !rules.isDurablyCommitted(view, t, participantsOfTxn(t)));
  const violations = [...split, ...notApplied, ...contradicted, ...strays];
  const checks: CheckResult[] = [
    {
      id: ATOMICITY,
      name: 'atomicity: never committed on one participant and aborted on another',
      ok: violations.length === 0,
      detail:
        `${outcomes.size} txns in participant logs; ${split.length} split, ${notApplied.length} aborted despite a coordinator COMMIT, ` +
        `${contradicted.length} committed despite a coordinator ABORT${strays.length ? `, ${strays.length} committed on a non-participant` : ''} ${violations.slice(0, 3).join(' ')}` +
        (fences > 0 ? `; ${fences} ABORT records of nodes asked about a transaction they had no part in set aside` : ''),
    },
  ];
  checks.push({
    id: 'authorised',
    name: `no participant commit unjustified by ${rules.name}'s rule (${rules.participantsDecideAlone ? "every participant's durable YES" : 'a forced coordinator COMMIT'})`,
    ok: unauthorised.length === 0,
    detail: `${unauthorised.length} unjustified ${unauthorised.slice(0, 3).join(' ')}`,
  });
  checks.push(
    {
      id: 'durable',
      name: 'COMMITTED told to a client is durable',
      ok: lost.length === 0,
      detail:
        `${toldCommitted.size} told COMMITTED, ${lost.length} not durably committed by ${rules.name}'s rule ${lost.slice(0, 3).join(' ')}` +
        (rules.participantsDecideAlone
          ? `; ${[...outcomes.keys()].filter((t) => view.committedAt(t).length > 0 && view.coordinatorDecision(t) !== 'COMMITTED').length} committed by the participants' termination without a coordinator record`
          : ''),
    },
    {
      id: 'healed',
      name: 'after healing: nothing prepared or undelivered',
      ok: prepared.length === 0 && unfinished.length === 0,
      detail: `${prepared.length} prepare records, ${unfinished.length} undelivered commits ${[...prepared, ...unfinished].slice(0, 3).join(' ')}`,
    },
    ...ownershipChecks(decidedBy, cluster.coordinatorNames),
  );
  return checks;
}
