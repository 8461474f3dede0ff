import * as grpc from '@grpc/grpc-js';
import { call, adminClient, coordinatorClient, type UnaryMethod } from '../rpc/clients.js';
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
import { TransactStreamChannel } from './transactStream.js';
import type { AbortCode, CheckExpect, OpResult, ProtocolName, TxnOp } from '../protocol/types.js';

export type { TxnOp, OpResult, AbortCode };
// Locks with leases and fencing tokens (issue 6).
export { loadTls, type TlsMaterial } from '../rpc/credentials.js';
export type { DialSecurity } from '../rpc/dial.js';
export { fenced, LockClient, LockLostError, withLock, type HeldLock, type Lease, type LockInfo } from './locks.js';

/** A failed call: the gRPC status name (INVALID_ARGUMENT, UNAVAILABLE, ...) and the server's message. */
export class DtxError extends Error {
  constructor(
    readonly code: string,
    readonly grpcCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'DtxError';
  }

  static from(err: unknown): DtxError {
    const e = err as Partial<grpc.ServiceError>;
    if (typeof e.code === 'number') {
      return new DtxError(grpc.status[e.code] ?? String(e.code), e.code, e.details || e.message || 'call failed');
    }
    return new DtxError('UNKNOWN', grpc.status.UNKNOWN, err instanceof Error ? err.message : String(err));
  }
}

/** A unary call from a client: its failure surfaces as a DtxError. */
export async function clientCall<Req, Res>(method: UnaryMethod<Req, Res>, req: Req, timeoutMs: number, waitForReady = false): Promise<Res> {
  try {
    return await call(method, req, timeoutMs, waitForReady);
  } catch (err) {
    throw DtxError.from(err);
  }
}

export interface TxnResult {
  txnId: string;
  outcome: 'COMMITTED' | 'ABORTED' | 'PENDING';
  reason: string;
  abortCode?: AbortCode;
  results: OpResult[];
}

export interface TransactOptions {
  txnId?: string;
  timeoutMs?: number;
  /** When retrying an aborted transaction under a new id, keep its age (no starvation). */
  firstAttemptMs?: number;
  /**
   * Retry a CONFLICT abort up to this many times, under new server-made ids and the
   * first attempt's age (so it wins in the end). Only without `txnId`: an id given by the
   * caller names one attempt, and its outcome is final.
   */
  retries?: number;
  /** Commit protocol of this transaction (default: the client's, else the coordinator's). */
  protocol?: ProtocolName;
}

const MAX_RETRIES = 50;

export interface ClientOptions {
  /** Server-side timeout of each transaction (default 10 s); its call gets 5 s more. */
  timeoutMs?: number;
  /** Wait (to the deadline) for a coordinator that is (re)starting instead of failing fast. */
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

/** The TypeScript client of a dtx coordinator. */
export class DtxClient {
  private readonly coordinator: CoordinatorClient;
  private readonly admin: AdminClient;
  private pipe: TransactStreamChannel | null = null;
  private readonly defaults: ClientOptions & { timeoutMs: number };
  /** How this client proves who it is (lock clients made from it use the same). */
  readonly security: DialSecurity;

  constructor(
    readonly address: string,
    /**
     * waitForReady: wait (to the deadline) for a coordinator that is (re)starting instead of failing fast.
     * stream: pipeline transactions over one TransactStream instead of one unary call each.
     */
    options: ClientOptions = {},
  ) {
    this.defaults = { timeoutMs: 10_000, ...options };
    this.security = options.security ?? PLAINTEXT;
    this.coordinator = coordinatorClient(address, this.security);
    this.admin = adminClient(address, this.security);
  }

  /** Runs ops as one transaction. Resolves with COMMITTED or ABORTED; rejects with DtxError when the call fails. */
  async transact(ops: TxnOp[], opts: TransactOptions = {}): Promise<TxnResult> {
    const retries = Math.min(opts.retries ?? this.defaults.retries ?? 0, MAX_RETRIES);
    if (retries > 0 && opts.txnId) {
      throw new DtxError('INVALID_ARGUMENT', grpc.status.INVALID_ARGUMENT, 'retries need server-made ids: drop txnId or retries');
    }
    const firstAttemptMs = opts.firstAttemptMs ?? Date.now();
    let r = await this.transactOnce(ops, { ...opts, firstAttemptMs });
    for (let attempt = 1; attempt <= retries && r.outcome === 'ABORTED' && r.abortCode === 'CONFLICT'; attempt++) {
      await new Promise((res) => setTimeout(res, Math.min(2 ** attempt, 100) * (0.5 + Math.random())));
      r = await this.transactOnce(ops, { ...opts, firstAttemptMs });
    }
    return r;
  }

  private async transactOnce(ops: TxnOp[], opts: TransactOptions): Promise<TxnResult> {
    const timeoutMs = opts.timeoutMs ?? this.defaults.timeoutMs;
    // Check here too: protobufjs silently wraps an out-of-range int64 when it encodes.
    try {
      validateOps(ops);
    } catch (err) {
      throw new DtxError('INVALID_ARGUMENT', grpc.status.INVALID_ARGUMENT, (err as Error).message);
    }
    const protocol = opts.protocol ?? this.defaults.protocol;
    const req: TransactRequest = {
      txnId: opts.txnId ?? '',
      ops: ops.map(opToWire),
      timeoutMs,
      firstAttemptMs: opts.firstAttemptMs ?? 0,
      protocol: protocol ? protocolToWire(protocol) : 'PROTOCOL_UNSPECIFIED',
    };
    const c = this.coordinator;
    // The server gives up on the transaction at timeoutMs; leave room for the answer to arrive.
    if (this.defaults.stream) {
      this.pipe ??= new TransactStreamChannel(c);
      try {
        return toResult(await this.pipe.send(req, timeoutMs + 5000));
      } catch (err) {
        throw DtxError.from(err);
      }
    }
    const res = await this.rpc<TransactRequest, TransactResponse__Output>(c.Transact.bind(c), req, timeoutMs + 5000);
    return toResult(res);
  }

  /** Moves `amount` from one integer key to another; `from` may not go below `min` (default 0). */
  transfer(from: string, to: string, amount: bigint | number, opts: TransactOptions & { min?: bigint | number } = {}): Promise<TxnResult> {
    if (from === to) throw new DtxError('INVALID_ARGUMENT', grpc.status.INVALID_ARGUMENT, 'transfer needs two different keys');
    const a = BigInt(amount);
    return this.transact([op.add(from, -a, { min: opts.min ?? 0 }), op.add(to, a)], opts);
  }

  /** A consistent snapshot of several keys. */
  async read(keys: string[], timeoutMs = this.defaults.timeoutMs): Promise<OpResult[]> {
    const c = this.coordinator;
    const res = await this.rpc<{ keys: string[]; timeoutMs: number }, ReadResponse__Output>(c.Read.bind(c), { keys, timeoutMs }, timeoutMs + 5000);
    return res.results.map(resultFromWire);
  }

  async getTransaction(txnId: string): Promise<TxnResult & { participants: string[] }> {
    const c = this.coordinator;
    const res = await this.rpc<{ txnId: string }, GetTransactionResponse__Output>(c.GetTransaction.bind(c), { txnId }, this.defaults.timeoutMs);
    return { ...toResult(res), participants: res.participants };
  }

  async status(): Promise<StatusResponse__Output> {
    const a = this.admin;
    return this.rpc<object, StatusResponse__Output>(a.Status.bind(a), {}, this.defaults.timeoutMs);
  }

  close(): void {
    this.pipe?.close();
    this.coordinator.close();
    this.admin.close();
  }

  private rpc<Req, Res>(method: UnaryMethod<Req, Res>, req: Req, timeoutMs: number): Promise<Res> {
    return clientCall(method, req, timeoutMs, this.defaults.waitForReady ?? false);
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
