import { BoundedMap } from './boundedMap.js';
import { invariant } from './invariant.js';
import type { PrepareMessage, ReplyTo } from './participantCore.js';
import type { CoordinatorRecord, DecisionRecord } from './records.js';
import { ownerOf } from './routing.js';
import type { AbortCode, NodeId, OpResult, Outcome, TxnAge, TxnId, TxnOp, Vote } from './types.js';

export interface TransactMessage {
  txn: TxnId;
  /**
   * The caller chose the id (an idempotency key it may retry with): look it up before
   * running, and force an abort before telling it, so that a retry after a coordinator
   * crash cannot run it again. A fresh server-made id needs neither.
   */
  clientId: boolean;
  ops: TxnOp[];
  age: TxnAge;
  timeoutMs: number;
  /** Fingerprint of the ops, so a reused txn id with other ops can be refused. */
  digest: string;
}

export type CoordinatorEvent =
  | { type: 'recover'; pending: DecisionRecord[] }
  | { type: 'transact'; replyTo: ReplyTo; msg: TransactMessage }
  | { type: 'query'; replyTo: ReplyTo; txn: TxnId }
  | { type: 'lookupDone'; txn: TxnId; record: DecisionRecord | null }
  | { type: 'vote'; txn: TxnId; from: NodeId; vote: Vote }
  | { type: 'ack'; txn: TxnId; from: NodeId }
  | { type: 'persisted'; record: CoordinatorRecord }
  | { type: 'timer'; timer: CoordinatorTimer };

export type CoordinatorTimer = { kind: 'prepareTimeout'; txn: TxnId } | { kind: 'resend'; txn: TxnId };

export type CoordinatorMessage =
  | { kind: 'prepare'; msg: PrepareMessage }
  | { kind: 'commit'; txn: TxnId }
  | { kind: 'abort'; txn: TxnId };

export type CoordinatorReply =
  | {
      kind: 'outcome';
      txn: TxnId;
      outcome: Outcome | 'PENDING';
      reason: string;
      code?: AbortCode;
      results: OpResult[];
      participants: NodeId[];
    }
  | { kind: 'rejected'; txn: TxnId; status: 'FAILED_PRECONDITION' | 'RESOURCE_EXHAUSTED'; message: string };

export type CoordinatorEffect =
  | { type: 'reply'; to: ReplyTo; reply: CoordinatorReply }
  | { type: 'lookup'; txn: TxnId }
  | { type: 'send'; to: NodeId; message: CoordinatorMessage }
  | { type: 'persist'; record: CoordinatorRecord; sync: boolean }
  | { type: 'setTimer'; timer: CoordinatorTimer; at: number }
  | { type: 'log'; level: 'debug' | 'info' | 'warn'; txn: TxnId; msg: string };

/** recording: an all-read-only txn, answered, whose unforced record is being written. */
type Phase = 'lookup' | 'tombstoning' | 'preparing' | 'aborting' | 'deciding' | 'committed' | 'recording';

interface Branch {
  ops: TxnOp[];
  /** Index in the request of each of this branch's ops, to put results back in order. */
  opIndex: number[];
  vote?: Vote;
  acked: boolean;
}

interface CoordinatorTxn {
  phase: Phase;
  msg?: TransactMessage;
  branches: Map<NodeId, Branch>;
  outcomeWaiters: ReplyTo[];
  queryWaiters: ReplyTo[];
  results: OpResult[];
  resendDelayMs: number;
  decision?: DecisionRecord;
  /** aborting: the participants to tell once the abort is durable. */
  lateVoters: NodeId[];
}

export interface CoordinatorConfig {
  participants: NodeId[];
  /** Where participants ask for outcomes (this coordinator's address). */
  selfAddr: string;
  maxLockWaitMs: number;
  resendMinMs: number;
  resendMaxMs: number;
  maxActiveTxns: number;
  recentOutcomes: number;
}

export const DEFAULT_COORDINATOR_TUNING = {
  maxLockWaitMs: 2000,
  resendMinMs: 200,
  resendMaxMs: 5000,
  maxActiveTxns: 20_000,
  recentOutcomes: 100_000,
};

/**
 * The coordinator of presumed-abort 2PC as a pure state machine. A COMMIT decision
 * is forced before any client or participant hears of it; aborts are not forced
 * (a missing record means abort), except the tombstone written when a client asks
 * about an id with no record, which fences that id against a late commit.
 */
export class CoordinatorCore {
  private readonly txns = new Map<TxnId, CoordinatorTxn>();
  private readonly recent: BoundedMap<TxnId, DecisionRecord>;
  private effects: CoordinatorEffect[] = [];
  private now = 0;
  private recovered = false;
  readonly counters = { committed: 0, aborted: 0, readOnly: 0, timeouts: 0, redriven: 0, tombstones: 0 };

  constructor(
    readonly id: NodeId,
    private readonly config: CoordinatorConfig,
  ) {
    invariant(config.participants.length > 0, 'a coordinator needs at least one participant');
    this.recent = new BoundedMap(config.recentOutcomes);
  }

  step(event: CoordinatorEvent, now: number): CoordinatorEffect[] {
    this.now = now;
    this.effects = [];
    if (event.type !== 'recover') invariant(this.recovered, `coordinator ${this.id} got ${event.type} before recovery`);
    switch (event.type) {
      case 'recover':
        this.onRecover(event.pending);
        break;
      case 'transact':
        this.onTransact(event.replyTo, event.msg);
        break;
      case 'query':
        this.onQuery(event.replyTo, event.txn);
        break;
      case 'lookupDone':
        this.onLookupDone(event.txn, event.record);
        break;
      case 'vote':
        this.onVote(event.txn, event.from, event.vote);
        break;
      case 'ack':
        this.onAck(event.txn, event.from);
        break;
      case 'persisted':
        this.onPersisted(event.record);
        break;
      case 'timer':
        this.onTimer(event.timer);
        break;
    }
    const out = this.effects;
    this.effects = [];
    return out;
  }

  /** Decided-but-unfinished transactions (commits still being delivered). */
  inDoubt(): TxnId[] {
    return [...this.txns.entries()].filter(([, t]) => t.phase === 'committed').map(([id]) => id);
  }

  get activeTxns(): number {
    return this.txns.size;
  }

  private emit(e: CoordinatorEffect): void {
    this.effects.push(e);
  }

  private onRecover(pending: DecisionRecord[]): void {
    invariant(!this.recovered, 'coordinator recovered twice');
    this.recovered = true;
    for (const d of pending) {
      invariant(d.outcome === 'COMMITTED', () => `pending decision of ${d.txn} is ${d.outcome}`);
      const branches = new Map<NodeId, Branch>(d.participants.map((p) => [p, { ops: [], opIndex: [], acked: false }]));
      this.txns.set(d.txn, {
        phase: 'committed',
        branches,
        outcomeWaiters: [],
        queryWaiters: [],
        results: d.results,
        resendDelayMs: this.config.resendMinMs,
        decision: d,
        lateVoters: [],
      });
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
      // A re-driven decision has no request in memory: check the ops against the record.
      if (t.phase === 'committed' || t.phase === 'recording') return this.answerTransact(replyTo, msg, t.decision!);
      if (!t.msg && t.phase === 'lookup') t.msg = msg; // a query started the lookup
      t.outcomeWaiters.push(replyTo);
      return;
    }
    const done = this.recent.get(msg.txn);
    if (done) return this.answerTransact(replyTo, msg, done);
    if (this.txns.size >= this.config.maxActiveTxns) {
      this.reply(replyTo, {
        kind: 'rejected',
        txn: msg.txn,
        status: 'RESOURCE_EXHAUSTED',
        message: `coordinator ${this.id} has ${this.txns.size} transactions in flight; retry later`,
      });
      return;
    }
    const fresh = this.newTxn('lookup', msg, [replyTo], []);
    this.txns.set(msg.txn, fresh);
    if (msg.clientId) this.emit({ type: 'lookup', txn: msg.txn });
    else this.startPrepare(msg.txn, fresh, msg);
  }

  private onQuery(replyTo: ReplyTo, txn: TxnId): void {
    const t = this.txns.get(txn);
    if (t) {
      if (t.phase === 'committed' || t.phase === 'recording') return this.replyDecision(replyTo, t.decision!);
      if (t.phase === 'lookup' || t.phase === 'tombstoning') t.queryWaiters.push(replyTo);
      else this.replyPending(replyTo, txn, t);
      return;
    }
    const done = this.recent.get(txn);
    if (done) return this.replyDecision(replyTo, done);
    if (this.txns.size >= this.config.maxActiveTxns) {
      this.reply(replyTo, {
        kind: 'rejected',
        txn,
        status: 'RESOURCE_EXHAUSTED',
        message: `coordinator ${this.id} has ${this.txns.size} transactions in flight; retry later`,
      });
      return;
    }
    this.txns.set(txn, this.newTxn('lookup', undefined, [], [replyTo]));
    this.emit({ type: 'lookup', txn });
  }

  private onLookupDone(txn: TxnId, record: DecisionRecord | null): void {
    const t = this.txns.get(txn);
    invariant(t?.phase === 'lookup', () => `lookup of ${txn} finished in phase ${t?.phase}`);
    if (record) {
      this.txns.delete(txn);
      this.recent.set(txn, record);
      for (const w of t.outcomeWaiters) this.answerTransact(w, t.msg!, record);
      for (const w of t.queryWaiters) this.replyDecision(w, record);
      return;
    }
    if (t.msg) {
      for (const w of t.queryWaiters) this.replyPending(w, txn, t);
      t.queryWaiters = [];
      this.startPrepare(txn, t, t.msg);
      return;
    }
    // Nobody started this id here and nothing is recorded: fence it as aborted for good.
    t.phase = 'tombstoning';
    this.counters.tombstones++;
    this.emit({
      type: 'persist',
      record: { kind: 'decision', record: this.abortRecord(txn, [], 'no record of this transaction: presumed aborted', 'PRESUMED', '') },
      sync: true,
    });
  }

  private startPrepare(txn: TxnId, t: CoordinatorTxn, msg: TransactMessage): void {
    t.phase = 'preparing';
    msg.ops.forEach((op, i) => {
      const owner = ownerOf(op.key, this.config.participants);
      let b = t.branches.get(owner);
      if (!b) {
        b = { ops: [], opIndex: [], acked: false };
        t.branches.set(owner, b);
      }
      b.ops.push(op);
      b.opIndex.push(i);
    });
    const participants = [...t.branches.keys()].sort();
    const lockWaitMs = Math.max(0, Math.min(this.config.maxLockWaitMs, Math.floor(msg.timeoutMs / 2)));
    for (const p of participants) {
      const b = t.branches.get(p)!;
      this.emit({
        type: 'send',
        to: p,
        message: {
          kind: 'prepare',
          msg: {
            txn,
            coordinatorId: this.id,
            coordinatorAddr: this.config.selfAddr,
            ops: b.ops,
            participants,
            age: msg.age,
            lockWaitMs,
          },
        },
      });
    }
    this.emit({ type: 'setTimer', timer: { kind: 'prepareTimeout', txn }, at: this.now + msg.timeoutMs });
  }

  private onVote(txn: TxnId, from: NodeId, vote: Vote): void {
    const t = this.txns.get(txn);
    if (!t || t.phase !== 'preparing') {
      // A late vote. If it holds locks for an aborted transaction, tell it now rather than
      // leaving it to time out and ask (once the abort is durable, for a client-chosen id).
      const done = t ? undefined : this.recent.get(txn);
      if (done?.outcome === 'ABORTED' && vote.kind !== 'NO') this.sendDecision(txn, 'abort', [from]);
      if (t?.phase === 'aborting' && vote.kind !== 'NO') t.lateVoters.push(from);
      return;
    }
    const b = t.branches.get(from);
    invariant(b, () => `vote for ${txn} from ${from}, which is not one of its participants`);
    if (b.vote) return; // duplicate
    b.vote = vote;
    if (vote.kind === 'NO') {
      this.abort(txn, t, `participant ${from}: ${vote.reason}`, vote.code);
      return;
    }
    vote.results.forEach((r, i) => {
      t.results[b.opIndex[i]!] = r;
    });
    if ([...t.branches.values()].some((x) => !x.vote)) return;
    const participants = [...t.branches.keys()].sort();
    if ([...t.branches.values()].every((x) => x.vote!.kind === 'READ_ONLY')) {
      // Nothing was written anywhere: no decision to force. Releasing the read locks is all.
      // The record is written unforced only so that GetTransaction can tell COMMITTED later;
      // if a crash loses it, the id reads as aborted, which for a read loses nothing.
      // The txn stays in memory until the record lands, so that no lookup can miss it
      // in between and fence the id as aborted.
      this.counters.readOnly++;
      const record: DecisionRecord = { ...this.commitRecord(txn, t, participants), readOnly: true };
      t.phase = 'recording';
      t.decision = record;
      for (const w of t.outcomeWaiters) this.replyDecision(w, record);
      for (const w of t.queryWaiters) this.replyDecision(w, record);
      t.outcomeWaiters = [];
      t.queryWaiters = [];
      this.sendDecision(txn, 'commit', participants);
      this.emit({ type: 'persist', record: { kind: 'decision', record }, sync: false });
      return;
    }
    t.phase = 'deciding';
    t.decision = this.commitRecord(txn, t, participants);
    this.emit({ type: 'persist', record: { kind: 'decision', record: t.decision }, sync: true });
  }

  private onPersisted(record: CoordinatorRecord): void {
    if (record.kind === 'end') return;
    const d = record.record;
    const t = this.txns.get(d.txn);
    if (d.readOnly) {
      if (t?.phase === 'recording') {
        this.txns.delete(d.txn);
        this.recent.set(d.txn, d);
      }
      return;
    }
    if (d.outcome === 'ABORTED') {
      if (t?.phase !== 'tombstoning' && t?.phase !== 'aborting') return; // an unforced abort record landed
      this.txns.delete(d.txn);
      this.recent.set(d.txn, d);
      if (t.phase === 'aborting') this.sendDecision(d.txn, 'abort', t.lateVoters);
      for (const w of t.outcomeWaiters) this.answerTransact(w, t.msg ?? null, d);
      for (const w of t.queryWaiters) this.replyDecision(w, d);
      return;
    }
    invariant(t?.phase === 'deciding', () => `commit of ${d.txn} persisted in phase ${t?.phase}`);
    t.phase = 'committed';
    this.counters.committed++;
    // Only now, with the decision durable, may anyone hear it. The participants first: a
    // client's next transaction on the same keys then finds the locks already on their way out.
    this.sendDecision(d.txn, 'commit', d.participants);
    for (const w of t.outcomeWaiters) this.replyDecision(w, d);
    for (const w of t.queryWaiters) this.replyDecision(w, d);
    t.outcomeWaiters = [];
    t.queryWaiters = [];
    this.emit({ type: 'setTimer', timer: { kind: 'resend', txn: d.txn }, at: this.now + t.resendDelayMs });
  }

  private onAck(txn: TxnId, from: NodeId): void {
    const t = this.txns.get(txn);
    if (!t || t.phase !== 'committed') return;
    const b = t.branches.get(from);
    if (!b) return;
    b.acked = true;
    if ([...t.branches.values()].every((x) => x.acked)) {
      this.txns.delete(txn);
      this.recent.set(txn, t.decision!);
      // END need not be forced: losing it only means re-sending a commit that is acked again.
      this.emit({ type: 'persist', record: { kind: 'end', txn }, sync: false });
    }
  }

  private onTimer(timer: CoordinatorTimer): void {
    const t = this.txns.get(timer.txn);
    if (!t) return;
    if (timer.kind === 'prepareTimeout') {
      if (t.phase !== 'preparing') return;
      this.counters.timeouts++;
      const silent = [...t.branches.entries()].filter(([, b]) => !b.vote).map(([p]) => p);
      this.abort(timer.txn, t, `no vote from ${silent.join(', ')} within ${t.msg!.timeoutMs} ms`, 'TIMED_OUT');
      return;
    }
    if (t.phase !== 'committed') return;
    const unacked = [...t.branches.entries()].filter(([, b]) => !b.acked).map(([p]) => p);
    this.sendDecision(timer.txn, 'commit', unacked);
    t.resendDelayMs = Math.min(t.resendDelayMs * 2, this.config.resendMaxMs);
    this.emit({ type: 'setTimer', timer: { kind: 'resend', txn: timer.txn }, at: this.now + t.resendDelayMs });
  }

  private abort(txn: TxnId, t: CoordinatorTxn, reason: string, code: AbortCode): void {
    // Tell everyone but the participants that really voted NO: a NO made up for one that could
    // not be reached may hide a prepare still on its way there, which must not be left waiting.
    const notNo = [...t.branches.entries()]
      .filter(([, b]) => b.vote?.kind !== 'NO' || b.vote.code === 'UNAVAILABLE_PARTICIPANT')
      .map(([p]) => p);
    const record = this.abortRecord(txn, [...t.branches.keys()].sort(), reason, code, t.msg!.digest);
    this.counters.aborted++;
    this.emit({ type: 'log', level: 'debug', txn, msg: `aborted: ${reason}` });
    if (t.msg!.clientId) {
      // The caller may retry this id. Nobody hears the abort before it is durable: neither the
      // client, nor a participant (an ABORT overtaken by a crash and a re-run could otherwise
      // reach a participant of the re-run, which commits).
      t.phase = 'aborting';
      t.lateVoters = notNo;
      this.emit({ type: 'persist', record: { kind: 'decision', record }, sync: true });
      return;
    }
    this.sendDecision(txn, 'abort', notNo);
    this.txns.delete(txn);
    this.recent.set(txn, record);
    for (const w of t.outcomeWaiters) this.replyDecision(w, record);
    for (const w of t.queryWaiters) this.replyDecision(w, record);
    // Presumed abort: the record only serves to tell the reason later; it is not forced.
    this.emit({ type: 'persist', record: { kind: 'decision', record }, sync: false });
  }

  private commitRecord(txn: TxnId, t: CoordinatorTxn, participants: NodeId[]): DecisionRecord {
    invariant(
      [...t.branches.values()].every((b) => b.vote && b.vote.kind !== 'NO'),
      () => `commit of ${txn} without a YES from every participant`,
    );
    return {
      txn,
      outcome: 'COMMITTED',
      participants,
      results: t.results,
      reason: '',
      digest: t.msg!.digest,
      decidedAtMs: this.now,
    };
  }

  private abortRecord(txn: TxnId, participants: NodeId[], reason: string, code: AbortCode, digest: string): DecisionRecord {
    return { txn, outcome: 'ABORTED', participants, results: [], reason, abortCode: code, digest, decidedAtMs: this.now };
  }

  private sendDecision(txn: TxnId, kind: 'commit' | 'abort', to: NodeId[]): void {
    for (const p of to) this.emit({ type: 'send', to: p, message: { kind, txn } });
  }

  private answerTransact(replyTo: ReplyTo, msg: TransactMessage | null, record: DecisionRecord): void {
    // A tombstone (empty digest) answers any request; a real decision only the same ops.
    if (msg && record.digest !== '' && record.digest !== msg.digest) return this.rejectReuse(replyTo, record.txn);
    this.replyDecision(replyTo, record);
  }

  private rejectReuse(replyTo: ReplyTo, txn: TxnId): void {
    this.reply(replyTo, {
      kind: 'rejected',
      txn,
      status: 'FAILED_PRECONDITION',
      message: `transaction id ${txn} was already used for different ops`,
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

  private replyPending(replyTo: ReplyTo, txn: TxnId, t: CoordinatorTxn): void {
    this.reply(replyTo, {
      kind: 'outcome',
      txn,
      outcome: 'PENDING',
      reason: 'transaction is in progress',
      results: [],
      participants: [...t.branches.keys()].sort(),
    });
  }

  private newTxn(phase: Phase, msg: TransactMessage | undefined, outcomeWaiters: ReplyTo[], queryWaiters: ReplyTo[]): CoordinatorTxn {
    return {
      phase,
      ...(msg ? { msg } : {}),
      branches: new Map(),
      outcomeWaiters,
      queryWaiters,
      results: [],
      resendDelayMs: this.config.resendMinMs,
      lateVoters: [],
    };
  }

  private reply(to: ReplyTo, reply: CoordinatorReply): void {
    this.emit({ type: 'reply', to, reply });
  }
}
