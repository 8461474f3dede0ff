import { BoundedMap } from './boundedMap.js';
import { invariant } from './invariant.js';
import { LockTable } from './lockTable.js';
import { evaluateOps, lockSet } from './ops.js';
import type { ParticipantOutcomeRecord, ParticipantRecord, PrepareRecord } from './records.js';
import { cooperativeTermination, logOnceTermination, threePhaseTermination, type TerminationVerdict } from './termination.js';
import type {
  AbortCode,
  KeyWrite,
  LockRequest,
  NodeId,
  OpResult,
  Outcome,
  PeerState,
  ProtocolName,
  StoredValue,
  TxnAge,
  TxnId,
  TxnOp,
  TxnStateView,
  Vote,
} from './types.js';

/** Opaque handle of a pending RPC; the runtime maps it back to a callback. */
export type ReplyTo = number;

export interface PrepareMessage {
  txn: TxnId;
  coordinatorId: NodeId;
  coordinatorAddr: string;
  ops: TxnOp[];
  participants: NodeId[];
  /** Where each participant listens (same order as `participants`), for termination. */
  participantAddrs: string[];
  protocol: ProtocolName;
  age: TxnAge;
  lockWaitMs: number;
}

export type PrecommitResult = 'ok' | 'refused' | 'unreachable';

export type InquiryOutcome = Outcome | 'PENDING' | 'UNDECIDED' | 'UNREACHABLE';

export type ParticipantEvent =
  | { type: 'recover'; prepared: PrepareRecord[] }
  | { type: 'prepare'; replyTo: ReplyTo; msg: PrepareMessage }
  | { type: 'readDone'; txn: TxnId; values: Map<string, StoredValue>; finished: ParticipantOutcomeRecord | null }
  | { type: 'persisted'; record: ParticipantRecord }
  | { type: 'decision'; replyTo: ReplyTo | null; txn: TxnId; outcome: Outcome }
  /**
   * What the coordinator said: PENDING = it is running the transaction and will decide;
   * UNDECIDED = it has no record and cannot decide it (the participants must).
   */
  | { type: 'inquiryResult'; txn: TxnId; outcome: InquiryOutcome }
  | { type: 'timer'; timer: ParticipantTimer }
  /** GetTxnState; with abortIfUnvoted a transaction that has not voted is aborted (durably) first. */
  | { type: 'stateQuery'; replyTo: ReplyTo; txn: TxnId; abortIfUnvoted: boolean }
  | { type: 'outcomeChecked'; txn: TxnId; replyTo: ReplyTo | null; finished: ParticipantOutcomeRecord | null }
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
  | { type: 'inquire'; txn: TxnId; coordinatorId: NodeId; coordinatorAddr: string }
  /** Read the outcome log; answered by `outcomeChecked`. */
  | { type: 'checkOutcome'; txn: TxnId; replyTo: ReplyTo | null }
  /** GetTxnState to a peer (abortIfUnvoted: 3pc/nb, whose every vote is durable); the runtime always answers with `peerState` (UNREACHABLE on failure). */
  | { type: 'queryPeer'; txn: TxnId; to: NodeId; addr: string; abortIfUnvoted: boolean }
  /** A decision or a 3pc PreCommit to a peer; a PreCommit is always answered by `peerPrecommitted`. */
  | { type: 'sendPeer'; txn: TxnId; to: NodeId; addr: string; message: 'precommit' | 'commit' | 'abort' }
  | { type: 'log'; level: 'debug' | 'info' | 'warn'; txn: TxnId; msg: string };

/**
 * checking: a termination query found no trace in memory and reads the outcome log before
 * aborting. precommitting/precommitted: 3pc's p state being forced / durable.
 */
type Phase =
  | 'checking'
  | 'locking'
  | 'reading'
  | 'persisting'
  | 'prepared'
  | 'precommitting'
  | 'precommitted'
  | 'readonly'
  | 'committing'
  | 'aborting';

interface Termination {
  states: Map<NodeId, PeerState>;
  waiting: Set<NodeId>;
  /** Peers in doubt since a restart: left out of a 3pc backup election. */
  recoveredPeers: Set<NodeId>;
}

interface ParticipantTxn {
  phase: Phase;
  msg: PrepareMessage;
  locks: LockRequest[];
  lockDeadline: number;
  voteWaiters: ReplyTo[];
  ackWaiters: ReplyTo[];
  writes: KeyWrite[];
  results: OpResult[];
  /** An abort arrived while the prepare record was being forced. */
  abortRequested: boolean;
  hadPrepare: boolean;
  inquiryDelayMs: number;
  /** Asked for its state while not settled: answered once it is. */
  stateWaiters: ReplyTo[];
  precommitWaiters: ReplyTo[];
  /** A durable NO (nb, or aborted by a termination query): the vote to send once forced. */
  noVote?: Vote;
  /** Loaded from the log at start: may not lead a 3pc termination on a partial view. */
  recovered: boolean;
  termination?: Termination;
  /** 3pc backup: peers whose PreCommit ack is awaited before committing. */
  backupAwait?: Set<NodeId>;
  /** 3pc backup that must force its own p state first: the peers to pre-commit next. */
  backupUncertain?: NodeId[];
  /** A decision that arrived while the p state was being forced. */
  afterPrecommit?: Outcome;
  /** The outcome log was read and holds nothing for this transaction. */
  outcomeAbsent: boolean;
  /** Made up by a state query for a transaction it never saw: its msg is a placeholder. */
  placeholder: boolean;
  lastInquiry?: InquiryOutcome;
}

export interface ParticipantConfig {
  /** How long a YES voter waits for the decision before it asks the coordinator. */
  inquireAfterMs: number;
  inquireMaxBackoffMs: number;
  /** The most transactions that may wait for locks at once; beyond it, prepares vote NO. */
  maxLockWaiters: number;
  /** How many finished transactions are remembered in memory to answer duplicates fast. */
  recentOutcomes: number;
}

export const DEFAULT_PARTICIPANT_CONFIG: ParticipantConfig = {
  inquireAfterMs: 2000,
  inquireMaxBackoffMs: 5000,
  maxLockWaiters: 10_000,
  recentOutcomes: 100_000,
};

export type ParticipantTxnView = TxnStateView;

/**
 * The participant's side of the commit protocols (presumed-abort 2pc with cooperative
 * termination, Skeen's 3pc with its termination protocol, nb with log-once votes) and strict
 * two-phase locking, as a pure state machine: step(event, now) → effects. The runtime executes
 * the effects in order and feeds back `readDone`, `persisted` and the peers' answers; locks are
 * released only once a decision is durable, so no later reader can see a value that might vanish.
 */
export class ParticipantCore {
  private readonly txns = new Map<TxnId, ParticipantTxn>();
  private readonly locks = new LockTable();
  private readonly waiting: TxnId[] = [];
  private readonly recent: BoundedMap<TxnId, ParticipantOutcomeRecord>;
  /** PreCommits of transactions not in memory, waiting for their outcome-log read. */
  private readonly precommitChecks = new Set<ReplyTo>();
  private effects: ParticipantEffect[] = [];
  private now = 0;
  private recovered = false;
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
  };

  constructor(
    readonly id: NodeId,
    private readonly config: ParticipantConfig = DEFAULT_PARTICIPANT_CONFIG,
  ) {
    this.recent = new BoundedMap(config.recentOutcomes);
  }

  step(event: ParticipantEvent, now: number): ParticipantEffect[] {
    this.now = now;
    this.effects = [];
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
      case 'inquiryResult':
        this.onInquiryResult(event.txn, event.outcome);
        break;
      case 'timer':
        this.onTimer(event.timer);
        break;
      case 'stateQuery':
        this.onStateQuery(event.replyTo, event.txn, event.abortIfUnvoted);
        break;
      case 'outcomeChecked':
        this.onOutcomeChecked(event.txn, event.replyTo, event.finished);
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

  /** What this participant knows in memory; `null` means: look in the outcome log. */
  view(txn: TxnId): ParticipantTxnView | null {
    const t = this.txns.get(txn);
    if (t) return this.stateOf(t);
    return this.recent.get(txn)?.outcome ?? null;
  }

  /** Transactions that voted YES and wait for their decision. */
  inDoubt(): TxnId[] {
    return [...this.txns.entries()]
      .filter(([, t]) => t.phase === 'prepared' || t.phase === 'precommitted')
      .map(([id]) => id);
  }

  get lockedKeys(): number {
    return this.locks.lockedKeyCount;
  }

  get activeTxns(): number {
    return this.txns.size;
  }

  /** Transactions queued for locks here (a commit that frees locks then should not linger). */
  get lockWaiters(): number {
    return this.waiting.length;
  }

  private emit(effect: ParticipantEffect): void {
    this.effects.push(effect);
  }

  private stateOf(t: ParticipantTxn): TxnStateView {
    switch (t.phase) {
      case 'checking':
        return 'UNKNOWN';
      case 'locking':
      case 'reading':
      case 'persisting':
        return 'PREPARING';
      case 'prepared':
      case 'precommitting':
        return 'PREPARED';
      case 'precommitted':
        return 'PRECOMMITTED';
      case 'readonly':
        return 'READ_ONLY';
      case 'committing':
        return 'COMMITTED';
      case 'aborting':
        return t.hadPrepare ? 'ABORTED' : 'PREPARING';
    }
  }

  private newTxn(phase: Phase, msg: PrepareMessage, extra: Partial<ParticipantTxn> = {}): ParticipantTxn {
    return {
      phase,
      msg,
      locks: [],
      lockDeadline: 0,
      voteWaiters: [],
      ackWaiters: [],
      writes: [],
      results: [],
      abortRequested: false,
      hadPrepare: false,
      inquiryDelayMs: this.config.inquireAfterMs,
      stateWaiters: [],
      precommitWaiters: [],
      recovered: false,
      outcomeAbsent: false,
      placeholder: false,
      ...extra,
    };
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
        protocol: rec.protocol ?? '2pc',
        age: rec.age,
        lockWaitMs: 0,
      };
      this.txns.set(
        rec.txn,
        this.newTxn(rec.precommitted ? 'precommitted' : 'prepared', msg, {
          locks: rec.locks,
          writes: rec.writes,
          results: rec.results,
          hadPrepare: true,
          recovered: true,
          outcomeAbsent: true,
        }),
      );
      // Never resolved alone: ask the coordinator at once (then the peers, by the protocol's rules).
      this.emit({ type: 'inquire', txn: rec.txn, coordinatorId: rec.coordinatorId, coordinatorAddr: rec.coordinatorAddr });
      this.emit({ type: 'log', level: 'info', txn: rec.txn, msg: `recovered ${rec.precommitted ? 'pre-committed' : 'prepared'} transaction; locks re-taken` });
    }
  }

  private onPrepare(replyTo: ReplyTo, msg: PrepareMessage): void {
    const existing = this.txns.get(msg.txn);
    if (existing) {
      switch (existing.phase) {
        case 'checking':
        case 'locking':
        case 'reading':
        case 'persisting':
          existing.voteWaiters.push(replyTo);
          return;
        case 'prepared':
        case 'precommitting':
        case 'precommitted':
        case 'committing':
          this.reply(replyTo, { kind: 'vote', txn: msg.txn, vote: { kind: 'YES', results: existing.results } });
          return;
        case 'readonly':
          this.reply(replyTo, { kind: 'vote', txn: msg.txn, vote: { kind: 'READ_ONLY', results: existing.results } });
          return;
        case 'aborting':
          // An abort not yet durable that no vote preceded: answer once it is.
          if (!existing.hadPrepare) existing.voteWaiters.push(replyTo);
          else this.reply(replyTo, this.noVote(msg.txn, 'transaction is being aborted', 'CONFLICT'));
          return;
      }
    }
    const done = this.recent.get(msg.txn);
    if (done) {
      this.replyFinished(replyTo, done);
      return;
    }
    const t = this.newTxn('locking', msg, {
      // Includes the `f!<lock>` key of every fenced op: read with the data, raised by the commit.
      locks: lockSet(msg.ops),
      lockDeadline: this.now + msg.lockWaitMs,
      voteWaiters: [replyTo],
    });
    this.txns.set(msg.txn, t);
    this.tryLock(msg.txn, t, true);
  }

  /** Returns true when the transaction left the locking phase (granted or died). */
  private tryLock(txn: TxnId, t: ParticipantTxn, first: boolean): boolean {
    const result = this.locks.tryAcquire(txn, t.msg.age, t.locks);
    if (result.kind === 'granted') {
      t.phase = 'reading';
      this.emit({ type: 'read', txn, keys: t.locks.map((l) => l.key) });
      return true;
    }
    if (result.kind === 'die') {
      this.counters.lockDies++;
      this.voteNo(txn, t, `conflict on key ${result.key}: held by an older transaction ${result.holder}`, 'CONFLICT');
      return true;
    }
    if (first) {
      if (t.lockDeadline <= this.now) {
        this.voteNo(txn, t, `conflict on key ${result.key}: locked by ${result.holders.join(',')}`, 'CONFLICT');
        return true;
      }
      if (this.waiting.length >= this.config.maxLockWaiters) {
        this.voteNo(txn, t, `participant ${this.id} is overloaded: ${this.waiting.length} transactions wait for locks`, 'CONFLICT');
        return true;
      }
      this.counters.lockWaits++;
      this.waiting.push(txn);
      this.emit({ type: 'setTimer', timer: { kind: 'lockWait', txn }, at: t.lockDeadline });
    }
    return false;
  }

  private onReadDone(txn: TxnId, values: Map<string, StoredValue>, finished: ParticipantOutcomeRecord | null): void {
    const t = this.txns.get(txn);
    if (!t || t.phase !== 'reading') return; // aborted while reading
    if (finished) {
      // A duplicate prepare of a transaction that already ended here.
      this.locks.release(txn);
      this.txns.delete(txn);
      this.recent.set(txn, finished);
      for (const w of t.voteWaiters) this.replyFinished(w, finished);
      this.wakeWaiters();
      return;
    }
    t.outcomeAbsent = true;
    const ev = evaluateOps(t.msg.ops, values);
    if (!ev.ok) {
      this.voteNo(txn, t, ev.reason, ev.code);
      return;
    }
    t.results = ev.results;
    t.writes = ev.writes;
    if (ev.writes.length === 0 && t.msg.protocol === '2pc') {
      // Read-only here: nothing to force, but the read locks stay until the decision so that
      // the transaction's reads on every participant happen at one point in time. (3pc and nb
      // force a vote even for reads: their termination counts every participant's log.)
      t.phase = 'readonly';
      this.counters.readOnly++;
      this.flushVote(t, { kind: 'READ_ONLY', results: ev.results });
      this.scheduleInquiry(txn, t);
      return;
    }
    t.phase = 'persisting';
    t.hadPrepare = true;
    const record: PrepareRecord = {
      txn,
      coordinatorId: t.msg.coordinatorId,
      coordinatorAddr: t.msg.coordinatorAddr,
      participants: t.msg.participants,
      participantAddrs: t.msg.participantAddrs,
      protocol: t.msg.protocol,
      age: t.msg.age,
      locks: t.locks,
      writes: ev.writes,
      results: ev.results,
    };
    this.emit({ type: 'persist', record: { kind: 'prepare', record }, sync: true });
  }

  private onPersisted(record: ParticipantRecord): void {
    switch (record.kind) {
      case 'prepare': {
        const txn = record.record.txn;
        const t = this.txns.get(txn);
        invariant(t?.phase === 'persisting', () => `prepare of ${txn} persisted in phase ${t?.phase}`);
        if (t.abortRequested) {
          this.startAbort(txn, t);
          for (const w of t.voteWaiters) this.reply(w, this.noVote(txn, 'aborted by the coordinator', 'CONFLICT'));
          t.voteWaiters = [];
          return;
        }
        t.phase = 'prepared';
        this.counters.prepared++;
        this.flushVote(t, { kind: 'YES', results: t.results });
        this.flushStates(t, 'PREPARED');
        this.scheduleInquiry(txn, t);
        return;
      }
      case 'precommit': {
        const txn = record.record.txn;
        const t = this.txns.get(txn);
        invariant(t?.phase === 'precommitting', () => `precommit of ${txn} persisted in phase ${t?.phase}`);
        t.phase = 'precommitted';
        this.counters.precommitted++;
        // An abort that arrived meanwhile wins: its PreCommit waiters hear "refused" at the end.
        if (t.afterPrecommit !== 'ABORTED') {
          for (const w of t.precommitWaiters) this.reply(w, { kind: 'precommitAck', txn, ok: true });
          t.precommitWaiters = [];
        }
        this.flushStates(t, 'PRECOMMITTED');
        if (t.afterPrecommit) {
          const outcome = t.afterPrecommit;
          delete t.afterPrecommit;
          delete t.backupUncertain;
          this.onDecision(txn, outcome, null);
        } else if (t.backupUncertain) {
          const uncertain = t.backupUncertain;
          delete t.backupUncertain;
          this.precommitPeers(txn, t, uncertain);
        } else {
          // An inquiry timer that fired while the p state was being forced was dropped.
          this.scheduleInquiry(txn, t);
        }
        return;
      }
      case 'commit':
      case 'abort': {
        const txn = record.txn;
        const t = this.txns.get(txn);
        const expected = record.kind === 'commit' ? 'committing' : 'aborting';
        invariant(t?.phase === expected, () => `${record.kind} of ${txn} persisted in phase ${t?.phase}`);
        this.finish(txn, t, record.kind === 'commit' ? 'COMMITTED' : 'ABORTED');
        return;
      }
    }
  }

  private onDecision(txn: TxnId, outcome: Outcome, replyTo: ReplyTo | null): void {
    const ack = (known: boolean): void => {
      if (replyTo !== null) this.reply(replyTo, { kind: 'ack', txn, known });
    };
    const t = this.txns.get(txn);
    if (!t) {
      const done = this.recent.get(txn);
      // A read-only branch wrote nothing, so an outcome it hears later contradicts nothing
      // durable (the coordinator does not force all-read-only decisions).
      invariant(
        !done || done.outcome === outcome || done.readOnly === true,
        () => `txn ${txn} told ${outcome} after it ended ${done?.outcome} on participant ${this.id}`,
      );
      // An abort that overtook its prepare: remember it, so the prepare, if it still comes,
      // is answered NO instead of taking locks for a transaction that is already over.
      if (!done && outcome === 'ABORTED') this.recent.set(txn, { txn, outcome, results: [] });
      ack(done !== undefined);
      return;
    }
    switch (t.phase) {
      case 'checking':
      case 'locking':
      case 'reading':
        // Only an abort can reach a transaction that has not voted (a commit here is a
        // duplicate of one for an ended instance, answered by the outcome log).
        if (outcome === 'ABORTED' && t.phase !== 'checking') {
          this.voteNo(txn, t, 'aborted by the coordinator', 'CONFLICT');
          if (!this.txns.has(txn)) this.recent.set(txn, { txn, outcome: 'ABORTED', results: [] });
        }
        ack(true);
        return;
      case 'persisting':
        invariant(outcome === 'ABORTED', () => `txn ${txn} committed before its YES vote was durable on ${this.id}`);
        t.abortRequested = true;
        if (replyTo !== null) t.ackWaiters.push(replyTo);
        return;
      case 'readonly':
        this.locks.release(txn);
        this.txns.delete(txn);
        this.recent.set(txn, { txn, outcome, results: t.results, readOnly: true });
        this.wakeWaiters();
        ack(true);
        return;
      case 'precommitting':
        // The p state is being forced: finish that first, then apply the decision.
        if (replyTo !== null) t.ackWaiters.push(replyTo);
        t.afterPrecommit = outcome;
        return;
      case 'prepared':
      case 'precommitted':
        if (replyTo !== null) t.ackWaiters.push(replyTo);
        delete t.backupAwait;
        if (outcome === 'COMMITTED') {
          this.locks.markDecided(txn);
          t.phase = 'committing';
          this.emit({ type: 'persist', record: { kind: 'commit', txn, writes: t.writes, results: t.results }, sync: true });
        } else {
          this.startAbort(txn, t);
        }
        return;
      case 'committing':
      case 'aborting': {
        const current = t.phase === 'committing' ? 'COMMITTED' : 'ABORTED';
        invariant(current === outcome, () => `txn ${txn} told ${outcome} while ${t.phase} on participant ${this.id}`);
        if (replyTo !== null) t.ackWaiters.push(replyTo);
        return;
      }
    }
  }

  private onInquiryResult(txn: TxnId, outcome: InquiryOutcome): void {
    const t = this.txns.get(txn);
    if (!t || (t.phase !== 'prepared' && t.phase !== 'precommitted' && t.phase !== 'readonly')) return;
    if (outcome === 'COMMITTED' || outcome === 'ABORTED') {
      this.onDecision(txn, outcome, null);
      return;
    }
    t.inquiryDelayMs = Math.min(t.inquiryDelayMs * 2, this.config.inquireMaxBackoffMs);
    t.lastInquiry = outcome;
    // A coordinator that runs the transaction will decide it (its own timeouts bound that):
    // wait. One that is gone, or has no record of it, cannot: ask the other participants
    // before asking it again.
    const terminate = outcome === 'UNREACHABLE' || outcome === 'UNDECIDED';
    if (terminate && t.phase !== 'readonly' && !t.termination && !t.backupAwait) this.startTermination(txn, t);
    else this.scheduleInquiry(txn, t);
  }

  private onTimer(timer: ParticipantTimer): void {
    const t = this.txns.get(timer.txn);
    if (!t) return;
    if (timer.kind === 'lockWait') {
      if (t.phase !== 'locking' || t.lockDeadline > this.now) return;
      const blockers = t.locks.flatMap((l) => this.locks.holders(l.key).map((h) => `${l.key}:${h}`));
      this.voteNo(timer.txn, t, `lock wait timed out (${blockers.slice(0, 3).join(', ') || 'contended keys'})`, 'CONFLICT');
      return;
    }
    if ((t.phase === 'prepared' || t.phase === 'precommitted' || t.phase === 'readonly') && !t.termination && !t.backupAwait) {
      this.counters.inquiries++;
      this.emit({ type: 'inquire', txn: timer.txn, coordinatorId: t.msg.coordinatorId, coordinatorAddr: t.msg.coordinatorAddr });
    }
  }

  // ------------------------------------------------------------ termination

  private peers(t: ParticipantTxn): { id: NodeId; addr: string }[] {
    return t.msg.participants.flatMap((id, i) => (id === this.id ? [] : [{ id, addr: t.msg.participantAddrs[i] ?? '' }]));
  }

  /** Ask every other participant for its state (each aborts first if it has not voted). */
  private startTermination(txn: TxnId, t: ParticipantTxn): void {
    this.counters.terminations++;
    const peers = this.peers(t);
    t.termination = {
      states: new Map([[this.id, this.stateOf(t) as PeerState]]),
      waiting: new Set(peers.map((p) => p.id)),
      recoveredPeers: new Set(),
    };
    this.emit({ type: 'log', level: 'info', txn, msg: `${t.msg.protocol} termination: asking ${peers.map((p) => p.id).join(',') || 'nobody'}` });
    // 2pc asks without aborting anyone: a READ_ONLY branch forces nothing, so once it forgets
    // the transaction it cannot tell "voted" from "never saw it", and must not abort it then.
    const abortIfUnvoted = t.msg.protocol !== '2pc';
    for (const p of peers) this.emit({ type: 'queryPeer', txn, to: p.id, addr: p.addr, abortIfUnvoted });
    if (peers.length === 0) this.concludeTermination(txn, t);
  }

  private onPeerState(txn: TxnId, from: NodeId, state: PeerState, recovered: boolean): void {
    const t = this.txns.get(txn);
    const term = t?.termination;
    if (!t || !term || !term.waiting.delete(from)) return;
    term.states.set(from, state);
    if (recovered) term.recoveredPeers.add(from);
    if (term.waiting.size === 0) this.concludeTermination(txn, t);
  }

  private concludeTermination(txn: TxnId, t: ParticipantTxn): void {
    const { states, recoveredPeers } = t.termination!;
    delete t.termination;
    if (t.phase !== 'prepared' && t.phase !== 'precommitted') return; // decided meanwhile
    states.set(this.id, this.stateOf(t));
    const verdict: TerminationVerdict =
      t.msg.protocol === 'nb'
        ? logOnceTermination(states)
        : t.msg.protocol === '3pc'
          ? threePhaseTermination(
              this.id,
              states,
              t.recovered ? (t.lastInquiry === 'UNDECIDED' ? 'coordinatorHasNoRecord' : true) : false,
              recoveredPeers,
            )
          : cooperativeTermination(states);
    const summary = [...states].map(([p, s]) => `${p}=${s}`).join(' ');
    switch (verdict.kind) {
      case 'wait':
        this.emit({ type: 'log', level: 'info', txn, msg: `termination undecided (${verdict.why}): ${summary}` });
        this.scheduleInquiry(txn, t);
        return;
      case 'decide':
        this.emit({ type: 'log', level: 'info', txn, msg: `termination decided ${verdict.outcome}: ${summary}` });
        this.decideHere(txn, t, verdict.outcome);
        return;
      case 'precommit':
        this.emit({ type: 'log', level: 'info', txn, msg: `3pc backup: pre-committing ${verdict.uncertain.join(',') || 'nobody'}: ${summary}` });
        if (t.phase === 'prepared') {
          t.backupUncertain = verdict.uncertain.filter((p) => p !== this.id);
          this.forcePrecommit(txn, t);
        } else {
          this.precommitPeers(txn, t, verdict.uncertain);
        }
        return;
    }
  }

  /** A termination decided: tell every peer (they would find out by asking), then apply it here. */
  private decideHere(txn: TxnId, t: ParticipantTxn, outcome: Outcome): void {
    this.counters.terminatedHere++;
    for (const p of this.peers(t)) {
      this.emit({ type: 'sendPeer', txn, to: p.id, addr: p.addr, message: outcome === 'COMMITTED' ? 'commit' : 'abort' });
    }
    this.onDecision(txn, outcome, null);
  }

  private precommitPeers(txn: TxnId, t: ParticipantTxn, uncertain: NodeId[]): void {
    const targets = this.peers(t).filter((p) => uncertain.includes(p.id));
    if (targets.length === 0) {
      this.decideHere(txn, t, 'COMMITTED');
      return;
    }
    t.backupAwait = new Set(targets.map((p) => p.id));
    for (const p of targets) this.emit({ type: 'sendPeer', txn, to: p.id, addr: p.addr, message: 'precommit' });
  }

  private onPeerPrecommitted(txn: TxnId, from: NodeId, result: PrecommitResult): void {
    const t = this.txns.get(txn);
    if (!t?.backupAwait || !t.backupAwait.delete(from)) return;
    if (result === 'refused') {
      // It aborted meanwhile: "any aborted → abort" still holds, nobody has committed yet.
      delete t.backupAwait;
      this.decideHere(txn, t, 'ABORTED');
      return;
    }
    // An unreachable peer counts as failed (Skeen): it will adopt the outcome when it returns.
    if (t.backupAwait.size === 0) {
      delete t.backupAwait;
      this.decideHere(txn, t, 'COMMITTED');
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
    switch (t.phase) {
      case 'prepared':
        if (replyTo !== null) t.precommitWaiters.push(replyTo);
        this.forcePrecommit(txn, t);
        return;
      case 'precommitting':
        if (replyTo !== null) t.precommitWaiters.push(replyTo);
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

  private forcePrecommit(txn: TxnId, t: ParticipantTxn): void {
    t.phase = 'precommitting';
    const record: PrepareRecord = {
      txn,
      coordinatorId: t.msg.coordinatorId,
      coordinatorAddr: t.msg.coordinatorAddr,
      participants: t.msg.participants,
      participantAddrs: t.msg.participantAddrs,
      protocol: t.msg.protocol,
      precommitted: true,
      age: t.msg.age,
      locks: t.locks,
      writes: t.writes,
      results: t.results,
    };
    this.emit({ type: 'persist', record: { kind: 'precommit', record }, sync: true });
  }

  private onStateQuery(replyTo: ReplyTo, txn: TxnId, abortIfUnvoted: boolean): void {
    const t = this.txns.get(txn);
    if (!t) {
      const done = this.recent.get(txn);
      if (done) {
        this.replyState(replyTo, txn, done.outcome, null, done.results);
      } else if (abortIfUnvoted) {
        // No trace in memory: the outcome log decides between "ended" and "never voted".
        const placeholder = this.newTxn('checking', this.placeholderMsg(txn), { stateWaiters: [replyTo], placeholder: true });
        this.txns.set(txn, placeholder);
        this.emit({ type: 'checkOutcome', txn, replyTo: null });
      } else {
        this.emit({ type: 'checkOutcome', txn, replyTo });
      }
      return;
    }
    const settled = !(t.phase === 'checking' || t.phase === 'persisting' || t.phase === 'precommitting' || (t.phase === 'aborting' && !t.hadPrepare));
    if (abortIfUnvoted && (t.phase === 'locking' || t.phase === 'reading')) {
      t.stateWaiters.push(replyTo);
      this.counters.unilateralAborts++;
      this.abortUnvoted(txn, t, { kind: 'NO', reason: 'aborted by a peer terminating the transaction', code: 'CONFLICT' });
      return;
    }
    if (abortIfUnvoted && !settled) {
      t.stateWaiters.push(replyTo);
      return;
    }
    this.replyState(replyTo, txn, this.stateOf(t), t);
  }

  private onOutcomeChecked(txn: TxnId, replyTo: ReplyTo | null, finished: ParticipantOutcomeRecord | null): void {
    const t = this.txns.get(txn);
    if (replyTo !== null && this.precommitChecks.delete(replyTo)) {
      this.reply(replyTo, { kind: 'precommitAck', txn, ok: finished?.outcome === 'COMMITTED' || (t !== undefined && (t.phase === 'precommitted' || t.phase === 'committing')) });
      return;
    }
    if (replyTo !== null) {
      this.replyState(replyTo, txn, t ? this.stateOf(t) : (finished?.outcome ?? 'UNKNOWN'), t ?? null, finished?.results ?? []);
      return;
    }
    if (!t || t.phase !== 'checking') return;
    if (finished) {
      // It ended here before (this entry came from a duplicate prepare or a query): that
      // outcome stands, and nothing may be written over it.
      this.txns.delete(txn);
      this.recent.set(txn, finished);
      for (const w of t.stateWaiters) this.replyState(w, txn, finished.outcome, null, finished.results);
      for (const w of t.voteWaiters) this.replyFinished(w, finished);
      return;
    }
    t.outcomeAbsent = true;
    if (t.placeholder) this.counters.unilateralAborts++;
    this.abortUnvoted(txn, t, t.noVote ?? { kind: 'NO', reason: 'aborted by a peer terminating the transaction', code: 'CONFLICT' });
  }

  private placeholderMsg(txn: TxnId): PrepareMessage {
    return {
      txn,
      coordinatorId: '',
      coordinatorAddr: '',
      ops: [],
      participants: [],
      participantAddrs: [],
      protocol: '2pc',
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
      results: known ? (t.hadPrepare ? t.results : []) : ended,
      recovered: known ? t.recovered : false,
    });
  }

  private flushStates(t: ParticipantTxn, state: TxnStateView): void {
    for (const w of t.stateWaiters) this.replyState(w, t.msg.txn, state, t);
    t.stateWaiters = [];
  }

  // ------------------------------------------------------------ endings

  private scheduleInquiry(txn: TxnId, t: ParticipantTxn): void {
    this.emit({ type: 'setTimer', timer: { kind: 'inquire', txn }, at: this.now + t.inquiryDelayMs });
  }

  private startAbort(txn: TxnId, t: ParticipantTxn): void {
    this.locks.markDecided(txn);
    t.phase = 'aborting';
    this.emit({ type: 'persist', record: { kind: 'abort', txn, hadPrepare: t.hadPrepare }, sync: true });
  }

  /**
   * A transaction that has not voted YES aborts, and the abort is forced before anyone hears
   * of it: this log's one vote for the transaction is now ABORT, so a prepare that arrives later,
   * even after a crash, is answered NO (log-once).
   */
  private abortUnvoted(txn: TxnId, t: ParticipantTxn, vote: Vote): void {
    invariant(!t.hadPrepare, () => `txn ${txn} aborted as unvoted after forcing a prepare record`);
    const wasLocked = this.locks.release(txn).length > 0;
    const i = this.waiting.indexOf(txn);
    if (i >= 0) this.waiting.splice(i, 1);
    t.noVote = vote;
    if (wasLocked) this.wakeWaiters();
    if (!t.outcomeAbsent) {
      // A duplicate prepare of a transaction that ended here and was forgotten in memory has
      // not read the outcome log yet: read it first, never write ABORT over a COMMIT.
      t.phase = 'checking';
      this.emit({ type: 'checkOutcome', txn, replyTo: null });
      return;
    }
    t.phase = 'aborting';
    this.emit({ type: 'persist', record: { kind: 'abort', txn, hadPrepare: false }, sync: true });
  }

  private finish(txn: TxnId, t: ParticipantTxn, outcome: Outcome): void {
    this.locks.release(txn);
    this.txns.delete(txn);
    this.recent.set(txn, { txn, outcome, results: outcome === 'COMMITTED' ? t.results : [] });
    if (outcome === 'COMMITTED') this.counters.committed++;
    else this.counters.aborted++;
    this.emit({ type: 'log', level: 'debug', txn, msg: outcome === 'COMMITTED' ? 'committed' : 'aborted' });
    for (const w of t.ackWaiters) this.reply(w, { kind: 'ack', txn, known: true });
    for (const w of t.precommitWaiters) this.reply(w, { kind: 'precommitAck', txn, ok: outcome === 'COMMITTED' });
    if (t.voteWaiters.length) this.flushVote(t, t.noVote ?? this.noVote(txn, 'transaction aborted', 'CONFLICT').vote);
    this.flushStates(t, outcome);
    this.wakeWaiters();
  }

  /** Vote NO. 2pc/3pc: nothing forced, drop the transaction and its locks; nb: the NO is this log's vote, forced first. */
  private voteNo(txn: TxnId, t: ParticipantTxn, reason: string, code: AbortCode): void {
    invariant(!t.hadPrepare, () => `txn ${txn} voted NO after forcing a prepare record`);
    this.counters.votedNo++;
    if (t.msg.protocol === 'nb' || t.stateWaiters.length > 0) {
      this.abortUnvoted(txn, t, { kind: 'NO', reason, code });
      return;
    }
    const wasLocked = this.locks.release(txn).length > 0;
    this.txns.delete(txn);
    const i = this.waiting.indexOf(txn);
    if (i >= 0) this.waiting.splice(i, 1);
    this.flushVote(t, { kind: 'NO', reason, code });
    if (wasLocked) this.wakeWaiters();
  }

  private flushVote(t: ParticipantTxn, vote: Vote): void {
    for (const w of t.voteWaiters) this.reply(w, { kind: 'vote', txn: t.msg.txn, vote });
    t.voteWaiters = [];
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
      if (!t || t.phase !== 'locking') continue;
      if (this.tryLock(txn, t, false)) {
        const i = this.waiting.indexOf(txn);
        if (i >= 0) this.waiting.splice(i, 1);
      }
    }
  }

  private replyFinished(replyTo: ReplyTo, done: ParticipantOutcomeRecord): void {
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

  private reply(to: ReplyTo, reply: ParticipantReply): void {
    this.emit({ type: 'reply', to, reply });
  }
}
