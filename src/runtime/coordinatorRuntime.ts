import type { RetentionRule } from '../protocol/retention.js';
import { RecordCollector } from '../storage/recordCollector.js';
import { retentionLoopFor, type RetentionLoop, type RetentionTuning } from './retentionLoop.js';
import {
  CoordinatorCore,
  DEFAULT_COORDINATOR_TUNING,
  type CoordinatorConfig,
  type CoordinatorEffect,
  type CoordinatorEvent,
  type CoordinatorReply,
  type TransactMessage,
} from '../protocol/coordinatorCore.js';
import { LIMITS } from '../protocol/limits.js';
import { InvalidRequest, validateOps } from '../protocol/ops.js';
import { COMMIT_PROTOCOLS, DEFAULT_PROTOCOL } from '../protocol/protocols/index.js';
import type { CoordinatorRecord, DecisionRecord } from '../protocol/records.js';
import { memberIds, type ShardMap } from '../protocol/shardMap.js';
import type { NodeId, OpResult, Outcome, AbortCode, ProtocolName, TxnOp, Vote } from '../protocol/types.js';
import { claimedAge } from '../protocol/types.js';
import type { CoordinatorStore } from '../storage/coordinatorStore.js';
import { CALL_POLICY, preparePolicy } from './callPolicy.js';
import { CoordinatorPhases } from './coordinatorPhases.js';
import { CoreDriver, type EffectExecutor } from './coreDriver.js';
import { opsDigest } from './digest.js';
import type { RuntimeEnv } from './env.js';
import type { CoordinatorMetricsSink, TxnEnd } from './metricsSink.js';
import type { PlantedBug } from './plantedBugs.js';
import { ReplyRegistry } from './replies.js';
import { RequestError } from './requestError.js';
import { ShardGate } from './shardGate.js';
import { TxnTimers } from './timers.js';
import type { CallResult, PeerHandlers, Transport } from './transport.js';
import { traceIdOf, type IncomingTrace } from '../protocol/traceContext.js';
import { BoundedMap } from '../protocol/boundedMap.js';
import type { TxnSpan, TxnTracer } from './txnTracer.js';

/** A forwarded Transact may take the owner's timeout and this much more (the hop and the answer). */
const FORWARD_MARGIN_MS = 2000;
/** After a forward to an owner failed, further ones fail fast for this long. */
const OWNER_DOWN_MS = 1000;
/** A forward that found its owner not listening tries again after these delays (about 1 s in all). */
const FORWARD_RETRIES_MS = [300, 700];
/** How long an END marker may wait for the next decision batch (losing it only re-sends a commit). */
const END_LINGER_MS = 20;
/** A read aborted by a lock conflict is retried at most this many times within its timeout. */
const READ_ATTEMPTS = 8;
/** A transaction with an id made here that met a moved shard runs again under a new id, at most this many times. */
const WRONG_SHARD_RERUNS = 3;
const TXN_ID = /^[A-Za-z0-9._:@/+=-]+$/;

export interface CoordinatorRuntimeOptions {
  id: NodeId;
  /** Participant id → address. */
  participants: ReadonlyMap<NodeId, string>;
  /** The other coordinators (id → address): a transaction id another one owns is passed on to it. */
  coordinators?: ReadonlyMap<NodeId, string>;
  /** Where participants reach this coordinator (sent with prepares). */
  selfAddr: string;
  store: CoordinatorStore;
  transport: Transport;
  env: RuntimeEnv;
  defaultTimeoutMs: number;
  /** The protocol of a transaction that names none. */
  defaultProtocol?: ProtocolName;
  tuning?: Partial<typeof DEFAULT_COORDINATOR_TUNING>;
  bug?: PlantedBug | null;
  /** Sees every step of the core (the simulator's trace). */
  observe?: (event: CoordinatorEvent, effects: CoordinatorEffect[]) => void;
  /** Decision records older than this are collected and such ids refused (retention.ts); null/absent: kept forever. */
  retention?: RetentionRule | null;
  /** Tuning of the collector (tests and the simulator sweep faster). */
  retentionTuning?: RetentionTuning;
  /** The cluster's shard map (default: a first map dealt over `participants`). */
  shardMap?: ShardMap;
  /**
   * A participant refused a key's shard (it moved): fetch the newest map; resolves once it is
   * set (setShardMap) or the refresh gave up. Absent: nothing to refresh from.
   */
  refreshShardMap?: () => Promise<void>;
  /** Where transaction outcomes and phase timings go (a node's Prometheus metrics); none: not measured. */
  metrics?: CoordinatorMetricsSink;
  /** Spans of transactions (a node's OpenTelemetry; none in the simulator). */
  tracer?: TxnTracer;
}

/** A transaction's span here and what its end reports. */
interface TransactSpan {
  span: TxnSpan;
  participants?: string[];
}

/** A client's transaction as the runtime takes it (already converted from the wire). */
export interface TransactInput {
  /** Empty: the coordinator makes one (`<coordinator id>-<unique>`). */
  txnId: string;
  ops: TxnOp[];
  /** 0: the coordinator's default. */
  timeoutMs: number;
  /** A retry keeps its first attempt's age so that wait-die lets it through (0: now). */
  firstAttemptMs: number;
  /** null: the coordinator's default protocol. */
  protocol: ProtocolName | null;
  /** Passed on by a coordinator that does not own the id (see TransactRequest.forwarded). */
  forwarded?: boolean;
  /** The caller's checked trace context (a node starts a new one for a caller that sent none). */
  trace?: IncomingTrace;
}

export interface TxnAnswer {
  txn: string;
  /** PENDING only for a forwarded request (a client hears DEADLINE_EXCEEDED). */
  outcome: Outcome | 'PENDING';
  reason: string;
  code?: AbortCode;
  results: OpResult[];
}

export interface QueryAnswer {
  txn: string;
  outcome: Outcome | 'PENDING';
  inProgress: boolean;
  reason: string;
  code?: AbortCode;
  results: OpResult[];
  participants: NodeId[];
  /** The coordinator that owns the transaction. */
  owner: NodeId;
}

type Outcomed = Extract<CoordinatorReply, { kind: 'outcome' }>;

export function checkTxnId(txn: string): string {
  if (txn.length > LIMITS.maxTxnIdBytes) throw new InvalidRequest(`txn_id longer than ${LIMITS.maxTxnIdBytes} characters`);
  if (!TXN_ID.test(txn)) throw new InvalidRequest(`txn_id "${txn}" may only use letters, digits and ._:@/+=-`);
  return txn;
}

/** `{ bornMs }` when known (exactOptionalPropertyTypes: an absent field, not undefined). */
function bornField(bornMs: number | undefined): { bornMs?: number } {
  return bornMs !== undefined ? { bornMs } : {};
}

/**
 * When a transaction's id first ran (retention.ts): for an id the caller chose, its first attempt
 * as it says (unclamped: the retention check needs the real time, wait-die's age is clamped);
 * an id made here is new now. A first attempt far in the future is a broken clock, refused: its
 * records would outlive the window.
 */
function birthOf(req: TransactInput, now: number): number {
  if (req.txnId === '' || !Number.isFinite(req.firstAttemptMs) || req.firstAttemptMs <= 0) return now;
  if (req.firstAttemptMs > now + MAX_FUTURE_BIRTH_MS) {
    throw new InvalidRequest(`first_attempt_ms ${req.firstAttemptMs} is ${Math.round((req.firstAttemptMs - now) / 1000)} s ahead of this coordinator's clock`);
  }
  return req.firstAttemptMs;
}

/** How far ahead of a coordinator's clock a client's first attempt may be (clock skew). */
const MAX_FUTURE_BIRTH_MS = 3_600_000;

function asRequestError(err: unknown): RequestError {
  if (err instanceof RequestError) return err;
  if (err instanceof InvalidRequest) return new RequestError('INVALID_ARGUMENT', err.message);
  return new RequestError('INTERNAL', err instanceof Error ? err.message : String(err));
}

/** The vote a prepare that brought no answer counts as (the one mapping of it). */
function failedVote(r: Extract<CallResult<Vote>, { ok: false }>): Vote {
  return {
    kind: 'NO',
    reason: `unreachable or failed: ${r.message}`,
    code: r.failure === 'INVALID_ARGUMENT' ? 'PRECONDITION_FAILED' : 'UNAVAILABLE_PARTICIPANT',
  };
}

/**
 * A coordinator's runtime: runs the CoordinatorCore over a transport, its decision log and a
 * clock, and serves clients (Transact, GetTransaction, Read) and participants' inquiries.
 * Request checks, ids, digests and deadlines live here, once, for nodes and the simulator.
 */
export class CoordinatorRuntime {
  readonly core: CoordinatorCore;
  readonly serve: PeerHandlers<'outcome' | 'transact'>;
  private readonly driver: CoreDriver<CoordinatorEvent, CoordinatorEffect>;
  private readonly replies = new ReplyRegistry<CoordinatorReply>();
  private readonly timers: TxnTimers;
  /** A prepare's deadline is its transaction's timeout. */
  private readonly timeoutOf = new Map<string, number>();
  /** Client calls waiting on a transaction (for the planted reply-before-durable bug). */
  private readonly transactHandles = new Map<string, Set<number>>();
  private readonly config: CoordinatorConfig;
  /** Owners a forward failed to reach lately (id → until when forwards to it fail fast). */
  private readonly ownerDownUntil = new Map<NodeId, number>();
  private readonly bug: PlantedBug | null;
  /** Committed client-named transactions seen, under coordinator.reportCommitAsAbort. */
  private plantedCommits = 0;
  /** Under coordinator.loseCommitDelivery: the transactions whose COMMIT to one participant is lost (at most 100), and COMMIT sends seen. */
  private readonly plantedLost = new Map<string, NodeId>();
  private plantedDeliveries = 0;
  /** New transactions on shards being moved wait here. */
  readonly gate: ShardGate;
  /** The span of each transaction in memory (phases and calls to participants are its children). */
  private readonly spans: BoundedMap<string, TransactSpan>;
  /** Collects decision records older than the retention window (null: kept forever). */
  readonly retention: RetentionLoop | null;

  constructor(private readonly o: CoordinatorRuntimeOptions) {
    if (o.participants.size === 0) throw new Error('a coordinator needs at least one participant');
    this.config = {
      ...DEFAULT_COORDINATOR_TUNING,
      ...o.tuning,
      participants: [...o.participants.keys()].sort(),
      coordinators: o.bug === 'coordinator.ownsEverything' ? [o.id] : [...new Set([o.id, ...(o.coordinators?.keys() ?? [])])].sort(),
      participantAddrs: Object.fromEntries(o.participants),
      selfAddr: o.selfAddr,
      retention: o.retention ?? null,
      ...(o.shardMap ? { shardMap: o.shardMap } : {}),
    };
    this.core = new CoordinatorCore(o.id, this.config);
    this.retention = retentionLoopFor({ rule: o.retention, env: o.env, store: o.store, core: this.core, bug: o.bug, tuning: o.retentionTuning });
    if (o.shardMap) this.useMapAddresses(o.shardMap);
    this.gate = new ShardGate(o.env.clock, () => this.core.shardMap.owners.length);
    this.timers = new TxnTimers(o.env.clock);
    this.bug = o.bug ?? null;
    const executor: EffectExecutor<CoordinatorEvent, CoordinatorEffect> = {
      execute: (e, done) => this.execute(e, done),
      // persist before send: nobody hears a decision before it is durable
      isBlocking: (e) => e.type === 'persist' && e.sync,
    };
    // Phase timings, when metrics are taken: they watch the core's steps.
    const phases = o.metrics ? new CoordinatorPhases(o.metrics, () => o.env.monotonic.now()) : null;
    const observe = phases
      ? (event: CoordinatorEvent, effects: CoordinatorEffect[]) => {
          o.observe?.(event, effects);
          phases.observe(event, effects);
        }
      : o.observe;
    // As many spans as the core may hold transactions: one that never reached the core is dropped in the end.
    this.spans = new BoundedMap(this.config.maxActiveTxns);
    const ended = (txn: string): void => {
      this.timers.clear(txn);
      this.spans.delete(txn);
      phases?.ended(txn);
    };
    this.driver = new CoreDriver(this.core, executor, o.env, ended, observe);
    this.serve = {
      outcome: (req, respond) => this.query(req.txn, respond, req.forwarded ?? false, req.bornMs),
      // The simulator's forwarded Transact (a node's comes through the Coordinator service).
      transact: (req, respond) => {
        const input = {
          txnId: req.txn,
          ops: req.ops,
          timeoutMs: req.timeoutMs,
          firstAttemptMs: req.firstAttemptMs,
          protocol: req.protocol,
          forwarded: true,
          ...(req.trace ? { trace: { traceparent: req.trace } } : {}),
        };
        this.transact(input, (r) => {
          if (!(r instanceof RequestError)) return respond({ kind: 'outcome', participants: [], ...r });
          if (r.code === 'FAILED_PRECONDITION' || r.code === 'RESOURCE_EXHAUSTED')
            return respond({ kind: 'rejected', txn: req.txn, status: r.code, message: r.message });
          respond(r);
        });
      },
    };
  }

  /** Re-drives every decided-but-undelivered commit before anything is served. */
  async start(): Promise<number> {
    const pending = await this.o.store.recoverPending();
    // The mark before anything is served: a question about a collected id must not read as new.
    if (this.bug !== 'retention.forgetLowWater') this.core.setCollectedUpTo(await RecordCollector.loadMark(this.o.store.store));
    this.driver.dispatch({ type: 'recover', pending });
    this.retention?.start();
    return pending.length;
  }

  stop(): void {
    this.retention?.stop();
    this.gate.stop();
    this.driver.stop();
    this.timers.stop();
  }

  /** A newer shard map: later transactions route by it (same or older epochs are ignored). */
  setShardMap(map: ShardMap): boolean {
    if (map.epoch <= this.core.shardMap.epoch) return false;
    this.core.setShardMap(map);
    this.useMapAddresses(map);
    return true;
  }

  private useMapAddresses(map: ShardMap): void {
    this.config.participants = memberIds(map);
    for (const m of map.members) if (m.addr) this.config.participantAddrs[m.id] = m.addr;
  }

  get participants(): NodeId[] {
    return this.config.participants;
  }

  /** Every coordinator (this one included) with the address the others reach it at. */
  topology(): { id: NodeId; address: string }[] {
    const all = new Map([[this.o.id, this.o.selfAddr], ...(this.o.coordinators ?? [])]);
    return [...all].map(([id, address]) => ({ id, address })).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  /**
   * Runs a client's transaction. One that touches a shard being moved waits for the move's
   * barrier first. One whose id was made here and that met a moved shard (a participant refused
   * it, nothing applied: certainly aborted) runs again under a new id once the map is refreshed;
   * a client-chosen id cannot be reused, so its caller hears ABORTED with code WRONG_SHARD.
   */
  transact(req: TransactInput, respond: (r: TxnAnswer | RequestError) => void, reruns = 0): void {
    try {
      validateOps(req.ops);
    } catch (err) {
      return respond(asRequestError(err));
    }
    this.gate.admit(
      req.ops,
      () =>
        this.transactNow(req, (r) => {
          if (r instanceof RequestError || r.outcome !== 'ABORTED' || r.code !== 'WRONG_SHARD') return respond(r);
          const refresh = this.o.refreshShardMap?.() ?? Promise.resolve();
          void refresh.then(() => {
            if (req.txnId === '' && reruns < WRONG_SHARD_RERUNS) this.transact(req, respond, reruns + 1);
            else respond(r);
          });
        }),
      respond,
    );
  }

  private transactNow(req: TransactInput, respond: (r: TxnAnswer | RequestError) => void): void {
    let msg: TransactMessage;
    try {
      msg = this.transactMessage(req);
    } catch (err) {
      return respond(asRequestError(err));
    }
    this.timeoutOf.set(msg.txn, msg.timeoutMs);
    const measure = this.o.metrics ? this.measureTransaction(msg.protocol) : null;
    const traced = this.startSpan(msg, req.trace);
    this.ask({ type: 'transact', msg }, (r) => {
      this.timeoutOf.delete(msg.txn);
      if (traced) this.endSpan(traced, r);
      if (r.kind === 'rejected') {
        measure?.('refused', null);
        return respond(new RequestError(r.status, r.message));
      }
      if (r.outcome === 'PENDING' && !msg.forwarded) {
        measure?.('unknown', null);
        // The coordinator could not settle it in time; its participants (or its owner) will.
        return respond(new RequestError('DEADLINE_EXCEEDED', `outcome of ${r.txn} unknown: ${r.reason}; ask GetTransaction`));
      }
      measure?.(r.outcome === 'COMMITTED' ? 'committed' : r.outcome === 'ABORTED' ? 'aborted' : 'unknown', r.code ?? null);
      if (this.bug === 'coordinator.reportCommitAsAbort' && r.outcome === 'COMMITTED' && msg.clientId && ++this.plantedCommits % 5 === 0) {
        return respond({ txn: r.txn, outcome: 'ABORTED', reason: 'PLANTED BUG coordinator.reportCommitAsAbort', results: [] });
      }
      respond({ txn: r.txn, outcome: r.outcome, reason: r.reason, ...(r.code ? { code: r.code } : {}), results: r.results });
    });
  }

  /** Reports one transaction's end to the metrics, with the time since now. */
  private measureTransaction(protocol: ProtocolName): (end: TxnEnd, code: AbortCode | null) => void {
    const monotonic = this.o.env.monotonic;
    const start = monotonic.now();
    return (end, code) => this.o.metrics?.transaction(end, protocol, code, (monotonic.now() - start) / 1000);
  }

  /**
   * The transaction's span, child of the caller's trace; the participants get its traceparent
   * (msg.trace, carried by the core into every prepare and the decision record).
   */
  private startSpan(msg: TransactMessage, trace: IncomingTrace | undefined): TransactSpan | null {
    if (!trace) return null;
    if (!this.o.tracer) {
      msg.trace = trace.traceparent;
      return null;
    }
    const attrs = { 'dtx.txn_id': msg.txn, 'dtx.protocol': msg.protocol, 'dtx.coordinator': this.o.id };
    const traced: TransactSpan = { span: this.o.tracer.start('dtx.transact', trace, attrs) };
    msg.trace = traced.span.traceparent;
    this.spans.set(msg.txn, traced);
    return traced;
  }

  private endSpan(traced: TransactSpan, r: CoordinatorReply): void {
    const participants = traced.participants ?? [];
    if (r.kind === 'rejected') return traced.span.end({ 'dtx.participants': participants }, `${r.status}: ${r.message}`);
    traced.span.end({ 'dtx.outcome': r.outcome, 'dtx.participants': participants, ...(r.code ? { 'dtx.abort_code': r.code } : {}) });
  }

  /** Log fields of a transaction: its id, and its trace id when it has one. */
  private txnFields(txn: string, trace?: string): { txn: string; trace?: string } {
    const tp = trace ?? this.core.traceOf(txn);
    return tp ? { txn, trace: traceIdOf(tp) } : { txn };
  }

  /** GetTransaction: a client's question about an outcome (a participant's inquiry goes to query). */
  getTransaction(txnId: string, respond: (r: QueryAnswer | RequestError) => void, forwarded = false, bornMs?: number): void {
    if (this.bug !== 'coordinator.abortedReportedPending') return this.query(txnId, respond, forwarded, bornMs);
    this.query(
      txnId,
      (r) =>
        respond(
          r instanceof RequestError || r.outcome !== 'ABORTED'
            ? r
            : { ...r, outcome: 'PENDING', inProgress: true, reason: 'PLANTED BUG coordinator.abortedReportedPending' },
        ),
      forwarded,
    );
  }

  /** The durable outcome of a transaction (GetTransaction; a participant's inquiry). */
  query(txnId: string, respond: (r: QueryAnswer | RequestError) => void, forwarded = false, bornMs?: number): void {
    let txn: string;
    try {
      if (!txnId) throw new InvalidRequest('txn_id is required');
      txn = checkTxnId(txnId);
    } catch (err) {
      return respond(asRequestError(err));
    }
    this.ask({ type: 'query', txn, forwarded, ...bornField(bornMs) }, (r) => {
      if (r.kind === 'rejected') return respond(new RequestError(r.status, r.message));
      respond(queryAnswer(r, this.core.ownerOf(txn)));
    });
  }

  /**
   * An operator's forced outcome (dtx txn resolve --heuristic), written as a heuristic decision
   * here and delivered to `participants`. The caller has checked that no outcome was safe.
   */
  heuristic(txn: string, outcome: Outcome, participants: NodeId[], by: string, note: string, respond: (r: QueryAnswer | RequestError) => void): void {
    const replyTo = this.replies.open((r: CoordinatorReply) => {
      if (r.kind === 'rejected') return respond(new RequestError(r.status, r.message));
      respond(queryAnswer(r, this.core.ownerOf(txn)));
    });
    this.driver.dispatch({ type: 'heuristic', replyTo, txn, outcome, participants, by, note });
  }

  /**
   * A consistent snapshot of several keys: a read-only transaction, always 2pc (a read-only branch
   * forces nothing there). A lock conflict is retried here, keeping the first attempt's age so
   * that wait-die lets it through in the end (bounded in count and time).
   */
  read(keys: string[], timeoutMs: number, respond: (r: TxnAnswer | RequestError) => void, trace?: IncomingTrace): void {
    if (keys.length === 0) return respond(new RequestError('INVALID_ARGUMENT', 'read needs at least one key'));
    if (keys.length > LIMITS.maxReadKeys)
      return respond(new RequestError('INVALID_ARGUMENT', `too many keys: ${keys.length} (the limit is ${LIMITS.maxReadKeys})`));
    const ops: TxnOp[] = keys.map((key) => ({ type: 'get', key }));
    const clock = this.o.env.clock;
    const firstAttempt = clock.now();
    const deadline = firstAttempt + (timeoutMs || this.o.defaultTimeoutMs);
    const attempt = (n: number, left: number): void =>
      this.transact({ txnId: '', ops, timeoutMs: left, firstAttemptMs: firstAttempt, protocol: READ_PROTOCOL, ...(trace ? { trace } : {}) }, (r) => {
        if (r instanceof RequestError) return respond(r);
        if (r.outcome === 'COMMITTED' || r.outcome === 'PENDING') return respond(r);
        const remaining = deadline - clock.now();
        if (r.code === 'CONFLICT' && n + 1 < READ_ATTEMPTS && remaining > 10) {
          clock.after(Math.min(2 ** (n + 1), 50), () => attempt(n + 1, deadline - clock.now()));
          return;
        }
        const code = r.code === 'UNAVAILABLE_PARTICIPANT' ? 'UNAVAILABLE' : 'ABORTED';
        respond(new RequestError(code, `read aborted: ${r.reason}`));
      });
    attempt(0, timeoutMs);
  }

  private transactMessage(req: TransactInput): TransactMessage {
    // msg.trace is set by startSpan: the participants get this coordinator's span, not the caller's.
    validateOps(req.ops);
    if (req.txnId.startsWith(`${this.o.id}-`) && this.core.ownerOf(req.txnId) === this.o.id) {
      // Ids of this form are made here for callers that gave none, and their aborts are not
      // forced: running one again could commit what its caller was told was aborted.
      throw new InvalidRequest(`txn_id prefix "${this.o.id}-" is reserved for ids this coordinator makes; ask GetTransaction instead`);
    }
    const txn = req.txnId ? checkTxnId(req.txnId) : `${this.o.id}-${this.o.env.newId()}`;
    if (req.timeoutMs > LIMITS.maxTimeoutMs) throw new InvalidRequest(`timeout_ms ${req.timeoutMs} is above the limit of ${LIMITS.maxTimeoutMs}`);
    const timeoutMs = req.timeoutMs > 0 ? req.timeoutMs : this.o.defaultTimeoutMs;
    const now = this.o.env.clock.now();
    return {
      txn,
      ops: req.ops,
      age: { ms: claimedAge(req.firstAttemptMs, now), id: txn },
      bornMs: birthOf(req, now),
      timeoutMs,
      digest: opsDigest(req.ops),
      clientId: req.txnId !== '',
      protocol: req.protocol ?? this.o.defaultProtocol ?? DEFAULT_PROTOCOL,
      ...(req.forwarded ? { forwarded: true } : {}),
    };
  }

  private ask(
    event: { type: 'transact'; msg: TransactMessage } | { type: 'query'; txn: string; forwarded: boolean; bornMs?: number },
    respond: (r: CoordinatorReply) => void,
  ): void {
    if (event.type === 'query') {
      this.driver.dispatch({ type: 'query', replyTo: this.replies.open(respond), txn: event.txn, forwarded: event.forwarded, ...bornField(event.bornMs) });
      return;
    }
    const txn = event.msg.txn;
    const replyTo = this.replies.open((r) => {
      this.untrack(txn, replyTo);
      respond(r);
    });
    let handles = this.transactHandles.get(txn);
    if (!handles) this.transactHandles.set(txn, (handles = new Set()));
    handles.add(replyTo);
    this.driver.dispatch({ type: 'transact', replyTo, msg: event.msg });
  }

  private untrack(txn: string, handle: number): void {
    const handles = this.transactHandles.get(txn);
    handles?.delete(handle);
    if (handles?.size === 0) this.transactHandles.delete(txn);
  }

  private execute(e: CoordinatorEffect, done: (event?: CoordinatorEvent) => void): void {
    const env = this.o.env;
    switch (e.type) {
      case 'reply':
        this.replies.resolve(e.to, e.reply);
        return done();
      case 'lookup':
        return this.o.store.lookup(e.txn, (err, record) => {
          if (err) return env.fatal(err, `decision lookup of ${e.txn}`);
          done({ type: 'lookupDone', txn: e.txn, record });
        });
      case 'send':
        this.send(e.to, e.message, done);
        return;
      case 'forward':
        return this.forward(e, done);
      case 'persist':
        return this.persist(e.record, e.sync, done);
      case 'setTimer': {
        const timer = e.timer;
        this.timers.set(timer.txn, e.at, () => this.driver.dispatch({ type: 'timer', timer }));
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

  private send(to: NodeId, m: Extract<CoordinatorEffect, { type: 'send' }>['message'], done: (event?: CoordinatorEvent) => void): void {
    const { transport, env } = this.o;
    const ref = { id: to, addr: this.config.participantAddrs[to] ?? '' };
    switch (m.kind) {
      case 'prepare': {
        const txn = m.msg.txn;
        const writes = m.msg.ops.some((op) => op.type !== 'get');
        const span = this.childSpan(txn, 'dtx.prepare', to, m.msg.participants);
        return transport.call(ref, 'prepare', m.msg, preparePolicy(this.timeoutOf.get(txn) ?? this.o.defaultTimeoutMs), (r) => {
          span?.end(r.ok ? { 'dtx.vote': r.value.kind } : undefined, r.ok ? undefined : `${r.failure}: ${r.message}`);
          if (!r.ok && this.bug === 'coordinator.voteErrorAsYes' && writes) {
            env.log.warn(this.txnFields(txn), `PLANTED BUG coordinator.voteErrorAsYes: failed Prepare to ${to} taken as YES`);
            const results = m.msg.ops.map((op) => ({ key: op.key, found: false, value: '', version: 0 }));
            return done({ type: 'vote', txn, from: to, vote: { kind: 'YES', results } });
          }
          done({ type: 'vote', txn, from: to, vote: r.ok ? r.value : failedVote(r) });
        });
      }
      case 'commit': {
        env.failpoint('coordinator.commit.beforeSend');
        if (this.bug === 'coordinator.loseCommitDelivery' && this.lostDelivery(m.txn, to)) return done();
        const span = this.childSpan(m.txn, 'dtx.commit', to);
        // No answer: the resend timer tries again.
        return transport.call(ref, 'commit', { txn: m.txn }, CALL_POLICY.decision, (r) => {
          span?.end(undefined, r.ok ? undefined : `${r.failure}: ${r.message}`);
          done(r.ok ? { type: 'ack', txn: m.txn, from: to, known: r.value.known } : undefined);
        });
      }
      case 'abort':
        // Presumed abort: nobody waits for the ack.
        transport.call(ref, 'abort', { txn: m.txn }, CALL_POLICY.decision, () => undefined);
        return done();
      case 'release':
        // No answer: the transaction's timeout aborts it.
        return transport.call(ref, 'release', { txn: m.txn }, CALL_POLICY.decision, (r) =>
          done(r.ok ? { type: 'ack', txn: m.txn, from: to, known: r.value.known } : undefined),
        );
      case 'precommit':
        // No answer: the precommit timer decides (Skeen: commit anyway).
        return transport.call(ref, 'precommit', { txn: m.txn }, CALL_POLICY.precommit, (r) => {
          if (!r.ok) env.log.info({ ...this.txnFields(m.txn), participant: to, err: r.message }, 'PreCommit not acknowledged');
          done(r.ok ? { type: 'precommitAck', txn: m.txn, from: to, ok: r.value.ok } : undefined);
        });
      case 'query':
        return transport.call(ref, 'txnState', { txn: m.txn, abortIfUnvoted: m.abortIfUnvoted, ...bornField(m.bornMs) }, CALL_POLICY.stateQuery, (r) =>
          done({
            type: 'txnState',
            txn: m.txn,
            from: to,
            answer: r.ok
              ? { state: r.value.state, protocol: r.value.protocol, participants: r.value.participants, results: r.value.results }
              : { state: 'UNREACHABLE', protocol: null, participants: [], results: [] },
          }),
        );
    }
  }

  /**
   * To the owner of the id; any failure to get its answer is an owner not reached (the core then
   * asks the participants). A refused connection fails at once, so it is tried again a moment
   * later, twice (about 1 s in all: an owner that has just restarted is reached once its channel
   * stops backing off). A client's transaction always gets that whole sequence (it waits for its
   * answer anyway, and a wrong "unreachable" would abort the owner's run of it). A question, after
   * such a sequence failed, tries once and fails fast for OWNER_DOWN_MS — askers about a dead
   * owner's ids get the participants' answer at once; failing fast never extends that window.
   */
  private forward(e: Extract<CoordinatorEffect, { type: 'forward' }>, done: (event?: CoordinatorEvent) => void): void {
    const ref = { id: e.to, addr: this.o.coordinators?.get(e.to) ?? '' };
    const { msg, txn } = e;
    const clock = this.o.env.clock;
    const probing = msg !== null || (this.ownerDownUntil.get(e.to) ?? 0) <= clock.now();
    const retries = probing ? FORWARD_RETRIES_MS : [];
    const settle = (reply: CoordinatorReply | null): void => {
      if (reply) this.ownerDownUntil.delete(e.to);
      else if (probing) this.ownerDownUntil.set(e.to, clock.now() + OWNER_DOWN_MS);
      done({ type: 'forwarded', txn, reply });
    };
    const attempt = (k: number): void => {
      const failed = (r: { failure: string; message: string }, retry: boolean): void => {
        // Only the probing sequence logs: about one line per owner outage.
        if (probing && k === retries.length)
          this.o.env.log.info({ ...this.txnFields(txn, msg?.trace), owner: e.to, failure: r.failure }, `forward to owner ${e.to} failed: ${r.message}`);
        if (retry && k < retries.length) clock.after(retries[k]!, () => attempt(k + 1));
        else settle(null);
      };
      if (!msg) {
        this.o.transport.call(ref, 'outcome', { txn, forwarded: true, ...bornField(e.bornMs) }, CALL_POLICY.forwardQuery, (r) => {
          // The owner answered with a refusal: that is its answer, not an owner out of reach.
          if (!r.ok && r.failure === 'REFUSED') return settle({ kind: 'rejected', txn, status: 'FAILED_PRECONDITION', message: r.message });
          if (!r.ok) return failed(r, true);
          const { outcome, inProgress, reason, code, results, participants, owner } = r.value;
          settle({ kind: 'outcome', txn, outcome, inProgress, reason, ...(code ? { code } : {}), results, participants, ...(owner ? { owner } : {}) });
        });
        return;
      }
      const fwd = {
        txn,
        ops: msg.ops,
        protocol: msg.protocol,
        timeoutMs: msg.timeoutMs,
        // The birth, not the clamped age: the owner derives the same age from it, and refuses by it.
        firstAttemptMs: msg.bornMs ?? msg.age.ms,
        ...(msg.trace ? { trace: msg.trace } : {}),
      };
      // The owner's own timeout bounds the answer; the margin covers the hop.
      this.o.transport.call(ref, 'transact', fwd, { deadlineMs: msg.timeoutMs + FORWARD_MARGIN_MS, waitForReady: false }, (r) => {
        if (r.ok) return settle(r.value);
        // Not reached at all is worth another try (the owner dedupes the id); a deadline passed is not.
        failed(r, r.failure === 'UNAVAILABLE');
      });
    };
    attempt(0);
  }

  /** A span inside the transaction's (none when it has none here). `participants`: reported by the transaction's span too. */
  private childSpan(txn: string, name: string, participant: NodeId, participants?: string[]): TxnSpan | null {
    const traced = this.spans.get(txn);
    if (!traced) return null;
    if (participants) traced.participants ??= participants;
    return traced.span.child(name, { 'dtx.participant': participant });
  }

  private persist(record: CoordinatorRecord, sync: boolean, done: (event?: CoordinatorEvent) => void): void {
    const env = this.o.env;
    const commit = record.kind === 'decision' && record.record.outcome === 'COMMITTED';
    const span =
      record.kind === 'decision' && sync
        ? (this.spans.get(record.record.txn)?.span.child('dtx.decision.persist', { 'dtx.outcome': record.record.outcome }) ?? null)
        : null;
    if (commit) env.failpoint('coordinator.decision.beforePersist');
    if (this.bug === 'coordinator.replyBeforeDecisionDurable' && sync && record.kind === 'decision' && record.record.outcome === 'COMMITTED') {
      this.answerEarly(record.record);
    }
    const stored: CoordinatorRecord =
      this.bug === 'coordinator.abortsAsHeuristic' && record.kind === 'decision' && record.record.outcome === 'ABORTED'
        ? { ...record, record: { ...record.record, heuristic: { by: 'planted bug', note: 'coordinator.abortsAsHeuristic' } } }
        : record;
    // PLANTED BUG coordinator.decisionsUnsynced: a decision is written, never synced; what follows it (the reply) waits only for the write.
    const synced = sync && !(this.bug === 'coordinator.decisionsUnsynced' && record.kind === 'decision');
    // END only lets the log forget a finished commit: it rides in a later batch.
    this.o.store.persist(stored, synced, record.kind === 'end' ? END_LINGER_MS : 0, (err) => {
      span?.end();
      if (err) return env.fatal(err, `${record.kind} record write`);
      if (commit) env.failpoint('coordinator.decision.afterPersist');
      done({ type: 'persisted', record });
    });
  }

  /** PLANTED BUG coordinator.loseCommitDelivery: the COMMIT of every 10th committed transaction to one participant is never sent, at any attempt. */
  private lostDelivery(txn: string, to: NodeId): boolean {
    const lost = this.plantedLost.get(txn);
    if (lost !== undefined) return lost === to;
    if (++this.plantedDeliveries % 10 !== 0 || this.plantedLost.size >= 100) return false;
    this.plantedLost.set(txn, to);
    this.o.env.log.warn(this.txnFields(txn), `PLANTED BUG coordinator.loseCommitDelivery: COMMIT to ${to} never sent`);
    return true;
  }

  /** PLANTED BUG coordinator.replyBeforeDecisionDurable: the clients hear COMMITTED before the decision is durable. */
  private answerEarly(d: DecisionRecord): void {
    for (const h of [...(this.transactHandles.get(d.txn) ?? [])]) {
      this.o.env.log.warn(
        this.txnFields(d.txn, d.trace),
        'PLANTED BUG coordinator.replyBeforeDecisionDurable: client told COMMITTED before the decision is durable',
      );
      this.replies.resolve(h, { kind: 'outcome', txn: d.txn, outcome: 'COMMITTED', reason: '', results: d.results, participants: d.participants });
    }
  }

  /** Counters for Admin.Status (and the simulator's report). */
  counters(): Record<string, number> {
    const w = this.o.store.store.writer.stats;
    return {
      ...this.core.counters,
      activeTxns: this.core.activeTxns,
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

/** Reads run a protocol whose read-only branches force nothing (2pc), whatever the default. */
const READ_PROTOCOL: ProtocolName = Object.values(COMMIT_PROTOCOLS).find((p) => p.readOnlyVoteIsUnforced)?.name ?? DEFAULT_PROTOCOL;

function queryAnswer(r: Outcomed, owner: NodeId): QueryAnswer {
  return {
    owner,
    txn: r.txn,
    outcome: r.outcome,
    inProgress: r.inProgress ?? false,
    reason: r.reason,
    ...(r.code ? { code: r.code } : {}),
    results: r.results,
    participants: r.participants,
  };
}
