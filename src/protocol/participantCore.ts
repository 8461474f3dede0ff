import { RECENT_OPS_PER_OUTCOME, RECENT_OUTCOMES } from './limits.js';
import { BoundedMap } from './boundedMap.js';
import { invariant } from './invariant.js';
import { LockTable } from './lockTable.js';
import { evaluateOps, lockSet } from './ops.js';
import { DEFAULT_PROTOCOL, rulesOf } from './protocols/index.js';
import {
  assertMayEnd,
  isUnsettled,
  moveTo,
  viewOf,
  votedOf,
  type InquiryOutcome,
  type ParticipantTxn,
  type PrepareMessage,
  type ReplyTo,
  type Termination,
  type Voted,
} from './participantTxn.js';
import type { ParticipantOutcomeRecord, ParticipantRecord, PrepareRecord } from './records.js';
import { mayBeCollected, outsideWindow, outsideWindowMessage, type RetentionRule } from './retention.js';
import { shardOf } from './shardMap.js';
import { firstPutStaged, withPreparedWrites } from './plantedIsolation.js';
import { participantTxnView, type TxnView } from './txnView.js';
import type { AbortCode, FenceCheck, NodeId, OpResult, Outcome, PeerState, ProtocolName, StoredValue, TxnId, TxnStateView, Vote } from './types.js';

export type { InquiryOutcome, PrepareMessage, ReplyTo } from './participantTxn.js';

export type PrecommitResult = 'ok' | 'refused' | 'unreachable';

export type ParticipantEvent =
  | { type: 'recover'; prepared: PrepareRecord[] }
  | { type: 'prepare'; replyTo: ReplyTo; msg: PrepareMessage }
  | { type: 'readDone'; txn: TxnId; values: Map<string, StoredValue>; finished: ParticipantOutcomeRecord | null }
  | { type: 'persisted'; record: ParticipantRecord }
  | { type: 'decision'; replyTo: ReplyTo | null; txn: TxnId; outcome: Outcome }
  /** 2pc: release a READ_ONLY branch's read locks before the decision; acked known only if it still held them. */
  | { type: 'release'; replyTo: ReplyTo; txn: TxnId }
  /**
   * What the coordinator said: PENDING = it is running the transaction and will decide;
   * UNDECIDED = it has no record and cannot decide it (the participants must).
   */
  | { type: 'inquiryResult'; txn: TxnId; outcome: InquiryOutcome }
  | { type: 'timer'; timer: ParticipantTimer }
  /** GetTxnState; with abortIfUnvoted a transaction that has not voted is aborted (durably) first. */
  | { type: 'stateQuery'; replyTo: ReplyTo; txn: TxnId; abortIfUnvoted: boolean; bornMs?: number }
  | { type: 'outcomeChecked'; txn: TxnId; replyTo: ReplyTo | null; finished: ParticipantOutcomeRecord | null; bornMs?: number }
  /** 3pc PreCommit, from the coordinator or a backup coordinator. */
  | { type: 'precommit'; replyTo: ReplyTo | null; txn: TxnId }
  /** Answers to this participant's own termination queries and pre-commits to its peers. */
  /** `recovered`: the peer is in doubt since a restart (3pc: it may not lead). */
  | { type: 'peerState'; txn: TxnId; from: NodeId; state: PeerState; recovered?: boolean }
  | { type: 'peerPrecommitted'; txn: TxnId; from: NodeId; result: PrecommitResult };

export type ParticipantTimer = { kind: 'lockWait'; txn: TxnId } | { kind: 'inquire'; txn: TxnId };

export type ParticipantReply =
  | { kind: 'vote'; txn: TxnId; vote: Vote }
  | { kind: 'ack'; txn: TxnId; known: boolean }
  | { kind: 'precommitAck'; txn: TxnId; ok: boolean }
  /** The message contradicts what this participant knows: refused (FAILED_PRECONDITION), nothing applied. */
  | { kind: 'refused'; txn: TxnId; reason: string }
  | {
      kind: 'state';
      txn: TxnId;
      state: TxnStateView;
      protocol: ProtocolName | null;
      participants: NodeId[];
      /** A prepared transaction's results here (nb: a coordinator that missed the vote needs them). */
      results: OpResult[];
      /** In doubt since a restart. */
      recovered: boolean;
    };

export type ParticipantEffect =
  | { type: 'reply'; to: ReplyTo; reply: ParticipantReply }
  | { type: 'read'; txn: TxnId; keys: string[] }
  | { type: 'persist'; record: ParticipantRecord; sync: boolean }
  | { type: 'setTimer'; timer: ParticipantTimer; at: number }
  | { type: 'inquire'; txn: TxnId; coordinatorId: NodeId; coordinatorAddr: string; bornMs?: number }
  /** Read the outcome log; answered by `outcomeChecked` (which hands `bornMs` back). */
  | { type: 'checkOutcome'; txn: TxnId; replyTo: ReplyTo | null; bornMs?: number }
  /** GetTxnState to a peer (abortIfUnvoted: 3pc/nb, whose every vote is durable); the runtime always answers with `peerState` (UNREACHABLE on failure). */
  | { type: 'queryPeer'; txn: TxnId; to: NodeId; addr: string; abortIfUnvoted: boolean; bornMs?: number }
  /** A decision or a 3pc PreCommit to a peer; a PreCommit is always answered by `peerPrecommitted`. */
  | { type: 'sendPeer'; txn: TxnId; to: NodeId; addr: string; message: 'precommit' | 'commit' | 'abort' }
  /** `trace`: the transaction's traceparent, when it has one (added by emit). */
  | { type: 'log'; level: 'debug' | 'info' | 'warn'; txn: TxnId; msg: string; trace?: string }
  /** Input from outside contradicted this node's state: an operator must know. */
  | { type: 'alarm'; txn: TxnId; msg: string; trace?: string };

export interface ParticipantConfig {
  /** How long a YES voter waits for the decision before it asks the coordinator. */
  inquireAfterMs: number;
  inquireMaxBackoffMs: number;
  /** The most transactions that may wait for locks at once; beyond it, prepares vote NO. */
  maxLockWaiters: number;
  /** How many finished transactions are remembered in memory to answer duplicates fast. */
  recentOutcomes: number;
  /** Refuses fences the lock service did not issue (a cluster with a secret); null: fences are not checked. */
  fenceCheck: FenceCheck | null;
  /** Outcome records older than this are collected and such ids refused (retention.ts); null/absent: kept forever. */
  retention?: RetentionRule | null;
  /** PLANTED BUG participant.releaseReadLocksAtVote (tests only): read locks go at the vote, not at the decision. */
  releaseReadLocksAtVote?: boolean;
  /** PLANTED BUG participant.readsTakeNoLocks (tests only): a key only read takes no lock (reads never wait for a writer). */
  readsTakeNoLocks?: boolean;
  /** PLANTED BUG participant.firstWriteStaged (tests only): a key written twice stages its first value. */
  firstWriteStaged?: boolean;
  /** PLANTED BUG participant.earlyLockRelease (tests only): early lock release without commit dependencies. */
  earlyLockRelease?: boolean;
}

export const DEFAULT_PARTICIPANT_CONFIG: ParticipantConfig = {
  inquireAfterMs: 2000,
  inquireMaxBackoffMs: 5000,
  maxLockWaiters: 10_000,
  recentOutcomes: RECENT_OUTCOMES,
  fenceCheck: null,
};

export type ParticipantTxnView = TxnStateView;

/**
 * The shards this participant serves: its map's owners at its epoch, less the shards frozen for a
 * move. `owners` empty: no map installed yet, nothing is served.
 */
export interface ShardView {
  epoch: number;
  owners: readonly NodeId[];
  frozen: ReadonlySet<number>;
}

/**
 * A finished transaction remembered in memory: its outcome record, or (outcome null) a read-only
 * branch whose locks were released before the decision, which it may never hear.
 */
type Remembered = ParticipantOutcomeRecord | { txn: TxnId; outcome: null; results: OpResult[]; readOnly: true };

/** A duplicate prepare must be the same prepare: same coordinator, protocol, participants and ops. */
function samePrepare(a: PrepareMessage, b: PrepareMessage): boolean {
  const ops = (m: PrepareMessage): string => JSON.stringify(m.ops, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return a.coordinatorId === b.coordinatorId && a.protocol === b.protocol && a.participants.join() === b.participants.join() && ops(a) === ops(b);
}

/** The data keys a branch touched (its ops', or a recovered record's locks'), without fence keys. */
function dataKeysOf(t: ParticipantTxn): string[] {
  const keys = new Set<string>(t.msg.ops.map((op) => op.key));
  for (const l of t.locks) if (!l.key.startsWith('f!')) keys.add(l.key);
  return [...keys];
}

/** A message's birth as a record or effect field (absent when unknown). */
function bornOf(m: { bornMs?: number }): { bornMs?: number } {
  return m.bornMs !== undefined ? { bornMs: m.bornMs } : {};
}

/** The reason prefix of a NO that is not a vote: the id's branch here belongs to another run (see CoordinatorCore). */
export const REROUTED = 'rerouted';

/**
 * The same request split otherwise over the participants (a shard moved between two runs): each
 * op index present in both carries the same op, but the sets differ. Other differences are a
 * contradiction (an id reused with other ops).
 */
function resplit(a: PrepareMessage, b: PrepareMessage): boolean {
  if (!a.opIndexes || !b.opIndexes || a.opIndexes.join() === b.opIndexes.join()) return false;
  const opOf = (m: PrepareMessage, i: number): string | undefined => {
    const at = m.opIndexes!.indexOf(i);
    return at < 0 ? undefined : JSON.stringify(m.ops[at], (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  };
  return a.opIndexes.every((i) => !b.opIndexes!.includes(i) || opOf(a, i) === opOf(b, i));
}

const ABORTED_BY_PEER: Vote = { kind: 'NO', reason: 'aborted by a peer terminating the transaction', code: 'CONFLICT' };

/**
 * The participant's side of the commit protocols and strict two-phase locking, as a pure state
 * machine: step(event, now) → effects. Each transaction's phase and the data of that phase are
 * one value (participantTxn.ts) changed only through moveTo; what differs between protocols is
 * asked of the transaction's CommitProtocol. The runtime executes the effects in order and feeds
 * back `readDone`, `persisted` and the peers' answers; locks are released only once a decision is
 * durable, so no later reader can see a value that might vanish.
 */
export class ParticipantCore {
  private readonly txns = new Map<TxnId, ParticipantTxn>();
  private readonly locks = new LockTable();
  private readonly waiting: TxnId[] = [];
  private readonly recent: BoundedMap<TxnId, Remembered>;
  /** PreCommits of transactions not in memory, waiting for their outcome-log read. */
  private readonly precommitChecks = new Set<ReplyTo>();
  /** Transactions forgotten during the last step (their timers can go). */
  private ended: TxnId[] = [];
  private effects: ParticipantEffect[] = [];
  private now = 0;
  private recovered = false;
  /** null: every key is served (a core used alone, as in unit tests); the runtime always sets one. */
  private shards: ShardView | null = null;
  /** Outcome records of ids born before this may have been collected (retention.ts; durable, set by the runtime). */
  private collectedUpTo = 0;
  readonly counters = {
    prepared: 0,
    votedNo: 0,
    readOnly: 0,
    committed: 0,
    aborted: 0,
    lockWaits: 0,
    lockDies: 0,
    inquiries: 0,
    precommitted: 0,
    terminations: 0,
    terminatedHere: 0,
    unilateralAborts: 0,
    contradictions: 0,
    /** Prepares refused because a key's shard is not served here (moved, or moving). */
    wrongShard: 0,
    /** Prepares of an id whose branch here names other participants (the id re-run after a shard moved). */
    rerouted: 0,
    /** Prepares refused and questions answered RETIRED: the id is older than the retention window, with no record. */
    outsideRetention: 0,
  };

  constructor(
    readonly id: NodeId,
    private readonly config: ParticipantConfig = DEFAULT_PARTICIPANT_CONFIG,
  ) {
    this.recent = new BoundedMap(config.recentOutcomes, {
      weight: { of: (r) => 1 + r.results.length + ('keys' in r ? (r.keys?.length ?? 0) : 0), max: config.recentOutcomes * RECENT_OPS_PER_OUTCOME },
    });
  }

  step(event: ParticipantEvent, now: number): ParticipantEffect[] {
    this.now = now;
    this.effects = [];
    this.ended = [];
    if (event.type !== 'recover') invariant(this.recovered, `participant ${this.id} got ${event.type} before recovery`);
    switch (event.type) {
      case 'recover':
        this.onRecover(event.prepared);
        break;
      case 'prepare':
        this.onPrepare(event.replyTo, event.msg);
        break;
      case 'readDone':
        this.onReadDone(event.txn, event.values, event.finished);
        break;
      case 'persisted':
        this.onPersisted(event.record);
        break;
      case 'decision':
        this.onDecision(event.txn, event.outcome, event.replyTo);
        break;
      case 'release':
        this.onRelease(event.txn, event.replyTo);
        break;
      case 'inquiryResult':
        this.onInquiryResult(event.txn, event.outcome);
        break;
      case 'timer':
        this.onTimer(event.timer);
        break;
      case 'stateQuery':
        this.onStateQuery(event.replyTo, event.txn, event.abortIfUnvoted, event.bornMs);
        break;
      case 'outcomeChecked':
        this.onOutcomeChecked(event.txn, event.replyTo, event.finished, event.bornMs);
        break;
      case 'precommit':
        this.onPrecommit(event.txn, event.replyTo);
        break;
      case 'peerState':
        this.onPeerState(event.txn, event.from, event.state, event.recovered ?? false);
        break;
      case 'peerPrecommitted':
        this.onPeerPrecommitted(event.txn, event.from, event.result);
        break;
    }
    const out = this.effects;
    this.effects = [];
    return out;
  }

  /** The runtime collected outcome records of ids born before `ms` (the mark is durable); it only rises. */
  setCollectedUpTo(ms: number): void {
    this.collectedUpTo = Math.max(this.collectedUpTo, ms);
    // The memory copy of a collected record goes with it (records with no birth are kept, here
    // as on disk): a question about an old id is answered the same before and after a restart.
    this.recent.deleteWhere((_, r) => 'bornMs' in r && r.bornMs !== undefined && r.bornMs < this.collectedUpTo);
  }

  get retentionMark(): number {
    return this.collectedUpTo;
  }

  /**
   * Below which birth this participant holds nothing live and will prepare nothing: its oldest
   * live birth, and the start of its window (an id born before it with no record is refused).
   * Peers collect only below it (PeerHorizon). It only rises.
   */
  horizonMs(now: number): number {
    const window = this.config.retention ? now - this.config.retention.windowMs : now;
    return Math.min(this.oldestLiveBirth() ?? Infinity, window);
  }

  /** The oldest birth of a transaction live here (null: none, or none known): collection stays below it. */
  oldestLiveBirth(): number | null {
    let oldest: number | null = null;
    for (const t of this.txns.values()) {
      const b = t.msg.bornMs;
      if (b !== undefined && (oldest === null || b < oldest)) oldest = b;
    }
    return oldest;
  }

  /** The runtime's shard map and moves changed: later prepares are checked against this view. */
  setShardView(view: ShardView | null): void {
    this.shards = view;
  }

  /**
   * Transactions here holding or waiting for a key of one of `shards` (a move waits for zero
   * before it copies them); fence keys are not data and do not count.
   */
  liveOnShards(shards: ReadonlySet<number>, shardCount: number): TxnId[] {
    const out: TxnId[] = [];
    for (const t of this.txns.values()) {
      if (t.locks.some((l) => !l.key.startsWith('f!') && shards.has(shardOf(l.key, shardCount)))) out.push(t.id);
    }
    return out;
  }

  isLive(txn: TxnId): boolean {
    return this.txns.has(txn);
  }

  /** Transactions in memory as an operator sees them (dtx txn list / inspect). */
  operatorViews(): TxnView[] {
    return [...this.txns.values()].map((t) => participantTxnView(t, this.locks));
  }

  operatorView(txn: TxnId): TxnView | null {
    const t = this.txns.get(txn);
    return t ? participantTxnView(t, this.locks) : null;
  }

  /**
   * An outcome record of the transaction arrived with a shard (it replaces an abort forced here
   * where the id never ran): what memory remembers of it is stale, and the log answers from now on.
   */
  forgetFinished(txn: TxnId): void {
    this.recent.delete(txn);
  }

  /** What this participant knows in memory; `null` means: look in the outcome log. */
  view(txn: TxnId): ParticipantTxnView | null {
    const t = this.txns.get(txn);
    if (t) return viewOf(t.state);
    const done = this.recent.get(txn);
    return done ? (done.outcome ?? 'READ_ONLY') : null;
  }

  /** Transactions that voted YES and wait for their decision. */
  inDoubt(): TxnId[] {
    return this.inDoubtOwners().map((t) => t.txnId);
  }

  /** The in-doubt transactions with the coordinator that prepared (owns) each. */
  inDoubtOwners(): { txnId: TxnId; owner: NodeId }[] {
    return [...this.txns.values()]
      .filter((t) => t.state.phase === 'prepared' || t.state.phase === 'precommitted')
      .map((t) => ({ txnId: t.id, owner: t.msg.coordinatorId }));
  }

  get lockedKeys(): number {
    return this.locks.lockedKeyCount;
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

  /** Transactions queued for locks here (a commit that frees locks then should not linger). */
  get lockWaiters(): number {
    return this.waiting.length;
  }

  private emit(effect: ParticipantEffect): void {
    if (effect.type === 'log' || effect.type === 'alarm') {
      // Every line about a transaction names its trace; looked up here, not at each call site.
      const trace = this.traceOf(effect.txn);
      if (trace) return void this.effects.push({ ...effect, trace });
    }
    this.effects.push(effect);
  }

  /** The traceparent a transaction in memory came with (its prepare's, or its recovered record's). */
  traceOf(txn: TxnId): string | undefined {
    return this.txns.get(txn)?.msg.trace;
  }

  private newTxn(
    msg: PrepareMessage,
    state: ParticipantTxn['state'],
    extra: Partial<Pick<ParticipantTxn, 'locks' | 'recovered' | 'placeholder' | 'outcomeAbsent'>> = {},
  ): ParticipantTxn {
    const t: ParticipantTxn = {
      id: msg.txn,
      msg,
      rules: rulesOf(msg.protocol),
      locks: extra.locks ?? [],
      waiters: { vote: [], ack: [], state: [], precommit: [] },
      recovered: extra.recovered ?? false,
      placeholder: extra.placeholder ?? false,
      outcomeAbsent: extra.outcomeAbsent ?? false,
      inquiry: { delayMs: this.config.inquireAfterMs },
      state,
    };
    this.txns.set(t.id, t);
    return t;
  }

  /** Leaves memory by a legal move (remembering `outcome` if given, to answer duplicates). */
  private forget(t: ParticipantTxn, outcome?: Remembered): void {
    assertMayEnd(t);
    this.txns.delete(t.id);
    this.ended.push(t.id);
    this.dequeue(t.id);
    if (outcome) this.recent.set(t.id, outcome);
  }

  private onRecover(prepared: PrepareRecord[]): void {
    invariant(!this.recovered, 'participant recovered twice');
    this.recovered = true;
    for (const rec of prepared) {
      this.locks.forceAcquire(rec.txn, rec.age, rec.locks);
      const msg: PrepareMessage = {
        txn: rec.txn,
        coordinatorId: rec.coordinatorId,
        coordinatorAddr: rec.coordinatorAddr,
        ops: [],
        participants: rec.participants,
        participantAddrs: rec.participantAddrs ?? [],
        protocol: rec.protocol ?? DEFAULT_PROTOCOL,
        age: rec.age,
        ...(rec.bornMs !== undefined ? { bornMs: rec.bornMs } : {}),
        lockWaitMs: 0,
        ...(rec.trace ? { trace: rec.trace } : {}),
      };
      const voted: Voted = { writes: rec.writes, results: rec.results };
      this.newTxn(msg, rec.precommitted ? { phase: 'precommitted', voted } : { phase: 'prepared', voted }, {
        locks: rec.locks,
        recovered: true,
        outcomeAbsent: true,
      });
      // Never resolved alone: ask the coordinator at once (then the peers, by the protocol's rules).
      this.emit({ type: 'inquire', txn: rec.txn, coordinatorId: rec.coordinatorId, coordinatorAddr: rec.coordinatorAddr, ...bornOf(msg) });
      this.emit({ type: 'log', level: 'info', txn: rec.txn, msg: `recovered ${rec.precommitted ? 'pre-committed' : 'prepared'} transaction; locks re-taken` });
    }
  }

  private onPrepare(replyTo: ReplyTo, msg: PrepareMessage): void {
    const existing = this.txns.get(msg.txn);
    if (existing) return this.onDuplicatePrepare(replyTo, existing, msg);
    const done = this.recent.get(msg.txn);
    if (done) return this.replyFinished(replyTo, done);
    const wrongShard = this.shardRefusal(msg.ops);
    if (wrongShard !== null) {
      // Voted like any NO (forced where NO votes are): the coordinator refreshes its map and never
      // sees this branch again under this id.
      this.counters.wrongShard++;
      const t = this.newTxn(msg, { phase: 'locking', deadline: this.now }, { locks: [] });
      t.waiters.vote.push(replyTo);
      this.voteNo(t, wrongShard, 'WRONG_SHARD');
      return;
    }
    // Includes the `f!<lock>` key of every fenced op: read with the data, raised by the commit.
    const locks = this.config.readsTakeNoLocks ? lockSet(msg.ops).filter((l) => l.mode === 'X') : lockSet(msg.ops);
    const t = this.newTxn(msg, { phase: 'locking', deadline: this.now + msg.lockWaitMs }, { locks });
    t.waiters.vote.push(replyTo);
    this.tryLock(t, true);
  }

  /** Why this participant may not take these ops (a shard it does not serve), or null. */
  private shardRefusal(ops: readonly { key: string }[]): string | null {
    const v = this.shards;
    if (v === null) return null;
    if (v.owners.length === 0) return `participant ${this.id} has no shard map yet: a coordinator installs it at startup`;
    for (const op of ops) {
      const shard = shardOf(op.key, v.owners.length);
      const owner = v.owners[shard]!;
      if (owner !== this.id)
        return `key ${JSON.stringify(op.key.slice(0, 80))} is in shard ${shard}, which ${owner} serves at map epoch ${v.epoch}, not ${this.id}`;
      if (v.frozen.has(shard)) return `shard ${shard} (key ${JSON.stringify(op.key.slice(0, 80))}) is moving off ${this.id} at map epoch ${v.epoch}`;
    }
    return null;
  }

  private onDuplicatePrepare(replyTo: ReplyTo, t: ParticipantTxn, msg: PrepareMessage): void {
    if (!t.placeholder && (t.msg.participants.join() !== msg.participants.join() || (!t.recovered && resplit(t.msg, msg)))) {
      // Another run of this id, routed by a newer shard map (a shard moved between the runs): not
      // this branch's transaction. Answered without touching the branch; its coordinator settles
      // the id from every participant's log instead of deciding this run.
      this.counters.rerouted++;
      this.emit({
        type: 'log',
        level: 'info',
        txn: t.id,
        msg: `prepared again with participants ${msg.participants.join(',')}; this branch has ${t.msg.participants.join(',')}`,
      });
      this.reply(
        replyTo,
        this.noVote(t.id, `${REROUTED}: participant ${this.id} holds this id's branch with participants ${t.msg.participants.join(',')}`, 'WRONG_SHARD'),
      );
      return;
    }
    // A recovered or placeholder entry does not know its ops: nothing to compare with.
    if (!t.recovered && !t.placeholder && !samePrepare(t.msg, msg)) return this.contradiction(t.id, replyTo, 'prepared again with other contents');
    const s = t.state;
    switch (s.phase) {
      case 'checking':
      case 'locking':
      case 'reading':
      case 'persisting':
        t.waiters.vote.push(replyTo);
        return;
      case 'prepared':
      case 'precommitting':
      case 'precommitted':
      case 'committing':
        this.reply(replyTo, { kind: 'vote', txn: t.id, vote: { kind: 'YES', results: s.voted.results } });
        return;
      case 'readonly':
        this.reply(replyTo, { kind: 'vote', txn: t.id, vote: { kind: 'READ_ONLY', results: s.results } });
        return;
      case 'aborting':
        // An abort not yet durable that no vote preceded: answer once it is.
        if (!s.voted) t.waiters.vote.push(replyTo);
        else this.reply(replyTo, this.noVote(t.id, 'transaction is being aborted', 'CONFLICT'));
        return;
    }
  }

  /** Returns true when the transaction left the locking phase (granted or died). */
  private tryLock(t: ParticipantTxn, first: boolean): boolean {
    invariant(t.state.phase === 'locking', () => `txn ${t.id} takes locks while ${t.state.phase}`);
    const result = this.locks.tryAcquire(t.id, t.msg.age, t.locks);
    if (result.kind === 'granted') {
      moveTo(t, { phase: 'reading' });
      // Under the planted readsTakeNoLocks, keys only read are read without a lock.
      const keys = this.config.readsTakeNoLocks ? lockSet(t.msg.ops).map((l) => l.key) : t.locks.map((l) => l.key);
      this.emit({ type: 'read', txn: t.id, keys });
      return true;
    }
    if (result.kind === 'die') {
      this.counters.lockDies++;
      this.voteNo(t, `conflict on key ${result.key}: held by an older transaction ${result.holder}`, 'CONFLICT');
      return true;
    }
    if (first) {
      if (t.state.deadline <= this.now) {
        this.voteNo(t, `conflict on key ${result.key}: locked by ${result.holders.join(',')}`, 'CONFLICT');
        return true;
      }
      if (this.waiting.length >= this.config.maxLockWaiters) {
        this.voteNo(t, `participant ${this.id} is overloaded: ${this.waiting.length} transactions wait for locks`, 'CONFLICT');
        return true;
      }
      this.counters.lockWaits++;
      this.waiting.push(t.id);
      this.emit({ type: 'setTimer', timer: { kind: 'lockWait', txn: t.id }, at: t.state.deadline });
    }
    return false;
  }

  private onReadDone(txn: TxnId, values: Map<string, StoredValue>, finished: ParticipantOutcomeRecord | null): void {
    const t = this.txns.get(txn);
    if (!t || t.state.phase !== 'reading') return; // aborted while reading
    if (finished) {
      // A duplicate prepare of a transaction that already ended here.
      this.locks.release(txn);
      this.forget(t, finished);
      for (const w of t.waiters.vote) this.replyFinished(w, finished);
      this.wakeWaiters();
      return;
    }
    t.outcomeAbsent = true;
    if (outsideWindow(this.config.retention ?? null, t.msg.bornMs, this.now)) return this.refuseOutsideRetention(t);
    const ev = evaluateOps(t.msg.ops, this.config.earlyLockRelease ? this.plantedPreparedView(t, values) : values, this.config.fenceCheck);
    if (!ev.ok) {
      this.voteNo(t, ev.reason, ev.code);
      return;
    }
    if (this.config.firstWriteStaged) ev.writes = firstPutStaged(t.msg.ops, ev.writes);
    const indexes = t.msg.opIndexes;
    const of = t.msg.opCount;
    if (indexes) ev.results = ev.results.map((r, i) => ({ ...r, index: indexes[i]!, ...(of !== undefined ? { of } : {}) }));
    if (ev.writes.length === 0 && t.rules.readOnlyVoteIsUnforced) {
      // Read-only here: nothing to force, but the read locks stay until the decision so that
      // the transaction's reads on every participant happen at one point in time.
      moveTo(t, { phase: 'readonly', results: ev.results });
      this.counters.readOnly++;
      this.flushVote(t, { kind: 'READ_ONLY', results: ev.results });
      this.plantedEarlyReadUnlock(t);
      this.scheduleInquiry(t);
      return;
    }
    const voted: Voted = { writes: ev.writes, results: ev.results };
    moveTo(t, { phase: 'persisting', voted, abortRequested: false });
    this.emit({ type: 'persist', record: { kind: 'prepare', record: this.prepareRecord(t, voted, false) }, sync: true });
    this.plantedEarlyWriteUnlock(t);
  }

  private prepareRecord(t: ParticipantTxn, voted: Voted, precommitted: boolean): PrepareRecord {
    return {
      txn: t.id,
      coordinatorId: t.msg.coordinatorId,
      coordinatorAddr: t.msg.coordinatorAddr,
      participants: t.msg.participants,
      participantAddrs: t.msg.participantAddrs,
      protocol: t.msg.protocol,
      ...(precommitted ? { precommitted: true } : {}),
      age: t.msg.age,
      ...bornOf(t.msg),
      locks: t.locks,
      writes: voted.writes,
      results: voted.results,
      ...(t.msg.trace ? { trace: t.msg.trace } : {}),
    };
  }

  private onPersisted(record: ParticipantRecord): void {
    switch (record.kind) {
      case 'prepare':
        return this.onPrepareDurable(record.record.txn);
      case 'precommit':
        return this.onPrecommitDurable(record.record.txn);
      case 'commit':
      case 'abort': {
        const t = this.txns.get(record.txn);
        const expected = record.kind === 'commit' ? 'committing' : 'aborting';
        invariant(t?.state.phase === expected, () => `${record.kind} of ${record.txn} persisted in phase ${t?.state.phase}`);
        this.finish(t, record.kind === 'commit' ? 'COMMITTED' : 'ABORTED');
        return;
      }
    }
  }

  private onPrepareDurable(txn: TxnId): void {
    const t = this.txns.get(txn);
    const s = t?.state;
    invariant(t && s?.phase === 'persisting', () => `prepare of ${txn} persisted in phase ${s?.phase}`);
    if (s.abortRequested) {
      this.startAbort(t, s.voted);
      for (const w of t.waiters.vote) this.reply(w, this.noVote(txn, 'aborted by the coordinator', 'CONFLICT'));
      t.waiters.vote = [];
      return;
    }
    moveTo(t, { phase: 'prepared', voted: s.voted });
    this.counters.prepared++;
    this.flushVote(t, { kind: 'YES', results: s.voted.results });
    this.plantedEarlyReadUnlock(t);
    this.flushStates(t, 'PREPARED');
    this.scheduleInquiry(t);
  }

  private onPrecommitDurable(txn: TxnId): void {
    const t = this.txns.get(txn);
    const s = t?.state;
    invariant(t && s?.phase === 'precommitting', () => `precommit of ${txn} persisted in phase ${s?.phase}`);
    moveTo(t, { phase: 'precommitted', voted: s.voted });
    this.counters.precommitted++;
    // An abort that arrived meanwhile wins: its PreCommit waiters hear "refused" at the end.
    if (s.afterPrecommit !== 'ABORTED') {
      for (const w of t.waiters.precommit) this.reply(w, { kind: 'precommitAck', txn, ok: true });
      t.waiters.precommit = [];
    }
    this.flushStates(t, 'PRECOMMITTED');
    if (s.afterPrecommit) this.onDecision(txn, s.afterPrecommit, null);
    else if (s.backupUncertain) this.precommitPeers(t, s.backupUncertain);
    // An inquiry timer that fired while the p state was being forced was dropped.
    else this.scheduleInquiry(t);
  }

  private onDecision(txn: TxnId, outcome: Outcome, replyTo: ReplyTo | null): void {
    const ack = (known: boolean): void => {
      if (replyTo !== null) this.reply(replyTo, { kind: 'ack', txn, known });
    };
    const t = this.txns.get(txn);
    if (!t) return this.onDecisionOfEnded(txn, outcome, replyTo, ack);
    const s = t.state;
    switch (s.phase) {
      case 'checking':
        // A commit here is a duplicate of one for an ended instance, answered by the outcome log.
        ack(true);
        return;
      case 'locking':
      case 'reading':
        // Only an abort can reach a transaction that has not voted.
        if (outcome === 'ABORTED') {
          this.voteNo(t, 'aborted by the coordinator', 'CONFLICT');
          if (!this.txns.has(txn)) this.recent.set(txn, { txn, outcome: 'ABORTED', results: [] });
        }
        ack(true);
        return;
      case 'persisting':
        if (outcome === 'COMMITTED') return this.contradiction(txn, replyTo, `told COMMITTED before its YES vote was durable`);
        s.abortRequested = true;
        if (replyTo !== null) t.waiters.ack.push(replyTo);
        return;
      case 'readonly':
        this.locks.release(txn);
        this.forget(t, { txn, outcome, results: s.results, readOnly: true });
        this.wakeWaiters();
        ack(true);
        return;
      case 'precommitting':
        // The p state is being forced: finish that first, then apply the decision.
        if (replyTo !== null) t.waiters.ack.push(replyTo);
        s.afterPrecommit = outcome;
        return;
      case 'prepared':
      case 'precommitted':
        if (replyTo !== null) t.waiters.ack.push(replyTo);
        if (outcome === 'COMMITTED') {
          this.locks.markDecided(txn);
          moveTo(t, { phase: 'committing', voted: s.voted });
          this.emit({ type: 'persist', record: { kind: 'commit', txn, writes: s.voted.writes, results: s.voted.results, ...bornOf(t.msg) }, sync: true });
        } else {
          this.startAbort(t, s.voted);
        }
        return;
      case 'committing':
      case 'aborting': {
        const current = s.phase === 'committing' ? 'COMMITTED' : 'ABORTED';
        if (current !== outcome) return this.contradiction(txn, replyTo, `told ${outcome} while ${s.phase}`);
        if (replyTo !== null) t.waiters.ack.push(replyTo);
        return;
      }
    }
  }

  private onRelease(txn: TxnId, replyTo: ReplyTo): void {
    const t = this.txns.get(txn);
    if (t?.state.phase === 'readonly') {
      this.locks.release(txn);
      this.forget(t, { txn, outcome: null, results: t.state.results, readOnly: true });
      this.wakeWaiters();
      this.reply(replyTo, { kind: 'ack', txn, known: true });
      return;
    }
    // Not holding it (restarted since its vote, or never voted READ_ONLY here): the coordinator
    // must not count its reads. A duplicate of a release answered before says so again.
    this.reply(replyTo, { kind: 'ack', txn, known: !t && this.recent.get(txn)?.outcome === null });
  }

  private onDecisionOfEnded(txn: TxnId, outcome: Outcome, replyTo: ReplyTo | null, ack: (known: boolean) => void): void {
    const done = this.recent.get(txn);
    // A read-only branch wrote nothing, so an outcome it hears later contradicts nothing
    // durable (the coordinator does not force all-read-only decisions).
    if (done && done.outcome !== outcome && done.readOnly !== true) return this.contradiction(txn, replyTo, `told ${outcome} after it ended ${done.outcome}`);
    // An abort that overtook its prepare: remember it, so the prepare, if it still comes,
    // is answered NO instead of taking locks for a transaction that is already over.
    if (!done && outcome === 'ABORTED') this.recent.set(txn, { txn, outcome, results: [] });
    // A read-only branch released before the decision now knows it.
    if (done?.outcome === null) this.recent.set(txn, { txn, outcome, results: done.results, readOnly: true });
    ack(done !== undefined);
  }

  private onInquiryResult(txn: TxnId, outcome: InquiryOutcome): void {
    const t = this.txns.get(txn);
    const s = t?.state;
    if (!t || !s || (s.phase !== 'prepared' && s.phase !== 'precommitted' && s.phase !== 'readonly')) return;
    if (outcome === 'COMMITTED' || outcome === 'ABORTED') return this.onDecision(txn, outcome, null);
    if (outcome === 'RETIRED' && s.phase === 'readonly') {
      // Decided and forgotten long ago (its release was lost): a read-only branch wrote nothing,
      // so its read locks can go.
      this.locks.release(txn);
      this.forget(t, { txn, outcome: null, results: s.results, readOnly: true });
      this.wakeWaiters();
      return;
    }
    t.inquiry.delayMs = Math.min(t.inquiry.delayMs * 2, this.config.inquireMaxBackoffMs);
    t.inquiry.last = outcome;
    // A coordinator that runs the transaction will decide it (its own timeouts bound that):
    // wait. One that is gone, or has no record of it, cannot: ask the other participants
    // before asking it again.
    const terminate = outcome === 'UNREACHABLE' || outcome === 'UNDECIDED' || outcome === 'RETIRED';
    if (terminate && s.phase !== 'readonly' && !s.termination && !s.backupAwait) this.startTermination(t);
    else this.scheduleInquiry(t);
  }

  private onTimer(timer: ParticipantTimer): void {
    const t = this.txns.get(timer.txn);
    if (!t) return;
    const s = t.state;
    if (timer.kind === 'lockWait') {
      if (s.phase !== 'locking' || s.deadline > this.now) return;
      const blockers = t.locks.flatMap((l) => this.locks.holders(l.key).map((h) => `${l.key}:${h}`));
      this.voteNo(t, `lock wait timed out (${blockers.slice(0, 3).join(', ') || 'contended keys'})`, 'CONFLICT');
      return;
    }
    const busy = (s.phase === 'prepared' || s.phase === 'precommitted') && (s.termination || s.backupAwait);
    if ((s.phase === 'prepared' || s.phase === 'precommitted' || s.phase === 'readonly') && !busy) {
      this.counters.inquiries++;
      this.emit({ type: 'inquire', txn: t.id, coordinatorId: t.msg.coordinatorId, coordinatorAddr: t.msg.coordinatorAddr, ...bornOf(t.msg) });
    }
  }

  // ------------------------------------------------------------ termination

  private peers(t: ParticipantTxn): { id: NodeId; addr: string }[] {
    return t.msg.participants.flatMap((id, i) => (id === this.id ? [] : [{ id, addr: t.msg.participantAddrs[i] ?? '' }]));
  }

  /** The in-doubt state a termination or backup round belongs to; null once decided meanwhile. */
  private inDoubtState(t: ParticipantTxn) {
    const s = t.state;
    return s.phase === 'prepared' || s.phase === 'precommitted' ? s : null;
  }

  /** Ask every other participant for its state (under 3pc and nb each aborts first if it has not voted). */
  private startTermination(t: ParticipantTxn): void {
    const s = this.inDoubtState(t);
    invariant(s, () => `termination of ${t.id} while ${t.state.phase}`);
    this.counters.terminations++;
    const peers = this.peers(t);
    s.termination = {
      states: new Map([[this.id, viewOf(s) as PeerState]]),
      waiting: new Set(peers.map((p) => p.id)),
      recoveredPeers: new Set(),
    };
    this.emit({ type: 'log', level: 'info', txn: t.id, msg: `${t.rules.name} termination: asking ${peers.map((p) => p.id).join(',') || 'nobody'}` });
    const abortIfUnvoted = t.rules.terminationAbortsUnvoted;
    for (const p of peers) this.emit({ type: 'queryPeer', txn: t.id, to: p.id, addr: p.addr, abortIfUnvoted, ...bornOf(t.msg) });
    if (peers.length === 0) this.concludeTermination(t, s.termination);
  }

  private onPeerState(txn: TxnId, from: NodeId, state: PeerState, recovered: boolean): void {
    const t = this.txns.get(txn);
    const term = t ? this.inDoubtState(t)?.termination : undefined;
    if (!t || !term || !term.waiting.delete(from)) return;
    // A peer that forgot the id (retention) can tell nothing: as if it did not answer.
    term.states.set(from, state === 'RETIRED' ? 'UNREACHABLE' : state);
    if (recovered) term.recoveredPeers.add(from);
    if (term.waiting.size === 0) this.concludeTermination(t, term);
  }

  private concludeTermination(t: ParticipantTxn, term: Termination): void {
    const s = this.inDoubtState(t);
    if (!s) return; // decided meanwhile
    delete s.termination;
    term.states.set(this.id, viewOf(s));
    const verdict = t.rules.terminate({
      self: this.id,
      states: term.states,
      recovered: t.recovered ? (t.inquiry.last === 'UNDECIDED' ? 'coordinatorHasNoRecord' : true) : false,
      recoveredPeers: term.recoveredPeers,
    });
    const summary = [...term.states].map(([p, st]) => `${p}=${st}`).join(' ');
    switch (verdict.kind) {
      case 'wait':
        this.emit({ type: 'log', level: 'info', txn: t.id, msg: `termination undecided (${verdict.why}): ${summary}` });
        this.scheduleInquiry(t);
        return;
      case 'decide':
        this.emit({ type: 'log', level: 'info', txn: t.id, msg: `termination decided ${verdict.outcome}: ${summary}` });
        this.decideHere(t, verdict.outcome);
        return;
      case 'precommit':
        this.emit({ type: 'log', level: 'info', txn: t.id, msg: `3pc backup: pre-committing ${verdict.uncertain.join(',') || 'nobody'}: ${summary}` });
        if (s.phase === 'prepared')
          this.forcePrecommit(
            t,
            s.voted,
            verdict.uncertain.filter((p) => p !== this.id),
          );
        else this.precommitPeers(t, verdict.uncertain);
        return;
    }
  }

  /** A termination decided: tell every peer (they would find out by asking), then apply it here. */
  private decideHere(t: ParticipantTxn, outcome: Outcome): void {
    this.counters.terminatedHere++;
    for (const p of this.peers(t)) {
      this.emit({ type: 'sendPeer', txn: t.id, to: p.id, addr: p.addr, message: outcome === 'COMMITTED' ? 'commit' : 'abort' });
    }
    this.onDecision(t.id, outcome, null);
  }

  private precommitPeers(t: ParticipantTxn, uncertain: NodeId[]): void {
    const s = this.inDoubtState(t);
    invariant(s?.phase === 'precommitted', () => `3pc backup of ${t.id} pre-commits its peers while ${t.state.phase}`);
    const targets = this.peers(t).filter((p) => uncertain.includes(p.id));
    if (targets.length === 0) return this.decideHere(t, 'COMMITTED');
    s.backupAwait = new Set(targets.map((p) => p.id));
    for (const p of targets) this.emit({ type: 'sendPeer', txn: t.id, to: p.id, addr: p.addr, message: 'precommit' });
  }

  private onPeerPrecommitted(txn: TxnId, from: NodeId, result: PrecommitResult): void {
    const t = this.txns.get(txn);
    const s = t ? this.inDoubtState(t) : null;
    if (!t || !s?.backupAwait || !s.backupAwait.delete(from)) return;
    if (result === 'refused') {
      // It aborted meanwhile: "any aborted → abort" still holds, nobody has committed yet.
      delete s.backupAwait;
      return this.decideHere(t, 'ABORTED');
    }
    // An unreachable peer counts as failed (Skeen): it will adopt the outcome when it returns.
    if (s.backupAwait.size === 0) {
      delete s.backupAwait;
      this.decideHere(t, 'COMMITTED');
    }
  }

  // ------------------------------------------------------------ 3pc PreCommit and state queries

  private onPrecommit(txn: TxnId, replyTo: ReplyTo | null): void {
    const answer = (ok: boolean): void => {
      if (replyTo !== null) this.reply(replyTo, { kind: 'precommitAck', txn, ok });
    };
    const t = this.txns.get(txn);
    if (!t) {
      const done = this.recent.get(txn);
      if (done || replyTo === null) {
        answer(done?.outcome === 'COMMITTED');
      } else {
        // Forgotten in memory is not "aborted": a commit may be in the outcome log.
        this.precommitChecks.add(replyTo);
        this.emit({ type: 'checkOutcome', txn, replyTo });
      }
      return;
    }
    const s = t.state;
    switch (s.phase) {
      case 'prepared':
        if (replyTo !== null) t.waiters.precommit.push(replyTo);
        this.forcePrecommit(t, s.voted, undefined);
        return;
      case 'precommitting':
        if (replyTo !== null) t.waiters.precommit.push(replyTo);
        return;
      case 'precommitted':
      case 'committing':
        answer(true);
        return;
      default:
        // Not voted YES (or aborting): a PreCommit can only be refused.
        answer(false);
    }
  }

  /** `backupUncertain`: as 3pc backup, the peers to pre-commit once this p state is durable. */
  private forcePrecommit(t: ParticipantTxn, voted: Voted, backupUncertain: NodeId[] | undefined): void {
    moveTo(t, { phase: 'precommitting', voted, ...(backupUncertain ? { backupUncertain } : {}) });
    this.emit({ type: 'persist', record: { kind: 'precommit', record: this.prepareRecord(t, voted, true) }, sync: true });
  }

  private onStateQuery(replyTo: ReplyTo, txn: TxnId, abortIfUnvoted: boolean, bornMs: number | undefined): void {
    const t = this.txns.get(txn);
    if (!t) {
      const done = this.recent.get(txn);
      if (done) {
        this.replyState(replyTo, txn, done.outcome ?? 'READ_ONLY', null, done.results);
      } else if (abortIfUnvoted) {
        // No trace in memory: the outcome log decides between "ended" and "never voted".
        const placeholder = this.newTxn(this.placeholderMsg(txn, bornMs), { phase: 'checking', noVote: null }, { placeholder: true });
        placeholder.waiters.state.push(replyTo);
        this.emit({ type: 'checkOutcome', txn, replyTo: null, ...(bornMs !== undefined ? { bornMs } : {}) });
      } else {
        this.emit({ type: 'checkOutcome', txn, replyTo, ...(bornMs !== undefined ? { bornMs } : {}) });
      }
      return;
    }
    const s = t.state;
    if (abortIfUnvoted && (s.phase === 'locking' || s.phase === 'reading')) {
      t.waiters.state.push(replyTo);
      this.counters.unilateralAborts++;
      this.abortUnvoted(t, ABORTED_BY_PEER);
      return;
    }
    if (abortIfUnvoted && isUnsettled(s)) {
      t.waiters.state.push(replyTo);
      return;
    }
    this.replyState(replyTo, txn, viewOf(s), t);
  }

  private onOutcomeChecked(txn: TxnId, replyTo: ReplyTo | null, finished: ParticipantOutcomeRecord | null, bornMs: number | undefined): void {
    const t = this.txns.get(txn);
    if (replyTo !== null && this.precommitChecks.delete(replyTo)) {
      const phase = t?.state.phase;
      this.reply(replyTo, { kind: 'precommitAck', txn, ok: finished?.outcome === 'COMMITTED' || phase === 'precommitted' || phase === 'committing' });
      return;
    }
    if (replyTo !== null) {
      // No record of an id older than what was collected here: it may have ended here; not "unknown".
      const absent = mayBeCollected(this.collectedUpTo, bornMs) ? 'RETIRED' : 'UNKNOWN';
      this.replyState(replyTo, txn, t ? viewOf(t.state) : (finished?.outcome ?? absent), t ?? null, finished?.results ?? []);
      return;
    }
    if (!t || t.state.phase !== 'checking') return;
    if (!finished && t.placeholder && mayBeCollected(this.collectedUpTo, t.msg.bornMs)) {
      // Its record may have been collected: an ABORT written now could contradict a commit it held.
      this.counters.outsideRetention++;
      this.forget(t);
      for (const w of t.waiters.state) this.replyState(w, txn, 'RETIRED', null);
      this.flushVote(t, { kind: 'NO', reason: outsideWindowMessage(txn, this.config.retention ?? null, this.collectedUpTo), code: 'PRECONDITION_FAILED' });
      return;
    }
    if (finished) {
      // It ended here before (this entry came from a duplicate prepare or a query): that
      // outcome stands, and nothing may be written over it.
      this.forget(t, finished);
      for (const w of t.waiters.state) this.replyState(w, txn, finished.outcome, null, finished.results);
      for (const w of t.waiters.vote) this.replyFinished(w, finished);
      return;
    }
    t.outcomeAbsent = true;
    if (t.placeholder) this.counters.unilateralAborts++;
    this.abortUnvoted(t, t.state.noVote ?? ABORTED_BY_PEER);
  }

  /** `bornMs`: as the asker said; unknown is left unknown (a question of unknown age may be about a collected id). */
  private placeholderMsg(txn: TxnId, bornMs?: number): PrepareMessage {
    return {
      ...(bornMs !== undefined ? { bornMs } : {}),
      txn,
      coordinatorId: '',
      coordinatorAddr: '',
      ops: [],
      participants: [],
      participantAddrs: [],
      protocol: DEFAULT_PROTOCOL,
      age: { ms: this.now, id: txn },
      lockWaitMs: 0,
    };
  }

  /** `ended`: the results of a transaction answered from its outcome record. */
  private replyState(replyTo: ReplyTo, txn: TxnId, state: TxnStateView, t: ParticipantTxn | null, ended: OpResult[] = []): void {
    const known = t !== null && !t.placeholder;
    this.reply(replyTo, {
      kind: 'state',
      txn,
      state,
      protocol: known ? t.msg.protocol : null,
      participants: known ? t.msg.participants : [],
      results: known ? (votedOf(t.state)?.results ?? []) : ended,
      recovered: known ? t.recovered : false,
    });
  }

  private flushStates(t: ParticipantTxn, state: TxnStateView): void {
    for (const w of t.waiters.state) this.replyState(w, t.id, state, t);
    t.waiters.state = [];
  }

  // ------------------------------------------------------------ endings

  private scheduleInquiry(t: ParticipantTxn): void {
    this.emit({ type: 'setTimer', timer: { kind: 'inquire', txn: t.id }, at: this.now + t.inquiry.delayMs });
  }

  /** A voted branch aborts: its abort record replaces the prepare record (forced). */
  private startAbort(t: ParticipantTxn, voted: Voted): void {
    this.locks.markDecided(t.id);
    moveTo(t, { phase: 'aborting', voted });
    this.emit({ type: 'persist', record: { kind: 'abort', txn: t.id, hadPrepare: true, keys: dataKeysOf(t), ...bornOf(t.msg) }, sync: true });
  }

  /**
   * A transaction that has not voted YES aborts, and the abort is forced before anyone hears
   * of it: this log's one vote for the transaction is now ABORT, so a prepare that arrives later,
   * even after a crash, is answered NO (log-once).
   */
  private abortUnvoted(t: ParticipantTxn, vote: Vote): void {
    invariant(votedOf(t.state) === null, () => `txn ${t.id} aborted as unvoted after forcing a prepare record`);
    const wasLocked = this.locks.release(t.id).length > 0;
    this.dequeue(t.id);
    if (wasLocked) this.wakeWaiters();
    if (!t.outcomeAbsent) {
      // A duplicate prepare of a transaction that ended here and was forgotten in memory has
      // not read the outcome log yet: read it first, never write ABORT over a COMMIT.
      moveTo(t, { phase: 'checking', noVote: vote });
      this.emit({ type: 'checkOutcome', txn: t.id, replyTo: null });
      return;
    }
    moveTo(t, { phase: 'aborting', voted: null, noVote: vote });
    this.emit({ type: 'persist', record: { kind: 'abort', txn: t.id, hadPrepare: false, keys: dataKeysOf(t), ...bornOf(t.msg) }, sync: true });
  }

  private finish(t: ParticipantTxn, outcome: Outcome): void {
    const s = t.state;
    this.locks.release(t.id);
    const results = outcome === 'COMMITTED' ? (votedOf(s)?.results ?? []) : [];
    // Before forget: the line names the trace of a transaction still in memory.
    this.emit({ type: 'log', level: 'debug', txn: t.id, msg: outcome === 'COMMITTED' ? 'committed' : 'aborted' });
    this.forget(t, { txn: t.id, outcome, results, ...bornOf(t.msg) });
    if (outcome === 'COMMITTED') this.counters.committed++;
    else this.counters.aborted++;
    for (const w of t.waiters.ack) this.reply(w, { kind: 'ack', txn: t.id, known: true });
    for (const w of t.waiters.precommit) this.reply(w, { kind: 'precommitAck', txn: t.id, ok: outcome === 'COMMITTED' });
    if (t.waiters.vote.length) {
      const noVote = s.phase === 'aborting' ? s.noVote : undefined;
      this.flushVote(t, noVote ?? this.noVote(t.id, 'transaction aborted', 'CONFLICT').vote);
    }
    this.flushStates(t, outcome);
    this.wakeWaiters();
  }

  /**
   * A prepare of an id older than the retention window that left no record here: it may have
   * ended here and been collected, so it neither votes YES on a fresh branch nor forces an ABORT
   * (which could contradict a commit it forgot). A NO that writes nothing.
   */
  private refuseOutsideRetention(t: ParticipantTxn): void {
    this.counters.outsideRetention++;
    const wasLocked = this.locks.release(t.id).length > 0;
    this.forget(t);
    const reason = outsideWindowMessage(t.id, this.config.retention ?? null, this.collectedUpTo);
    this.emit({ type: 'log', level: 'info', txn: t.id, msg: reason });
    this.flushVote(t, { kind: 'NO', reason, code: 'PRECONDITION_FAILED' });
    this.flushStates(t, 'RETIRED');
    if (wasLocked) this.wakeWaiters();
  }

  /** Vote NO. A protocol whose NO is forced (log-once), or a peer waiting for this log's vote, aborts it durably; else the transaction is dropped. */
  private voteNo(t: ParticipantTxn, reason: string, code: AbortCode): void {
    invariant(votedOf(t.state) === null, () => `txn ${t.id} voted NO after forcing a prepare record`);
    this.counters.votedNo++;
    if (t.rules.noVoteIsForced || t.waiters.state.length > 0) {
      this.abortUnvoted(t, { kind: 'NO', reason, code });
      return;
    }
    const wasLocked = this.locks.release(t.id).length > 0;
    this.forget(t);
    this.flushVote(t, { kind: 'NO', reason, code });
    if (wasLocked) this.wakeWaiters();
  }

  private dequeue(txn: TxnId): void {
    const i = this.waiting.indexOf(txn);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  private flushVote(t: ParticipantTxn, vote: Vote): void {
    for (const w of t.waiters.vote) this.reply(w, { kind: 'vote', txn: t.id, vote });
    t.waiters.vote = [];
  }

  /**
   * The planted isolation bug: a branch lets its read locks go once it voted, so a writer can
   * commit between this branch's reads and another branch's of the same transaction (2PL's lock
   * point is no longer global). Off unless the config asks for it.
   */
  private plantedEarlyReadUnlock(t: ParticipantTxn): void {
    if (!this.config.releaseReadLocksAtVote) return;
    if (this.locks.releaseShared(t.id).length > 0) this.wakeWaiters();
  }

  /** PLANTED BUG participant.earlyLockRelease: a writer's exclusive locks go once its prepare record is staged. */
  private plantedEarlyWriteUnlock(t: ParticipantTxn): void {
    if (!this.config.earlyLockRelease) return;
    if (this.locks.releaseExclusive(t.id).length > 0) this.wakeWaiters();
  }

  /** PLANTED BUG participant.earlyLockRelease: the keys read as the staged (not aborting) transactions here will leave them. */
  private plantedPreparedView(t: ParticipantTxn, stored: Map<string, StoredValue>): Map<string, StoredValue> {
    const voted = [...this.txns.values()].flatMap((o) => (o !== t && votedOf(o.state) ? [votedOf(o.state)!.writes] : []));
    return withPreparedWrites(
      stored,
      t.locks.map((l) => l.key),
      voted,
    );
  }

  /** Locks were released: let waiters that can now run take theirs, oldest first. */
  private wakeWaiters(): void {
    if (this.waiting.length === 0) return;
    const byAge = [...this.waiting].sort((a, b) => {
      const ta = this.txns.get(a)!.msg.age;
      const tb = this.txns.get(b)!.msg.age;
      return ta.ms - tb.ms || (ta.id < tb.id ? -1 : ta.id > tb.id ? 1 : 0);
    });
    for (const txn of byAge) {
      const t = this.txns.get(txn);
      if (!t || t.state.phase !== 'locking') continue;
      if (this.tryLock(t, false)) this.dequeue(txn);
    }
  }

  private replyFinished(replyTo: ReplyTo, done: Remembered): void {
    if (done.readOnly) {
      // Its read locks are gone: re-voting would return reads from a point that has passed.
      this.reply(replyTo, this.noVote(done.txn, 'read-only transaction already finished here', 'CONFLICT'));
    } else if (done.outcome === 'COMMITTED') {
      this.reply(replyTo, { kind: 'vote', txn: done.txn, vote: { kind: 'YES', results: done.results } });
    } else {
      this.reply(replyTo, this.noVote(done.txn, 'transaction already aborted', 'CONFLICT'));
    }
  }

  private noVote(txn: TxnId, reason: string, code: AbortCode): { kind: 'vote'; txn: TxnId; vote: Vote } {
    return { kind: 'vote', txn, vote: { kind: 'NO', reason, code } };
  }

  /**
   * A message from another node contradicts what this participant knows (a decision against the
   * one it holds, a commit before its vote): refused and raised as an alarm, never applied. Only
   * a contradiction inside its own state is a crash.
   */
  private contradiction(txn: TxnId, replyTo: ReplyTo | null, what: string): void {
    const reason = `txn ${txn} ${what} on participant ${this.id}`;
    this.counters.contradictions++;
    this.emit({ type: 'alarm', txn, msg: reason });
    if (replyTo !== null) this.reply(replyTo, { kind: 'refused', txn, reason });
  }

  private reply(to: ReplyTo, reply: ParticipantReply): void {
    this.emit({ type: 'reply', to, reply });
  }
}
