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
import { FENCE_PREFIX } from '../protocol/ops.js';
import { ownerOfKey, shardMapProblem, type ShardMap } from '../protocol/shardMap.js';
import { SKEY, type MoveMark } from '../runtime/shardHost.js';
import type { CheckResult } from './checks.js';

/** A participant's data dir: a running one's, or one taken out of the cluster (its records still count). */
export interface ParticipantDir {
  name: string;
  dataDir: string;
}

/** The data dirs of the participants the cluster runs now. */
export function participantDirs(cluster: LocalCluster): ParticipantDir[] {
  return cluster.participantNames.map((name) => ({ name, dataDir: cluster.node(name).spec.dataDir }));
}

interface ClusterLogs {
  /** txn → participant → outcome */
  outcomes: Map<string, Map<string, string>>;
  /**
   * txn → participant → the data keys its record names (an outcome's results or aborted keys, a
   * prepare's writes and locks); empty when it names none (an ABORT of a node asked about a
   * transaction it never saw). A shard move copies a record to the shard's new owner.
   */
  recordKeys: Map<string, Map<string, string[]>>;
  prepared: string[];
  /** `${participant}:${txn}` of every prepare record left */
  preparedAt: Set<string>;
  decisions: Map<string, DecisionRecord>;
  /** txn → the coordinators whose logs hold a decision for it */
  decidedBy: Map<string, string[]>;
  unfinished: string[];
  /** The newest shard map the participants hold (null: none holds one). */
  map: ShardMap | null;
}

const dataKeys = (keys: readonly string[]): string[] => [...new Set(keys.filter((k) => !k.startsWith(FENCE_PREFIX)))];

function noteKeys(logs: ClusterLogs, txn: string, node: string, keys: readonly string[]): void {
  if (!logs.recordKeys.has(txn)) logs.recordKeys.set(txn, new Map());
  const byNode = logs.recordKeys.get(txn)!;
  byNode.set(node, dataKeys([...(byNode.get(node) ?? []), ...keys]));
}

/** Every node's log, read from its stopped LevelDB. */
async function readLogs(cluster: LocalCluster, participants: readonly ParticipantDir[]): Promise<ClusterLogs> {
  const logs: ClusterLogs = {
    outcomes: new Map(),
    recordKeys: new Map(),
    prepared: [],
    preparedAt: new Set(),
    decisions: new Map(),
    decidedBy: new Map(),
    unfinished: [],
    map: null,
  };
  for (const { name, dataDir } of participants) {
    const store = await NodeStore.openDir(dataDir, { id: name, role: 'participant' });
    try {
      const raw = await store.engine.get(SKEY.map);
      const map = raw === undefined ? null : (JSON.parse(raw) as ShardMap);
      if (map && (!logs.map || map.epoch > logs.map.epoch)) logs.map = map;
      for (const { value } of await store.scanDecoded(PKEY.outcomePrefix, decodeParticipantOutcome)) {
        if (!logs.outcomes.has(value.txn)) logs.outcomes.set(value.txn, new Map());
        logs.outcomes.get(value.txn)!.set(name, value.outcome);
        noteKeys(logs, value.txn, name, value.outcome === 'COMMITTED' ? value.results.map((r) => r.key) : (value.keys ?? []));
      }
      for (const { value } of await store.scanDecoded(PKEY.preparePrefix, decodePrepare)) {
        logs.prepared.push(`${name}:${value.txn}`);
        logs.preparedAt.add(`${name}:${value.txn}`);
        noteKeys(logs, value.txn, name, [...value.writes.map((w) => w.key), ...value.locks.map((l) => l.key), ...value.results.map((r) => r.key)]);
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
 * The participants of the workload's transactions, from their keys and the logs (not from where
 * the keys hash: shards move): for each key, every node whose record of the transaction names it
 * (its participant, and the shard's later owners, which hold a copy), or a placeholder when no
 * record names it (that participant never voted: a commit elsewhere is unjustified); plus the
 * participants the coordinator's decision names. When the map never changed (epoch 1), only a
 * key's owner in it counts (a record elsewhere is a non-participant's). Also the committed
 * transactions a key of which no COMMITTED record (nor prepare record) names: applied on some
 * participants only.
 */
function participantsFromLogs(
  keysOf: ReadonlyMap<string, readonly string[]>,
  logs: ClusterLogs,
): { participantsOf: Map<string, Set<string>>; partial: string[] } {
  const participantsOf = new Map<string, Set<string>>();
  const partial: string[] = [];
  const firstMap = logs.map?.epoch === 1 ? logs.map : null;
  for (const [txn, keys] of keysOf) {
    const byNode = [...(logs.recordKeys.get(txn) ?? [])];
    const outcomes = logs.outcomes.get(txn);
    const mine = new Set<string>(logs.decisions.get(txn)?.participants ?? []);
    const committed = [...(outcomes?.values() ?? [])].includes('COMMITTED');
    for (const k of dataKeys(keys)) {
      const holders = byNode.filter(([n, ks]) => ks.includes(k) && (!firstMap || ownerOfKey(firstMap, k) === n)).map(([n]) => n);
      for (const n of holders) mine.add(n);
      if (holders.length === 0) mine.add(`(no record names ${k})`);
      if (committed && !holders.some((n) => outcomes?.get(n) === 'COMMITTED' || logs.preparedAt.has(`${n}:${txn}`))) {
        partial.push(
          `${txn} (committed on ${[...outcomes!]
            .filter(([, o]) => o === 'COMMITTED')
            .map(([n]) => n)
            .join(',')}; no log holds ${k} committed)`,
        );
      }
    }
    participantsOf.set(txn, mine);
  }
  return { participantsOf, partial };
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
      // With one coordinator no id can be run twice: nothing to look at.
      measured: decidedBy.size > 0 && coordinators.length > 1,
      detail: `${decidedBy.size} decisions over ${coordinators.length} coordinator log(s), ${twice.length} in two ${twice.slice(0, 3).join(' ')}`,
    },
    {
      id: 'owner',
      name: 'every client asked the right owner or was forwarded',
      ok: elsewhere.length === 0,
      measured: decidedBy.size > 0,
      detail: `${elsewhere.length} decisions outside their owner's log ${elsewhere.slice(0, 3).join(' ')}`,
    },
  ];
}

/** The id of the atomicity check in every chaos report. */
export const ATOMICITY = 'atomicity';

export interface LogCheckOptions {
  protocol?: ProtocolName;
  /**
   * The keys of the transactions the workload ran (txn id → keys): their participants are found in
   * the logs (see participantsFromLogs). A node asked about a transaction it never saw records
   * ABORT for it (so that a late prepare is refused); for these transactions such records at
   * non-participants are set aside. Transactions not listed are judged on every node's record.
   */
  keysOf?: ReadonlyMap<string, readonly string[]>;
  /** Whose logs to read: default the participants the cluster runs; add those taken out of it. */
  participants?: readonly ParticipantDir[];
}

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
export async function checkLogs(cluster: LocalCluster, toldCommitted: ReadonlySet<string>, o: LogCheckOptions = {}): Promise<CheckResult[]> {
  const rules = rulesOf(o.protocol ?? DEFAULT_PROTOCOL);
  const logs = await readLogs(cluster, o.participants ?? participantDirs(cluster));
  const { outcomes, prepared, preparedAt, decisions, decidedBy, unfinished } = logs;
  const { participantsOf, partial } = participantsFromLogs(o.keysOf ?? new Map(), logs);

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
  const violations = [...split, ...notApplied, ...contradicted, ...strays, ...partial];
  // Atomicity can only break for a transaction with two participants or more, one of which committed.
  const committedTxns = [...outcomes.keys()].filter((t) => view.committedAt(t).length > 0);
  const multiCommitted = committedTxns.filter((t) => participantsOfTxn(t).length > 1).length;
  const checks: CheckResult[] = [
    {
      id: ATOMICITY,
      name: 'atomicity: never committed on one participant and aborted on another',
      ok: violations.length === 0,
      measured: multiCommitted > 0,
      detail:
        `${outcomes.size} txns in participant logs (${multiCommitted} committed with several participants); ${split.length} split, ${notApplied.length} aborted despite a coordinator COMMIT, ` +
        `${contradicted.length} committed despite a coordinator ABORT${strays.length ? `, ${strays.length} committed on a non-participant` : ''}` +
        `${partial.length ? `, ${partial.length} committed without a key's branch` : ''} ${violations.slice(0, 3).join(' ')}` +
        (fences > 0 ? `; ${fences} ABORT records of nodes asked about a transaction they had no part in set aside` : ''),
    },
  ];
  checks.push({
    id: 'authorised',
    name: `no participant commit unjustified by ${rules.name}'s rule (${rules.participantsDecideAlone ? "every participant's durable YES" : 'a forced coordinator COMMIT'})`,
    ok: unauthorised.length === 0,
    measured: committedTxns.length > 0,
    detail: `${committedTxns.length} txns committed by participants, ${unauthorised.length} unjustified ${unauthorised.slice(0, 3).join(' ')}`,
  });
  checks.push(
    {
      id: 'durable',
      name: 'COMMITTED told to a client is durable',
      ok: lost.length === 0,
      measured: toldCommitted.size > 0,
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
    heuristicCheck(decisions),
    ...ownershipChecks(decidedBy, cluster.coordinatorNames),
  );
  return checks;
}

/** One participant's shard state and data keys, read from its stopped store. */
interface Placement {
  name: string;
  map: ShardMap | null;
  frozen: MoveMark[];
  incoming: MoveMark[];
  keys: string[];
}

async function readPlacement({ name, dataDir }: ParticipantDir): Promise<Placement> {
  const store = await NodeStore.openDir(dataDir, { id: name, role: 'participant' });
  try {
    const json = async <T>(key: string, fallback: T): Promise<T> => {
      const raw = await store.engine.get(key);
      return raw === undefined ? fallback : (JSON.parse(raw) as T);
    };
    return {
      name,
      map: await json<ShardMap | null>(SKEY.map, null),
      frozen: await json<MoveMark[]>(SKEY.frozen, []),
      incoming: await json<MoveMark[]>(SKEY.incoming, []),
      keys: (await store.scanKeys(PKEY.dataPrefix)).map((k) => PKEY.keyOfData(`${PKEY.dataPrefix}${k}`)),
    };
  } finally {
    await store.close();
  }
}

/**
 * Where the data sits at the end, read from every participant's stopped store (those taken out of
 * the cluster too): the final map is the newest any of them holds; every member of it holds that
 * map with no move left half-done (nothing frozen, nothing incoming); every key sits on exactly one
 * member, the one the final map names. Rows left on a participant outside the map (removed while
 * it missed the last map of its drain) are unserved: counted, not a violation.
 */
export async function checkPlacement(participants: readonly ParticipantDir[]): Promise<CheckResult[]> {
  const all = await Promise.all(participants.map(readPlacement));
  let final: ShardMap | null = null;
  for (const p of all) if (p.map && (!final || p.map.epoch > final.epoch)) final = p.map;
  if (!final)
    return [
      { id: 'placement', name: 'every key on exactly one owner at the end (the final shard map)', ok: false, detail: 'no participant holds a shard map' },
    ];
  const map = final;
  const problem = shardMapProblem(map);
  const members = new Set(map.members.map((m) => m.id));
  const lagging = all.filter((p) => members.has(p.name) && (p.map?.epoch ?? 0) !== map.epoch).map((p) => `${p.name} at epoch ${p.map?.epoch ?? 'none'}`);
  const halfDone = all
    .filter((p) => members.has(p.name))
    .flatMap((p) => [...p.frozen.map((m) => `${p.name} frozen ${m.moveId}`), ...p.incoming.map((m) => `${p.name} incoming ${m.moveId}`)]);
  const holders = new Map<string, string[]>();
  for (const p of all) for (const k of p.keys) holders.set(k, [...(holders.get(k) ?? []), p.name]);
  const misplaced: string[] = [];
  let outside = 0;
  for (const [k, on] of holders) {
    const owner = ownerOfKey(map, k);
    const served = on.filter((n) => members.has(n));
    outside += on.length - served.length;
    if (served.length !== 1 || served[0] !== owner) misplaced.push(`${k} on ${served.join('+') || 'no member'} (owner ${owner})`);
  }
  const removed = all.filter((p) => !members.has(p.name)).map((p) => p.name);
  return [
    {
      id: 'map-agreed',
      name: 'the shard map agrees at the end: every member holds it, no move half-done',
      ok: problem === null && lagging.length === 0 && halfDone.length === 0,
      detail:
        `epoch ${map.epoch}, members ${[...members].join(',')}${removed.length ? ` (${removed.join(',')} out of the map)` : ''}; ` +
        `${lagging.length} lagging, ${halfDone.length} move marks left ${[...(problem ? [problem] : []), ...lagging, ...halfDone].slice(0, 3).join(' ')}`,
    },
    {
      id: 'placement',
      name: 'every key on exactly one owner at the end (the final shard map)',
      ok: misplaced.length === 0,
      measured: holders.size > 0,
      detail: `${holders.size} keys, ${misplaced.length} misplaced ${misplaced.slice(0, 3).join(' ')}${outside ? `; ${outside} unserved rows left on participants outside the map` : ''}`,
    },
  ];
}

/**
 * Outcomes an operator forced (dtx txn resolve --heuristic) are shown as such: they answer to a
 * person, not to the protocol, and may contradict what the owner decided — never folded into a pass.
 */
function heuristicCheck(decisions: ReadonlyMap<string, DecisionRecord>): CheckResult {
  const forced = [...decisions.values()].filter((d) => d.heuristic);
  return {
    id: 'heuristic',
    name: 'no heuristic outcome (forced by an operator)',
    ok: forced.length === 0,
    measured: decisions.size > 0,
    detail: `${forced.length} heuristic ${forced
      .slice(0, 3)
      .map((d) => `${d.txn}=${d.outcome} by ${d.heuristic!.by} ("${d.heuristic!.note}")`)
      .join(' ')}`,
  };
}
