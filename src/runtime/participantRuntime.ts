import {
  DEFAULT_PARTICIPANT_CONFIG,
  ParticipantCore,
  type ParticipantConfig,
  type ParticipantEffect,
  type ParticipantEvent,
  type ParticipantReply,
} from '../protocol/participantCore.js';
import type { InquiryOutcome } from '../protocol/participantTxn.js';
import type { NodeId, Outcome, TxnOp, Vote } from '../protocol/types.js';
import type { ParticipantStore } from '../storage/participantStore.js';
import { CALL_POLICY } from './callPolicy.js';
import { CoreDriver, type EffectExecutor } from './coreDriver.js';
import type { RuntimeEnv } from './env.js';
import type { ParticipantMetricsSink } from './metricsSink.js';
import { ParticipantTimings } from './participantTimings.js';
import { VOTE_BEFORE_SYNC_DELAY_MS, type PlantedBug } from './plantedBugs.js';
import { ReplyRegistry } from './replies.js';
import { RequestError } from './requestError.js';
import { TxnTimers } from './timers.js';
import type { RetentionRule } from '../protocol/retention.js';
import { RecordCollector } from '../storage/recordCollector.js';
import { PeerHorizon } from './peerHorizon.js';
import { passGapFor, retentionLoopFor, type RetentionLoop, type RetentionTuning } from './retentionLoop.js';
import type { CallResult, NodeRef, OutcomeAnswer, PeerHandlers, Transport } from './transport.js';
import { traceIdOf } from '../protocol/traceContext.js';
import type { TxnSpan, TxnTracer } from './txnTracer.js';

/** How long a commit record may wait to share a sync with the next log write (0: never), by default. */
export const DEFAULT_COMMIT_LINGER_MS = 2;

export interface ParticipantRuntimeOptions {
  id: NodeId;
  store: ParticipantStore;
  transport: Transport;
  env: RuntimeEnv;
  config?: Partial<ParticipantConfig>;
  commitLingerMs?: number;
  bug?: PlantedBug | null;
  /** Sees every step of the core (the simulator's trace). */
  observe?: (event: ParticipantEvent, effects: ParticipantEffect[]) => void;
  /** Where lock-wait timings go (a node's Prometheus metrics); none: not measured. */
  metrics?: ParticipantMetricsSink;
  /** Spans of transactions (a node's OpenTelemetry; none in the simulator). */
  tracer?: TxnTracer;
  /** Outcome records older than this are collected (retention.ts); null/absent: kept forever. */
  retention?: RetentionRule | null;
  /** Tuning of the collector (tests and the simulator sweep faster). */
  retentionTuning?: RetentionTuning;
  /** The other participants (the shard map's members): collection waits for their horizons. Absent: none asked. */
  peers?: () => readonly NodeRef[];
}

export type ParticipantServed = 'prepare' | 'commit' | 'abort' | 'release' | 'precommit' | 'txnState' | 'horizon';

/** What every node's retention refusal says (retention.ts outsideWindowMessage). */
const RETIRED_WORDS = 'outside the retention window';

/** `{ bornMs }` when known (an absent field otherwise). */
function born(bornMs: number | undefined): { bornMs?: number } {
  return bornMs !== undefined ? { bornMs } : {};
}

/** What a coordinator's answer to an inquiry means to the participant core (the one mapping of it). */
export function inquiryOutcome(r: CallResult<OutcomeAnswer>): InquiryOutcome {
  if (!r.ok) return r.message.includes(RETIRED_WORDS) ? 'RETIRED' : 'UNREACHABLE';
  const { outcome, inProgress } = r.value;
  if (outcome === 'COMMITTED' || outcome === 'ABORTED') return outcome;
  // PENDING from a coordinator that runs it means wait; from one with no record, terminate.
  return inProgress ? 'PENDING' : 'UNDECIDED';
}

/**
 * A participant's runtime: runs the ParticipantCore over a transport, its store and a clock,
 * and serves its peers. The node process (gRPC, LevelDB, real timers) and the simulator
 * (simulated network, disk and time) both run exactly this.
 */
export class ParticipantRuntime {
  readonly core: ParticipantCore;
  readonly serve: PeerHandlers<ParticipantServed>;
  private readonly driver: CoreDriver<ParticipantEvent, ParticipantEffect>;
  private readonly replies = new ReplyRegistry<ParticipantReply>();
  private readonly timers: TxnTimers;
  private readonly commitLingerMs: number;
  private readonly bug: PlantedBug | null;
  /** Collects outcome records older than the retention window (null: kept forever). */
  readonly retention: RetentionLoop | null;
  /** The peers' horizons, which collection stays below (null: retention off or no peers given). */
  private readonly horizon: PeerHorizon | null;

  constructor(private readonly o: ParticipantRuntimeOptions) {
    this.core = new ParticipantCore(o.id, {
      ...DEFAULT_PARTICIPANT_CONFIG,
      ...o.config,
      retention: o.retention ?? null,
      ...(o.bug === 'participant.releaseReadLocksAtVote' ? { releaseReadLocksAtVote: true } : {}),
      ...(o.bug === 'participant.readsTakeNoLocks' ? { readsTakeNoLocks: true } : {}),
      ...(o.bug === 'participant.firstWriteStaged' ? { firstWriteStaged: true } : {}),
      ...(o.bug === 'participant.earlyLockRelease' ? { earlyLockRelease: true } : {}),
    });
    this.timers = new TxnTimers(o.env.clock);
    this.commitLingerMs = o.commitLingerMs ?? DEFAULT_COMMIT_LINGER_MS;
    this.bug = o.bug ?? null;
    const executor: EffectExecutor<ParticipantEvent, ParticipantEffect> = {
      execute: (e, done) => this.execute(e, done),
      // persist before send: a vote leaves only after its prepare record is durable
      isBlocking: (e) => e.type === 'persist',
    };
    // Lock-wait timings, when metrics are taken: they watch the core's steps.
    const timings = o.metrics ? new ParticipantTimings(o.metrics, () => o.env.monotonic.now()) : null;
    const observe = timings
      ? (event: ParticipantEvent, effects: ParticipantEffect[]) => {
          o.observe?.(event, effects);
          timings.observe(event, effects);
        }
      : o.observe;
    const ended = timings
      ? (txn: string) => {
          this.timers.clear(txn);
          timings.ended(txn);
        }
      : (txn: string) => this.timers.clear(txn);
    this.driver = new CoreDriver(this.core, executor, o.env, ended, observe);
    this.serve = this.handlers();
    this.horizon =
      o.retention && o.peers
        ? new PeerHorizon({
            self: o.id,
            peers: o.peers,
            transport: o.transport,
            clock: o.env.clock,
            log: o.env.log,
            everyMs: passGapFor(o.retention, o.retentionTuning),
          })
        : null;
    const horizon = this.horizon;
    this.retention = retentionLoopFor({
      rule: o.retention,
      env: o.env,
      store: o.store,
      core: this.core,
      bug: o.bug,
      tuning: o.retentionTuning,
      ...(horizon ? { peerFloor: () => horizon.floor() } : {}),
    });
  }

  /** Recovery comes first: prepared transactions re-take their locks before anything is served. */
  async start(): Promise<number> {
    const prepared = await this.o.store.recoverPrepared();
    // The mark before anything is served: a question about a collected id must not read as new.
    if (this.bug !== 'retention.forgetLowWater') this.core.setCollectedUpTo(await RecordCollector.loadMark(this.o.store.store));
    this.driver.dispatch({ type: 'recover', prepared });
    this.horizon?.start();
    this.retention?.start();
    return prepared.length;
  }

  stop(): void {
    this.retention?.stop();
    this.horizon?.stop();
    this.driver.stop();
    this.timers.stop();
  }

  get pendingTimers(): number {
    return this.timers.size;
  }

  private ask(event: (replyTo: number) => ParticipantEvent, respond: (r: ParticipantReply) => void): void {
    this.driver.dispatch(event(this.replies.open(respond)));
  }

  /** A span of this participant's work on a transaction, child of the trace it came with (none without one). */
  private span(name: string, txn: string, trace: string | undefined): TxnSpan | null {
    if (!trace || !this.o.tracer) return null;
    return this.o.tracer.start(name, { traceparent: trace }, { 'dtx.txn_id': txn, 'dtx.participant': this.o.id });
  }

  /** Log fields of a transaction: its id, and its trace id when it has one. */
  txnFields(txn: string): { txn: string; trace?: string } {
    const tp = this.core.traceOf(txn);
    return tp ? { txn, trace: traceIdOf(tp) } : { txn };
  }

  private handlers(): PeerHandlers<ParticipantServed> {
    const decide = (outcome: Outcome) => (req: { txn: string }, respond: (r: { known: boolean } | RequestError) => void) => {
      if (outcome === 'COMMITTED' && this.core.view(req.txn) === 'PREPARED') this.o.env.failpoint('participant.commit.before');
      const span = this.span(outcome === 'COMMITTED' ? 'dtx.participant.commit' : 'dtx.participant.abort', req.txn, this.core.traceOf(req.txn));
      this.ask(
        (replyTo) => ({ type: 'decision', replyTo, txn: req.txn, outcome }),
        (r) => {
          span?.end(undefined, r.kind === 'refused' ? r.reason : undefined);
          respond(r.kind === 'refused' ? new RequestError('FAILED_PRECONDITION', r.reason) : { known: r.kind === 'ack' ? r.known : true });
        },
      );
    };
    return {
      prepare: (prepared, respond) => {
        const msg = this.plantedPrepare(prepared);
        const span = this.span('dtx.participant.prepare', msg.txn, msg.trace);
        this.ask(
          (replyTo) => ({ type: 'prepare', replyTo, msg }),
          (r) => {
            const answer: Vote | RequestError =
              r.kind === 'vote'
                ? r.vote
                : r.kind === 'refused'
                  ? new RequestError('FAILED_PRECONDITION', r.reason)
                  : { kind: 'NO', reason: `prepare answered with ${r.kind}`, code: 'CONFLICT' };
            span?.end(answer instanceof RequestError ? undefined : { 'dtx.vote': answer.kind }, answer instanceof RequestError ? answer.message : undefined);
            respond(answer);
          },
        );
        // Queued for a lock: a commit record that lingers may be what holds it.
        if (this.core.lockWaiters > 0) this.o.store.store.writer.flushLingering();
      },
      commit: decide('COMMITTED'),
      abort: decide('ABORTED'),
      release: (req, respond) =>
        this.ask(
          (replyTo) => ({ type: 'release', replyTo, txn: req.txn }),
          (r) => respond({ known: (r.kind === 'ack' && r.known) || this.bug === 'participant.confirmLostReadLocks' }),
        ),
      precommit: (req, respond) => {
        const span = this.span('dtx.participant.precommit', req.txn, this.core.traceOf(req.txn));
        this.ask(
          (replyTo) => ({ type: 'precommit', replyTo, txn: req.txn }),
          (r) => {
            span?.end({ 'dtx.ok': r.kind === 'precommitAck' && r.ok });
            respond({ ok: r.kind === 'precommitAck' && r.ok });
          },
        );
      },
      horizon: (_req, respond) => respond({ horizonMs: this.core.horizonMs(this.o.env.clock.now()) }),
      txnState: (req, respond) =>
        this.ask(
          (replyTo) => ({ type: 'stateQuery', replyTo, txn: req.txn, abortIfUnvoted: req.abortIfUnvoted, ...born(req.bornMs) }),
          (r) =>
            respond(
              r.kind === 'state'
                ? { state: r.state, protocol: r.protocol, participants: r.participants, results: r.results, recovered: r.recovered }
                : { state: 'UNKNOWN', protocol: null, participants: [], results: [], recovered: false },
            ),
        ),
    };
  }

  /** The prepare as the planted bugs that drop part of an op see it (the message itself otherwise). */
  private plantedPrepare<T extends { ops: TxnOp[] }>(prepared: T): T {
    if (this.bug === 'participant.ignoreFences') return { ...prepared, ops: prepared.ops.map(({ fence: _fence, ...op }) => op) };
    if (this.bug === 'participant.ignoreAddMin') return { ...prepared, ops: prepared.ops.map((op) => (op.type === 'add' ? { ...op, min: undefined } : op)) };
    return prepared;
  }

  /** What an inquiry's answer means to the core, as the planted bugs that misread it see it. */
  private plantedInquiry(r: CallResult<OutcomeAnswer>): InquiryOutcome {
    const outcome = inquiryOutcome(r);
    return outcome === 'UNREACHABLE' && this.bug === 'participant.commitWhenCoordinatorUnreachable' ? 'COMMITTED' : outcome;
  }

  private execute(e: ParticipantEffect, done: (event?: ParticipantEvent) => void): void {
    const { store, transport, env } = this.o;
    switch (e.type) {
      case 'reply':
        this.replies.resolve(e.to, e.reply);
        return done();
      case 'read':
        return store.readForPrepare(e.txn, e.keys, (err, r) => {
          if (err) return env.fatal(err, `read for prepare of ${e.txn}`);
          done({ type: 'readDone', txn: e.txn, values: r.values, finished: r.finished });
        });
      case 'persist':
        return this.persist(e.record, e.sync, done);
      case 'setTimer': {
        const timer = e.timer;
        this.timers.set(timer.txn, e.at, () => this.driver.dispatch({ type: 'timer', timer }));
        return done();
      }
      case 'inquire':
        return transport.call({ id: e.coordinatorId, addr: e.coordinatorAddr }, 'outcome', { txn: e.txn, ...born(e.bornMs) }, CALL_POLICY.inquiry, (r) => {
          if (!r.ok) env.log.warn({ ...this.txnFields(e.txn), coordinator: e.coordinatorId, err: r.message }, 'cannot reach coordinator for outcome');
          done({ type: 'inquiryResult', txn: e.txn, outcome: this.bug ? this.plantedInquiry(r) : inquiryOutcome(r) });
        });
      case 'checkOutcome':
        return store.outcome(e.txn, (err, finished) => {
          if (err) return env.fatal(err, `outcome read of ${e.txn}`);
          done({ type: 'outcomeChecked', txn: e.txn, replyTo: e.replyTo, finished, ...born(e.bornMs) });
        });
      case 'queryPeer':
        return transport.call(
          { id: e.to, addr: e.addr },
          'txnState',
          { txn: e.txn, abortIfUnvoted: e.abortIfUnvoted, ...born(e.bornMs) },
          CALL_POLICY.stateQuery,
          (r) => {
            if (!r.ok) env.log.info({ ...this.txnFields(e.txn), peer: e.to, err: r.message }, 'peer unreachable during termination');
            done({ type: 'peerState', txn: e.txn, from: e.to, state: r.ok ? r.value.state : 'UNREACHABLE', recovered: r.ok && r.value.recovered });
          },
        );
      case 'sendPeer': {
        const to = { id: e.to, addr: e.addr };
        if (e.message === 'precommit') {
          return transport.call(to, 'precommit', { txn: e.txn }, CALL_POLICY.precommit, (r) =>
            done({ type: 'peerPrecommitted', txn: e.txn, from: e.to, result: r.ok ? (r.value.ok ? 'ok' : 'refused') : 'unreachable' }),
          );
        }
        // A decision to a peer only saves it a termination round; it finds out anyway.
        transport.call(to, e.message, { txn: e.txn }, CALL_POLICY.peerDecision, () => undefined);
        return done();
      }
      case 'log':
        env.log[e.level](e.trace ? { txn: e.txn, trace: traceIdOf(e.trace) } : { txn: e.txn }, e.msg);
        return done();
      case 'alarm':
        env.alarm(e.txn, e.msg, e.trace ? traceIdOf(e.trace) : undefined);
        return done();
    }
  }

  private persist(record: Extract<ParticipantEffect, { type: 'persist' }>['record'], wantSync: boolean, done: (event?: ParticipantEvent) => void): void {
    const { store, env } = this.o;
    const persisted = (): void => done({ type: 'persisted', record });
    const failed = (err: Error | null): boolean => {
      if (err) env.fatal(err, `${record.kind} record write`);
      return err !== null;
    };
    if (this.bug === 'participant.voteBeforeSync' && record.kind === 'prepare') {
      env.clock.after(VOTE_BEFORE_SYNC_DELAY_MS, () => store.persist(record, false, 0, () => undefined));
      return persisted();
    }
    if (this.bug === 'participant.dropCommitBatch' && record.kind === 'commit' && this.o.id === 'p1' && env.random() < 0.5) {
      env.log.warn(this.txnFields(record.txn), 'PLANTED BUG participant.dropCommitBatch: commit batch dropped, reported persisted');
      return persisted();
    }
    // Only a power cut shows this one: the OS keeps an unsynced write across a kill -9.
    const sync = this.bug === 'participant.prepareUnsynced' && record.kind === 'prepare' ? false : wantSync;
    const written =
      this.bug === 'participant.skipCommitApply' && record.kind === 'commit'
        ? { ...record, writes: [] }
        : this.bug === 'participant.applyNewKeysOnly' && record.kind === 'commit' && record.writes.some((w) => w.version === 1)
          ? { ...record, writes: record.writes.filter((w) => w.version === 1) }
          : record;
    // A commit record nobody waits on (its ack can come a moment later) may linger to share
    // the next prepare's fsync; one that frees locks others queue for goes at once.
    const linger = record.kind === 'commit' && this.core.lockWaiters === 0 ? this.commitLingerMs : 0;
    store.persist(written, sync, linger, (err) => {
      if (failed(err)) return;
      if (record.kind === 'prepare') env.failpoint('participant.prepare.afterPersist');
      persisted();
    });
  }

  /** Counters for Admin.Status (and the simulator's report). */
  counters(): Record<string, number> {
    const w = this.o.store.store.writer.stats;
    return {
      ...this.core.counters,
      activeTxns: this.core.activeTxns,
      lockedKeys: this.core.lockedKeys,
      logBatches: w.batches,
      logRecords: w.records,
      logSyncs: w.syncedBatches,
      pendingTimers: this.timers.size,
      ...(this.retention
        ? {
            retentionCollected: this.retention.stats.collected,
            retentionPasses: this.retention.stats.passes,
            retentionMarkMs: this.core.retentionMark,
          }
        : {}),
    };
  }
}
