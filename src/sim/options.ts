import type { PlantedBug } from '../runtime/plantedBugs.js';
import { PROTOCOLS, type ProtocolName } from '../protocol/types.js';

export const INVARIANTS = {
  'core-invariant': 'a protocol core threw InvariantViolation',
  'core-error': 'a protocol core or the runtime threw an unexpected error',
  atomicity: 'no txn committed at one participant and aborted at another (or at the coordinator); a participant told the opposite of its decision counts too',
  'decision-stable': 'a durable outcome never changes (coordinator decision, participant outcome)',
  'commit-without-decision': '2pc: a participant commits only what the coordinator durably decided to commit',
  'commit-without-votes': "3pc/nb: a participant commits only once every participant's YES is durable in its log",
  'vote-before-durable': 'a YES vote leaves only after the prepare record is durable',
  'precommit-before-durable': '3pc: a PreCommit ack (ok) leaves only after the pre-committed state is durable',
  'reply-before-durable': "a client hears COMMITTED (of a writing txn) only once it is durably committed by its protocol's rule",
  'client-outcome-stable': 'a client is never told two different outcomes for one writing txn',
  'committed-durable': 'COMMITTED told to a client is durable and applied by every writer',
  'committed-applied': 'a durably committed txn is applied by every participant it wrote on',
  'aborted-not-applied': 'ABORTED told to a client is not committed anywhere',
  'bank-read': 'every committed read of all accounts sums to the total, no balance below 0',
  'bank-total': 'the durable balances sum to the initial total',
  'bank-final-state': 'final balances = opening balances + exactly the durably committed transfers',
  'non-negative': 'no durable balance below 0',
  'lock-token-unique': "no lock's fencing token is granted twice (across lock service restarts too)",
  'lock-order': 'the resource sees the tokens of its writers in order (no overlapping holders)',
  'lock-writes': 'the resource holds exactly the committed fenced writes',
  'fence-monotonic': "a participant's fence high-water mark never goes down",
  recovery: 'a node recovers from its own log',
  contradiction: 'no node is sent a message that contradicts its state (it would refuse it and raise an alarm)',
  liveness: 'once faults heal, everything is decided everywhere, nothing prepared or locked remains',
  'client-protocol': 'the coordinator answers a well-formed client request',
  'single-owner': 'with several coordinators, only the owner of a transaction id writes its decision (the others forward)',
} as const;
export type InvariantName = keyof typeof INVARIANTS;

/** Which commit protocol a simulated cluster runs: one for every transaction, or 'mixed' (each picks one). */
export type ProtocolMode = ProtocolName | 'mixed';
export const PROTOCOL_MODES: readonly ProtocolMode[] = [...PROTOCOLS, 'mixed'];

/**
 * The kinds of fault the nemesis may inject. A seed draws an intensity for each (swarm
 * testing); a kind left out is never injected.
 *   loss: messages lost; dup: messages duplicated; delay: long message delays (20..400 ms);
 *   crash: crash + restart (unsynced writes partly lost); pause: a node stops for a while;
 *   partition: links cut for a while.
 * loss, delay, pause and partition all make a live node look dead to a timeout, which is
 * exactly what 3pc's termination protocol cannot tell from a crash.
 */
export type FaultKind = 'loss' | 'dup' | 'delay' | 'crash' | 'pause' | 'partition';
export const FAULT_KINDS: readonly FaultKind[] = ['loss', 'dup', 'delay', 'crash', 'pause', 'partition'];
/** Faults that never make a live node look dead: what plain 3pc is safe under. */
export const CRASH_ONLY: readonly FaultKind[] = ['dup', 'crash'];

export interface SimOptions {
  seed: number;
  /** Participants (default 3). */
  participants?: number;
  /** Coordinators c1..cN (default 1): clients call any of them; each forwards to an id's owner. */
  coordinators?: number;
  /** Commit protocol (default '2pc'). 'mixed': each transaction picks one from the seed. */
  protocol?: ProtocolMode;
  /** The fault kinds the nemesis may inject (default: all of FAULT_KINDS). */
  nemesis?: readonly FaultKind[];
  /**
   * How long a partition lasts, drawn uniformly in [min, max] simulated ms (default 100..2000).
   * Partitions longer than the RPC deadlines (2..5 s) are what splits 3pc's decisions.
   */
  partitionMs?: { min: number; max: number };
  /** A bug planted in the runtime or the storage layer (the checkers must catch it). */
  bug?: PlantedBug;
  /**
   * Participants keep a shard map and a reshard nemesis moves shards between them while the
   * workload runs (coordinators learn the map late or from refusals). Default false.
   */
  reshard?: boolean;
  /**
   * Every node collects finished records older than this window (simulated ms; retention.ts), and
   * clients retry some finished ids after it: a retry must be refused or told the same outcome,
   * never run again. Default: off.
   */
  retentionMs?: number;
  /** false: no faults at all (a baseline). Default true. */
  faults?: boolean;
  /** Length of the fault phase, during which clients submit (simulated ms; default 4000). */
  faultMs?: number;
  /** After the heal, how long everything may take to finish (simulated ms; default 30000). */
  livenessMs?: number;
  /** Closed-loop bank clients (default: 2..5 from the seed). */
  clients?: number;
  /** Closed-loop lock clients that take leases and write fenced (default: 0..2 from the seed). */
  lockClients?: number;
  /** Memory sizes instead of the seed's draw (scenarios): outcomes remembered, value cache keys. */
  memory?: { recentOutcomes: number; coordinatorRecent: number; cacheKeys: number };
  /** Trace lines kept for a failure report (default 200). */
  traceLines?: number;
  /** On a failure, replay the seed to collect the lines about the txns involved (default true). */
  focus?: boolean;
  /**
   * Check the persist-before-send rules at the moment a vote or client reply is emitted
   * (default true). When false, only consequences (atomicity, durability, bank, liveness)
   * are checked.
   */
  strictDurability?: boolean;
}

export interface Violation {
  invariant: InvariantName;
  message: string;
  atMs: number;
  /** The protocol of the (first) transaction the violation names, when it names one. */
  protocol?: ProtocolName;
}

export interface SimStats {
  events: number;
  simTimeMs: number;
  transfers: number;
  committed: number;
  aborted: number;
  audits: number;
  auditsChecked: number;
  /** Audits whose outcome came from GetTransaction without the values read (nothing to check). */
  auditsUnread: number;
  crashes: number;
  pauses: number;
  partitions: number;
  messages: number;
  lost: number;
  duplicated: number;
  lostUnsyncedBatches: number;
  /** Transfers told COMMITTED, by the protocol they ran. */
  committed2pc: number;
  committed3pc: number;
  committedNb: number;
  /** Participant terminations concluded (decided by asking the peers) and 3pc precommits. */
  terminations: number;
  precommits: number;
  /** Prepares answered from the value cache and outcome filter, and from the engine. */
  readsFromMemory: number;
  readsFromLog: number;
  /** Lock service: leases granted, fenced writes committed and refused as stale. */
  lockGrants: number;
  fencedWrites: number;
  staleWritesRefused: number;
  /** Read-only branches found restarted before the decision (their transaction aborted). */
  readOnlyRestarts: number;
  /** Reshard nemesis: shard moves completed, rolled back, and prepares refused for a moved shard. */
  shardMoves: number;
  shardMovesRolledBack: number;
  wrongShardRefusals: number;
}

export function emptyStats(): SimStats {
  return {
    events: 0,
    simTimeMs: 0,
    transfers: 0,
    committed: 0,
    aborted: 0,
    audits: 0,
    auditsChecked: 0,
    auditsUnread: 0,
    crashes: 0,
    pauses: 0,
    partitions: 0,
    messages: 0,
    lost: 0,
    duplicated: 0,
    lostUnsyncedBatches: 0,
    committed2pc: 0,
    committed3pc: 0,
    committedNb: 0,
    terminations: 0,
    precommits: 0,
    readsFromMemory: 0,
    readsFromLog: 0,
    lockGrants: 0,
    fencedWrites: 0,
    staleWritesRefused: 0,
    readOnlyRestarts: 0,
    shardMoves: 0,
    shardMovesRolledBack: 0,
    wrongShardRefusals: 0,
  };
}

/** Where each protocol's committed transfers are counted. */
export const COMMITTED_STAT: Record<ProtocolName, 'committed2pc' | 'committed3pc' | 'committedNb'> = {
  '2pc': 'committed2pc',
  '3pc': 'committed3pc',
  nb: 'committedNb',
};

/** Per-seed fault intensities ("swarm testing": each seed stresses a different mix). */
export interface FaultProfile {
  loss: number;
  dup: number;
  longDelay: number;
  crashPerSec: number;
  pausePerSec: number;
  partitionPerSec: number;
  /** Share of engine reads that stall (20..150 ms). */
  slowReads: number;
}

export interface SimResult {
  seed: number;
  protocol: ProtocolMode;
  ok: boolean;
  violation?: Violation;
  /** The last `traceLines` trace lines, oldest first. */
  trace: string[];
  /**
   * For a failure: the trace lines (of the whole run, found by replaying the seed) that name
   * the transactions in the violation message, plus every fault injected, oldest first.
   */
  focus?: string[];
  /** Hash of the whole trace: equal for two runs of one seed. */
  traceDigest: string;
  faults: FaultProfile;
  stats: SimStats;
}
