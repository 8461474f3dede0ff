/**
 * Deterministic simulation of a dtx cluster (FoundationDB / TigerBeetle VOPR style).
 *
 * One coordinator and N participants run the REAL protocol cores (CoordinatorCore,
 * ParticipantCore) inside simulated runtimes that execute their effects exactly like
 * src/node/coreDriver.ts does (effects in order; a blocking persist holds back every later
 * effect of its step until the write completes and 'persisted' was fed back), over:
 *   - a simulated clock: one discrete event queue ordered by (time, sequence);
 *   - a simulated network: every RPC request and response is a message with a random delay
 *     (hence reordering), maybe lost, maybe duplicated, dropped across partitions; calls have
 *     gRPC semantics (deadline, waitForReady while the peer is down, reset when it crashes);
 *   - simulated disks: LevelDB with group commit; unsynced writes partly lost on a crash;
 *   - crashes with restarts (recovery from the disk as the runtimes do) and pauses;
 *   - a bank workload of closed-loop clients (transfers and read-only audits).
 * Everything random comes from one seeded PRNG: a seed replays the same trace.
 */
import { DEFAULT_PROTOCOL } from '../protocol/protocols/index.js';
import {
  CoordinatorCore,
  type CoordinatorConfig,
  type CoordinatorEffect,
  type CoordinatorEvent,
  type CoordinatorReply,
  type TransactMessage,
} from '../protocol/coordinatorCore.js';
import { InvariantViolation } from '../protocol/invariant.js';
import {
  ParticipantCore,
  type ParticipantConfig,
  type ParticipantEffect,
  type ParticipantEvent,
  type ParticipantReply,
} from '../protocol/participantCore.js';
import type { DecisionRecord, ParticipantOutcomeRecord, ParticipantRecord, PrepareRecord } from '../protocol/records.js';
import type { DurableView } from '../protocol/commitProtocol.js';
import { rulesOf } from '../protocol/protocols/index.js';
import { ownerOf } from '../protocol/routing.js';
import {
  PROTOCOLS,
  type AbortCode,
  type NodeId,
  type OpResult,
  type Outcome,
  type ProtocolName,
  type StoredValue,
  type TxnAge,
  type TxnId,
  type TxnOp,
} from '../protocol/types.js';
import { SimDisk, type BatchOp } from './disk.js';
import { EventQueue } from './eventQueue.js';
import { Prng } from './prng.js';
import { CKEY, coordinatorBatch, parseJson, participantBatch, PKEY } from './records.js';
import { Trace } from './trace.js';

/** Ways to break the simulated RUNTIME (never the cores), to prove the checkers can fail. */
export const BUGS = {
  voteBeforeSync: "a participant's prepare write is not synced and its YES leaves before it is durable",
  replyBeforeDecisionDurable: "the coordinator answers the client COMMITTED before its decision persist completes",
  commitOnOneShard: "participant p1 silently drops some commit batches, yet reports them persisted and acks",
  voteErrorAsYes: "the coordinator's runtime turns a failed Prepare call (of a writing branch) into a YES vote: nb then answers COMMITTED without that YES in any log",
} as const;
export type BugName = keyof typeof BUGS;

export const INVARIANTS = {
  'core-invariant': 'a protocol core threw InvariantViolation',
  'core-error': 'a protocol core threw an unexpected error',
  atomicity:
    'no txn committed at one participant and aborted at another (or at the coordinator); a participant told the opposite of its decision counts too',
  'decision-stable': 'a durable outcome never changes (coordinator decision, participant outcome)',
  'commit-without-decision': '2pc: a participant commits only what the coordinator durably decided to commit',
  'commit-without-votes': '3pc/nb: a participant commits only once every participant\'s YES is durable in its log',
  'vote-before-durable': 'a YES vote leaves only after the prepare record is durable',
  'precommit-before-durable': '3pc: a PreCommit ack (ok) leaves only after the pre-committed state is durable',
  'reply-before-durable':
    'a client hears COMMITTED (of a writing txn) only once it is durable: 2pc the coordinator\'s decision; ' +
    '3pc the coordinator\'s decision, a participant\'s commit, or a participant\'s decision from a durable pre-commit; nb every participant\'s YES',
  'client-outcome-stable': 'a client is never told two different outcomes for one writing txn',
  'committed-durable': 'COMMITTED told to a client is durable at the coordinator and applied by every writer',
  'committed-applied': 'a durably committed txn is applied by every participant it wrote on',
  'aborted-not-applied': 'ABORTED told to a client is not committed anywhere',
  'bank-read': 'every committed read of all accounts sums to the total, no balance below 0',
  'bank-total': 'the durable balances sum to the initial total',
  'bank-final-state': 'final balances = opening balances + exactly the durably committed transfers',
  'non-negative': 'no durable balance below 0',
  recovery: 'a node recovers from its own log',
  liveness: 'once faults heal, everything is decided everywhere, nothing prepared or locked remains',
  'client-protocol': 'the coordinator answers a well-formed client request',
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
  /** Commit protocol (default '2pc'). 'mixed': each transaction picks one from the seed. */
  protocol?: ProtocolMode;
  /** The fault kinds the nemesis may inject (default: all of FAULT_KINDS). */
  nemesis?: readonly FaultKind[];
  /**
   * How long a partition lasts, drawn uniformly in [min, max] simulated ms (default 100..2000).
   * Partitions longer than the RPC deadlines (1..3 s) are what splits 3pc's decisions.
   */
  partitionMs?: { min: number; max: number };
  bug?: BugName;
  /** false: no faults at all (a baseline). Default true. */
  faults?: boolean;
  /** Length of the fault phase, during which clients submit (simulated ms; default 4000). */
  faultMs?: number;
  /** After the heal, how long everything may take to finish (simulated ms; default 30000). */
  livenessMs?: number;
  /** Closed-loop clients (default: 2..5 from the seed). */
  clients?: number;
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
  auditsExempt: number;
  /** Audits whose outcome came from GetTransaction without the values read (nothing to check). */
  auditsUnread: number;
  crashes: number;
  pauses: number;
  partitions: number;
  messages: number;
  lost: number;
  duplicated: number;
  lostUnsyncedBatches: number;
  bugHits: number;
  /** Transfers told COMMITTED, by the protocol they ran. */
  committed2pc: number;
  committed3pc: number;
  committedNb: number;
  /** Participant terminations concluded (decided by asking the peers) and 3pc precommits. */
  terminations: number;
  precommits: number;
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
    auditsExempt: 0,
    auditsUnread: 0,
    crashes: 0,
    pauses: 0,
    partitions: 0,
    messages: 0,
    lost: 0,
    duplicated: 0,
    lostUnsyncedBatches: 0,
    bugHits: 0,
    committed2pc: 0,
    committed3pc: 0,
    committedNb: 0,
    terminations: 0,
    precommits: 0,
  };
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

/** Per-seed fault intensities ("swarm testing": each seed stresses a different mix). */
export interface FaultProfile {
  loss: number;
  dup: number;
  longDelay: number;
  crashPerSec: number;
  pausePerSec: number;
  partitionPerSec: number;
}

class SimFailure extends Error {}

interface Endpoint {
  id: string;
  up: boolean;
  inc: number;
  pausedUntil: number;
  /** Server side of RPCs in progress: what to do if this node crashes. */
  inbound: Map<number, () => void>;
}

interface PNode extends Endpoint {
  kind: 'participant';
  core: ParticipantCore | null;
  disk: SimDisk;
  replies: Map<number, (r: ParticipantReply) => void>;
}

interface PendingClientReply {
  kind: 'transact' | 'query';
  txn: TxnId;
  respond: (r: CoordinatorReply) => void;
}

interface CNode extends Endpoint {
  kind: 'coordinator';
  core: CoordinatorCore | null;
  disk: SimDisk;
  replies: Map<number, PendingClientReply | { kind: 'inquiry'; respond: (r: CoordinatorReply) => void }>;
  /** The runtime's timeoutOf map: a prepare RPC's deadline is its txn's timeout. */
  timeoutOf: Map<TxnId, number>;
}

interface ClientTxn {
  id: TxnId;
  client: number;
  kind: 'transfer' | 'audit';
  msg: TransactMessage;
  /** The participants its ops route to (the coordinator's branches). */
  participants: NodeId[];
  deltas: Map<string, bigint>;
  told: Outcome | null;
  code?: AbortCode | undefined;
  results: OpResult[] | null;
  submits: number;
  queries: number;
  /** A participant restarted while holding this audit's read locks (README: reads may then not be one snapshot). */
  exempt: boolean;
  conflictRetries: number;
}

const INITIAL_BALANCE = 50n;
const ACCOUNTS_PER_PARTICIPANT = 2;
const COORDINATOR = 'c1';
const CLIENT = 'client';
/** Deadline of the calls that do not wait for a peer to come up (state queries, PreCommit, peer decisions). */
const SIDE_CALL_DEADLINE_MS = 1000;

/** Where each protocol's committed transfers are counted. */
const COMMITTED_STAT: Record<ProtocolName, 'committed2pc' | 'committed3pc' | 'committedNb'> = {
  '2pc': 'committed2pc',
  '3pc': 'committed3pc',
  nb: 'committedNb',
};

function jsonReplacer(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

/**
 * An unexpected error with its stack, cut below the simulation's own run loop: the frames of
 * whoever called simulate() differ between a run and its replay, and the message is traced.
 */
function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const lines = (err.stack ?? err.message).split('\n');
  const cut = lines.findIndex((l) => /Simulation\.(run|drain)\b/.test(l));
  return (cut >= 0 ? lines.slice(0, cut + 1) : lines).join('\n');
}

function digestOf(ops: TxnOp[]): string {
  const s = JSON.stringify(ops, jsonReplacer);
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return `${(h >>> 0).toString(36)}-${s.length}`;
}

export class Simulation {
  readonly seed: number;
  private readonly rng: Prng;
  private readonly q = new EventQueue();
  private now = 0;
  private readonly trace: Trace;
  private violation: Violation | null = null;
  private readonly bug: BugName | undefined;
  private readonly strict: boolean;
  readonly protocolMode: ProtocolMode;
  /** Draws each transaction's protocol in 'mixed' mode (a separate stream: the main one does not shift). */
  private readonly protocolRng: Prng;
  private readonly faultMs: number;
  private readonly livenessMs: number;
  private readonly partitionMs: { min: number; max: number };
  readonly profile: FaultProfile;
  private faultsOn: boolean;
  private readonly cuts = new Set<string>();
  private nextHandle = 1;
  private events = 0;

  private readonly pids: NodeId[];
  private readonly P = new Map<NodeId, PNode>();
  private readonly C: CNode;
  private readonly clientEp: Endpoint = { id: CLIENT, up: true, inc: 0, pausedUntil: 0, inbound: new Map() };
  private readonly pCfg: ParticipantConfig;
  private readonly cCfg: CoordinatorConfig;

  private readonly accounts: string[] = [];
  private readonly total: bigint;
  private readonly txns = new Map<TxnId, ClientTxn>();
  private txnCounter = 0;
  private readonly clients: number;

  // What the checkers know of durable state, updated as writes become durable.
  private readonly pOutcomes = new Map<TxnId, Map<NodeId, Outcome>>();
  private readonly cDecisions = new Map<TxnId, Outcome>();

  private readonly stats: SimStats = emptyStats();

  constructor(opts: SimOptions) {
    this.seed = opts.seed;
    this.rng = new Prng(opts.seed);
    this.trace = new Trace(opts.traceLines ?? 200);
    this.bug = opts.bug;
    this.strict = opts.strictDurability ?? true;
    this.protocolMode = opts.protocol ?? DEFAULT_PROTOCOL;
    if (!PROTOCOL_MODES.includes(this.protocolMode)) throw new Error(`unknown protocol ${String(this.protocolMode)}`);
    this.protocolRng = new Prng((opts.seed ^ 0x5bd1e995) >>> 0);
    const kinds = new Set<FaultKind>(opts.nemesis ?? FAULT_KINDS);
    for (const k of kinds) if (!FAULT_KINDS.includes(k)) throw new Error(`unknown fault kind ${String(k)}`);
    this.faultMs = opts.faultMs ?? 4000;
    this.partitionMs = opts.partitionMs ?? { min: 100, max: 2000 };
    if (!(this.partitionMs.min >= 0 && this.partitionMs.max >= this.partitionMs.min)) throw new Error('partitionMs: need 0 <= min <= max');
    this.livenessMs = opts.livenessMs ?? 30_000;
    this.faultsOn = opts.faults ?? true;
    const r = this.rng;
    // Every intensity is drawn even for a kind left out, so that a seed gives each kind it keeps
    // the same intensity whichever other kinds are chosen.
    const none: FaultProfile = { loss: 0, dup: 0, longDelay: 0, crashPerSec: 0, pausePerSec: 0, partitionPerSec: 0 };
    const drawn: FaultProfile = this.faultsOn
      ? {
          loss: r.chance(0.3) ? 0 : r.float() * 0.08,
          dup: r.chance(0.3) ? 0 : r.float() * 0.1,
          longDelay: r.float() * 0.1,
          crashPerSec: r.chance(0.2) ? 0 : r.float() * 1.5,
          pausePerSec: r.chance(0.3) ? 0 : r.float() * 0.8,
          partitionPerSec: r.chance(0.3) ? 0 : r.float() * 0.8,
        }
      : none;
    this.profile = this.faultsOn
      ? {
          loss: kinds.has('loss') ? drawn.loss : 0,
          dup: kinds.has('dup') ? drawn.dup : 0,
          longDelay: kinds.has('delay') ? drawn.longDelay : 0,
          crashPerSec: kinds.has('crash') ? drawn.crashPerSec : 0,
          pausePerSec: kinds.has('pause') ? drawn.pausePerSec : 0,
          partitionPerSec: kinds.has('partition') ? drawn.partitionPerSec : 0,
        }
      : none;
    const n = opts.participants ?? 3;
    if (n < 1 || n > 16) throw new Error('participants must be 1..16');
    this.pids = Array.from({ length: n }, (_, i) => `p${i + 1}`);
    this.clients = opts.clients ?? r.int(2, 5);
    this.pCfg = {
      inquireAfterMs: 300,
      inquireMaxBackoffMs: 2000,
      maxLockWaiters: 1000,
      recentOutcomes: r.chance(0.3) ? r.int(1, 4) : 10_000,
    };
    this.cCfg = {
      participants: this.pids,
      // The simulated network routes by node id: a participant's address is its id.
      participantAddrs: Object.fromEntries(this.pids.map((id) => [id, id])),
      selfAddr: `sim://${COORDINATOR}`,
      precommitTimeoutMs: 400,
      maxLockWaitMs: 200,
      resendMinMs: 100,
      resendMaxMs: 2000,
      maxActiveTxns: 10_000,
      recentOutcomes: r.chance(0.3) ? r.int(1, 4) : 10_000,
    };

    // Accounts: ACCOUNTS_PER_PARTICIPANT on each participant, found through the real routing.
    const perOwner = new Map<string, number>();
    for (let i = 0; this.accounts.length < ACCOUNTS_PER_PARTICIPANT * n && i < 100_000; i++) {
      const k = `acct${i}`;
      const own = ownerOf(k, this.pids);
      if ((perOwner.get(own) ?? 0) < ACCOUNTS_PER_PARTICIPANT) {
        perOwner.set(own, (perOwner.get(own) ?? 0) + 1);
        this.accounts.push(k);
      }
    }
    this.total = INITIAL_BALANCE * BigInt(this.accounts.length);

    for (const id of this.pids) {
      const node: PNode = {
        id,
        kind: 'participant',
        up: false,
        inc: 0,
        pausedUntil: 0,
        inbound: new Map(),
        core: null,
        replies: new Map(),
        disk: null as unknown as SimDisk,
      };
      node.disk = this.makeDisk(node);
      node.disk.preload(
        this.accounts
          .filter((k) => ownerOf(k, this.pids) === id)
          .map((k): BatchOp => ({
            type: 'put',
            key: PKEY.data(k),
            value: JSON.stringify({ value: INITIAL_BALANCE.toString(), version: 1 } satisfies StoredValue),
          })),
      );
      this.P.set(id, node);
    }
    const c: CNode = {
      id: COORDINATOR,
      kind: 'coordinator',
      up: false,
      inc: 0,
      pausedUntil: 0,
      inbound: new Map(),
      core: null,
      replies: new Map(),
      timeoutOf: new Map(),
      disk: null as unknown as SimDisk,
    };
    c.disk = this.makeDisk(c);
    this.C = c;
  }

  // ---------------------------------------------------------------- running

  run(): SimResult {
    try {
      this.log('sim', `seed ${this.seed} protocol=${this.protocolMode} participants=${this.pids.join(',')} accounts=${this.accounts.join(',')} clients=${this.clients}` +
        ` faults=${JSON.stringify(this.profile, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v * 1000) / 1000 : v))}` +
        (this.bug ? ` bug=${this.bug}` : ''));
      for (const p of this.P.values()) this.startParticipant(p);
      this.startCoordinator();
      for (let i = 0; i < this.clients; i++) this.at(this.rng.int(0, 50), () => this.nextTxn(i, null));
      if (this.faultsOn) this.nemesisTick();
      this.at(this.faultMs, () => this.heal());
      this.drain(this.faultMs + this.livenessMs);
      if (!this.violation) {
        // Then a power loss: every node crashes at once, losing whatever was not synced, and
        // restarts. What was promised must come back from the logs alone.
        this.log('nem', 'POWER LOSS: every node crashes, losing unsynced writes, and restarts');
        for (const n of [this.C, ...this.P.values()]) if (n.up) this.crash(n, false);
        this.drain(this.now + this.livenessMs);
      }
      if (!this.violation) this.finalChecks();
    } catch (err) {
      if (!(err instanceof SimFailure)) {
        this.violation ??= {
          invariant: 'core-error',
          message: `simulator error: ${describeError(err)}`,
          atMs: this.now,
        };
      }
    }
    this.stats.events = this.events;
    this.stats.simTimeMs = this.now;
    this.stats.lostUnsyncedBatches = [...this.P.values(), this.C].reduce((s, n) => s + n.disk.stats.lostOnCrash, 0);
    for (const p of this.P.values()) this.countCore(p);
    if (this.violation) this.log('sim', `VIOLATION ${this.violation.invariant}: ${this.violation.message}`);
    return {
      seed: this.seed,
      protocol: this.protocolMode,
      ok: this.violation === null,
      ...(this.violation ? { violation: this.violation } : {}),
      trace: this.trace.tail(),
      traceDigest: this.trace.digest,
      faults: this.profile,
      stats: this.stats,
    };
  }

  private at(time: number, fn: () => void): void {
    this.q.push(Math.max(time, this.now), fn);
  }

  /** Runs `fn` on `node` after `delay`, if it is still the same incarnation; a paused node runs it late. */
  private onNode(node: Endpoint, inc: number, delay: number, fn: () => void): void {
    const wrapped = (): void => {
      if (!node.up || node.inc !== inc) return;
      if (this.now < node.pausedUntil) {
        this.q.push(node.pausedUntil, wrapped);
        return;
      }
      fn();
    };
    this.q.push(this.now + Math.max(0, delay), wrapped);
  }

  private log(who: string, text: string): void {
    this.trace.add(`${String(this.now).padStart(6)} ${who.padEnd(5)} ${text}`);
  }

  private fail(invariant: InvariantName, message: string): never {
    if (!this.violation) {
      const named = (message.match(/\bt[0-9]+\b/g) ?? []).map((id) => this.txns.get(id)).find((t) => t !== undefined);
      this.violation = { invariant, message, atMs: this.now, ...(named ? { protocol: named.msg.protocol } : {}) };
    }
    throw new SimFailure(message);
  }

  /** Adds a participant core's termination counters to the stats (before the core is dropped). */
  private countCore(n: PNode): void {
    if (!n.core) return;
    this.stats.terminations += n.core.counters.terminatedHere;
    this.stats.precommits += n.core.counters.precommitted;
  }

  private makeDisk(node: Endpoint): SimDisk {
    return new SimDisk({
      schedule: (delay, fn) => this.at(this.now + delay, fn),
      latency: (sync) => (sync ? this.rng.int(1, 12) : this.rng.int(0, 1)),
      onDurable: (ops) => this.onDurable(node, ops),
      deliver: (fn) => this.onNode(node, node.inc, 0, fn),
    });
  }

  // ---------------------------------------------------------------- network

  private linkKey(a: string, b: string): string {
    return a < b ? `${a}|${b}` : `${b}|${a}`;
  }

  private partitioned(a: string, b: string): boolean {
    return this.cuts.size > 0 && this.cuts.has(this.linkKey(a, b));
  }

  /** One one-way message: maybe lost, maybe duplicated, delayed at random (reordering). */
  private transmit(from: string, to: string, what: string, deliver: (copy: number) => void): void {
    this.stats.messages++;
    if (this.faultsOn && (this.partitioned(from, to) || this.rng.chance(this.profile.loss))) {
      this.stats.lost++;
      this.log('net', `${from}->${to} ${what} LOST${this.partitioned(from, to) ? ' (partition)' : ''}`);
      return;
    }
    const copies = this.faultsOn && this.rng.chance(this.profile.dup) ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let copy = 0; copy < copies; copy++) {
      const delay = this.faultsOn && this.rng.chance(this.profile.longDelay) ? this.rng.int(20, 400) : this.rng.int(1, 8);
      this.at(this.now + delay, () => {
        if (this.faultsOn && this.partitioned(from, to)) {
          this.stats.lost++;
          this.log('net', `${from}->${to} ${what} LOST in flight (partition)`);
          return;
        }
        deliver(copy);
      });
    }
  }

  /**
   * A unary RPC with gRPC semantics: the caller gets exactly one result — the reply, or an
   * error at its deadline (lost message, partition, peer down: waitForReady waits) or soon
   * after the peer crashed mid-call. A duplicated request or reply is a second delivery
   * (as if the caller had sent it twice): its reply reaches the caller as well, late or not.
   */
  private rpc<R>(o: {
    from: Endpoint;
    to: Endpoint;
    deadlineMs: number;
    what: string;
    serve: (handle: number, respond: (r: R) => void) => void;
    onReply: (r: R) => void;
    onError: (why: string) => void;
    /**
     * gRPC's waitForReady (default true): while the peer is down the call waits for it until
     * the deadline. Without it, a call that finds the peer down fails at once (UNAVAILABLE).
     */
    waitForReady?: boolean;
    /**
     * Exactly one result (default false): duplicated requests and replies still happen on the
     * wire, but only the call's own reply (or its error) reaches the caller, as a real client
     * sees it. For the calls whose answer the core expects once per request.
     */
    once?: boolean;
  }): void {
    const { from, to } = o;
    const callerInc = from.inc;
    const sentAt = this.now;
    let settled = false;
    const error = (why: string): void => {
      if (settled) return;
      settled = true;
      this.log(from.id, `${o.what} -> ${to.id} failed: ${why}`);
      o.onError(why);
    };
    this.onNode(from, callerInc, o.deadlineMs, () => error('DEADLINE_EXCEEDED'));
    const arrive = (ghost: boolean): void => {
      if (!to.up) {
        if (o.waitForReady === false) {
          // Connection refused: the caller hears it after a round trip.
          if (!ghost) this.onNode(from, callerInc, this.rng.int(1, 8), () => error('UNAVAILABLE (peer down)'));
          return;
        }
        // waitForReady: the channel keeps trying to connect until the deadline.
        if (this.now + 50 < sentAt + o.deadlineMs) this.at(this.now + 50, () => arrive(ghost));
        return;
      }
      this.onNode(to, to.inc, 0, () => {
        const handle = this.nextHandle++;
        let answered = false;
        to.inbound.set(handle, () => {
          if (!ghost) this.onNode(from, callerInc, this.rng.int(1, 20), () => error('UNAVAILABLE (connection reset)'));
        });
        o.serve(handle, (reply: R) => {
          if (answered) return;
          answered = true;
          to.inbound.delete(handle);
          this.transmit(to.id, from.id, `${o.what} reply`, (copy) => {
            this.onNode(from, callerInc, 0, () => {
              if (!ghost && copy === 0) {
                if (settled) return;
                settled = true;
              } else if (o.once) {
                return;
              }
              o.onReply(reply);
            });
          });
        });
      });
    };
    this.transmit(from.id, to.id, o.what, (copy) => arrive(copy > 0));
  }

  // ---------------------------------------------------------------- participants

  private startParticipant(n: PNode): void {
    n.up = true;
    n.core = new ParticipantCore(n.id, this.pCfg);
    const prepared = n.disk.scan(PKEY.preparePrefix).map(([, v]) => JSON.parse(v) as PrepareRecord);
    this.log(n.id, `start #${n.inc}: recover ${prepared.length} prepared [${prepared.map((p) => p.txn).join(',')}]`);
    this.stepP(n, { type: 'recover', prepared });
  }

  private stepP(n: PNode, ev: ParticipantEvent): void {
    if (!n.core) return;
    let effs: ParticipantEffect[];
    try {
      effs = n.core.step(ev, this.now);
    } catch (err) {
      this.coreFailed(n.id, ev.type, err);
    }
    const shown = effs.map(describePEffect).filter(Boolean);
    this.log(n.id, `${describePEvent(ev)}${shown.length ? ` => ${shown.join('; ')}` : ''}`);
    this.runP(n, effs, 0);
  }

  private runP(n: PNode, effs: ParticipantEffect[], from: number): void {
    const inc = n.inc;
    for (let i = from; i < effs.length; i++) {
      if (!n.up || n.inc !== inc) return;
      const e = effs[i]!;
      switch (e.type) {
        case 'reply': {
          if (e.reply.kind === 'vote' && e.reply.vote.kind === 'YES' && this.strict) this.checkYesDurable(n, e.reply.txn);
          if (e.reply.kind === 'precommitAck' && e.reply.ok && this.strict) this.checkPrecommitDurable(n, e.reply.txn);
          const r = n.replies.get(e.to);
          if (r) {
            n.replies.delete(e.to);
            r(e.reply);
          }
          break;
        }
        case 'read': {
          const { txn, keys } = e;
          this.onNode(n, inc, this.rng.int(0, 2), () => {
            const values = new Map<string, StoredValue>();
            for (const k of keys) {
              const v = parseJson<StoredValue>(n.disk.get(PKEY.data(k)));
              if (v) values.set(k, v);
            }
            const finished = parseJson<ParticipantOutcomeRecord>(n.disk.get(PKEY.outcome(txn)));
            this.stepP(n, { type: 'readDone', txn, values, finished });
          });
          break;
        }
        case 'persist': {
          const record = e.record;
          const persisted = (): void => this.stepP(n, { type: 'persisted', record });
          if (this.bug === 'voteBeforeSync' && record.kind === 'prepare') {
            this.stats.bugHits++;
            this.log(n.id, `BUG voteBeforeSync: prepare of ${record.record.txn} written unsynced, reported persisted now`);
            n.disk.append(participantBatch(record), false, null, null);
            persisted();
            break;
          }
          if (this.bug === 'commitOnOneShard' && record.kind === 'commit' && n.id === this.pids[0] && this.rng.chance(0.5)) {
            this.stats.bugHits++;
            this.log(n.id, `BUG commitOnOneShard: commit batch of ${record.txn} dropped, reported persisted`);
            persisted();
            break;
          }
          const rest = i + 1;
          // Every participant persist blocks (coreDriver: isBlocking = persist).
          n.disk.append(participantBatch(record), e.sync, persisted, () => this.runP(n, effs, rest));
          return;
        }
        case 'setTimer': {
          const timer = e.timer;
          this.onNode(n, inc, e.at - this.now, () => this.stepP(n, { type: 'timer', timer }));
          break;
        }
        case 'inquire': {
          const txn = e.txn;
          this.rpc<CoordinatorReply>({
            from: n,
            to: this.C,
            deadlineMs: 3000,
            what: `GetTransaction(${txn})`,
            // As the node runtime: fail fast on a dead coordinator, so that termination starts at once.
            waitForReady: false,
            serve: (handle, respond) => {
              this.C.replies.set(handle, { kind: 'inquiry', respond });
              this.stepC({ type: 'query', replyTo: handle, txn });
            },
            onReply: (r) => {
              if (r.kind === 'rejected') {
                this.stepP(n, { type: 'inquiryResult', txn, outcome: 'UNREACHABLE' });
                return;
              }
              // As the node runtime: PENDING while the coordinator runs it; UNDECIDED when it has no record.
              const outcome = r.outcome === 'COMMITTED' || r.outcome === 'ABORTED' ? r.outcome : r.inProgress ? 'PENDING' : 'UNDECIDED';
              this.stepP(n, { type: 'inquiryResult', txn, outcome });
            },
            onError: () => this.stepP(n, { type: 'inquiryResult', txn, outcome: 'UNREACHABLE' }),
          });
          break;
        }
        case 'checkOutcome': {
          const { txn, replyTo } = e;
          this.onNode(n, inc, this.rng.int(0, 2), () => {
            const finished = parseJson<ParticipantOutcomeRecord>(n.disk.get(PKEY.outcome(txn)));
            this.stepP(n, { type: 'outcomeChecked', txn, replyTo, finished });
          });
          break;
        }
        case 'queryPeer': {
          const { txn, to, abortIfUnvoted } = e;
          const peer = this.peerOf(n, to, e.addr);
          this.rpc<ParticipantReply>({
            from: n,
            to: peer,
            deadlineMs: SIDE_CALL_DEADLINE_MS,
            what: `GetTxnState(${txn}${abortIfUnvoted ? '' : ', no abort'})`,
            waitForReady: false,
            once: true,
            serve: (handle, respond) => {
              peer.replies.set(handle, respond);
              this.stepP(peer, { type: 'stateQuery', replyTo: handle, txn, abortIfUnvoted });
            },
            onReply: (r) => {
              if (r.kind !== 'state') this.fail('client-protocol', `GetTxnState(${txn}) to ${to} answered with ${r.kind}`);
              this.stepP(n, { type: 'peerState', txn, from: to, state: r.state, recovered: r.recovered });
            },
            onError: () => this.stepP(n, { type: 'peerState', txn, from: to, state: 'UNREACHABLE' }),
          });
          break;
        }
        case 'sendPeer': {
          const { txn, to, message } = e;
          const peer = this.peerOf(n, to, e.addr);
          if (message === 'precommit') {
            this.rpc<ParticipantReply>({
              from: n,
              to: peer,
              deadlineMs: SIDE_CALL_DEADLINE_MS,
              what: `PreCommit(${txn}) from backup`,
              waitForReady: false,
              once: true,
              serve: (handle, respond) => {
                peer.replies.set(handle, respond);
                this.stepP(peer, { type: 'precommit', replyTo: handle, txn });
              },
              onReply: (r) => {
                if (r.kind !== 'precommitAck') this.fail('client-protocol', `PreCommit(${txn}) to ${to} answered with ${r.kind}`);
                this.stepP(n, { type: 'peerPrecommitted', txn, from: to, result: r.ok ? 'ok' : 'refused' });
              },
              onError: () => this.stepP(n, { type: 'peerPrecommitted', txn, from: to, result: 'unreachable' }),
            });
            break;
          }
          // A decision to a peer: fire and forget (the peer would find out by asking).
          const outcome: Outcome = message === 'commit' ? 'COMMITTED' : 'ABORTED';
          this.rpc<ParticipantReply>({
            from: n,
            to: peer,
            deadlineMs: SIDE_CALL_DEADLINE_MS,
            what: `${message === 'commit' ? 'Commit' : 'Abort'}(${txn}) from peer`,
            waitForReady: false,
            serve: (handle, respond) => {
              peer.replies.set(handle, respond);
              this.stepP(peer, { type: 'decision', replyTo: handle, txn, outcome });
            },
            onReply: () => undefined,
            onError: () => undefined,
          });
          break;
        }
        case 'log':
          break;
      }
    }
  }

  /** The participant a peer call goes to; the simulated network routes by id, and the address must be that id. */
  private peerOf(n: PNode, to: NodeId, addr: string): PNode {
    const peer = this.P.get(to);
    if (!peer || to === n.id) this.fail('client-protocol', `${n.id} calls unknown or self participant ${to}`);
    if (addr !== to) this.fail('client-protocol', `${n.id} calls ${to} at address '${addr}', which is not its address`);
    return peer;
  }

  // ---------------------------------------------------------------- coordinator

  private startCoordinator(): void {
    const c = this.C;
    c.up = true;
    c.core = new CoordinatorCore(COORDINATOR, this.cCfg);
    c.timeoutOf.clear();
    const ids = c.disk.scan(CKEY.unfinishedPrefix).map(([k]) => k.slice(CKEY.unfinishedPrefix.length));
    const pending = ids.map((id) => {
      const d = parseJson<DecisionRecord>(c.disk.get(CKEY.decision(id)));
      if (!d) this.fail('recovery', `coordinator log corrupt: unfinished marker for ${id} without its decision`);
      return d;
    });
    this.log(c.id, `start #${c.inc}: re-drive ${pending.length} [${ids.join(',')}]`);
    this.stepC({ type: 'recover', pending });
  }

  private stepC(ev: CoordinatorEvent): void {
    const c = this.C;
    if (!c.core) return;
    let effs: CoordinatorEffect[];
    try {
      effs = c.core.step(ev, this.now);
    } catch (err) {
      this.coreFailed(c.id, ev.type, err);
    }
    const shown = effs.map(describeCEffect).filter(Boolean);
    this.log(c.id, `${describeCEvent(ev)}${shown.length ? ` => ${shown.join('; ')}` : ''}`);
    this.runC(effs, 0);
  }

  private runC(effs: CoordinatorEffect[], from: number): void {
    const c = this.C;
    const inc = c.inc;
    for (let i = from; i < effs.length; i++) {
      if (!c.up || c.inc !== inc) return;
      const e = effs[i]!;
      switch (e.type) {
        case 'reply': {
          const pending = c.replies.get(e.to);
          if (!pending) break;
          c.replies.delete(e.to);
          if (pending.kind === 'transact' && this.strict) this.checkReplyDurable(e.reply);
          pending.respond(e.reply);
          break;
        }
        case 'lookup': {
          const txn = e.txn;
          this.onNode(c, inc, this.rng.int(0, 2), () =>
            this.stepC({ type: 'lookupDone', txn, record: parseJson<DecisionRecord>(c.disk.get(CKEY.decision(txn))) }),
          );
          break;
        }
        case 'send':
          this.send(e.to, e.message);
          break;
        case 'persist': {
          const record = e.record;
          const persisted = (): void => this.stepC({ type: 'persisted', record });
          if (
            this.bug === 'replyBeforeDecisionDurable' &&
            record.kind === 'decision' &&
            record.record.outcome === 'COMMITTED' &&
            e.sync
          ) {
            const d = record.record;
            for (const [h, p] of [...c.replies]) {
              if (p.kind !== 'transact' || p.txn !== d.txn) continue;
              this.stats.bugHits++;
              this.log(c.id, `BUG replyBeforeDecisionDurable: client of ${d.txn} told COMMITTED before the decision is durable`);
              c.replies.delete(h);
              const reply: CoordinatorReply = {
                kind: 'outcome',
                txn: d.txn,
                outcome: 'COMMITTED',
                reason: '',
                results: d.results,
                participants: d.participants,
              };
              if (this.strict) this.checkReplyDurable(reply);
              p.respond(reply);
            }
          }
          if (!e.sync) {
            // Not blocking (coreDriver: isBlocking = persist && sync): 'persisted' comes back later.
            c.disk.append(coordinatorBatch(record), false, persisted, null);
            break;
          }
          const rest = i + 1;
          c.disk.append(coordinatorBatch(record), true, persisted, () => this.runC(effs, rest));
          return;
        }
        case 'setTimer': {
          const timer = e.timer;
          this.onNode(c, inc, e.at - this.now, () => this.stepC({ type: 'timer', timer }));
          break;
        }
        case 'log':
          break;
      }
    }
  }

  private send(to: NodeId, m: Extract<CoordinatorEffect, { type: 'send' }>['message']): void {
    const c = this.C;
    const p = this.P.get(to);
    if (!p) this.fail('client-protocol', `coordinator sends to unknown participant ${to}`);
    if (m.kind === 'prepare') {
      const msg = structuredClone(m.msg);
      const txn = msg.txn;
      this.rpc<ParticipantReply>({
        from: c,
        to: p,
        deadlineMs: c.timeoutOf.get(txn) ?? 5000,
        what: `Prepare(${txn})`,
        serve: (handle, respond) => {
          if (msg.participants.length > 0 && !msg.participants.includes(p.id)) {
            this.fail('client-protocol', `prepare of ${txn} for ${msg.participants.join(',')} reached ${p.id}: misrouted`);
          }
          p.replies.set(handle, respond);
          this.stepP(p, { type: 'prepare', replyTo: handle, msg: structuredClone(msg) });
        },
        onReply: (r) => {
          if (r.kind !== 'vote') this.fail('client-protocol', `prepare of ${txn} answered with ${r.kind}`);
          this.stepC({ type: 'vote', txn, from: to, vote: structuredClone(r.vote) });
        },
        onError: (why) => {
          if (this.bug === 'voteErrorAsYes' && msg.ops.some((op) => op.type !== 'get')) {
            this.stats.bugHits++;
            this.log(c.id, `BUG voteErrorAsYes: failed Prepare(${txn}) to ${to} taken as YES`);
            const results = msg.ops.map((op) => ({ key: op.key, found: false, value: '', version: 0 }));
            this.stepC({ type: 'vote', txn, from: to, vote: { kind: 'YES', results } });
            return;
          }
          this.stepC({
            type: 'vote',
            txn,
            from: to,
            vote: { kind: 'NO', reason: `unreachable or failed: ${why}`, code: 'UNAVAILABLE_PARTICIPANT' },
          });
        },
      });
      return;
    }
    const txn = m.txn;
    if (m.kind === 'precommit') {
      this.rpc<ParticipantReply>({
        from: c,
        to: p,
        deadlineMs: SIDE_CALL_DEADLINE_MS,
        what: `PreCommit(${txn})`,
        waitForReady: false,
        serve: (handle, respond) => {
          p.replies.set(handle, respond);
          this.stepP(p, { type: 'precommit', replyTo: handle, txn });
        },
        onReply: (r) => {
          if (r.kind !== 'precommitAck') this.fail('client-protocol', `PreCommit(${txn}) to ${to} answered with ${r.kind}`);
          this.stepC({ type: 'precommitAck', txn, from: to, ok: r.ok });
        },
        onError: () => undefined, // no answer: the coordinator's precommitTimeout decides
      });
      return;
    }
    if (m.kind === 'query') {
      this.rpc<ParticipantReply>({
        from: c,
        to: p,
        deadlineMs: SIDE_CALL_DEADLINE_MS,
        what: `GetTxnState(${txn}${m.abortIfUnvoted ? '' : ', probe'})`,
        waitForReady: false,
        once: true,
        serve: (handle, respond) => {
          p.replies.set(handle, respond);
          this.stepP(p, { type: 'stateQuery', replyTo: handle, txn, abortIfUnvoted: m.abortIfUnvoted });
        },
        onReply: (r) => {
          if (r.kind !== 'state') this.fail('client-protocol', `GetTxnState(${txn}) to ${to} answered with ${r.kind}`);
          const answer = { state: r.state, protocol: r.protocol, participants: [...r.participants], results: structuredClone(r.results) };
          this.stepC({ type: 'txnState', txn, from: to, answer });
        },
        onError: () =>
          this.stepC({ type: 'txnState', txn, from: to, answer: { state: 'UNREACHABLE', protocol: null, participants: [], results: [] } }),
      });
      return;
    }
    if (m.kind === 'release') {
      this.rpc<ParticipantReply>({
        from: c,
        to: p,
        deadlineMs: 5000,
        what: `ReleaseReadOnly(${txn})`,
        once: true,
        serve: (handle, respond) => {
          p.replies.set(handle, respond);
          this.stepP(p, { type: 'release', replyTo: handle, txn });
        },
        onReply: (r) => {
          if (r.kind !== 'ack') this.fail('client-protocol', `ReleaseReadOnly(${txn}) to ${to} answered with ${r.kind}`);
          this.stepC({ type: 'ack', txn, from: to, known: r.known });
        },
        onError: () => undefined, // the prepare timeout aborts it
      });
      return;
    }
    const outcome: Outcome = m.kind === 'commit' ? 'COMMITTED' : 'ABORTED';
    this.rpc<ParticipantReply>({
      from: c,
      to: p,
      deadlineMs: 5000,
      what: `${m.kind === 'commit' ? 'Commit' : 'Abort'}(${txn})`,
      serve: (handle, respond) => {
        p.replies.set(handle, respond);
        this.stepP(p, { type: 'decision', replyTo: handle, txn, outcome });
      },
      onReply: () => {
        if (m.kind === 'commit') this.stepC({ type: 'ack', txn, from: to });
      },
      onError: () => undefined, // the resend timer retries
    });
  }

  private coreFailed(node: string, event: string, err: unknown): never {
    if (err instanceof InvariantViolation) {
      // A participant told one outcome after it took (or began to take) the other: two decisions
      // exist for one transaction. The core caught the atomicity violation before a checker could.
      if (/ told (COMMITTED|ABORTED) (after it ended|while) /.test(err.message)) {
        this.fail('atomicity', `${node} on ${event}: ${err.message} (two decisions for one transaction, caught by the core)`);
      }
      this.fail('core-invariant', `${node} on ${event}: ${err.message}`);
    }
    if (err instanceof SimFailure) throw err;
    this.fail('core-error', `${node} on ${event}: ${describeError(err)}`);
  }

  // ---------------------------------------------------------------- faults

  private nemesisTick(): void {
    const tickMs = 50;
    this.at(this.now + tickMs, () => {
      if (!this.faultsOn) return;
      const f = this.profile;
      const r = this.rng;
      const all: Endpoint[] = [this.C, ...this.P.values()];
      if (r.chance((f.crashPerSec * tickMs) / 1000)) {
        const n = r.pick(all);
        if (n.up) this.crash(n);
      }
      if (r.chance((f.pausePerSec * tickMs) / 1000)) {
        const n = r.pick(all);
        if (n.up) {
          const ms = r.int(50, 1500);
          n.pausedUntil = Math.max(n.pausedUntil, this.now + ms);
          this.stats.pauses++;
          this.log('nem', `PAUSE ${n.id} for ${ms}ms`);
        }
      }
      if (r.chance((f.partitionPerSec * tickMs) / 1000)) {
        const ids = all.map((n) => n.id);
        const cut: string[] = [];
        if (r.chance(0.5)) {
          const victim = r.pick(ids);
          for (const o of ids) if (o !== victim) cut.push(this.linkKey(victim, o));
        } else {
          const a = r.pick(ids);
          let b = r.pick(ids);
          while (b === a) b = r.pick(ids);
          cut.push(this.linkKey(a, b));
        }
        for (const k of cut) this.cuts.add(k);
        this.stats.partitions++;
        const ms = r.int(this.partitionMs.min, this.partitionMs.max);
        this.log('nem', `PARTITION ${cut.join(' ')} for ${ms}ms`);
        this.at(this.now + ms, () => {
          for (const k of cut) this.cuts.delete(k);
          this.log('nem', `HEAL ${cut.join(' ')}`);
        });
      }
      this.nemesisTick();
    });
  }

  /** Runs events in time order up to `deadline` (or a violation). */
  private drain(deadline: number): void {
    for (;;) {
      const ev = this.q.pop();
      if (!ev) break;
      if (ev.at > deadline) {
        this.q.push(ev.at, ev.run);
        break;
      }
      this.now = ev.at;
      this.events++;
      ev.run();
      if (this.violation) break;
    }
  }

  /** `fault`: counted as an injected fault (the final power loss is not). */
  private crash(n: Endpoint, fault = true): void {
    if (fault) this.stats.crashes++;
    const node = n.id === COORDINATOR ? this.C : this.P.get(n.id)!;
    if (node.kind === 'participant') this.countCore(node);
    node.up = false;
    node.core = null;
    node.inc++;
    node.pausedUntil = 0;
    for (const onCrash of node.inbound.values()) onCrash();
    node.inbound.clear();
    node.replies.clear();
    const lostBefore = node.disk.stats.lostOnCrash;
    node.disk.crash((lo, hi) => this.rng.int(lo, hi));
    const down = this.rng.int(20, 800);
    this.log('nem', `CRASH ${node.id} (lost ${node.disk.stats.lostOnCrash - lostBefore} unsynced batches), down ${down}ms`);
    this.at(this.now + down, () => this.restart(node));
  }

  private restart(node: PNode | CNode): void {
    if (node.up) return;
    if (node.kind === 'participant') this.startParticipant(node);
    else this.startCoordinator();
  }

  private heal(): void {
    this.faultsOn = false;
    this.cuts.clear();
    this.log('nem', 'HEAL ALL: no more loss, duplication, partitions, crashes; every node up');
    for (const n of [this.C, ...this.P.values()]) if (!n.up) this.restart(n);
  }

  // ---------------------------------------------------------------- clients (bank workload)

  private nextTxn(client: number, retryOf: ClientTxn | null): void {
    if (this.now >= this.faultMs) return;
    const r = this.rng;
    const id = `t${++this.txnCounter}`;
    let kind: ClientTxn['kind'];
    let ops: TxnOp[];
    const deltas = new Map<string, bigint>();
    let age: TxnAge = { ms: this.now, id };
    if (retryOf) {
      kind = retryOf.kind;
      ops = retryOf.msg.ops;
      for (const [k, d] of retryOf.deltas) deltas.set(k, d);
      age = { ms: retryOf.msg.age.ms, id }; // a retry keeps its age so that wait-die lets it through
    } else if (r.chance(0.25)) {
      kind = 'audit';
      ops = this.accounts.map((key) => ({ type: 'get', key }));
    } else {
      kind = 'transfer';
      const from = r.pick(this.accounts);
      let to = r.pick(this.accounts);
      while (to === from) to = r.pick(this.accounts);
      const amt = BigInt(r.int(1, 30));
      ops = [
        { type: 'add', key: from, delta: -amt, min: 0n },
        { type: 'add', key: to, delta: amt },
      ];
      deltas.set(from, -amt);
      deltas.set(to, amt);
    }
    // A retry runs the same protocol; 'mixed' draws from its own stream.
    const protocol: ProtocolName = retryOf
      ? retryOf.msg.protocol
      : this.protocolMode === 'mixed'
        ? this.protocolRng.pick(PROTOCOLS)
        : this.protocolMode;
    const ct: ClientTxn = {
      id,
      client,
      kind,
      msg: { txn: id, ops, age, timeoutMs: r.int(200, 1500), digest: digestOf(ops), clientId: true, protocol },
      participants: [...new Set(ops.map((o) => ownerOf(o.key, this.pids)))].sort(),
      deltas,
      told: null,
      results: null,
      submits: 0,
      queries: 0,
      exempt: false,
      conflictRetries: retryOf ? retryOf.conflictRetries + 1 : 0,
    };
    this.txns.set(id, ct);
    if (kind === 'transfer') this.stats.transfers++;
    else this.stats.audits++;
    this.log(CLIENT, `client${client} starts ${id} ${protocol} ${kind} ${describeOps(ops)}`);
    this.submit(ct);
  }

  private submit(ct: ClientTxn): void {
    ct.submits++;
    const c = this.C;
    const msg = ct.msg;
    this.rpc<CoordinatorReply>({
      from: this.clientEp,
      to: c,
      deadlineMs: msg.timeoutMs + 1000,
      what: `Transact(${ct.id})`,
      serve: (handle, respond) => {
        c.timeoutOf.set(msg.txn, msg.timeoutMs);
        c.replies.set(handle, { kind: 'transact', txn: msg.txn, respond });
        this.stepC({ type: 'transact', replyTo: handle, msg: structuredClone(msg) });
      },
      onReply: (r) => this.clientAnswer(ct, r, 'transact'),
      onError: () => this.clientUnknown(ct),
    });
  }

  private query(ct: ClientTxn): void {
    ct.queries++;
    const c = this.C;
    this.rpc<CoordinatorReply>({
      from: this.clientEp,
      to: c,
      deadlineMs: 2000,
      what: `GetTransaction(${ct.id})`,
      serve: (handle, respond) => {
        c.replies.set(handle, { kind: 'query', txn: ct.id, respond });
        this.stepC({ type: 'query', replyTo: handle, txn: ct.id });
      },
      onReply: (r) => this.clientAnswer(ct, r, 'query'),
      onError: () => this.clientUnknown(ct),
    });
  }

  /** The call broke: the outcome is unknown. Retry with the same id, or ask for the outcome. */
  private clientUnknown(ct: ClientTxn): void {
    if (ct.told !== null) return;
    this.at(this.now + this.rng.int(50, 400), () => {
      if (ct.told !== null) return;
      if (this.rng.chance(0.5)) this.submit(ct);
      else this.query(ct);
    });
  }

  private clientAnswer(ct: ClientTxn, r: CoordinatorReply, via: 'transact' | 'query'): void {
    if (r.kind === 'rejected') {
      if (r.status === 'RESOURCE_EXHAUSTED') return this.clientUnknown(ct);
      this.fail('client-protocol', `${ct.id}: ${r.status}: ${r.message}`);
    }
    if (r.outcome === 'PENDING') return this.clientUnknown(ct);
    const outcome = r.outcome;
    // TransactResponse: "one result per op, in order (only when COMMITTED)". GetTransaction
    // promises none: a coordinator that found the outcome from the participants has none.
    const complete = r.results.length === ct.msg.ops.length && ct.msg.ops.every((_, i) => r.results[i] != null);
    if (outcome === 'COMMITTED' && via === 'transact' && !complete) {
      const have = ct.msg.ops.filter((_, i) => r.results[i] != null).length;
      this.fail('client-protocol', `Transact(${ct.id}) (${ct.msg.protocol}) answered COMMITTED with ${have} of ${ct.msg.ops.length} op results`);
    }
    if (ct.told !== null) {
      // A duplicate answer. A read-only txn's unforced record may be lost (it then reads as
      // aborted, which loses nothing); a writing txn's outcome must never change.
      if (ct.told !== outcome && ct.kind === 'transfer') {
        this.fail('client-outcome-stable', `client of ${ct.id} was told ${ct.told}, then ${outcome} (${r.reason})`);
      }
      return;
    }
    ct.told = outcome;
    ct.code = r.code;
    this.log(CLIENT, `client${ct.client} told ${ct.id} ${outcome}${r.reason ? ` (${r.code ?? ''}: ${r.reason})` : ''}`);
    if (outcome === 'COMMITTED') {
      if (complete) {
        ct.results = r.results;
        if (ct.kind === 'audit') this.checkAudit(ct);
      } else if (ct.kind === 'audit') {
        this.stats.auditsUnread++;
      }
    }
    if (ct.kind === 'transfer') {
      if (outcome === 'COMMITTED') {
        this.stats.committed++;
        this.stats[COMMITTED_STAT[ct.msg.protocol]]++;
      } else this.stats.aborted++;
    }
    const conflict = outcome === 'ABORTED' && (r.code === 'CONFLICT' || r.code === 'TIMED_OUT' || r.code === 'UNAVAILABLE_PARTICIPANT');
    if (conflict && ct.conflictRetries < 3) {
      this.at(this.now + this.rng.int(1, 30), () => this.nextTxn(ct.client, ct));
    } else {
      this.at(this.now + this.rng.int(0, 60), () => this.nextTxn(ct.client, null));
    }
  }

  // ---------------------------------------------------------------- invariant checks

  private checkAudit(ct: ClientTxn): void {
    if (ct.exempt) {
      this.stats.auditsExempt++;
      return;
    }
    this.stats.auditsChecked++;
    let sum = 0n;
    const parts: string[] = [];
    for (const res of ct.results ?? []) {
      const v = BigInt(res.value === '' ? '0' : res.value);
      parts.push(`${res.key}=${v}`);
      if (v < 0n) this.fail('bank-read', `audit ${ct.id} read ${res.key} = ${v} < 0`);
      sum += v;
    }
    if (sum !== this.total) this.fail('bank-read', `audit ${ct.id} read total ${sum}, expected ${this.total}: ${parts.join(' ')}`);
  }

  private checkYesDurable(n: PNode, txn: TxnId): void {
    if (n.disk.durable.has(PKEY.prepare(txn))) return;
    const o = parseJson<ParticipantOutcomeRecord>(n.disk.durable.get(PKEY.outcome(txn)));
    if (o?.outcome === 'COMMITTED') return;
    this.fail('vote-before-durable', `${n.id} votes YES on ${txn} without a durable prepare record`);
  }

  private checkPrecommitDurable(n: PNode, txn: TxnId): void {
    if (parseJson<PrepareRecord>(n.disk.durable.get(PKEY.prepare(txn)))?.precommitted) return;
    if (parseJson<ParticipantOutcomeRecord>(n.disk.durable.get(PKEY.outcome(txn)))?.outcome === 'COMMITTED') return;
    // Committing: a commit decision was taken (and forced) elsewhere; p is behind it.
    if (n.core?.view(txn) === 'COMMITTED') return;
    this.fail('precommit-before-durable', `${n.id} acknowledges PreCommit of ${txn} without a durable pre-committed record`);
  }

  /** `p`'s log durably holds its YES for `txn`: the prepare record, or the commit that replaced it. */
  private yesDurable(p: NodeId, txn: TxnId): boolean {
    const n = this.P.get(p)!;
    if (n.disk.durable.has(PKEY.prepare(txn))) return true;
    return parseJson<ParticipantOutcomeRecord>(n.disk.durable.get(PKEY.outcome(txn)))?.outcome === 'COMMITTED';
  }

  private committedAt(txn: TxnId): NodeId[] {
    return [...(this.pOutcomes.get(txn) ?? [])].filter(([, o]) => o === 'COMMITTED').map(([p]) => p);
  }

  /** What the checkers know of durable state, as the protocols' commit rules ask it. */
  private readonly durableView: DurableView = {
    coordinatorDecision: (txn) => this.cDecisions.get(txn),
    committedAt: (txn) => this.committedAt(txn),
    yesDurable: (p, txn) => this.yesDurable(p, txn),
    decidedFromPrecommit: (p, txn) => {
      const n = this.P.get(p)!;
      return n.core?.view(txn) === 'COMMITTED' && parseJson<PrepareRecord>(n.disk.durable.get(PKEY.prepare(txn)))?.precommitted === true;
    },
  };

  /** Whether a transaction is durably committed, by its protocol's rule (CommitProtocol.isDurablyCommitted). */
  private durablyCommitted(ct: ClientTxn): boolean {
    return rulesOf(ct.msg.protocol).isDurablyCommitted(this.durableView, ct.id, ct.participants);
  }

  /** What the durable state says of a transaction, for a violation message. */
  private durableSummary(ct: ClientTxn): string {
    return (
      `the coordinator's durable decision is ${this.cDecisions.get(ct.id) ?? 'absent'}, committed at [${this.committedAt(ct.id).join(',')}], ` +
      `durable YES at [${ct.participants.filter((p) => this.yesDurable(p, ct.id)).join(',')}]`
    );
  }

  private checkReplyDurable(reply: CoordinatorReply): void {
    if (reply.kind !== 'outcome' || reply.outcome !== 'COMMITTED') return;
    const ct = this.txns.get(reply.txn);
    if (!ct || ct.kind !== 'transfer' || this.durablyCommitted(ct)) return;
    this.fail('reply-before-durable', `client told COMMITTED for ${reply.txn} (${ct.msg.protocol}) while ${this.durableSummary(ct)}`);
  }

  /** Every write that becomes durable passes here: outcomes and balances are checked as they land. */
  private onDurable(node: Endpoint, ops: readonly BatchOp[]): void {
    for (const op of ops) {
      if (op.type !== 'put') continue;
      if (node.id === COORDINATOR) {
        if (!op.key.startsWith('d!')) continue;
        const d = JSON.parse(op.value) as DecisionRecord;
        const prev = this.cDecisions.get(d.txn);
        if (prev && prev !== d.outcome) this.fail('decision-stable', `coordinator's durable decision of ${d.txn} changed from ${prev} to ${d.outcome}`);
        this.cDecisions.set(d.txn, d.outcome);
        const against = [...(this.pOutcomes.get(d.txn) ?? [])].filter(([, o]) => o !== d.outcome).map(([p]) => p);
        if (against.length > 0) {
          this.fail('atomicity', `${d.txn} durably ${d.outcome} at the coordinator but ${d.outcome === 'ABORTED' ? 'COMMITTED' : 'ABORTED'} at ${against.join(',')}`);
        }
        continue;
      }
      if (op.key.startsWith(PKEY.outcomePrefix)) {
        const o = JSON.parse(op.value) as ParticipantOutcomeRecord;
        // A node asked about a transaction it is no participant of (a coordinator resolving an
        // id it has no record of asks every node) durably aborts it, so that a prepare of it can
        // never be answered YES there. That says nothing about the transaction's outcome.
        if (!this.txns.get(o.txn)?.participants.includes(node.id)) continue;
        let m = this.pOutcomes.get(o.txn);
        if (!m) this.pOutcomes.set(o.txn, (m = new Map()));
        const prev = m.get(node.id);
        if (prev && prev !== o.outcome) this.fail('decision-stable', `${node.id}'s durable outcome of ${o.txn} changed from ${prev} to ${o.outcome}`);
        m.set(node.id, o.outcome);
        const outcomes = new Set(m.values());
        if (outcomes.size > 1) {
          this.fail('atomicity', `${o.txn} is ${[...m].map(([p, x]) => `${x} at ${p}`).join(', ')}`);
        }
        const decided = this.cDecisions.get(o.txn);
        if (decided && decided !== o.outcome) {
          this.fail('atomicity', `${o.txn} is durably ${o.outcome} at ${node.id} but ${decided} at the coordinator`);
        }
        const ct = this.txns.get(o.txn);
        if (o.outcome === 'COMMITTED' && ct) {
          const why = rulesOf(ct.msg.protocol).commitUnjustified(this.durableView, o.txn, ct.participants);
          if (why) this.fail(why.rule, `${node.id} durably committed ${o.txn} (${ct.msg.protocol}); ${why.missing}`);
        }
      } else if (op.key.startsWith(PKEY.dataPrefix)) {
        const v = JSON.parse(op.value) as StoredValue;
        if (v.value !== null && BigInt(v.value) < 0n) this.fail('non-negative', `${node.id}: ${op.key} = ${v.value} < 0`);
      }
    }
  }

  private finalChecks(): void {
    // Liveness: the faults healed at faultMs; by now everything must have finished.
    const why: string[] = [];
    const c = this.C;
    if (!c.up || !c.core) why.push('coordinator down');
    else {
      if (c.core.activeTxns > 0) why.push(`coordinator has ${c.core.activeTxns} active txns (in doubt: ${c.core.inDoubt().join(',')})`);
      const u = c.disk.scan(CKEY.unfinishedPrefix);
      if (u.length > 0) why.push(`coordinator has unfinished markers ${u.map(([k]) => k).join(',')}`);
    }
    for (const p of this.P.values()) {
      if (!p.up || !p.core) {
        why.push(`${p.id} down`);
        continue;
      }
      if (p.core.activeTxns > 0) why.push(`${p.id} has ${p.core.activeTxns} active txns (in doubt: ${p.core.inDoubt().join(',')})`);
      if (p.core.lockedKeys > 0) why.push(`${p.id} holds locks on ${p.core.lockedKeys} keys`);
      const prep = p.disk.scan(PKEY.preparePrefix);
      if (prep.length > 0) why.push(`${p.id} keeps prepare records ${prep.map(([k]) => k).join(',')}`);
    }
    const undecided = [...this.txns.values()].filter((t) => t.told === null).map((t) => t.id);
    if (undecided.length > 0) why.push(`clients never learned the outcome of ${undecided.join(',')}`);

    // Durability and atomicity against the final durable state.
    const expected = new Map<string, bigint>(this.accounts.map((k) => [k, INITIAL_BALANCE]));
    for (const t of this.txns.values()) {
      if (t.kind !== 'transfer') continue;
      const decision = this.cDecisions.get(t.id);
      const writers = [...new Set([...t.deltas.keys()].map((k) => ownerOf(k, this.pids)))];
      const committed = this.durablyCommitted(t);
      if (t.told === 'COMMITTED' && !committed) {
        this.fail('committed-durable', `client told COMMITTED for ${t.id} (${t.msg.protocol}); ${this.durableSummary(t)}`);
      }
      const committedAt = writers.filter((p) => this.pOutcomes.get(t.id)?.get(p) === 'COMMITTED');
      if (t.told === 'ABORTED' && committedAt.length > 0) {
        this.fail('aborted-not-applied', `client told ABORTED for ${t.id} (${t.code}); it is committed at ${committedAt.join(',')}`);
      }
      if (committed) {
        // Not applied although the participant considers the txn finished (or forgot it):
        // not a matter of time. (Still in progress there is a liveness matter, reported below.)
        const missing = writers.filter((p) => {
          if (committedAt.includes(p)) return false;
          const view = this.P.get(p)!.core?.view(t.id);
          return why.length === 0 || view === 'COMMITTED' || view === null;
        });
        if (missing.length > 0) {
          this.fail(
            t.told === 'COMMITTED' ? 'committed-durable' : 'committed-applied',
            `${t.id} (${t.msg.protocol}) is durably COMMITTED${t.told === 'COMMITTED' ? ' (and told so)' : ''} but not applied at ${missing.join(',')}`,
          );
        }
        for (const [k, d] of t.deltas) expected.set(k, expected.get(k)! + d);
      }
    }
    if (why.length > 0) this.fail('liveness', `${this.livenessMs}ms after the heal: ${why.join('; ')}`);

    let sum = 0n;
    const actual: string[] = [];
    const wrong: string[] = [];
    for (const k of this.accounts) {
      const p = this.P.get(ownerOf(k, this.pids))!;
      const v = parseJson<StoredValue>(p.disk.durable.get(PKEY.data(k)));
      const bal = BigInt(v?.value ?? '0');
      actual.push(`${k}=${bal}`);
      if (bal < 0n) this.fail('non-negative', `${k} = ${bal} < 0`);
      if (bal !== expected.get(k)) wrong.push(`${k}: ${bal}, expected ${expected.get(k)}`);
      sum += bal;
    }
    if (sum !== this.total) this.fail('bank-total', `durable balances sum to ${sum}, expected ${this.total}: ${actual.join(' ')}`);
    if (wrong.length > 0) this.fail('bank-final-state', `balances differ from opening + committed transfers: ${wrong.join('; ')}`);
    this.log('sim', `OK: ${this.stats.committed} transfers committed, ${this.stats.aborted} aborted, ${this.stats.auditsChecked} audits checked; balances ${actual.join(' ')}`);
  }
}

// ---------------------------------------------------------------- trace formatting

function describeOps(ops: TxnOp[]): string {
  return ops
    .map((o) => (o.type === 'add' ? `${o.key}${o.delta >= 0n ? '+' : ''}${o.delta}` : o.type === 'get' ? `get ${o.key}` : `${o.type} ${o.key}`))
    .join(' ');
}

function describeVote(v: { kind: string; reason?: string; code?: string }): string {
  return v.kind === 'NO' ? `NO(${v.code}: ${v.reason})` : v.kind;
}

function recordTxn(r: ParticipantRecord): TxnId {
  return r.kind === 'prepare' || r.kind === 'precommit' ? r.record.txn : r.txn;
}

function describePReply(r: ParticipantReply): string {
  switch (r.kind) {
    case 'vote':
      return `vote ${r.txn} ${describeVote(r.vote)}`;
    case 'ack':
      return `ack ${r.txn} known=${r.known}`;
    case 'precommitAck':
      return `precommitAck ${r.txn} ok=${r.ok}`;
    case 'state':
      return `state ${r.txn} ${r.state}${r.protocol ? ` ${r.protocol}` : ''}`;
  }
}

function describePEvent(ev: ParticipantEvent): string {
  switch (ev.type) {
    case 'recover':
      return `recover [${ev.prepared.map((p) => `${p.txn}${p.precommitted ? '(p)' : ''}`).join(',')}]`;
    case 'prepare':
      return `<- prepare ${ev.msg.txn} ${ev.msg.protocol} h${ev.replyTo} ${describeOps(ev.msg.ops)}`;
    case 'readDone':
      return `readDone ${ev.txn} ${[...ev.values].map(([k, v]) => `${k}=${v.value}@${v.version}`).join(' ')}${ev.finished ? ` finished=${ev.finished.outcome}` : ''}`;
    case 'persisted':
      return `persisted ${ev.record.kind} ${recordTxn(ev.record)}`;
    case 'decision':
      return `<- ${ev.outcome === 'COMMITTED' ? 'commit' : 'abort'} ${ev.txn}${ev.replyTo === null ? '' : ` h${ev.replyTo}`}`;
    case 'release':
      return `<- release ${ev.txn} h${ev.replyTo}`;
    case 'inquiryResult':
      return `inquiryResult ${ev.txn} ${ev.outcome}`;
    case 'timer':
      return `timer ${ev.timer.kind} ${ev.timer.txn}`;
    case 'stateQuery':
      return `<- stateQuery ${ev.txn} h${ev.replyTo}${ev.abortIfUnvoted ? ' abortIfUnvoted' : ''}`;
    case 'outcomeChecked':
      return `outcomeChecked ${ev.txn} ${ev.finished ? ev.finished.outcome : 'none'}${ev.replyTo === null ? '' : ` h${ev.replyTo}`}`;
    case 'precommit':
      return `<- precommit ${ev.txn}${ev.replyTo === null ? '' : ` h${ev.replyTo}`}`;
    case 'peerState':
      return `peerState ${ev.txn} ${ev.from}=${ev.state}`;
    case 'peerPrecommitted':
      return `peerPrecommitted ${ev.txn} ${ev.from} ${ev.result}`;
  }
}

function describePEffect(e: ParticipantEffect): string {
  switch (e.type) {
    case 'reply':
      return `${describePReply(e.reply)} h${e.to}`;
    case 'read':
      return `read ${e.txn}`;
    case 'persist':
      return `persist ${e.record.kind} ${recordTxn(e.record)}${e.sync ? ' sync' : ''}`;
    case 'setTimer':
      return `timer ${e.timer.kind} ${e.timer.txn}@${e.at}`;
    case 'inquire':
      return `inquire ${e.txn}`;
    case 'checkOutcome':
      return `checkOutcome ${e.txn}`;
    case 'queryPeer':
      return `queryPeer ${e.txn} ${e.to}${e.abortIfUnvoted ? '' : ' (no abort)'}`;
    case 'sendPeer':
      return `sendPeer ${e.message} ${e.txn} to ${e.to}`;
    case 'log':
      // The cores' info/warn lines explain termination verdicts: keep them in the trace.
      return e.level === 'debug' ? '' : `"${e.msg}"`;
  }
}

function describeCEvent(ev: CoordinatorEvent): string {
  switch (ev.type) {
    case 'recover':
      return `recover [${ev.pending.map((d) => d.txn).join(',')}]`;
    case 'transact':
      return `<- transact ${ev.msg.txn} ${ev.msg.protocol} h${ev.replyTo}`;
    case 'query':
      return `<- query ${ev.txn} h${ev.replyTo}`;
    case 'lookupDone':
      return `lookupDone ${ev.txn} ${ev.record ? ev.record.outcome : 'none'}`;
    case 'vote':
      return `<- vote ${ev.txn} from ${ev.from} ${describeVote(ev.vote)}`;
    case 'ack':
      return `<- ack ${ev.txn} from ${ev.from}`;
    case 'persisted':
      return `persisted ${ev.record.kind} ${ev.record.kind === 'end' ? ev.record.txn : `${ev.record.record.txn} ${ev.record.record.outcome}`}`;
    case 'timer':
      return `timer ${ev.timer.kind} ${ev.timer.txn}`;
    case 'precommitAck':
      return `<- precommitAck ${ev.txn} from ${ev.from} ok=${ev.ok}`;
    case 'txnState':
      return `<- txnState ${ev.txn} from ${ev.from} ${ev.answer.state}`;
  }
}

function describeCEffect(e: CoordinatorEffect): string {
  switch (e.type) {
    case 'reply':
      return e.reply.kind === 'outcome' ? `reply ${e.reply.txn} ${e.reply.outcome} h${e.to}` : `reply ${e.reply.txn} ${e.reply.status} h${e.to}`;
    case 'lookup':
      return `lookup ${e.txn}`;
    case 'send':
      return `send ${e.message.kind === 'query' && !e.message.abortIfUnvoted ? 'probe' : e.message.kind} ${e.message.kind === 'prepare' ? e.message.msg.txn : e.message.txn} to ${e.to}`;
    case 'persist':
      return `persist ${e.record.kind} ${e.record.kind === 'end' ? e.record.txn : `${e.record.record.txn} ${e.record.record.outcome}`}${e.sync ? ' sync' : ''}`;
    case 'setTimer':
      return `timer ${e.timer.kind} ${e.timer.txn}@${e.at}`;
    case 'log':
      return e.level === 'debug' ? '' : `"${e.msg}"`;
  }
}

/** Runs one seed; a failing seed is replayed once to extract the story of the txns involved. */
export function simulate(opts: SimOptions): SimResult {
  const r = new Simulation(opts).run();
  if (!r.violation || opts.focus === false) return r;
  const ids = [...new Set(r.violation.message.match(/\bt[0-9]+\b/g) ?? [])];
  const full = new Simulation({ ...opts, traceLines: 1_000_000 }).run();
  if (full.traceDigest !== r.traceDigest) throw new Error(`seed ${opts.seed} is not deterministic: ${full.traceDigest} vs ${r.traceDigest}`);
  const about = ids.length > 0 ? new RegExp(`\\b(${ids.join('|')})\\b`) : null;
  const focus = full.trace.filter(
    (line) => (about !== null && about.test(line)) || / nem | sim /.test(line.slice(0, 14)),
  );
  return { ...r, focus: focus.length > 400 ? focus.slice(-400) : focus };
}
