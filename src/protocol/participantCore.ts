import { BoundedMap } from './boundedMap.js';
import { invariant } from './invariant.js';
import { LockTable } from './lockTable.js';
import { evaluateOps, lockSet } from './ops.js';
import type { ParticipantOutcomeRecord, ParticipantRecord, PrepareRecord } from './records.js';
import type {
  AbortCode,
  KeyWrite,
  LockRequest,
  NodeId,
  OpResult,
  Outcome,
  StoredValue,
  TxnAge,
  TxnId,
  TxnOp,
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
  age: TxnAge;
  lockWaitMs: number;
}

export type ParticipantEvent =
  | { type: 'recover'; prepared: PrepareRecord[] }
  | { type: 'prepare'; replyTo: ReplyTo; msg: PrepareMessage }
  | { type: 'readDone'; txn: TxnId; values: Map<string, StoredValue>; finished: ParticipantOutcomeRecord | null }
  | { type: 'persisted'; record: ParticipantRecord }
  | { type: 'decision'; replyTo: ReplyTo | null; txn: TxnId; outcome: Outcome }
  | { type: 'inquiryResult'; txn: TxnId; outcome: Outcome | 'PENDING' | 'UNREACHABLE' }
  | { type: 'timer'; timer: ParticipantTimer };

export type ParticipantTimer = { kind: 'lockWait'; txn: TxnId } | { kind: 'inquire'; txn: TxnId };

export type ParticipantReply =
  | { kind: 'vote'; txn: TxnId; vote: Vote }
  | { kind: 'ack'; txn: TxnId; known: boolean };

export type ParticipantEffect =
  | { type: 'reply'; to: ReplyTo; reply: ParticipantReply }
  | { type: 'read'; txn: TxnId; keys: string[] }
  | { type: 'persist'; record: ParticipantRecord; sync: boolean }
  | { type: 'setTimer'; timer: ParticipantTimer; at: number }
  | { type: 'inquire'; txn: TxnId; coordinatorId: NodeId; coordinatorAddr: string }
  | { type: 'log'; level: 'debug' | 'info' | 'warn'; txn: TxnId; msg: string };

type Phase = 'locking' | 'reading' | 'persisting' | 'prepared' | 'readonly' | 'committing' | 'aborting';

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

export type ParticipantTxnView = 'UNKNOWN' | 'PREPARING' | 'PREPARED' | 'READ_ONLY' | Outcome;

/**
 * The participant's side of presumed-abort 2PC with strict two-phase locking, as a
 * pure state machine: step(event, now) → effects. The runtime executes the effects
 * in order and feeds back `readDone` and `persisted` events; locks are released only
 * once a decision is durable, so no later reader can see a value that might vanish.
 */
export class ParticipantCore {
  private readonly txns = new Map<TxnId, ParticipantTxn>();
  private readonly locks = new LockTable();
  private readonly waiting: TxnId[] = [];
  private readonly recent: BoundedMap<TxnId, ParticipantOutcomeRecord>;
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
    }
    const out = this.effects;
    this.effects = [];
    return out;
  }

  /** What this participant knows in memory; `null` means: look in the outcome log. */
  view(txn: TxnId): ParticipantTxnView | null {
    const t = this.txns.get(txn);
    if (t) {
      switch (t.phase) {
        case 'locking':
        case 'reading':
        case 'persisting':
          return 'PREPARING';
        case 'prepared':
        case 'committing':
        case 'aborting':
          return 'PREPARED';
        case 'readonly':
          return 'READ_ONLY';
      }
    }
    return this.recent.get(txn)?.outcome ?? null;
  }

  /** Transactions that voted YES and wait for their decision. */
  inDoubt(): TxnId[] {
    return [...this.txns.entries()].filter(([, t]) => t.phase === 'prepared').map(([id]) => id);
  }

  get lockedKeys(): number {
    return this.locks.lockedKeyCount;
  }

  get activeTxns(): number {
    return this.txns.size;
  }

  private emit(effect: ParticipantEffect): void {
    this.effects.push(effect);
  }

  private onRecover(prepared: PrepareRecord[]): void {
    invariant(!this.recovered, 'participant recovered twice');
    this.recovered = true;
    for (const rec of prepared) {
      this.locks.forceAcquire(rec.txn, rec.age, rec.locks);
      this.txns.set(rec.txn, {
        phase: 'prepared',
        msg: {
          txn: rec.txn,
          coordinatorId: rec.coordinatorId,
          coordinatorAddr: rec.coordinatorAddr,
          ops: [],
          participants: rec.participants,
          age: rec.age,
          lockWaitMs: 0,
        },
        locks: rec.locks,
        lockDeadline: 0,
        voteWaiters: [],
        ackWaiters: [],
        writes: rec.writes,
        results: rec.results,
        abortRequested: false,
        hadPrepare: true,
        inquiryDelayMs: this.config.inquireAfterMs,
      });
      // Nobody may hold these keys' fate but the coordinator: ask it at once.
      this.emit({ type: 'inquire', txn: rec.txn, coordinatorId: rec.coordinatorId, coordinatorAddr: rec.coordinatorAddr });
      this.emit({ type: 'log', level: 'info', txn: rec.txn, msg: 'recovered prepared transaction; locks re-taken' });
    }
  }

  private onPrepare(replyTo: ReplyTo, msg: PrepareMessage): void {
    const existing = this.txns.get(msg.txn);
    if (existing) {
      switch (existing.phase) {
        case 'locking':
        case 'reading':
        case 'persisting':
          existing.voteWaiters.push(replyTo);
          return;
        case 'prepared':
        case 'committing':
          this.reply(replyTo, { kind: 'vote', txn: msg.txn, vote: { kind: 'YES', results: existing.results } });
          return;
        case 'readonly':
          this.reply(replyTo, { kind: 'vote', txn: msg.txn, vote: { kind: 'READ_ONLY', results: existing.results } });
          return;
        case 'aborting':
          this.reply(replyTo, this.noVote(msg.txn, 'transaction is being aborted', 'CONFLICT'));
          return;
      }
    }
    const done = this.recent.get(msg.txn);
    if (done) {
      this.replyFinished(replyTo, done);
      return;
    }
    const t: ParticipantTxn = {
      phase: 'locking',
      msg,
      // Includes the `f!<lock>` key of every fenced op: read with the data, raised by the commit.
      locks: lockSet(msg.ops),
      lockDeadline: this.now + msg.lockWaitMs,
      voteWaiters: [replyTo],
      ackWaiters: [],
      writes: [],
      results: [],
      abortRequested: false,
      hadPrepare: false,
      inquiryDelayMs: this.config.inquireAfterMs,
    };
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
    const ev = evaluateOps(t.msg.ops, values);
    if (!ev.ok) {
      this.voteNo(txn, t, ev.reason, ev.code);
      return;
    }
    t.results = ev.results;
    t.writes = ev.writes;
    if (ev.writes.length === 0) {
      // Read-only here: nothing to force, but the read locks stay until the decision so that
      // the transaction's reads on every participant happen at one point in time.
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
        this.scheduleInquiry(txn, t);
        return;
      }
      case 'commit':
      case 'abort': {
        const txn = record.txn;
        const t = this.txns.get(txn);
        const expected = record.kind === 'commit' ? 'committing' : 'aborting';
        invariant(t?.phase === expected, () => `${record.kind} of ${txn} persisted in phase ${t?.phase}`);
        this.finish(txn, t, record.kind === 'commit' ? 'COMMITTED' : 'ABORTED');
        for (const w of t.ackWaiters) this.reply(w, { kind: 'ack', txn, known: true });
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
      case 'locking':
      case 'reading':
        // Only an abort can reach a transaction that has not voted (a commit here is a
        // duplicate of one for an ended instance, answered by the outcome log).
        if (outcome === 'ABORTED') {
          this.voteNo(txn, t, 'aborted by the coordinator', 'CONFLICT');
          this.recent.set(txn, { txn, outcome: 'ABORTED', results: [] });
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
      case 'prepared':
        if (replyTo !== null) t.ackWaiters.push(replyTo);
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

  private onInquiryResult(txn: TxnId, outcome: Outcome | 'PENDING' | 'UNREACHABLE'): void {
    const t = this.txns.get(txn);
    if (!t || (t.phase !== 'prepared' && t.phase !== 'readonly')) return;
    if (outcome === 'COMMITTED' || outcome === 'ABORTED') {
      this.onDecision(txn, outcome, null);
      return;
    }
    t.inquiryDelayMs = Math.min(t.inquiryDelayMs * 2, this.config.inquireMaxBackoffMs);
    this.scheduleInquiry(txn, t);
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
    if (t.phase === 'prepared' || t.phase === 'readonly') {
      this.counters.inquiries++;
      this.emit({ type: 'inquire', txn: timer.txn, coordinatorId: t.msg.coordinatorId, coordinatorAddr: t.msg.coordinatorAddr });
    }
  }

  private scheduleInquiry(txn: TxnId, t: ParticipantTxn): void {
    this.emit({ type: 'setTimer', timer: { kind: 'inquire', txn }, at: this.now + t.inquiryDelayMs });
  }

  private startAbort(txn: TxnId, t: ParticipantTxn): void {
    this.locks.markDecided(txn);
    t.phase = 'aborting';
    this.emit({ type: 'persist', record: { kind: 'abort', txn, hadPrepare: t.hadPrepare }, sync: true });
  }

  private finish(txn: TxnId, t: ParticipantTxn, outcome: Outcome): void {
    this.locks.release(txn);
    this.txns.delete(txn);
    this.recent.set(txn, { txn, outcome, results: outcome === 'COMMITTED' ? t.results : [] });
    if (outcome === 'COMMITTED') this.counters.committed++;
    else this.counters.aborted++;
    this.emit({ type: 'log', level: 'debug', txn, msg: outcome === 'COMMITTED' ? 'committed' : 'aborted' });
    this.wakeWaiters();
  }

  /** Vote NO before anything was forced: drop the transaction and its locks. */
  private voteNo(txn: TxnId, t: ParticipantTxn, reason: string, code: AbortCode): void {
    invariant(!t.hadPrepare, () => `txn ${txn} voted NO after forcing a prepare record`);
    const wasLocked = this.locks.release(txn).length > 0;
    this.txns.delete(txn);
    const i = this.waiting.indexOf(txn);
    if (i >= 0) this.waiting.splice(i, 1);
    this.counters.votedNo++;
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

  private noVote(txn: TxnId, reason: string, code: AbortCode): ParticipantReply {
    return { kind: 'vote', txn, vote: { kind: 'NO', reason, code } };
  }

  private reply(to: ReplyTo, reply: ParticipantReply): void {
    this.emit({ type: 'reply', to, reply });
  }
}
