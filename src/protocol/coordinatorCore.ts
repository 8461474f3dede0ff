import { BoundedMap } from './boundedMap.js';
import { invariant } from './invariant.js';
import type { PrepareMessage, ReplyTo } from './participantCore.js';
import type { CoordinatorRecord, DecisionRecord } from './records.js';
import { ownerOf } from './routing.js';
import { coordinatorResolution, isInDoubt } from './termination.js';
import type { AbortCode, NodeId, OpResult, Outcome, PeerState, ProtocolName, TxnAge, TxnId, TxnOp, Vote } from './types.js';

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
  protocol: ProtocolName;
}

/** A participant's answer to a state query (after it aborted if it had not voted). */
export interface StateAnswer {
  state: PeerState;
  protocol: ProtocolName | null;
  participants: NodeId[];
  /** A prepared branch's results (what its YES would have carried). */
  results: OpResult[];
}

export type CoordinatorEvent =
  | { type: 'recover'; pending: DecisionRecord[] }
  | { type: 'transact'; replyTo: ReplyTo; msg: TransactMessage }
  | { type: 'query'; replyTo: ReplyTo; txn: TxnId }
  | { type: 'lookupDone'; txn: TxnId; record: DecisionRecord | null }
  | { type: 'vote'; txn: TxnId; from: NodeId; vote: Vote }
  | { type: 'ack'; txn: TxnId; from: NodeId }
  | { type: 'persisted'; record: CoordinatorRecord }
  | { type: 'timer'; timer: CoordinatorTimer }
  /** 3pc: a participant answered PreCommit (ok false: it had aborted). No answer: the timer decides. */
  | { type: 'precommitAck'; txn: TxnId; from: NodeId; ok: boolean }
  /** Answer to a `query` message; the runtime always delivers one (UNREACHABLE on failure). */
  | { type: 'txnState'; txn: TxnId; from: NodeId; answer: StateAnswer };

export type CoordinatorTimer =
  | { kind: 'prepareTimeout'; txn: TxnId }
  | { kind: 'resend'; txn: TxnId }
  | { kind: 'precommitTimeout'; txn: TxnId };

export type CoordinatorMessage =
  | { kind: 'prepare'; msg: PrepareMessage }
  | { kind: 'commit'; txn: TxnId }
  | { kind: 'abort'; txn: TxnId }
  | { kind: 'precommit'; txn: TxnId }
  /** GetTxnState with abort-if-unvoted: termination (nb) and resolving ids with no record. */
  | { kind: 'query'; txn: TxnId; abortIfUnvoted: boolean };

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
    }
  | { kind: 'rejected'; txn: TxnId; status: 'FAILED_PRECONDITION' | 'RESOURCE_EXHAUSTED'; message: string };

export type CoordinatorEffect =
  | { type: 'reply'; to: ReplyTo; reply: CoordinatorReply }
  | { type: 'lookup'; txn: TxnId }
  | { type: 'send'; to: NodeId; message: CoordinatorMessage }
  | { type: 'persist'; record: CoordinatorRecord; sync: boolean }
  | { type: 'setTimer'; timer: CoordinatorTimer; at: number }
  | { type: 'log'; level: 'debug' | 'info' | 'warn'; txn: TxnId; msg: string };

/**
 * recording: an all-read-only txn, answered, whose unforced record is being written.
 * precommitting: 3pc, waiting for PreCommit acks. terminating: nb, the votes did not all come
 * in time, so every silent log is asked to hold ABORT. resolving: no record of an id that a
 * client asks about; the participants' states decide.
 */
type Phase =
  | 'lookup'
  | 'tombstoning'
  | 'resolving'
  | 'probing'
  | 'preparing'
  | 'precommitting'
  | 'terminating'
  | 'aborting'
  | 'deciding'
  | 'committed'
  | 'recording';

interface Branch {
  ops: TxnOp[];
  /** Index in the request of each of this branch's ops, to put results back in order. */
  opIndex: number[];
  vote?: Vote;
  acked: boolean;
  precommitted?: boolean;
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
  /** terminating/resolving: the answers gathered, and who has yet to answer. */
  answers?: Map<NodeId, StateAnswer>;
  awaiting?: Set<NodeId>;
}

export interface CoordinatorConfig {
  participants: NodeId[];
  /** Where each participant listens: sent with prepares so that peers can find each other. */
  participantAddrs: Record<NodeId, string>;
  /** Where participants ask for outcomes (this coordinator's address). */
  selfAddr: string;
  /** 3pc: how long to wait for PreCommit acks before committing anyway (Skeen's rule). */
  precommitTimeoutMs: number;
  maxLockWaitMs: number;
  resendMinMs: number;
  resendMaxMs: number;
  maxActiveTxns: number;
  recentOutcomes: number;
}

export const DEFAULT_COORDINATOR_TUNING = {
  maxLockWaitMs: 2000,
  precommitTimeoutMs: 2000,
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
  };

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
      case 'precommitAck':
        this.onPrecommitAck(event.txn, event.from, event.ok);
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
      if (!t.msg && (t.phase === 'lookup' || t.phase === 'resolving')) t.msg = msg; // a query started it
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
      if (t.phase === 'lookup' || t.phase === 'tombstoning' || t.phase === 'resolving' || t.phase === 'probing') t.queryWaiters.push(replyTo);
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
    if (t.msg && t.msg.protocol !== '2pc') {
      // A retried id with no record here. Under 3pc/nb its participants may have settled an
      // earlier run without this coordinator: look (without aborting anything) before re-running.
      t.phase = 'probing';
      const owners = [...new Set(t.msg.ops.map((op) => ownerOf(op.key, this.config.participants)))].sort();
      this.askStates(txn, t, owners, false);
      return;
    }
    if (t.msg) {
      for (const w of t.queryWaiters) this.replyPending(w, txn, t);
      t.queryWaiters = [];
      this.startPrepare(txn, t, t.msg);
      return;
    }
    // No record here. Under 2pc that means it never committed, but a 3pc or nb transaction
    // may have been decided by its participants: ask them all, each aborting first if it has
    // not voted, so that the answer cannot change after it is given.
    t.phase = 'resolving';
    this.counters.resolutions++;
    this.askStates(txn, t, this.config.participants, true);
  }

  private askStates(txn: TxnId, t: CoordinatorTxn, targets: NodeId[], abortIfUnvoted: boolean): void {
    t.answers = new Map();
    t.awaiting = new Set(targets);
    for (const p of targets) this.emit({ type: 'send', to: p, message: { kind: 'query', txn, abortIfUnvoted } });
  }

  /** A retried 3pc/nb id: run it unless an earlier run got every vote or was decided. */
  private concludeProbe(txn: TxnId, t: CoordinatorTxn): void {
    const answers = [...t.answers!];
    delete t.answers;
    delete t.awaiting;
    const msg = t.msg!;
    const states = answers.map(([, a]) => a.state);
    // A participant that never saw it means no earlier run collected every vote, so none
    // committed or pre-committed: running it (again) is safe, its logs keep one vote each.
    if (!states.includes('COMMITTED') && !states.includes('ABORTED') && states.includes('UNKNOWN')) {
      for (const w of t.queryWaiters) this.replyPending(w, txn, t);
      t.queryWaiters = [];
      this.startPrepare(txn, t, msg);
      return;
    }
    const outcome: Outcome | 'PENDING' = states.includes('COMMITTED') ? 'COMMITTED' : states.includes('ABORTED') ? 'ABORTED' : 'PENDING';
    this.emit({ type: 'log', level: 'info', txn, msg: `retried id with no record; participants say ${answers.map(([p, a]) => `${p}=${a.state}`).join(' ')}: ${outcome}` });
    this.txns.delete(txn);
    if (outcome === 'PENDING') {
      for (const w of [...t.outcomeWaiters, ...t.queryWaiters]) this.replyPending(w, txn, t, 'an earlier run of this id is being settled by its participants', false);
      return;
    }
    const record = this.foundRecord(txn, outcome, answers.filter(([, a]) => a.state !== 'UNKNOWN' && a.state !== 'UNREACHABLE').map(([p]) => p).sort(), msg.digest);
    if (outcome === 'COMMITTED') {
      const results = this.resultsInOpOrder(msg.ops, new Map(answers));
      if (!results) {
        for (const w of [...t.outcomeWaiters, ...t.queryWaiters]) this.replyPending(w, txn, t, 'committed by its participants; its results are not all reachable yet', false);
        return;
      }
      record.results = results;
    }
    this.recent.set(txn, record);
    for (const w of t.outcomeWaiters) this.answerTransact(w, msg, record);
    for (const w of t.queryWaiters) this.replyDecision(w, record);
  }

  /**
   * A COMMITTED answer must carry one result per op (the contract). Rebuilt from the
   * participants' answers, each branch's results in the order of its ops in the request;
   * null if a branch's results are missing.
   */
  private resultsInOpOrder(ops: TxnOp[], answers: Map<NodeId, StateAnswer>): OpResult[] | null {
    const next = new Map<NodeId, number>();
    const out: OpResult[] = [];
    for (const op of ops) {
      const owner = ownerOf(op.key, this.config.participants);
      const i = next.get(owner) ?? 0;
      const r = answers.get(owner)?.results[i];
      if (!r) return null;
      out.push(r);
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

  private onTxnState(txn: TxnId, from: NodeId, answer: StateAnswer): void {
    const t = this.txns.get(txn);
    if (!t || !t.awaiting?.delete(from)) return;
    t.answers!.set(from, answer);
    if (t.awaiting.size > 0) return;
    if (t.phase === 'resolving') this.concludeResolution(txn, t);
    else if (t.phase === 'terminating') this.concludeTermination(txn, t);
    else if (t.phase === 'probing') this.concludeProbe(txn, t);
  }

  private concludeResolution(txn: TxnId, t: CoordinatorTxn): void {
    const answers = t.answers!;
    const outcome = coordinatorResolution(answers);
    const known = [...answers].filter(([, a]) => a.state !== 'UNKNOWN' && a.state !== 'UNREACHABLE').map(([p]) => p).sort();
    const inDoubt = [...answers].filter(([, a]) => isInDoubt(a.state) || a.state === 'READ_ONLY').map(([p]) => p);
    const summary = [...answers].map(([p, a]) => `${p}=${a.state}`).join(' ');
    this.emit({ type: 'log', level: 'info', txn, msg: `no record; participants say ${summary}: ${outcome}` });
    if (outcome === 'PENDING') {
      this.txns.delete(txn);
      this.counters.unknownOutcomes++;
      for (const w of [...t.queryWaiters, ...t.outcomeWaiters]) {
        this.replyPending(w, txn, t, 'no decision recorded here; its participants settle it', false);
      }
      return;
    }
    if (outcome === 'COMMITTED') {
      // Found, not decided here: finish the in-doubt branches. Not remembered: a Transact
      // retried later needs every op's result, which a probe of its participants rebuilds.
      const record = this.foundRecord(txn, 'COMMITTED', known, '');
      this.txns.delete(txn);
      this.sendDecision(txn, 'commit', inDoubt);
      for (const w of t.queryWaiters) this.replyDecision(w, record);
      const results = t.msg ? this.resultsInOpOrder(t.msg.ops, answers) : null;
      for (const w of t.outcomeWaiters) {
        if (results) this.answerTransact(w, t.msg!, { ...record, results });
        else this.replyPending(w, txn, t, 'committed by its participants; retry to get its results', false);
      }
      return;
    }
    // Aborted: fence the id for good, then tell the in-doubt branches.
    t.phase = 'tombstoning';
    t.lateVoters = inDoubt;
    this.counters.tombstones++;
    this.emit({
      type: 'persist',
      record: { kind: 'decision', record: this.abortRecord(txn, known, 'no record of this transaction: presumed aborted', 'PRESUMED', '') },
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
            participantAddrs: participants.map((id) => this.config.participantAddrs[id] ?? ''),
            protocol: msg.protocol,
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
    if (vote.kind === 'NO' && vote.code === 'UNAVAILABLE_PARTICIPANT' && t.msg!.protocol === 'nb') {
      // Not a vote: no log holds it. Under nb only a log's ABORT may abort: ask the logs now.
      this.startNbTermination(txn, t, `participant ${from} unreachable`);
      return;
    }
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
    this.allVotedYes(txn, t);
  }

  private allVotedYes(txn: TxnId, t: CoordinatorTxn): void {
    const participants = [...t.branches.keys()].sort();
    switch (t.msg!.protocol) {
      case '2pc':
        this.forceCommit(txn, t);
        return;
      case '3pc':
        // Nobody commits before every participant is pre-committed (or presumed failed).
        t.phase = 'precommitting';
        for (const p of participants) this.emit({ type: 'send', to: p, message: { kind: 'precommit', txn } });
        this.emit({ type: 'setTimer', timer: { kind: 'precommitTimeout', txn }, at: this.now + this.config.precommitTimeoutMs });
        return;
      case 'nb': {
        // Every YES is durable in its participant's log: that IS the commit. The record here is
        // only a cache for GetTransaction, written unforced; losing it loses nothing.
        const record: DecisionRecord = { ...this.commitRecord(txn, t, participants), protocol: 'nb' };
        t.decision = record;
        this.announceCommit(txn, t, record);
        this.emit({ type: 'persist', record: { kind: 'decision', record }, sync: false });
        return;
      }
    }
  }

  private forceCommit(txn: TxnId, t: CoordinatorTxn): void {
    t.phase = 'deciding';
    t.decision = this.commitRecord(txn, t, [...t.branches.keys()].sort());
    this.emit({ type: 'persist', record: { kind: 'decision', record: t.decision }, sync: true });
  }

  private onPrecommitAck(txn: TxnId, from: NodeId, ok: boolean): void {
    const t = this.txns.get(txn);
    if (!t || t.phase !== 'precommitting') return;
    const b = t.branches.get(from);
    if (!b) return;
    if (!ok) {
      // It aborted meanwhile (a termination ran without us): nobody may commit now.
      this.abort(txn, t, `participant ${from} refused PreCommit: already aborted`, 'TIMED_OUT');
      return;
    }
    b.precommitted = true;
    if ([...t.branches.values()].every((x) => x.precommitted)) this.forceCommit(txn, t);
  }

  /** nb: ask every log that has not shown a YES to hold ABORT, then decide from what they hold. */
  private startNbTermination(txn: TxnId, t: CoordinatorTxn, why: string): void {
    t.phase = 'terminating';
    this.counters.terminations++;
    this.emit({ type: 'log', level: 'info', txn, msg: `nb termination: ${why}` });
    const silent = [...t.branches].filter(([, b]) => b.vote?.kind !== 'YES').map(([p]) => p);
    this.askStates(txn, t, silent, true);
  }

  private concludeTermination(txn: TxnId, t: CoordinatorTxn): void {
    const answers = [...t.answers!];
    delete t.answers;
    delete t.awaiting;
    const aborted = answers.find(([, a]) => a.state === 'ABORTED');
    if (aborted) {
      this.abort(txn, t, `participant ${aborted[0]} holds ABORT (no vote in time)`, 'TIMED_OUT');
      return;
    }
    if (answers.every(([, a]) => isInDoubt(a.state) || a.state === 'COMMITTED')) {
      for (const [p, a] of answers) {
        const b = t.branches.get(p)!;
        // Its vote never reached us; the one in its log counts, with the results it holds.
        if (!b.vote) {
          b.vote = { kind: 'YES', results: a.results };
          a.results.forEach((r, i) => {
            t.results[b.opIndex[i]!] = r;
          });
        }
      }
      this.allVotedYes(txn, t);
      return;
    }
    // A log is out of reach: the outcome is unknown until it returns. The participants that
    // voted YES finish it themselves (their own termination); a client can ask GetTransaction.
    const down = answers.filter(([, a]) => a.state === 'UNREACHABLE').map(([p]) => p);
    this.counters.unknownOutcomes++;
    this.emit({ type: 'log', level: 'warn', txn, msg: `nb termination undecided: unreachable ${down.join(',')}` });
    this.txns.delete(txn);
    for (const w of [...t.outcomeWaiters, ...t.queryWaiters]) this.replyPending(w, txn, t, `vote logs unreachable: ${down.join(',')}`, false);
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
      this.sendDecision(d.txn, 'abort', t.lateVoters);
      for (const w of t.outcomeWaiters) this.answerTransact(w, t.msg ?? null, d);
      for (const w of t.queryWaiters) this.replyDecision(w, d);
      return;
    }
    if (d.protocol === 'nb') return; // the unforced cache landed; the commit was announced already
    invariant(t?.phase === 'deciding', () => `commit of ${d.txn} persisted in phase ${t?.phase}`);
    // Only now, with the decision durable, may anyone hear it.
    this.announceCommit(d.txn, t, d);
  }

  private announceCommit(txn: TxnId, t: CoordinatorTxn, d: DecisionRecord): void {
    t.phase = 'committed';
    this.counters.committed++;
    // The participants first: a client's next transaction on the same keys then finds the
    // locks already on their way out.
    this.sendDecision(txn, 'commit', d.participants);
    for (const w of t.outcomeWaiters) this.replyDecision(w, d);
    for (const w of t.queryWaiters) this.replyDecision(w, d);
    t.outcomeWaiters = [];
    t.queryWaiters = [];
    this.emit({ type: 'setTimer', timer: { kind: 'resend', txn }, at: this.now + t.resendDelayMs });
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
    if (timer.kind === 'precommitTimeout') {
      if (t.phase !== 'precommitting') return;
      // Skeen: a missing PreCommit ack means that participant failed; it adopts the outcome
      // when it returns. (If it is merely cut off, its side may abort: 3pc's known limit.)
      this.counters.precommitTimeouts++;
      const silent = [...t.branches].filter(([, b]) => !b.precommitted).map(([p]) => p);
      this.emit({ type: 'log', level: 'warn', txn: timer.txn, msg: `no PreCommit ack from ${silent.join(',')}: committing anyway` });
      this.forceCommit(timer.txn, t);
      return;
    }
    if (timer.kind === 'prepareTimeout') {
      if (t.phase !== 'preparing') return;
      this.counters.timeouts++;
      const silent = [...t.branches.entries()].filter(([, b]) => !b.vote).map(([p]) => p);
      if (t.msg!.protocol === 'nb') {
        this.startNbTermination(timer.txn, t, `no vote from ${silent.join(', ')} within ${t.msg!.timeoutMs} ms`);
        return;
      }
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

  private replyPending(replyTo: ReplyTo, txn: TxnId, t: CoordinatorTxn, reason = 'transaction is in progress', inProgress = true): void {
    this.reply(replyTo, {
      kind: 'outcome',
      txn,
      outcome: 'PENDING',
      inProgress,
      reason,
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
