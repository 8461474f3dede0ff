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
import type { DecisionRecord, ParticipantOutcomeRecord, PrepareRecord } from '../protocol/records.js';
import { ownerOf } from '../protocol/routing.js';
import type { AbortCode, NodeId, OpResult, Outcome, StoredValue, TxnAge, TxnId, TxnOp } from '../protocol/types.js';
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
} as const;
export type BugName = keyof typeof BUGS;

export const INVARIANTS = {
  'core-invariant': 'a protocol core threw InvariantViolation',
  'core-error': 'a protocol core threw an unexpected error',
  atomicity: 'no txn committed at one participant and aborted at another (or at the coordinator)',
  'decision-stable': 'a durable outcome never changes (coordinator decision, participant outcome)',
  'commit-without-decision': 'a participant commits only what the coordinator durably decided to commit',
  'vote-before-durable': 'a YES vote leaves only after the prepare record is durable',
  'reply-before-durable': 'a client hears COMMITTED (of a writing txn) only once the decision is durable',
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

export interface SimOptions {
  seed: number;
  /** Participants (default 3). */
  participants?: number;
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
  crashes: number;
  pauses: number;
  partitions: number;
  messages: number;
  lost: number;
  duplicated: number;
  lostUnsyncedBatches: number;
  bugHits: number;
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
    crashes: 0,
    pauses: 0,
    partitions: 0,
    messages: 0,
    lost: 0,
    duplicated: 0,
    lostUnsyncedBatches: 0,
    bugHits: 0,
  };
}

export interface SimResult {
  seed: number;
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

function jsonReplacer(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
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
  private readonly faultMs: number;
  private readonly livenessMs: number;
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
    this.faultMs = opts.faultMs ?? 4000;
    this.livenessMs = opts.livenessMs ?? 30_000;
    this.faultsOn = opts.faults ?? true;
    const r = this.rng;
    this.profile = this.faultsOn
      ? {
          loss: r.chance(0.3) ? 0 : r.float() * 0.08,
          dup: r.chance(0.3) ? 0 : r.float() * 0.1,
          longDelay: r.float() * 0.1,
          crashPerSec: r.chance(0.2) ? 0 : r.float() * 1.5,
          pausePerSec: r.chance(0.3) ? 0 : r.float() * 0.8,
          partitionPerSec: r.chance(0.3) ? 0 : r.float() * 0.8,
        }
      : { loss: 0, dup: 0, longDelay: 0, crashPerSec: 0, pausePerSec: 0, partitionPerSec: 0 };
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
      selfAddr: `sim://${COORDINATOR}`,
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
      this.log('sim', `seed ${this.seed} participants=${this.pids.join(',')} accounts=${this.accounts.join(',')} clients=${this.clients}` +
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
          message: `simulator error: ${err instanceof Error ? err.stack ?? err.message : String(err)}`,
          atMs: this.now,
        };
      }
    }
    this.stats.events = this.events;
    this.stats.simTimeMs = this.now;
    this.stats.lostUnsyncedBatches = [...this.P.values(), this.C].reduce((s, n) => s + n.disk.stats.lostOnCrash, 0);
    if (this.violation) this.log('sim', `VIOLATION ${this.violation.invariant}: ${this.violation.message}`);
    return {
      seed: this.seed,
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
    this.violation ??= { invariant, message, atMs: this.now };
    throw new SimFailure(message);
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
    this.log(n.id, `${describePEvent(ev)}${effs.length ? ` => ${effs.map(describePEffect).filter(Boolean).join('; ')}` : ''}`);
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
            serve: (handle, respond) => {
              this.C.replies.set(handle, { kind: 'inquiry', respond });
              this.stepC({ type: 'query', replyTo: handle, txn });
            },
            onReply: (r) => {
              const outcome = r.kind === 'outcome' && (r.outcome === 'COMMITTED' || r.outcome === 'ABORTED') ? r.outcome : 'PENDING';
              if (r.kind === 'rejected') this.stepP(n, { type: 'inquiryResult', txn, outcome: 'UNREACHABLE' });
              else this.stepP(n, { type: 'inquiryResult', txn, outcome });
            },
            onError: () => this.stepP(n, { type: 'inquiryResult', txn, outcome: 'UNREACHABLE' }),
          });
          break;
        }
        case 'log':
          break;
      }
    }
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
    this.log(c.id, `${describeCEvent(ev)}${effs.length ? ` => ${effs.map(describeCEffect).filter(Boolean).join('; ')}` : ''}`);
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
        onError: (why) =>
          this.stepC({
            type: 'vote',
            txn,
            from: to,
            vote: { kind: 'NO', reason: `unreachable or failed: ${why}`, code: 'UNAVAILABLE_PARTICIPANT' },
          }),
      });
      return;
    }
    const txn = m.txn;
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
    if (err instanceof InvariantViolation) this.fail('core-invariant', `${node} on ${event}: ${err.message}`);
    if (err instanceof SimFailure) throw err;
    this.fail('core-error', `${node} on ${event}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
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
        const ms = r.int(100, 2000);
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
    if (node.kind === 'participant' && node.core) {
      for (const t of this.txns.values()) {
        if (t.kind === 'audit' && t.told === null && node.core.view(t.id) === 'READ_ONLY') t.exempt = true;
      }
    }
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
    const ct: ClientTxn = {
      id,
      client,
      kind,
      msg: { txn: id, ops, age, timeoutMs: r.int(200, 1500), digest: digestOf(ops), clientId: true },
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
    this.log(CLIENT, `client${client} starts ${id} ${kind} ${describeOps(ops)}`);
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
      onReply: (r) => this.clientAnswer(ct, r),
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
      onReply: (r) => this.clientAnswer(ct, r),
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

  private clientAnswer(ct: ClientTxn, r: CoordinatorReply): void {
    if (r.kind === 'rejected') {
      if (r.status === 'RESOURCE_EXHAUSTED') return this.clientUnknown(ct);
      this.fail('client-protocol', `${ct.id}: ${r.status}: ${r.message}`);
    }
    if (r.outcome === 'PENDING') return this.clientUnknown(ct);
    const outcome = r.outcome;
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
      ct.results = r.results;
      if (ct.kind === 'audit') this.checkAudit(ct);
    }
    if (ct.kind === 'transfer') {
      if (outcome === 'COMMITTED') this.stats.committed++;
      else this.stats.aborted++;
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

  private checkReplyDurable(reply: CoordinatorReply): void {
    if (reply.kind !== 'outcome' || reply.outcome !== 'COMMITTED') return;
    const ct = this.txns.get(reply.txn);
    if (!ct || ct.kind !== 'transfer') return;
    if (this.cDecisions.get(reply.txn) !== 'COMMITTED') {
      this.fail('reply-before-durable', `client told COMMITTED for ${reply.txn} while the coordinator's durable decision is ${this.cDecisions.get(reply.txn) ?? 'absent'}`);
    }
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
        if (d.outcome === 'ABORTED') {
          const at = [...(this.pOutcomes.get(d.txn) ?? [])].filter(([, o]) => o === 'COMMITTED').map(([p]) => p);
          if (at.length > 0) this.fail('atomicity', `${d.txn} durably ABORTED at the coordinator but COMMITTED at ${at.join(',')}`);
        }
        continue;
      }
      if (op.key.startsWith(PKEY.outcomePrefix)) {
        const o = JSON.parse(op.value) as ParticipantOutcomeRecord;
        let m = this.pOutcomes.get(o.txn);
        if (!m) this.pOutcomes.set(o.txn, (m = new Map()));
        const prev = m.get(node.id);
        if (prev && prev !== o.outcome) this.fail('decision-stable', `${node.id}'s durable outcome of ${o.txn} changed from ${prev} to ${o.outcome}`);
        m.set(node.id, o.outcome);
        const outcomes = new Set(m.values());
        if (outcomes.size > 1) {
          this.fail('atomicity', `${o.txn} is ${[...m].map(([p, x]) => `${x} at ${p}`).join(', ')}`);
        }
        if (o.outcome === 'COMMITTED' && this.cDecisions.get(o.txn) !== 'COMMITTED') {
          this.fail('commit-without-decision', `${node.id} durably committed ${o.txn}; the coordinator's durable decision is ${this.cDecisions.get(o.txn) ?? 'absent'}`);
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
      if (t.told === 'COMMITTED' && decision !== 'COMMITTED') {
        this.fail('committed-durable', `client told COMMITTED for ${t.id}; the coordinator's durable decision is ${decision ?? 'absent'}`);
      }
      const committedAt = writers.filter((p) => this.pOutcomes.get(t.id)?.get(p) === 'COMMITTED');
      if (t.told === 'ABORTED' && committedAt.length > 0) {
        this.fail('aborted-not-applied', `client told ABORTED for ${t.id} (${t.code}); it is committed at ${committedAt.join(',')}`);
      }
      if (decision === 'COMMITTED') {
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
            `${t.id} is durably COMMITTED at the coordinator${t.told === 'COMMITTED' ? ' (and told so)' : ''} but not applied at ${missing.join(',')}`,
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

function describePEvent(ev: ParticipantEvent): string {
  switch (ev.type) {
    case 'recover':
      return `recover [${ev.prepared.map((p) => p.txn).join(',')}]`;
    case 'prepare':
      return `<- prepare ${ev.msg.txn} h${ev.replyTo} ${describeOps(ev.msg.ops)}`;
    case 'readDone':
      return `readDone ${ev.txn} ${[...ev.values].map(([k, v]) => `${k}=${v.value}@${v.version}`).join(' ')}${ev.finished ? ` finished=${ev.finished.outcome}` : ''}`;
    case 'persisted':
      return `persisted ${ev.record.kind} ${ev.record.kind === 'prepare' ? ev.record.record.txn : ev.record.txn}`;
    case 'decision':
      return `<- ${ev.outcome === 'COMMITTED' ? 'commit' : 'abort'} ${ev.txn}${ev.replyTo === null ? '' : ` h${ev.replyTo}`}`;
    case 'inquiryResult':
      return `inquiryResult ${ev.txn} ${ev.outcome}`;
    case 'timer':
      return `timer ${ev.timer.kind} ${ev.timer.txn}`;
  }
}

function describePEffect(e: ParticipantEffect): string {
  switch (e.type) {
    case 'reply':
      return e.reply.kind === 'vote' ? `vote ${e.reply.txn} ${describeVote(e.reply.vote)} h${e.to}` : `ack ${e.reply.txn} known=${e.reply.known} h${e.to}`;
    case 'read':
      return `read ${e.txn}`;
    case 'persist':
      return `persist ${e.record.kind} ${e.record.kind === 'prepare' ? e.record.record.txn : e.record.txn}${e.sync ? ' sync' : ''}`;
    case 'setTimer':
      return `timer ${e.timer.kind} ${e.timer.txn}@${e.at}`;
    case 'inquire':
      return `inquire ${e.txn}`;
    case 'log':
      return '';
  }
}

function describeCEvent(ev: CoordinatorEvent): string {
  switch (ev.type) {
    case 'recover':
      return `recover [${ev.pending.map((d) => d.txn).join(',')}]`;
    case 'transact':
      return `<- transact ${ev.msg.txn} h${ev.replyTo}`;
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
  }
}

function describeCEffect(e: CoordinatorEffect): string {
  switch (e.type) {
    case 'reply':
      return e.reply.kind === 'outcome' ? `reply ${e.reply.txn} ${e.reply.outcome} h${e.to}` : `reply ${e.reply.txn} ${e.reply.status} h${e.to}`;
    case 'lookup':
      return `lookup ${e.txn}`;
    case 'send':
      return `send ${e.message.kind} ${e.message.kind === 'prepare' ? e.message.msg.txn : e.message.txn} to ${e.to}`;
    case 'persist':
      return `persist ${e.record.kind} ${e.record.kind === 'end' ? e.record.txn : `${e.record.record.txn} ${e.record.record.outcome}`}${e.sync ? ' sync' : ''}`;
    case 'setTimer':
      return `timer ${e.timer.kind} ${e.timer.txn}@${e.at}`;
    case 'log':
      return '';
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
