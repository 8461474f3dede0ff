import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { adminClient, coordinatorClient, type UnaryMethod } from '../rpc/clients.js';
import { abortCodeFromWire, opToWire, protocolToWire, resultFromWire } from '../rpc/convert.js';
import type { AdminClient } from '../rpc/generated/dtx/v1/Admin.js';
import type { CoordinatorClient } from '../rpc/generated/dtx/v1/Coordinator.js';
import type { GetTransactionResponse__Output } from '../rpc/generated/dtx/v1/GetTransactionResponse.js';
import type { ReadResponse__Output } from '../rpc/generated/dtx/v1/ReadResponse.js';
import type { StatusResponse__Output } from '../rpc/generated/dtx/v1/StatusResponse.js';
import type { TransactRequest } from '../rpc/generated/dtx/v1/TransactRequest.js';
import type { TransactResponse__Output } from '../rpc/generated/dtx/v1/TransactResponse.js';
import { validateOps } from '../protocol/ops.js';
import { PLAINTEXT, type DialSecurity } from '../rpc/dial.js';
import { CoordinatorPool } from './coordinatorPool.js';
import { clientCall, DtxError } from './dtxError.js';
import { withFailover } from './failover.js';
import { failoverLimits, rerunUnderNewId, type RetryScope } from './failoverPolicy.js';
import { ClientTxnIds } from './txnIds.js';
import { OwnerMap } from './ownerMap.js';
import { TransactStreamChannel } from './transactStream.js';
import { ClientTrace, traceHeaders, type TraceOptions } from './clientTrace.js';
import type { IncomingTrace } from '../protocol/traceContext.js';
import type { AbortCode, CheckExpect, OpResult, ProtocolName, TxnOp } from '../protocol/types.js';

export type { TxnOp, OpResult, AbortCode, TraceOptions };
export { clientCall, DtxError };
export { parseAddressList } from './addressList.js';
// Locks with leases and fencing tokens (issue 6).
export { loadTls, type TlsMaterial } from '../rpc/credentials.js';
export type { DialSecurity } from '../rpc/dial.js';
export { fenced, LockClient, LockLostError, withLock, type HeldLock, type Lease, type LockInfo } from './locks.js';

export interface TxnResult {
  txnId: string;
  outcome: 'COMMITTED' | 'ABORTED' | 'PENDING';
  reason: string;
  abortCode?: AbortCode;
  results: OpResult[];
}

export interface TransactOptions extends TraceOptions {
  txnId?: string;
  timeoutMs?: number;
  /** When retrying an aborted transaction under a new id, keep its age (no starvation). */
  firstAttemptMs?: number;
  /**
   * Retry a CONFLICT abort up to this many times, under new ids (made by the coordinator, or
   * by this client when it has several coordinators) and the first attempt's age (so it wins
   * in the end). Only without `txnId`: an id given by the caller names one attempt, and its
   * outcome is final.
   */
  retries?: number;
  /** Commit protocol of this transaction (default: the client's, else the coordinator's). */
  protocol?: ProtocolName;
}

const MAX_RETRIES = 50;

export interface ClientOptions {
  /** Server-side timeout of each transaction (default 10 s); its call gets 5 s more. */
  timeoutMs?: number;
  /**
   * Wait (to the deadline) for a coordinator that is (re)starting instead of failing fast. With
   * several coordinators each attempt fails fast and the client goes round them until the deadline.
   */
  waitForReady?: boolean;
  retries?: number;
  /** Pipeline transactions over one TransactStream instead of one unary call each. */
  stream?: boolean;
  /** Commit protocol of transactions that name none (default: the coordinator's). */
  protocol?: ProtocolName;
  /** TLS material and/or bearer token (see loadTls); plaintext without a token when omitted. */
  security?: DialSecurity;
}

/** Builders for ops, so callers need not spell out the union. */
export const op = {
  put: (key: string, value: string): TxnOp => ({ type: 'put', key, value }),
  delete: (key: string): TxnOp => ({ type: 'delete', key }),
  get: (key: string): TxnOp => ({ type: 'get', key }),
  add: (key: string, delta: bigint | number, bounds: { min?: bigint | number; max?: bigint | number } = {}): TxnOp => ({
    type: 'add',
    key,
    delta: BigInt(delta),
    ...(bounds.min !== undefined ? { min: BigInt(bounds.min) } : {}),
    ...(bounds.max !== undefined ? { max: BigInt(bounds.max) } : {}),
  }),
  check: (key: string, expect: CheckExpect): TxnOp => ({ type: 'check', key, expect }),
};

/** The clients of one coordinator address. */
interface CoordinatorLink {
  coordinator: CoordinatorClient;
  admin: AdminClient;
  /** Its TransactStream, opened on first use (stream mode). */
  pipe: TransactStreamChannel | null;
  close(): void;
}

function linkTo(address: string, security: DialSecurity): CoordinatorLink {
  const link: CoordinatorLink = {
    coordinator: coordinatorClient(address, security),
    admin: adminClient(address, security),
    pipe: null,
    close: () => {
      link.pipe?.close();
      link.coordinator.close();
      link.admin.close();
    },
  };
  return link;
}

/**
 * The TypeScript client of dtx coordinators. Given several addresses, it spreads transactions
 * over them (round-robin) and repeats a call on the next one when a coordinator is down or the
 * call broke with its outcome unknown — under the same txn id, made here before the first
 * attempt when the caller gave none (failoverPolicy.ts says which failures, and how often).
 * Such an id belongs to the coordinator its hash picks; when that one is down, the others
 * settle the id as aborted (PRESUMED, certain) and the ops are run again under a new id.
 * Given one address, it behaves as it always did: one attempt, server-made ids.
 */
export class DtxClient {
  /** The first coordinator address (lock clients made from this one start there). */
  readonly address: string;
  readonly addresses: readonly string[];
  private readonly pool: CoordinatorPool<CoordinatorLink>;
  /** Ids made here so that a retry elsewhere repeats the same transaction; only with several addresses. */
  private readonly ids: ClientTxnIds | null;
  /** Which coordinator answers where (several addresses only): calls go straight to the owner of their id. */
  private readonly owners: OwnerMap | null;
  private readonly defaults: ClientOptions & { timeoutMs: number };
  /** How this client proves who it is (lock clients made from it use the same). */
  readonly security: DialSecurity;
  private readonly traces = new ClientTrace();

  constructor(
    /** A coordinator's gRPC target, or several coordinators' host:port (see parseAddressList). */
    address: string | readonly string[],
    /**
     * waitForReady: wait (to the deadline) for a coordinator that is (re)starting instead of failing fast.
     * stream: pipeline transactions over one TransactStream (per coordinator) instead of one unary call each.
     */
    options: ClientOptions = {},
  ) {
    this.addresses = typeof address === 'string' ? [address] : [...address];
    if (this.addresses.length === 0) throw new DtxError('INVALID_ARGUMENT', grpc.status.INVALID_ARGUMENT, 'at least one coordinator address is needed');
    this.address = this.addresses[0]!;
    this.defaults = { timeoutMs: 10_000, ...options };
    this.security = options.security ?? PLAINTEXT;
    const security = this.security;
    // A coordinator that failed is tried last for 5 s: long enough that the ids made meanwhile
    // belong to the others (OwnerMap), short enough to find it again soon after it is back.
    this.pool = new CoordinatorPool(this.addresses, (a) => linkTo(a, security), { downForMs: 5000 });
    this.ids = this.addresses.length > 1 ? new ClientTxnIds() : null;
    this.owners = this.addresses.length > 1 ? new OwnerMap(this.pool) : null;
  }

  /** Calls repeated on another coordinator, and transactions re-run under a new id because their owner was down. */
  get failovers(): number {
    return this.pool.failovers;
  }

  /** Traceparents given in options that were invalid: each was ignored and a new trace started. */
  get invalidTraceparents(): number {
    return this.traces.invalid;
  }

  /** Runs ops as one transaction. Resolves with COMMITTED or ABORTED; rejects with DtxError when the call fails. */
  async transact(ops: TxnOp[], opts: TransactOptions = {}): Promise<TxnResult> {
    const retries = Math.min(opts.retries ?? this.defaults.retries ?? 0, MAX_RETRIES);
    if (retries > 0 && opts.txnId) {
      throw new DtxError('INVALID_ARGUMENT', grpc.status.INVALID_ARGUMENT, 'retries need server-made ids: drop txnId or retries');
    }
    const firstAttemptMs = opts.firstAttemptMs ?? Date.now();
    const started = performance.now();
    // One trace for every attempt: a retried transaction is one piece of the caller's work.
    const trace = this.traces.of(opts);
    let conflicts = 0;
    let reruns = 0;
    for (;;) {
      const r = await this.transactOnce(ops, { ...opts, firstAttemptMs }, trace);
      if (r.outcome !== 'ABORTED') return r;
      if (r.abortCode === 'CONFLICT' && conflicts < retries) {
        conflicts++;
        await new Promise((res) => setTimeout(res, Math.min(2 ** conflicts, 100) * (0.5 + Math.random())));
        continue;
      }
      const budgetMs = (opts.timeoutMs ?? this.defaults.timeoutMs) + 5000;
      const elapsedMs = performance.now() - started;
      // Its owner was down (see rerunUnderNewId): run the ops again under a new id, at once.
      if (!opts.txnId && this.ids && rerunUnderNewId({ abortCode: r.abortCode, reruns, addresses: this.pool.size, elapsedMs, budgetMs })) {
        reruns++;
        this.pool.failovers++;
        continue;
      }
      return r;
    }
  }

  private async transactOnce(ops: TxnOp[], opts: TransactOptions, trace: IncomingTrace): Promise<TxnResult> {
    const timeoutMs = opts.timeoutMs ?? this.defaults.timeoutMs;
    // Check here too: protobufjs silently wraps an out-of-range int64 when it encodes.
    try {
      validateOps(ops);
    } catch (err) {
      throw new DtxError('INVALID_ARGUMENT', grpc.status.INVALID_ARGUMENT, (err as Error).message);
    }
    const protocol = opts.protocol ?? this.defaults.protocol;
    await this.owners?.ready(performance.now());
    // Chosen before the first attempt, so that every attempt is the same transaction; made so
    // that the coordinator it goes to first owns it (no forwarding hop, and a coordinator that
    // is down owns none of the new ones).
    const txnId = opts.txnId ?? (this.ids && this.owners ? this.owners.idFor(this.pool.peek(), this.ids) : '');
    const first = txnId ? this.owners?.ownerIndex(txnId) : undefined;
    const req: TransactRequest = {
      txnId,
      ops: ops.map(opToWire),
      timeoutMs,
      firstAttemptMs: opts.firstAttemptMs ?? 0,
      protocol: protocol ? protocolToWire(protocol) : 'PROTOCOL_UNSPECIFIED',
      // In the request rather than call metadata: TransactStream carries many transactions.
      traceparent: trace.traceparent,
      tracestate: trace.tracestate ?? '',
    };
    // The server gives up on the transaction at timeoutMs; leave room for the answer to arrive.
    const res = await this.failover('idempotent', timeoutMs + 5000, first, (link, t) => {
      if (!this.defaults.stream) return this.rpc<TransactRequest, TransactResponse__Output>(link.coordinator.Transact.bind(link.coordinator), req, t);
      link.pipe ??= new TransactStreamChannel(link.coordinator);
      // A stream that breaks fails its unanswered requests; failover re-sends each (same id) elsewhere.
      return link.pipe.send(req, t);
    });
    return toResult(res);
  }

  /** Moves `amount` from one integer key to another; `from` may not go below `min` (default 0). */
  transfer(from: string, to: string, amount: bigint | number, opts: TransactOptions & { min?: bigint | number } = {}): Promise<TxnResult> {
    if (from === to) throw new DtxError('INVALID_ARGUMENT', grpc.status.INVALID_ARGUMENT, 'transfer needs two different keys');
    const a = BigInt(amount);
    return this.transact([op.add(from, -a, { min: opts.min ?? 0 }), op.add(to, a)], opts);
  }

  /** A consistent snapshot of several keys. */
  async read(keys: string[], timeoutMs = this.defaults.timeoutMs, opts: TraceOptions = {}): Promise<OpResult[]> {
    const headers = traceHeaders(this.traces.of(opts));
    const res = await this.failover('idempotent', timeoutMs + 5000, undefined, ({ coordinator: c }, t) =>
      this.rpc<{ keys: string[]; timeoutMs: number }, ReadResponse__Output>(c.Read.bind(c), { keys, timeoutMs }, t, headers),
    );
    return res.results.map(resultFromWire);
  }

  /**
   * `firstAttemptMs`: when the transaction was first tried (as given to transact). With it, an id
   * older than the coordinators' retention window is refused FAILED_PRECONDITION rather than
   * looked for; without it, an id with no record is settled as before.
   */
  async getTransaction(txnId: string, opts: TraceOptions & { firstAttemptMs?: number } = {}): Promise<TxnResult & { participants: string[] }> {
    await this.owners?.ready(performance.now());
    const headers = traceHeaders(this.traces.of(opts));
    const firstAttemptMs = opts.firstAttemptMs ?? 0;
    const res = await this.failover('idempotent', this.defaults.timeoutMs, this.owners?.ownerIndex(txnId), ({ coordinator: c }, t) =>
      this.rpc<{ txnId: string; firstAttemptMs: number }, GetTransactionResponse__Output>(c.GetTransaction.bind(c), { txnId, firstAttemptMs }, t, headers),
    );
    return { ...toResult(res), participants: res.participants };
  }

  /** The Status of a coordinator (the first that answers). */
  async status(): Promise<StatusResponse__Output> {
    return this.failover('idempotent', this.defaults.timeoutMs, undefined, ({ admin: a }, t) =>
      this.rpc<object, StatusResponse__Output>(a.Status.bind(a), {}, t),
    );
  }

  close(): void {
    this.pool.close();
  }

  private get waitForReady(): boolean {
    // With several coordinators, fail fast and try the next one; failoverLimits keeps trying to the deadline instead.
    return this.pool.size === 1 && (this.defaults.waitForReady ?? false);
  }

  private failover<T>(
    scope: RetryScope,
    timeoutMs: number,
    first: number | undefined,
    attempt: (link: CoordinatorLink, timeoutMs: number) => Promise<T>,
  ): Promise<T> {
    const limits = failoverLimits(this.pool.size, timeoutMs, this.defaults.waitForReady ?? false);
    return withFailover(this.pool, { scope, timeoutMs, limits, ...(first !== undefined ? { first } : {}) }, attempt);
  }

  private rpc<Req, Res>(method: UnaryMethod<Req, Res>, req: Req, timeoutMs: number, headers?: Readonly<Record<string, string>>): Promise<Res> {
    return clientCall(method, req, timeoutMs, this.waitForReady, headers);
  }
}

function toResult(res: TransactResponse__Output | GetTransactionResponse__Output): TxnResult {
  const outcome = res.outcome === 'COMMITTED' || res.outcome === 'ABORTED' || res.outcome === 'PENDING' ? res.outcome : 'PENDING';
  return {
    txnId: res.txnId,
    outcome,
    reason: res.reason,
    ...(res.outcome === 'ABORTED' ? { abortCode: abortCodeFromWire(res.abortCode) } : {}),
    results: res.results.map(resultFromWire),
  };
}
