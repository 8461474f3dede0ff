import { BoundedMap } from './boundedMap.js';
import {
  assertMayEnd,
  moveTo,
  requestOf,
  type Branch,
  type CoordinatorTxn,
  type StateAnswer,
  type StateRound,
  type TransactMessage,
} from './coordinatorTxn.js';
import { invariant } from './invariant.js';
import { LIMITS, RECENT_OPS_PER_OUTCOME, RECENT_OUTCOMES } from './limits.js';
import type { PrepareMessage, ReplyTo } from './participantTxn.js';
import { coordinatorTxnView, type TxnView } from './txnView.js';
import { rulesOf } from './protocols/index.js';
import type { CoordinatorRecord, DecisionRecord } from './records.js';
import { coordinatorResolution } from './resolution.js';
import { ownerOfTxn } from './ownership.js';
import { REROUTED } from './participantCore.js';
import { mayBeCollected, outsideWindow, outsideWindowMessage, type RetentionRule } from './retention.js';
import { initialMap, memberIds, ownerOfKey, shardOf, type ShardMap } from './shardMap.js';
import { isInDoubt } from './termination.js';
import type { AbortCode, NodeId, OpResult, Outcome, TxnId, TxnOp, Vote } from './types.js';

export type { StateAnswer, TransactMessage } from './coordinatorTxn.js';

export type CoordinatorEvent =
  | { type: 'recover'; pending: DecisionRecord[] }
  | { type: 'transact'; replyTo: ReplyTo; msg: TransactMessage }
  /** `forwarded`: sent on by a coordinator that does not own the id (never forwarded again). */
  | { type: 'query'; replyTo: ReplyTo; txn: TxnId; forwarded?: boolean; bornMs?: number }
  /** The owner's answer to a forwarded request; null when the owner could not be reached. */
  | { type: 'forwarded'; txn: TxnId; reply: CoordinatorReply | null }
  | { type: 'lookupDone'; txn: TxnId; record: DecisionRecord | null }
  | { type: 'vote'; txn: TxnId; from: NodeId; vote: Vote }
  /** `known` false: the participant had no memory of the transaction (a read-only branch that restarted lost its locks). */
  | { type: 'ack'; txn: TxnId; from: NodeId; known?: boolean }
  | { type: 'persisted'; record: CoordinatorRecord }
  | { type: 'timer'; timer: CoordinatorTimer }
  /** 3pc: a participant answered PreCommit (ok false: it had aborted). No answer: the timer decides. */
  | { type: 'precommitAck'; txn: TxnId; from: NodeId; ok: boolean }
  /** Answer to a `query` message; the runtime always delivers one (UNREACHABLE on failure). */
  | { type: 'txnState'; txn: TxnId; from: NodeId; answer: StateAnswer }
  /**
   * An operator forces an outcome on a transaction nobody can settle safely (its owner is gone
   * with the decision): written as a heuristic decision and delivered to `participants`.
   */
  | { type: 'heuristic'; replyTo: ReplyTo; txn: TxnId; outcome: Outcome; participants: NodeId[]; by: string; note: string };

export type CoordinatorTimer = { kind: 'prepareTimeout'; txn: TxnId } | { kind: 'resend'; txn: TxnId } | { kind: 'precommitTimeout'; txn: TxnId };

export type CoordinatorMessage =
  | { kind: 'prepare'; msg: PrepareMessage }
  | { kind: 'commit'; txn: TxnId }
  | { kind: 'abort'; txn: TxnId }
  /** 2pc: a READ_ONLY branch's read locks go before the decision; its ack says whether it still held them. */
  | { kind: 'release'; txn: TxnId }
  | { kind: 'precommit'; txn: TxnId }
  /** GetTxnState with abort-if-unvoted: termination (nb) and resolving ids with no record. */
  | { kind: 'query'; txn: TxnId; abortIfUnvoted: boolean; bornMs?: number };

export type CoordinatorReply =
  | {
      kind: 'outcome';
      txn: TxnId;
      outcome: Outcome | 'PENDING';
      /** PENDING: true while this coordinator runs it; false when the participants must settle it. */
      inProgress?: boolean;
      reason: string;
      code?: AbortCode;
      results: OpResult[];
      participants: NodeId[];
      /** PENDING from a coordinator that does not own the transaction: the one that does. */
      owner?: NodeId;
    }
  | { kind: 'rejected'; txn: TxnId; status: 'FAILED_PRECONDITION' | 'RESOURCE_EXHAUSTED'; message: string };

export type CoordinatorEffect =
  | { type: 'reply'; to: ReplyTo; reply: CoordinatorReply }
  | { type: 'lookup'; txn: TxnId }
  /** To the owning coordinator: the client's request, or (no request) its question. */
  | { type: 'forward'; txn: TxnId; to: NodeId; msg: TransactMessage | null; bornMs?: number }
  | { type: 'send'; to: NodeId; message: CoordinatorMessage }
  | { type: 'persist'; record: CoordinatorRecord; sync: boolean }
  | { type: 'setTimer'; timer: CoordinatorTimer; at: number }
  /** `trace`: the transaction's traceparent, when it has one (added by emit). */
  | { type: 'log'; level: 'debug' | 'info' | 'warn'; txn: TxnId; msg: string; trace?: string }
  /** Input from outside contradicted this node's state: refused, an operator must know. */
  | { type: 'alarm'; txn: TxnId; msg: string; trace?: string };

export interface CoordinatorConfig {
  participants: NodeId[];
  /** Where keys live; default: a first map dealt over `participants` (a core used alone). The runtime replaces it as it changes. */
  shardMap?: ShardMap;
  /** Every coordinator of the cluster, this one included (default: this one alone): each transaction id has one owner among them (ownership.ts). */
  coordinators?: NodeId[];
  /** Where each participant listens: sent with prepares so that peers can find each other. */
  participantAddrs: Record<NodeId, string>;
  /** Where participants ask for outcomes (this coordinator's address). */
  selfAddr: string;
  /** 3pc: how long to wait for PreCommit acks before committing anyway (Skeen's rule). */
  precommitTimeoutMs: number;
  maxLockWaitMs: number;
  resendMinMs: number;
  resendMaxMs: number;
  /** Resends of a commit after which its delivery is given up (reported; the participant asks, a restart re-drives it). */
  resendMaxAttempts?: number;
  maxActiveTxns: number;
  recentOutcomes: number;
  /** Records older than this are collected and such ids refused (retention.ts); null: kept forever. */
  retention?: RetentionRule | null;
}

export const DEFAULT_COORDINATOR_TUNING = {
  maxLockWaitMs: 2000,
  precommitTimeoutMs: 2000,
  resendMinMs: 200,
  resendMaxMs: 5000,
  resendMaxAttempts: 60,
  maxActiveTxns: 20_000,
  recentOutcomes: RECENT_OUTCOMES,
};

const sorted = (ids: Iterable<NodeId>): NodeId[] => [...ids].sort();

/**
 * The coordinator of the commit protocols as a pure state machine. A 2pc or 3pc COMMIT decision
 * is forced before any client or participant hears of it; aborts are not forced (a missing
 * record means abort), except for client-chosen ids and the tombstone written when a client asks
 * about an id with no record, which fence the id against a late commit. Each transaction's phase
 * and its data are one value (coordinatorTxn.ts) changed only through moveTo; what differs between
 * protocols is asked of the transaction's CommitProtocol.
 */
export class CoordinatorCore {
  private readonly txns = new Map<TxnId, CoordinatorTxn>();
  /** Commits whose delivery was given up (resend cap): reported to operators, at most 1,000. */
  private readonly givenUp = new BoundedMap<TxnId, { view: TxnView; silent: NodeId[]; atMs: number }>(1000);
  private readonly recent: BoundedMap<TxnId, DecisionRecord>;
  /** Transactions forgotten during the last step (their timers can go). */
  private ended: TxnId[] = [];
  private effects: CoordinatorEffect[] = [];
  private now = 0;
  private recovered = false;
  private readonly coordinators: NodeId[];
  private map: ShardMap;
  /** Decision records of ids born before this may have been collected (retention.ts; durable, set by the runtime). */
  private collectedUpTo = 0;
  /** The shard map's members: every participant a transaction of this coordinator may touch. */
  private participants: NodeId[];
  readonly counters = {
    committed: 0,
    aborted: 0,
    readOnly: 0,
    timeouts: 0,
    redriven: 0,
    tombstones: 0,
    precommitTimeouts: 0,
    terminations: 0,
    resolutions: 0,
    unknownOutcomes: 0,
    readOnlyRestarts: 0,
    contradictions: 0,
    forwarded: 0,
    ownerUnreachable: 0,
    /** Runs of an id abandoned because an earlier run (other shard map) holds a branch. */
    rerouted: 0,
    /** Outcomes forced by an operator (dtx txn resolve --heuristic). */
    heuristicDecisions: 0,
    /** Commits whose delivery to some participant was given up after the resend cap. */
    deliveriesGivenUp: 0,
    /** Requests refused because their id is older than the retention window and has no record. */
    outsideRetention: 0,
  };

  constructor(
    readonly id: NodeId,
    private readonly config: CoordinatorConfig,
  ) {
    invariant(config.participants.length > 0, 'a coordinator needs at least one participant');
    this.coordinators = sorted(config.coordinators ?? [id]);
    invariant(this.coordinators.includes(id), () => `coordinator ${id} is not in its own coordinator list ${this.coordinators.join(',')}`);
    this.recent = new BoundedMap(config.recentOutcomes, {
      weight: { of: (r) => 1 + r.results.length, max: config.recentOutcomes * RECENT_OPS_PER_OUTCOME },
    });
    this.map = config.shardMap ?? initialMap(config.participants.map((p) => ({ id: p, addr: config.participantAddrs[p] ?? '' })));
    this.participants = memberIds(this.map);
  }

  /** A newer shard map: transactions prepared from now on route by it. */
  setShardMap(map: ShardMap): void {
    invariant(map.epoch >= this.map.epoch, () => `shard map epoch went back from ${this.map.epoch} to ${map.epoch}`);
    this.map = map;
    this.participants = memberIds(map);
  }

  get shardMap(): ShardMap {
    return this.map;
  }

  /** The runtime collected decision records of ids born before `ms` (the mark is durable); it only rises. */
  setCollectedUpTo(ms: number): void {
    this.collectedUpTo = Math.max(this.collectedUpTo, ms);
    // The memory copy goes with the durable one: an old id is refused the same way before and
    // after a restart, not answered from memory until then.
    this.recent.deleteWhere((_, r) => mayBeCollected(this.collectedUpTo, r.bornMs ?? r.decidedAtMs));
  }

  get retentionMark(): number {
    return this.collectedUpTo;
  }

  /**
   * The oldest birth of any transaction this coordinator still runs or re-drives (null: none):
   * collection stays below it, so that a record is never collected under a live transaction.
   */
  oldestLiveBirth(): number | null {
    let oldest: number | null = null;
    for (const t of this.txns.values()) {
      const b = t.msg?.bornMs ?? t.bornMs ?? (t.state.phase === 'committed' || t.state.phase === 'recording' ? t.state.decision.bornMs : undefined);
      if (b !== undefined && (oldest === null || b < oldest)) oldest = b;
    }
    return oldest;
  }

  /**
   * Transactions here that touch one of `shards` and may still prepare (not yet decided): a move
   * holds new ones and waits for these to end before it freezes the shards on their participant.
   */
  undecidedOnShards(shards: ReadonlySet<number>): TxnId[] {
    const count = this.map.owners.length;
    const out: TxnId[] = [];
    for (const t of this.txns.values()) {
      const p = t.state.phase;
      if (p === 'committed' || p === 'recording' || p === 'deciding' || p === 'aborting' || p === 'tombstoning') continue;
      if (t.msg?.ops.some((op) => shards.has(shardOf(op.key, count)))) out.push(t.id);
    }
    return out;
  }

  private keyOwner(key: string): NodeId {
    return ownerOfKey(this.map, key);
  }

  step(event: CoordinatorEvent, now: number): CoordinatorEffect[] {
    this.now = now;
    this.effects = [];
    this.ended = [];
    if (event.type !== 'recover') invariant(this.recovered, `coordinator ${this.id} got ${event.type} before recovery`);
    switch (event.type) {
      case 'recover':
        this.onRecover(event.pending);
        break;
      case 'transact':
        this.onTransact(event.replyTo, event.msg);
        break;
      case 'query':
        this.onQuery(event.replyTo, event.txn, event.forwarded ?? false, event.bornMs);
        break;
      case 'forwarded':
        this.onForwarded(event.txn, event.reply);
        break;
      case 'lookupDone':
        this.onLookupDone(event.txn, event.record);
        break;
      case 'vote':
        this.onVote(event.txn, event.from, event.vote);
        break;
      case 'ack':
        this.onAck(event.txn, event.from, event.known ?? true);
        break;
      case 'persisted':
        this.onPersisted(event.record);
        break;
      case 'timer':
        this.onTimer(event.timer);
        break;
      case 'precommitAck':
        this.onPrecommitAck(event.txn, event.from, event.ok);
        break;
      case 'heuristic':
        this.onHeuristic(event);
        break;
      case 'txnState':
        this.onTxnState(event.txn, event.from, event.answer);
        break;
    }
    const out = this.effects;
    this.effects = [];
    return out;
  }

  /** Decided-but-unfinished transactions (commits still being delivered). */
  inDoubt(): TxnId[] {
    return [...this.txns.values()].filter((t) => t.state.phase === 'committed').map((t) => t.id);
  }

  /** The transactions forgotten during the last step. */
  takeEnded(): TxnId[] {
    const out = this.ended;
    this.ended = [];
    return out;
  }

  get activeTxns(): number {
    return this.txns.size;
  }

  private emit(e: CoordinatorEffect): void {
    if (e.type === 'log' || e.type === 'alarm') {
      // Every line about a transaction names its trace; looked up here, not at each call site.
      const trace = this.traceOf(e.txn);
      if (trace) return void this.effects.push({ ...e, trace });
    }
    this.effects.push(e);
  }

  /** The traceparent of a transaction in memory (its request's, or its recovered decision's). */
  traceOf(txn: TxnId): string | undefined {
    const t = this.txns.get(txn);
    if (!t) return undefined;
    if (t.msg?.trace) return t.msg.trace;
    const s = t.state;
    return s.phase === 'committed' || s.phase === 'deciding' || s.phase === 'recording' ? s.decision.trace : undefined;
  }

  private newTxn(txn: TxnId, msg: TransactMessage | undefined, state: CoordinatorTxn['state']): CoordinatorTxn {
    const t: CoordinatorTxn = {
      id: txn,
      ...(msg ? { msg, rules: rulesOf(msg.protocol) } : {}),
      branches: new Map(),
      outcomeWaiters: [],
      queryWaiters: [],
      results: [],
      state,
    };
    this.txns.set(txn, t);
    return t;
  }

  /** Leaves memory by a legal move, remembering `record` (if given) to answer duplicates. */
  private forget(t: CoordinatorTxn, record?: DecisionRecord): void {
    assertMayEnd(t);
    this.txns.delete(t.id);
    this.ended.push(t.id);
    if (record) this.recent.set(t.id, record);
  }

  private onHeuristic(e: Extract<CoordinatorEvent, { type: 'heuristic' }>): void {
    const busy = this.txns.get(e.txn);
    if (busy) {
      return this.reply(e.replyTo, {
        kind: 'rejected',
        txn: e.txn,
        status: 'FAILED_PRECONDITION',
        message: `txn ${e.txn} is in progress at coordinator ${this.id} (${busy.state.phase}): it settles by itself`,
      });
    }
    const t = this.newTxn(e.txn, undefined, { phase: 'preparing' });
    for (const p of sorted(e.participants)) t.branches.set(p, { ops: [], opIndex: [], acked: false });
    t.queryWaiters.push(e.replyTo);
    this.counters.heuristicDecisions++;
    const heuristic = { by: e.by, note: e.note };
    const participants = sorted(e.participants);
    this.emit({ type: 'log', level: 'warn', txn: e.txn, msg: `heuristic ${e.outcome} forced by ${e.by}: ${e.note}` });
    if (e.outcome === 'COMMITTED') {
      const decision: DecisionRecord = { ...this.foundRecord(e.txn, 'COMMITTED', participants, ''), reason: `heuristic: ${e.note}`, heuristic };
      moveTo(t, { phase: 'deciding', decision });
      this.emit({ type: 'persist', record: { kind: 'decision', record: decision }, sync: true });
      return;
    }
    moveTo(t, { phase: 'aborting', lateVoters: participants });
    const record = { ...this.abortRecord(e.txn, participants, `heuristic: ${e.note}`, 'PRESUMED', ''), heuristic };
    this.emit({ type: 'persist', record: { kind: 'decision', record }, sync: true });
  }

  private onRecover(pending: DecisionRecord[]): void {
    invariant(!this.recovered, 'coordinator recovered twice');
    this.recovered = true;
    for (const d of pending) {
      invariant(d.outcome === 'COMMITTED', () => `pending decision of ${d.txn} is ${d.outcome}`);
      const t = this.newTxn(d.txn, undefined, { phase: 'committed', decision: d, resendDelayMs: this.config.resendMinMs });
      for (const p of d.participants) t.branches.set(p, { ops: [], opIndex: [], acked: false });
      this.counters.redriven++;
      this.sendDecision(d.txn, 'commit', d.participants);
      this.emit({ type: 'setTimer', timer: { kind: 'resend', txn: d.txn }, at: this.now + this.config.resendMinMs });
      this.emit({ type: 'log', level: 'info', txn: d.txn, msg: 're-driving a committed transaction after restart' });
    }
  }

  private onTransact(replyTo: ReplyTo, msg: TransactMessage): void {
    const t = this.txns.get(msg.txn);
    if (t) {
      if (t.msg && t.msg.digest !== msg.digest) return this.rejectReuse(replyTo, msg.txn);
      const s = t.state;
      // A re-driven decision has no request in memory: check the ops against the record.
      if (s.phase === 'committed' || s.phase === 'recording') return this.answerTransact(replyTo, msg, s.decision);
      if (!t.msg && (s.phase === 'lookup' || s.phase === 'resolving' || s.phase === 'forwarding')) {
        // A query started it: the request joins (a forwarded question's answer is not the
        // request's: it goes to the owner itself once that answer is in, see onForwarded).
        t.msg = msg;
        t.rules = rulesOf(msg.protocol);
      }
      t.outcomeWaiters.push(replyTo);
      return;
    }
    const done = this.recent.get(msg.txn);
    if (done) return this.answerTransact(replyTo, msg, done);
    if (this.txns.size >= this.config.maxActiveTxns) return this.rejectBusy(replyTo, msg.txn);
    const owner = this.ownerOf(msg.txn);
    if (owner !== this.id) {
      if (msg.forwarded) return this.rejectNotOwner(replyTo, msg.txn, owner);
      this.forwardTo(owner, this.newTxn(msg.txn, msg, { phase: 'forwarding', owner, asked: 'transact' }), replyTo, 'outcome');
      return;
    }
    const fresh = this.newTxn(msg.txn, msg, { phase: 'lookup' });
    fresh.outcomeWaiters.push(replyTo);
    if (msg.clientId) this.emit({ type: 'lookup', txn: msg.txn });
    else this.startPrepare(fresh);
  }

  private onQuery(replyTo: ReplyTo, txn: TxnId, forwarded: boolean, bornMs: number | undefined): void {
    const t = this.txns.get(txn);
    if (t) {
      if (bornMs !== undefined && t.bornMs === undefined && !t.msg) t.bornMs = bornMs;
      const s = t.state;
      if (s.phase === 'committed' || s.phase === 'recording') return this.replyDecision(replyTo, s.decision);
      if (s.phase === 'lookup' || s.phase === 'tombstoning' || s.phase === 'resolving' || s.phase === 'probing' || s.phase === 'forwarding') {
        t.queryWaiters.push(replyTo);
      } else this.replyPending(replyTo, t);
      return;
    }
    const done = this.recent.get(txn);
    if (done) return this.replyDecision(replyTo, done);
    if (this.txns.size >= this.config.maxActiveTxns) return this.rejectBusy(replyTo, txn);
    const owner = this.ownerOf(txn);
    if (owner !== this.id) {
      if (forwarded) return this.rejectNotOwner(replyTo, txn, owner);
      const f = this.newTxn(txn, undefined, { phase: 'forwarding', owner, asked: 'query' });
      if (bornMs !== undefined) f.bornMs = bornMs;
      this.forwardTo(owner, f, replyTo, 'query');
      return;
    }
    const q = this.newTxn(txn, undefined, { phase: 'lookup' });
    if (bornMs !== undefined) q.bornMs = bornMs;
    q.queryWaiters.push(replyTo);
    this.emit({ type: 'lookup', txn });
  }

  /** The coordinator that owns `txn` (ownership.ts). */
  ownerOf(txn: TxnId): NodeId {
    return this.coordinators.length === 1 ? this.coordinators[0]! : ownerOfTxn(txn, this.coordinators);
  }

  /** Another coordinator owns the id: only it runs the transaction and decides; this one passes the request on. */
  private forwardTo(owner: NodeId, t: CoordinatorTxn, replyTo: ReplyTo, waiter: 'outcome' | 'query'): void {
    this.counters.forwarded++;
    (waiter === 'outcome' ? t.outcomeWaiters : t.queryWaiters).push(replyTo);
    const bornMs = t.msg?.bornMs ?? t.bornMs;
    this.emit({ type: 'forward', txn: t.id, to: owner, msg: t.msg ?? null, ...(bornMs !== undefined ? { bornMs } : {}) });
  }

  /**
   * The owner's answer is the answer. An owner that cannot be reached still owns the id (it may
   * be running it behind a partition): ask the participants what is certain, never presume.
   */
  private onForwarded(txn: TxnId, reply: CoordinatorReply | null): void {
    const t = this.txns.get(txn);
    if (t?.state.phase !== 'forwarding') return;
    if (reply && t.msg && t.state.asked === 'query') {
      // A request joined a forwarded question: the question's answer is not the request's (no
      // ops checked, maybe PENDING before it ran); the request now goes to the owner itself.
      for (const w of t.queryWaiters) this.reply(w, { ...reply, txn });
      t.queryWaiters = [];
      t.state.asked = 'transact';
      this.emit({ type: 'forward', txn, to: t.state.owner, msg: t.msg });
      return;
    }
    if (reply) {
      this.forget(t);
      for (const w of [...t.outcomeWaiters, ...t.queryWaiters]) this.reply(w, { ...reply, txn });
      return;
    }
    this.counters.ownerUnreachable++;
    this.counters.resolutions++;
    this.emit({ type: 'log', level: 'info', txn, msg: `owner ${t.state.owner} unreachable: asking the participants what is certain` });
    // Aborting the unvoted settles the id only where a vote cannot be forgotten (see
    // certainAborters); elsewhere it would write ABORT over a read the owner may have committed.
    moveTo(t, { phase: 'resolving', round: this.askStates(txn, this.participants, this.certainAborters(t)) });
  }

  /**
   * The participants whose ABORT settles a transaction for a coordinator that does not own it:
   * those whose vote can never be forgotten — every one under a protocol that forces every vote
   * (nb, 3pc), else (2pc) those holding one of its writes (a write always forces its YES). A 2pc
   * READ_ONLY branch forces nothing and forgets the transaction once released, so there "no
   * trace" may be a read the owner committed. Without the request: nobody (its ops and protocol
   * are unknown).
   */
  private certainAborters(t: CoordinatorTxn): Set<NodeId> {
    if (!t.msg) return new Set();
    if (!rulesOf(t.msg.protocol).readOnlyVoteIsUnforced) return new Set(this.participants);
    return new Set(t.msg.ops.filter((op) => op.type === 'put' || op.type === 'delete' || op.type === 'add').map((op) => this.keyOwner(op.key)));
  }

  private rejectNotOwner(replyTo: ReplyTo, txn: TxnId, owner: NodeId): void {
    this.counters.contradictions++;
    this.emit({ type: 'alarm', txn, msg: `a forwarded request for ${txn}, which ${owner} owns: coordinators disagree on the coordinator list` });
    this.reply(replyTo, {
      kind: 'rejected',
      txn,
      status: 'FAILED_PRECONDITION',
      message: `coordinator ${this.id} does not own ${txn} (${owner} does by its coordinator list ${this.coordinators.join(',')}): give every coordinator the same --coordinators`,
    });
  }

  private onLookupDone(txn: TxnId, record: DecisionRecord | null): void {
    const t = this.txns.get(txn);
    invariant(t?.state.phase === 'lookup', () => `lookup of ${txn} finished in phase ${t?.state.phase}`);
    if (record) {
      this.forget(t, record);
      for (const w of t.outcomeWaiters) this.answerTransact(w, t.msg ?? null, record);
      for (const w of t.queryWaiters) this.replyDecision(w, record);
      return;
    }
    // No record of an id older than the window: it may have run and been collected here or on
    // its participants. Never run it again, never presume it aborted.
    const retention = this.config.retention ?? null;
    // A question that does not say when the id first ran, once anything was collected here, is one
    // too: an id never seen cannot be told from one collected, and a tombstone could contradict it.
    // (A question about an id born under the mark is settled from the participants' records below:
    // an in-doubt participant asks that, and only they can still hold the outcome.)
    if (t.msg ? outsideWindow(retention, t.msg.bornMs, this.now) : t.bornMs === undefined && mayBeCollected(this.collectedUpTo, undefined)) {
      return this.refuseOutsideRetention(t);
    }
    if (t.msg && t.rules?.probeRetriedIds) {
      // A retried id with no record here. Its participants may have settled an earlier run
      // without this coordinator: look (without aborting anything) before re-running.
      const owners = sorted(new Set(t.msg.ops.map((op) => this.keyOwner(op.key))));
      moveTo(t, { phase: 'probing', round: this.askStates(txn, owners, false) });
      return;
    }
    if (t.msg) {
      for (const w of t.queryWaiters) this.replyPending(w, t);
      t.queryWaiters = [];
      this.startPrepare(t);
      return;
    }
    // No record here. Under 2pc that means it never committed, but a 3pc or nb transaction
    // may have been decided by its participants: ask them all, each aborting first if it has
    // not voted, so that the answer cannot change after it is given.
    this.counters.resolutions++;
    moveTo(t, { phase: 'resolving', round: this.askStates(txn, this.participants, true) });
  }

  /** Forgotten here, every waiter refused: the id is older than the retention window (retention.ts). */
  private refuseOutsideRetention(t: CoordinatorTxn): void {
    this.counters.outsideRetention++;
    const message = outsideWindowMessage(t.id, this.config.retention ?? null, this.collectedUpTo);
    this.emit({ type: 'log', level: 'info', txn: t.id, msg: message });
    this.forget(t);
    for (const w of [...t.outcomeWaiters, ...t.queryWaiters]) this.reply(w, { kind: 'rejected', txn: t.id, status: 'FAILED_PRECONDITION', message });
  }

  /** `abortIfUnvoted`: for every target, or only for those in the set. */
  private askStates(txn: TxnId, targets: NodeId[], abortIfUnvoted: boolean | ReadonlySet<NodeId>): StateRound {
    const aborts = (p: NodeId): boolean => (typeof abortIfUnvoted === 'boolean' ? abortIfUnvoted : abortIfUnvoted.has(p));
    const t = this.txns.get(txn);
    const bornMs = t?.msg?.bornMs ?? t?.bornMs;
    const born = bornMs !== undefined ? { bornMs } : {};
    for (const p of targets) this.emit({ type: 'send', to: p, message: { kind: 'query', txn, abortIfUnvoted: aborts(p), ...born } });
    return { answers: new Map(), awaiting: new Set(targets) };
  }

  private onTxnState(txn: TxnId, from: NodeId, answer: StateAnswer): void {
    const t = this.txns.get(txn);
    const s = t?.state;
    if (!t || !s || (s.phase !== 'resolving' && s.phase !== 'terminating' && s.phase !== 'probing')) return;
    if (!s.round.awaiting.delete(from)) return;
    // RETIRED (forgotten there, maybe ended) says nothing a run of the id can use: as if unheard.
    // Only a resolution of a question weighs it (concludeResolution).
    s.round.answers.set(from, answer.state === 'RETIRED' && s.phase !== 'resolving' ? { ...answer, state: 'UNREACHABLE' } : answer);
    if (s.round.awaiting.size > 0) return;
    if (s.phase === 'resolving') this.concludeResolution(t, s.round.answers);
    else if (s.phase === 'terminating') this.concludeTermination(t, s.round.answers);
    else this.concludeProbe(t, s.round.answers);
  }

  /**
   * A client-chosen 3pc id with no record here: run it unless an earlier run got every vote or
   * was decided. (nb needs no probe: each log's vote is final, so a duplicate prepare answers
   * what the earlier run left, and the new run can only reach the same outcome.)
   */
  private concludeProbe(t: CoordinatorTxn, answers: Map<NodeId, StateAnswer>): void {
    const { msg } = requestOf(t);
    const states = [...answers.values()].map((a) => a.state);
    // A participant that never saw it means no earlier run collected every vote, so none
    // committed or pre-committed: running it (again) is safe, its logs keep one vote each.
    if (!states.includes('COMMITTED') && !states.includes('ABORTED') && states.includes('UNKNOWN')) {
      for (const w of t.queryWaiters) this.replyPending(w, t);
      t.queryWaiters = [];
      this.startPrepare(t);
      return;
    }
    const outcome: Outcome | 'PENDING' = states.includes('COMMITTED') ? 'COMMITTED' : states.includes('ABORTED') ? 'ABORTED' : 'PENDING';
    this.emit({ type: 'log', level: 'info', txn: t.id, msg: `retried id with no record; participants say ${describeAnswers(answers)}: ${outcome}` });
    this.forget(t);
    const waiters = [...t.outcomeWaiters, ...t.queryWaiters];
    if (outcome === 'PENDING') {
      // Only a participant holding a vote shows an earlier run; out of reach, nobody can tell.
      const down = [...answers].filter(([, a]) => a.state === 'UNREACHABLE').map(([p]) => p);
      const why = states.some((s) => isInDoubt(s))
        ? 'an earlier run of this id is being settled by its participants'
        : `participants ${down.join(',')} cannot be reached: whether an earlier run of this id exists cannot be told yet`;
      for (const w of waiters) this.replyPending(w, t, why, false);
      return;
    }
    const record = this.foundRecord(t.id, outcome, knownParticipants(answers), msg.digest);
    if (outcome === 'COMMITTED') {
      const results = this.resultsInOpOrder(msg.ops, answers);
      if (!results) {
        for (const w of waiters) this.replyPending(w, t, 'committed by its participants; its results are not all reachable yet', false);
        return;
      }
      record.results = results;
    }
    this.recent.set(t.id, record);
    for (const w of t.outcomeWaiters) this.answerTransact(w, msg, record);
    for (const w of t.queryWaiters) this.replyDecision(w, record);
  }

  /**
   * A COMMITTED answer must carry one result per op (the contract). Rebuilt from the
   * participants' answers, each branch's results in the order of its ops in the request;
   * null if a branch's results are missing.
   */
  private resultsInOpOrder(ops: TxnOp[], answers: Map<NodeId, StateAnswer>): OpResult[] | null {
    // Placed by the op index each result carries: a key's owner now may not be the participant
    // that ran its op (its shard moved since), so the map cannot say whose result is whose.
    const byIndex = resultsByIndex(answers.values());
    if (byIndex) return byIndex.length === ops.length && byIndex.every((r, i) => r.key === ops[i]!.key) ? byIndex : null;
    const next = new Map<NodeId, number>();
    const out: OpResult[] = [];
    for (const op of ops) {
      const owner = this.keyOwner(op.key);
      const i = next.get(owner) ?? 0;
      const r = answers.get(owner)?.results[i];
      if (!r || r.key !== op.key) return null;
      out.push(withoutIndex(r));
      next.set(owner, i + 1);
    }
    return out;
  }

  /** A decision learnt from the participants rather than made here. */
  private foundRecord(txn: TxnId, outcome: Outcome, participants: NodeId[], digest: string): DecisionRecord {
    return {
      txn,
      outcome,
      participants,
      results: [],
      reason: outcome === 'ABORTED' ? 'aborted by its participants' : '',
      ...(outcome === 'ABORTED' ? { abortCode: 'PRESUMED' as const } : {}),
      digest,
      decidedAtMs: this.now,
    };
  }

  private concludeResolution(t: CoordinatorTxn, answers: Map<NodeId, StateAnswer>): void {
    const states = [...answers.values()].map((a) => a.state);
    // A participant forgot it (collected) and none holds a commit: it may have committed there,
    // so neither an abort found elsewhere (maybe just forced by this round) nor a tombstone may answer.
    const owner = this.ownerOf(t.id);
    if (states.includes('RETIRED') && !states.includes('COMMITTED') && !(owner === this.id && this.onlyOwnerCommits(answers))) {
      return this.refuseOutsideRetention(t);
    }
    const outcome = coordinatorResolution(answers, owner === this.id);
    const known = knownParticipants(answers);
    const inDoubt = [...answers].filter(([, a]) => isInDoubt(a.state) || a.state === 'READ_ONLY').map(([p]) => p);
    this.emit({ type: 'log', level: 'info', txn: t.id, msg: `no record; participants say ${describeAnswers(answers)}: ${outcome}` });
    if (outcome === 'PENDING') {
      this.forget(t);
      this.counters.unknownOutcomes++;
      const why =
        owner === this.id
          ? 'no decision recorded here; its participants settle it'
          : `owned by coordinator ${owner}, which cannot be reached, and its participants do not know the outcome yet; ask again`;
      for (const w of [...t.queryWaiters, ...t.outcomeWaiters]) this.replyPending(w, t, why, false, namedParticipants(answers));
      return;
    }
    if (outcome === 'COMMITTED') {
      // Found, not decided here: finish the in-doubt branches. Not remembered: a Transact
      // retried later needs every op's result, which a probe of its participants rebuilds.
      const results = t.msg ? this.resultsInOpOrder(t.msg.ops, answers) : resultsByIndex(answers.values());
      const record = { ...this.foundRecord(t.id, 'COMMITTED', known, ''), results: results ?? [] };
      this.forget(t);
      this.sendDecision(t.id, 'commit', inDoubt);
      for (const w of t.queryWaiters) this.replyDecision(w, record);
      for (const w of t.outcomeWaiters) {
        if (t.msg && results) this.answerTransact(w, t.msg, { ...record, results });
        else this.replyPending(w, t, 'committed by its participants; retry to get its results', false);
      }
      return;
    }
    if (owner !== this.id) {
      // Only an ABORT where no vote can be forgotten is certain (certainAborters), and only for the
      // transaction the participants hold: one that names another protocol is another request
      // under this id. Otherwise only the owner can tell.
      const aborters = this.certainAborters(t);
      const sameProtocol = [...answers.values()].every((a) => a.protocol === null || a.protocol === t.msg?.protocol);
      if (!sameProtocol || ![...answers].some(([p, a]) => a.state === 'ABORTED' && aborters.has(p))) {
        this.forget(t);
        this.counters.unknownOutcomes++;
        const why = `owned by coordinator ${owner}, which cannot be reached; its participants hold no commit, but only ${owner} can tell an abort from a read it committed; ask again`;
        for (const w of [...t.queryWaiters, ...t.outcomeWaiters]) this.replyPending(w, t, why, false, namedParticipants(answers));
        return;
      }
      // Certain without a record here: a participant holds ABORT, or every one was unvoted and
      // now holds it for good. The owner alone keeps records of its ids.
      // The in-doubt branches are not told: they learn it from their owner or their peers
      // (termination), never from a coordinator that judged by a request it cannot check.
      const record = this.foundRecord(t.id, 'ABORTED', known, '');
      this.forget(t);
      for (const w of [...t.queryWaiters, ...t.outcomeWaiters]) this.replyDecision(w, record);
      return;
    }
    if (t.bornMs !== undefined && mayBeCollected(this.collectedUpTo, t.bornMs)) {
      // Under the mark the window already fences the id (no run of it is ever started again), and
      // a tombstone could stand where a read-only commit was collected: answer, tell, write nothing.
      const record = this.foundRecord(t.id, 'ABORTED', known, '');
      this.forget(t);
      this.sendDecision(t.id, 'abort', inDoubt);
      for (const w of [...t.queryWaiters, ...t.outcomeWaiters]) this.replyDecision(w, record);
      return;
    }
    // Aborted: fence the id for good, then tell the in-doubt branches.
    moveTo(t, { phase: 'tombstoning', lateVoters: inDoubt });
    this.counters.tombstones++;
    this.emit({
      type: 'persist',
      record: { kind: 'decision', record: this.abortRecord(t.id, known, 'no record of this transaction: presumed aborted', 'PRESUMED', '') },
      sync: true,
    });
  }

  /**
   * A branch is in doubt under a protocol whose participants never commit alone (2pc): a commit
   * would be recorded here, kept (u!) until every branch acknowledged it — so, with no record
   * here, the transaction did not commit, whatever a participant that forgot it says.
   */
  private onlyOwnerCommits(answers: Map<NodeId, StateAnswer>): boolean {
    const inDoubt = [...answers.values()].filter((a) => isInDoubt(a.state));
    return inDoubt.length > 0 && inDoubt.every((a) => a.protocol !== null && !rulesOf(a.protocol).participantsDecideAlone);
  }

  private startPrepare(t: CoordinatorTxn): void {
    const { msg } = requestOf(t);
    invariant(this.ownerOf(t.id) === this.id, () => `coordinator ${this.id} about to run ${t.id}, which ${this.ownerOf(t.id)} owns`);
    moveTo(t, { phase: 'preparing' });
    msg.ops.forEach((op, i) => {
      const owner = this.keyOwner(op.key);
      let b = t.branches.get(owner);
      if (!b) {
        b = { ops: [], opIndex: [], acked: false };
        t.branches.set(owner, b);
      }
      b.ops.push(op);
      b.opIndex.push(i);
    });
    const participants = sorted(t.branches.keys());
    const lockWaitMs = Math.max(0, Math.min(this.config.maxLockWaitMs, Math.floor(msg.timeoutMs / 2)));
    for (const p of participants) {
      const prepare: PrepareMessage = {
        txn: t.id,
        coordinatorId: this.id,
        coordinatorAddr: this.config.selfAddr,
        ops: t.branches.get(p)!.ops,
        participants,
        participantAddrs: participants.map((id) => this.map.members.find((m) => m.id === id)?.addr ?? this.config.participantAddrs[id] ?? ''),
        protocol: msg.protocol,
        age: msg.age,
        ...(msg.bornMs !== undefined ? { bornMs: msg.bornMs } : {}),
        lockWaitMs,
        opIndexes: t.branches.get(p)!.opIndex,
        opCount: msg.ops.length,
        ...(msg.trace ? { trace: msg.trace } : {}),
      };
      this.emit({ type: 'send', to: p, message: { kind: 'prepare', msg: prepare } });
    }
    this.emit({ type: 'setTimer', timer: { kind: 'prepareTimeout', txn: t.id }, at: this.now + msg.timeoutMs });
  }

  private onVote(txn: TxnId, from: NodeId, vote: Vote): void {
    const t = this.txns.get(txn);
    if (!t || t.state.phase !== 'preparing') return this.onLateVote(txn, t, from, vote);
    const { rules } = requestOf(t);
    const b = t.branches.get(from);
    if (!b) {
      // Input from outside: refused and raised, never trusted (nor a crash).
      this.counters.contradictions++;
      this.emit({ type: 'alarm', txn, msg: `vote for ${txn} from ${from}, which is not one of its participants` });
      return;
    }
    if (b.vote) return; // duplicate
    if (vote.kind === 'NO' && vote.code === 'WRONG_SHARD' && vote.reason.startsWith(REROUTED)) {
      // An earlier run of this id, routed before a shard moved, holds a branch there: this run
      // must not decide (nor abort that branch). Every participant's log settles the id instead.
      this.counters.rerouted++;
      this.counters.resolutions++;
      this.emit({ type: 'log', level: 'info', txn, msg: `an earlier run holds ${from}: settling the id from every participant's log` });
      moveTo(t, { phase: 'resolving', round: this.askStates(txn, this.participants, true) });
      return;
    }
    if (vote.kind === 'NO' && vote.code === 'UNAVAILABLE_PARTICIPANT' && rules.onMissingVote === 'askTheLogs') {
      // Not a vote: no log holds it. Only a log's ABORT may abort: ask the logs now.
      return this.startLogTermination(t, `participant ${from} unreachable`);
    }
    b.vote = vote;
    if (vote.kind === 'NO') return this.abort(t, `participant ${from}: ${vote.reason}`, vote.code);
    // A branch may answer from an earlier run of this id (its outcome record, moved with a shard):
    // its results say which op each is for; the order of this run's ops is only a fallback.
    const opCount = requestOf(t).msg.ops.length;
    vote.results.forEach((r, i) => {
      const at = r.index !== undefined && r.index >= 0 && r.index < opCount ? r.index : b.opIndex[i];
      if (at !== undefined) t.results[at] = withoutIndex(r);
    });
    if ([...t.branches.values()].some((x) => !x.vote)) return;
    const readOnly = [...t.branches].filter(([, x]) => x.vote!.kind === 'READ_ONLY').map(([p]) => p);
    if (rules.confirmReadOnlyBranches && readOnly.length > 0 && t.branches.size > 1) {
      // Unforced read-only votes hold their read locks in memory only. Release them now and ask
      // each whether it still held them: one that restarted since its vote lost them, and others
      // may have written what it read before the other branches read theirs.
      moveTo(t, { phase: 'confirming', awaiting: new Set(readOnly) });
      for (const p of readOnly) this.emit({ type: 'send', to: p, message: { kind: 'release', txn } });
      return;
    }
    this.allVotesIn(t);
  }

  /** A vote after the voting ended: locks held for an aborted transaction are released now. */
  private onLateVote(txn: TxnId, t: CoordinatorTxn | undefined, from: NodeId, vote: Vote): void {
    if (vote.kind === 'NO') return;
    // Once the abort is durable, for a client-chosen id.
    if (!t && this.recent.get(txn)?.outcome === 'ABORTED') this.sendDecision(txn, 'abort', [from]);
    if (t?.state.phase === 'aborting') t.state.lateVoters.push(from);
  }

  private onAck(txn: TxnId, from: NodeId, known: boolean): void {
    const t = this.txns.get(txn);
    const s = t?.state;
    const b = t?.branches.get(from);
    if (!t || !s || !b) return;
    if (s.phase === 'confirming') {
      if (!s.awaiting.delete(from)) return;
      b.acked = true;
      if (!known) {
        this.counters.readOnlyRestarts++;
        return this.abort(t, `read-only participant ${from} restarted before the decision: its reads may be from another snapshot`, 'CONFLICT');
      }
      if (s.awaiting.size === 0) this.allVotesIn(t);
      return;
    }
    if (s.phase !== 'committed') return;
    b.acked = true;
    if ([...t.branches.values()].every((x) => x.acked)) {
      this.forget(t, s.decision);
      // END need not be forced: losing it only means re-sending a commit that is acked again.
      this.emit({ type: 'persist', record: { kind: 'end', txn }, sync: false });
    }
  }

  /** Every vote is YES or READ_ONLY (and every read-only branch that had to confirm did). */
  private allVotesIn(t: CoordinatorTxn): void {
    if ([...t.branches.values()].some((x) => x.vote!.kind !== 'READ_ONLY')) return this.allVotedYes(t);
    // Nothing was written anywhere: no decision to force. Releasing the read locks is all.
    // The record is written unforced only so that GetTransaction can tell COMMITTED later;
    // if a crash loses it, the id reads as aborted, which for a read loses nothing.
    // The txn stays in memory until the record lands, so that no lookup can miss it
    // in between and fence the id as aborted.
    this.counters.readOnly++;
    const record: DecisionRecord = { ...this.commitRecord(t), readOnly: true };
    moveTo(t, { phase: 'recording', decision: record });
    this.answerAll(t, record);
    this.sendDecision(t.id, 'commit', this.unacked(t));
    this.emit({ type: 'persist', record: { kind: 'decision', record }, sync: false });
  }

  private allVotedYes(t: CoordinatorTxn): void {
    const { rules } = requestOf(t);
    switch (rules.onAllYes) {
      case 'forceDecision':
        return this.forceCommit(t);
      case 'precommitThenDecide':
        // Nobody commits before every participant is pre-committed (or presumed failed).
        moveTo(t, { phase: 'precommitting' });
        for (const p of sorted(t.branches.keys())) this.emit({ type: 'send', to: p, message: { kind: 'precommit', txn: t.id } });
        this.emit({ type: 'setTimer', timer: { kind: 'precommitTimeout', txn: t.id }, at: this.now + this.config.precommitTimeoutMs });
        return;
      case 'votesAreTheDecision': {
        // Every YES is durable in its participant's log: that IS the commit. The record here is
        // only a cache for GetTransaction, written unforced; losing it loses nothing.
        const record: DecisionRecord = { ...this.commitRecord(t), protocol: rules.name };
        this.announceCommit(t, record);
        this.emit({ type: 'persist', record: { kind: 'decision', record }, sync: false });
        return;
      }
    }
  }

  private forceCommit(t: CoordinatorTxn): void {
    const decision = this.commitRecord(t);
    moveTo(t, { phase: 'deciding', decision });
    this.emit({ type: 'persist', record: { kind: 'decision', record: decision }, sync: true });
  }

  private onPrecommitAck(txn: TxnId, from: NodeId, ok: boolean): void {
    const t = this.txns.get(txn);
    if (!t || t.state.phase !== 'precommitting') return;
    const b = t.branches.get(from);
    if (!b) return;
    // Refused: it aborted meanwhile (a termination ran without us): nobody may commit now.
    if (!ok) return this.abort(t, `participant ${from} refused PreCommit: already aborted`, 'TIMED_OUT');
    b.precommitted = true;
    if ([...t.branches.values()].every((x) => x.precommitted)) this.forceCommit(t);
  }

  /** A vote is missing: ask every log that has not shown a YES to hold ABORT, then decide from what they hold. */
  private startLogTermination(t: CoordinatorTxn, why: string): void {
    this.counters.terminations++;
    this.emit({ type: 'log', level: 'info', txn: t.id, msg: `${requestOf(t).rules.name} termination: ${why}` });
    const silent = [...t.branches].filter(([, b]) => b.vote?.kind !== 'YES').map(([p]) => p);
    moveTo(t, { phase: 'terminating', round: this.askStates(t.id, silent, true) });
  }

  private concludeTermination(t: CoordinatorTxn, answers: Map<NodeId, StateAnswer>): void {
    const aborted = [...answers].find(([, a]) => a.state === 'ABORTED');
    if (aborted) return this.abort(t, `participant ${aborted[0]} holds ABORT (no vote in time)`, 'TIMED_OUT');
    if ([...answers.values()].every((a) => isInDoubt(a.state) || a.state === 'COMMITTED')) {
      for (const [p, a] of answers) {
        const b = t.branches.get(p)!;
        // Its vote never reached us; the one in its log counts, with the results it holds.
        if (!b.vote) {
          b.vote = { kind: 'YES', results: a.results };
          a.results.forEach((r, i) => {
            const at = r.index !== undefined && r.index >= 0 && r.index < requestOf(t).msg.ops.length ? r.index : b.opIndex[i];
            if (at !== undefined) t.results[at] = withoutIndex(r);
          });
        }
      }
      return this.allVotedYes(t);
    }
    // A log is out of reach: the outcome is unknown until it returns. The participants that
    // voted YES finish it themselves (their own termination); a client can ask GetTransaction.
    const down = [...answers].filter(([, a]) => a.state === 'UNREACHABLE').map(([p]) => p);
    this.counters.unknownOutcomes++;
    this.emit({ type: 'log', level: 'warn', txn: t.id, msg: `termination undecided: unreachable ${down.join(',')}` });
    this.forget(t);
    for (const w of [...t.outcomeWaiters, ...t.queryWaiters]) this.replyPending(w, t, `vote logs unreachable: ${down.join(',')}`, false);
  }

  private onPersisted(record: CoordinatorRecord): void {
    if (record.kind === 'end') return;
    const d = record.record;
    const t = this.txns.get(d.txn);
    const s = t?.state;
    if (d.readOnly) {
      if (t && s?.phase === 'recording') this.forget(t, d);
      return;
    }
    if (d.outcome === 'ABORTED') {
      if (!t || (s?.phase !== 'tombstoning' && s?.phase !== 'aborting')) return; // an unforced abort record landed
      this.forget(t, d);
      this.sendDecision(d.txn, 'abort', s.lateVoters);
      for (const w of t.outcomeWaiters) this.answerTransact(w, t.msg ?? null, d);
      for (const w of t.queryWaiters) this.replyDecision(w, d);
      return;
    }
    if (d.protocol !== undefined && !rulesOf(d.protocol).decisionIsForced) return; // the unforced cache landed; the commit was announced already
    invariant(t && s?.phase === 'deciding', () => `commit of ${d.txn} persisted in phase ${s?.phase}`);
    // Only now, with the decision durable, may anyone hear it.
    this.announceCommit(t, d);
  }

  private announceCommit(t: CoordinatorTxn, d: DecisionRecord): void {
    const s = moveTo(t, { phase: 'committed', decision: d, resendDelayMs: this.config.resendMinMs });
    this.counters.committed++;
    this.emit({ type: 'log', level: 'debug', txn: t.id, msg: 'committed' });
    // The participants first: a client's next transaction on the same keys then finds the
    // locks already on their way out.
    this.sendDecision(t.id, 'commit', this.unacked(t));
    this.answerAll(t, d);
    this.emit({ type: 'setTimer', timer: { kind: 'resend', txn: t.id }, at: this.now + s.resendDelayMs });
  }

  private onTimer(timer: CoordinatorTimer): void {
    const t = this.txns.get(timer.txn);
    if (!t) return;
    const s = t.state;
    switch (timer.kind) {
      case 'precommitTimeout': {
        if (s.phase !== 'precommitting') return;
        // Skeen: a missing PreCommit ack means that participant failed; it adopts the outcome
        // when it returns. (If it is merely cut off, its side may abort: 3pc's known limit.)
        this.counters.precommitTimeouts++;
        const silent = [...t.branches].filter(([, b]) => !b.precommitted).map(([p]) => p);
        this.emit({ type: 'log', level: 'warn', txn: t.id, msg: `no PreCommit ack from ${silent.join(',')}: committing anyway` });
        return this.forceCommit(t);
      }
      case 'prepareTimeout':
        return this.onPrepareTimeout(t);
      case 'resend': {
        if (s.phase !== 'committed') return;
        s.resends = (s.resends ?? 0) + 1;
        if (s.resends > (this.config.resendMaxAttempts ?? Infinity)) return this.giveUpDelivery(t, s.decision);
        this.sendDecision(t.id, 'commit', this.unacked(t));
        s.resendDelayMs = Math.min(s.resendDelayMs * 2, this.config.resendMaxMs);
        this.emit({ type: 'setTimer', timer: { kind: 'resend', txn: t.id }, at: this.now + s.resendDelayMs });
        return;
      }
    }
  }

  /**
   * The resend cap is reached: the commit stays durable here (its unfinished mark too, so a
   * restart re-drives it), the silent participants learn it when they ask; memory lets it go
   * and keeps a bounded note for operators.
   */
  private giveUpDelivery(t: CoordinatorTxn, d: DecisionRecord): void {
    const silent = this.unacked(t);
    this.counters.deliveriesGivenUp++;
    this.givenUp.set(t.id, { view: { ...coordinatorTxnView(this.id, t), phase: 'undelivered' }, silent, atMs: this.now });
    this.emit({
      type: 'log',
      level: 'warn',
      txn: t.id,
      msg: `gave up delivering COMMIT to ${silent.join(',')} after ${this.config.resendMaxAttempts ?? 0} resends; they settle it when they ask, and a restart of this coordinator re-drives it`,
    });
    this.forget(t, d);
  }

  /** Unfinished transactions in memory and the deliveries given up, as an operator sees them (dtx txn list). */
  operatorViews(): TxnView[] {
    return [...[...this.txns.values()].map((t) => coordinatorTxnView(this.id, t)), ...[...this.givenUp.values()].map((g) => g.view)];
  }

  operatorView(txn: TxnId): TxnView | null {
    const t = this.txns.get(txn);
    return t ? coordinatorTxnView(this.id, t) : (this.givenUp.get(txn)?.view ?? null);
  }

  /** A decision this coordinator remembers (recently finished), for an operator's inspect. */
  remembered(txn: TxnId): DecisionRecord | null {
    return this.recent.get(txn) ?? null;
  }

  private onPrepareTimeout(t: CoordinatorTxn): void {
    const s = t.state;
    if (s.phase !== 'preparing' && s.phase !== 'confirming') return;
    const { msg, rules } = requestOf(t);
    this.counters.timeouts++;
    if (s.phase === 'confirming') {
      return this.abort(t, `read-only participants ${sorted(s.awaiting).join(', ')} did not confirm within ${msg.timeoutMs} ms`, 'TIMED_OUT');
    }
    const silent = [...t.branches.entries()].filter(([, b]) => !b.vote).map(([p]) => p);
    const why = `no vote from ${silent.join(', ')} within ${msg.timeoutMs} ms`;
    if (rules.onMissingVote === 'askTheLogs') return this.startLogTermination(t, why);
    this.abort(t, why, 'TIMED_OUT');
  }

  private unacked(t: CoordinatorTxn): NodeId[] {
    return sorted([...t.branches].filter(([, b]) => !b.acked).map(([p]) => p));
  }

  private abort(t: CoordinatorTxn, reason: string, code: AbortCode): void {
    const { msg } = requestOf(t);
    // Tell everyone but the participants that really voted NO: a NO made up for one that could
    // not be reached may hide a prepare still on its way there, which must not be left waiting.
    // Read-only branches released already are done.
    const notNo = [...t.branches.entries()].filter(([, b]) => !b.acked && (b.vote?.kind !== 'NO' || b.vote.code === 'UNAVAILABLE_PARTICIPANT')).map(([p]) => p);
    const record = { ...this.abortRecord(t.id, sorted(t.branches.keys()), reason, code, msg.digest), ...(msg.trace ? { trace: msg.trace } : {}) };
    this.counters.aborted++;
    this.emit({ type: 'log', level: 'debug', txn: t.id, msg: `aborted: ${reason}` });
    if (msg.clientId) {
      // The caller may retry this id. Nobody hears the abort before it is durable: neither the
      // client, nor a participant (an ABORT overtaken by a crash and a re-run could otherwise
      // reach a participant of the re-run, which commits).
      moveTo(t, { phase: 'aborting', lateVoters: notNo });
      this.emit({ type: 'persist', record: { kind: 'decision', record }, sync: true });
      return;
    }
    this.sendDecision(t.id, 'abort', notNo);
    this.forget(t, record);
    this.answerAll(t, record);
    // Presumed abort: the record only serves to tell the reason later; it is not forced.
    this.emit({ type: 'persist', record: { kind: 'decision', record }, sync: false });
  }

  private commitRecord(t: CoordinatorTxn): DecisionRecord {
    invariant(
      [...t.branches.values()].every((b) => b.vote && b.vote.kind !== 'NO'),
      () => `commit of ${t.id} without a YES from every participant`,
    );
    return {
      txn: t.id,
      outcome: 'COMMITTED',
      participants: sorted(t.branches.keys()),
      // All or none (a branch that answered an earlier run's results may leave a hole).
      results: Array.from(t.results).every((r) => r !== undefined) ? t.results : [],
      reason: '',
      digest: requestOf(t).msg.digest,
      decidedAtMs: this.now,
      ...(t.msg?.trace ? { trace: t.msg.trace } : {}),
      ...bornOf(t),
    };
  }

  private abortRecord(txn: TxnId, participants: NodeId[], reason: string, code: AbortCode, digest: string): DecisionRecord {
    const t = this.txns.get(txn);
    return { txn, outcome: 'ABORTED', participants, results: [], reason, abortCode: code, digest, decidedAtMs: this.now, ...(t ? bornOf(t) : {}) };
  }

  private sendDecision(txn: TxnId, kind: 'commit' | 'abort', to: NodeId[]): void {
    for (const p of to) this.emit({ type: 'send', to: p, message: { kind, txn } });
  }

  /** Every waiting client and query hears the decision. */
  private answerAll(t: CoordinatorTxn, d: DecisionRecord): void {
    for (const w of t.outcomeWaiters) {
      if (t.msg && this.resultsMissing(t.msg, d)) this.replyResultsMissing(w, d);
      else this.replyDecision(w, d);
    }
    for (const w of t.queryWaiters) this.replyDecision(w, d);
    t.outcomeWaiters = [];
    t.queryWaiters = [];
  }

  private answerTransact(replyTo: ReplyTo, msg: TransactMessage | null, record: DecisionRecord): void {
    // A tombstone (empty digest) answers any request; a real decision only the same ops.
    if (msg && record.digest !== '' && record.digest !== msg.digest) return this.rejectReuse(replyTo, record.txn);
    if (msg && this.resultsMissing(msg, record)) return this.replyResultsMissing(replyTo, record);
    this.replyDecision(replyTo, record);
  }

  /** The contract is one result per op; a branch may have answered an earlier run's results only (a shard moved between runs). */
  private resultsMissing(msg: TransactMessage, d: DecisionRecord): boolean {
    return d.outcome === 'COMMITTED' && (d.results.length < msg.ops.length || !Array.from(d.results).every((r) => r !== undefined));
  }

  private replyResultsMissing(replyTo: ReplyTo, d: DecisionRecord): void {
    this.reply(replyTo, {
      kind: 'outcome',
      txn: d.txn,
      outcome: 'PENDING',
      inProgress: false,
      reason: 'committed, but not every op result is known here; ask GetTransaction',
      results: [],
      participants: d.participants,
    });
  }

  private rejectReuse(replyTo: ReplyTo, txn: TxnId): void {
    this.reply(replyTo, {
      kind: 'rejected',
      txn,
      status: 'FAILED_PRECONDITION',
      message: `transaction id ${txn} was already used for different ops`,
    });
  }

  private rejectBusy(replyTo: ReplyTo, txn: TxnId): void {
    this.reply(replyTo, {
      kind: 'rejected',
      txn,
      status: 'RESOURCE_EXHAUSTED',
      message: `coordinator ${this.id} has ${this.txns.size} transactions in flight; retry later`,
    });
  }

  private replyDecision(replyTo: ReplyTo, d: DecisionRecord): void {
    this.reply(replyTo, {
      kind: 'outcome',
      txn: d.txn,
      outcome: d.outcome,
      reason: d.reason,
      ...(d.abortCode ? { code: d.abortCode } : {}),
      results: d.results,
      participants: d.participants,
    });
  }

  private replyPending(replyTo: ReplyTo, t: CoordinatorTxn, reason = 'transaction is in progress', inProgress = true, participants?: NodeId[]): void {
    const owner = this.ownerOf(t.id);
    this.reply(replyTo, {
      kind: 'outcome',
      txn: t.id,
      outcome: 'PENDING',
      inProgress,
      reason,
      results: [],
      participants: participants ?? sorted(t.branches.keys()),
      ...(owner !== this.id ? { owner } : {}),
    });
  }

  private reply(to: ReplyTo, reply: CoordinatorReply): void {
    this.emit({ type: 'reply', to, reply });
  }
}

/** A record's birth field: the request's, else the one a query gave (absent: decidedAtMs stands in). */
function bornOf(t: CoordinatorTxn): { bornMs?: number } {
  const bornMs = t.msg?.bornMs ?? t.bornMs;
  return bornMs !== undefined ? { bornMs } : {};
}

/** A result as a client sees it: in its place, no index. */
function withoutIndex(r: OpResult): OpResult {
  if (r.index === undefined && r.of === undefined) return r;
  const { key, found, value, version } = r;
  return { key, found, value, version };
}

/**
 * The results of a committed transaction put in request order from what its participants hold,
 * for a coordinator without the request; null unless every op's result is there exactly once.
 */
export function resultsByIndex(answers: Iterable<StateAnswer>): OpResult[] | null {
  const out: OpResult[] = [];
  let count = 0;
  let of: number | undefined;
  for (const a of answers) {
    if (a.state !== 'COMMITTED' && !isInDoubt(a.state) && a.state !== 'READ_ONLY') continue;
    for (const r of a.results) {
      if (r.index === undefined || out[r.index] !== undefined || r.index >= LIMITS.maxOpsPerTxn) return null;
      if (r.of === undefined || (of !== undefined && r.of !== of)) return null;
      of = r.of;
      out[r.index] = withoutIndex(r);
      count++;
    }
  }
  // Every op once: a branch out of reach (or a read that forgot) leaves the list incomplete.
  return count > 0 && count === of && out.length === of ? out : null;
}

/** The participants the answers name (a prepared branch knows all of its transaction's). */
function namedParticipants(answers: Map<NodeId, StateAnswer>): NodeId[] {
  return sorted(new Set([...answers.values()].flatMap((a) => a.participants)));
}

function knownParticipants(answers: Map<NodeId, StateAnswer>): NodeId[] {
  return sorted([...answers].filter(([, a]) => a.state !== 'UNKNOWN' && a.state !== 'UNREACHABLE').map(([p]) => p));
}

function describeAnswers(answers: Map<NodeId, StateAnswer>): string {
  return [...answers].map(([p, a]) => `${p}=${a.state}`).join(' ');
}

export type { Branch };
