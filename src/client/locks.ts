import { performance } from 'node:perf_hooks';
import { locksClient, type UnaryMethod } from '../rpc/clients.js';
import { PLAINTEXT, type DialSecurity } from '../rpc/dial.js';
import type { KeepAliveResponse__Output } from '../rpc/generated/dtx/v1/KeepAliveResponse.js';
import type { Lease__Output } from '../rpc/generated/dtx/v1/Lease.js';
import type { ListLocksResponse__Output } from '../rpc/generated/dtx/v1/ListLocksResponse.js';
import type { LockInfo__Output } from '../rpc/generated/dtx/v1/LockInfo.js';
import type { LocksClient } from '../rpc/generated/dtx/v1/Locks.js';
import type { ReleaseResponse__Output } from '../rpc/generated/dtx/v1/ReleaseResponse.js';
import type { TxnOp } from '../protocol/types.js';
import { CoordinatorPool } from './coordinatorPool.js';
import type { DtxClient } from './dtxClient.js';
import { clientCall, DtxError } from './dtxError.js';
import { withFailover } from './failover.js';
import { failoverLimits, type RetryScope } from './failoverPolicy.js';

/** A granted lease. `token` is the fencing token to put in every op the holder sends. */
export interface Lease {
  leaseId: string;
  name: string;
  owner: string;
  token: bigint;
  /** The lock service's proof that it issued `token` (checked by participants of a cluster with a secret). */
  proof: string;
  ttlMs: number;
}

export interface LockInfo {
  name: string;
  held: boolean;
  owner: string;
  token: bigint;
  expiresInMs: number;
  waiters: number;
  lockDelayMs: number;
  lastToken: bigint;
}

export interface AcquireOptions {
  /** Lease length (the server's default, 10 s, when omitted). */
  ttlMs?: number;
  /** How long to wait in the lock's FIFO queue; 0 (default) fails at once when held. */
  waitMs?: number;
  /** Shown by `dtx lock list`. */
  owner?: string;
}

/**
 * Returns `op` fenced by a lease: the participant refuses it if it has seen a newer token for `lock`,
 * or (on a cluster with a secret) if `proof` is not the one the lock service issued with the token.
 */
export function fenced(op: TxnOp, lock: string, token: bigint | number | string, proof = ''): TxnOp {
  return { ...op, fence: { lock, token: BigInt(token), ...(proof ? { proof } : {}) } };
}

function leaseFromWire(l: Lease__Output): Lease {
  return { leaseId: l.leaseId, name: l.name, owner: l.owner, token: BigInt(l.fencingToken), proof: l.fencingProof, ttlMs: l.ttlMs };
}

function infoFromWire(i: LockInfo__Output): LockInfo {
  return {
    name: i.name,
    held: i.held,
    owner: i.owner,
    token: BigInt(i.fencingToken),
    expiresInMs: i.expiresInMs,
    waiters: i.waiters,
    lockDelayMs: i.lockDelayMs,
    lastToken: BigInt(i.lastToken),
  };
}

/**
 * The raw dtx.v1.Locks calls. Most callers want `withLock`.
 *
 * Given several coordinator addresses, it stays with the one that answered last and moves to
 * the next only when that one cannot be reached (UNAVAILABLE), whichever call it is; any
 * coordinator passes Locks calls on to the lock's home, so a lease taken through one is kept
 * alive through another. Acquire, KeepAlive and Release are not repeated after a call that
 * broke with its outcome unknown (a repeated Acquire could hold a second lease until its ttl).
 * List and Describe only read, and fail over like DtxClient's reads.
 */
export class LockClient {
  /** The first address. */
  readonly address: string;
  readonly addresses: readonly string[];
  private readonly pool: CoordinatorPool<LocksClient>;

  constructor(
    address: string | readonly string[],
    private readonly timeoutMs = 5000,
    security: DialSecurity = PLAINTEXT,
  ) {
    this.addresses = typeof address === 'string' ? [address] : [...address];
    this.pool = new CoordinatorPool(this.addresses, (a) => locksClient(a, security), { mode: 'sticky' });
    this.address = this.addresses[0]!;
  }

  async acquire(name: string, opts: AcquireOptions = {}): Promise<Lease> {
    const req = { name, owner: opts.owner ?? '', ttlMs: opts.ttlMs ?? 0, waitMs: opts.waitMs ?? 0 };
    // The server answers by wait_ms, plus a forced write: leave room for it.
    return leaseFromWire(await this.rpc('unreached', (c) => c.Acquire.bind(c), req, req.waitMs + this.timeoutMs));
  }

  async keepAlive(leaseId: string): Promise<{ ttlMs: number }> {
    const r = await this.rpc<{ leaseId: string }, KeepAliveResponse__Output>('unreached', (c) => c.KeepAlive.bind(c), { leaseId }, this.timeoutMs);
    return { ttlMs: r.ttlMs };
  }

  async release(leaseId: string): Promise<boolean> {
    return (await this.rpc<{ leaseId: string }, ReleaseResponse__Output>('unreached', (c) => c.Release.bind(c), { leaseId }, this.timeoutMs)).released;
  }

  async list(prefix = '', limit = 0): Promise<LockInfo[]> {
    const r = await this.rpc<{ prefix: string; limit: number }, ListLocksResponse__Output>(
      'idempotent',
      (c) => c.List.bind(c),
      { prefix, limit },
      this.timeoutMs,
    );
    return r.locks.map(infoFromWire);
  }

  async describe(name: string): Promise<LockInfo> {
    return infoFromWire(await this.rpc<{ name: string }, LockInfo__Output>('idempotent', (c) => c.Describe.bind(c), { name }, this.timeoutMs));
  }

  /** Calls that were repeated on another coordinator since this client was made. */
  get failovers(): number {
    return this.pool.failovers;
  }

  close(): void {
    this.pool.close();
  }

  private rpc<Req, Res>(scope: RetryScope, method: (c: LocksClient) => UnaryMethod<Req, Res>, req: Req, timeoutMs: number): Promise<Res> {
    const limits = failoverLimits(this.pool.size, timeoutMs);
    return withFailover(this.pool, { scope, timeoutMs, limits }, (c, t) => clientCall(method(c), req, t));
  }
}

/** What `withLock` hands its function. */
export interface HeldLock {
  name: string;
  token: bigint;
  /** The lock service's proof of `token` (fence() puts it in the op). */
  proof: string;
  leaseId: string;
  /** Fires when the lease is lost (keep-alive refused, or not confirmed in time). */
  signal: AbortSignal;
  /** `op` fenced with this lease's token. */
  fence(op: TxnOp): TxnOp;
}

export class LockLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LockLostError';
  }
}

const lockClients = new WeakMap<DtxClient, LockClient>();

function lockClientOf(client: DtxClient | LockClient | string): LockClient {
  if (client instanceof LockClient) return client;
  if (typeof client === 'string') return new LockClient(client);
  let lc = lockClients.get(client);
  if (!lc) {
    lc = new LockClient(client.addresses, 5000, client.security);
    lockClients.set(client, lc);
  }
  return lc;
}

/**
 * Runs `fn` while holding lock `name`: acquires it (waiting up to `waitMs`), keeps the lease
 * alive every ttl/3, and releases it when `fn` settles. `fn` gets the fencing token (fence
 * every write with it) and an AbortSignal that fires when the lease is lost.
 *
 * The holder times its lease from when it SENT each request (acquire or keep-alive), minus a
 * margin for clock-rate drift, so it always believes the lease ends before the server does.
 * A pause (GC, SIGSTOP) can still outlast the lease without the holder noticing in time:
 * that is what the fencing token is for — the participants refuse the late writes.
 */
export async function withLock<T>(
  client: DtxClient | LockClient | string,
  name: string,
  fn: (lock: HeldLock) => Promise<T>,
  opts: AcquireOptions = {},
): Promise<T> {
  const lc = lockClientOf(client);
  const ownsClient = typeof client === 'string';
  try {
    let sentAt = performance.now();
    const lease = await lc.acquire(name, opts);
    const ttl = lease.ttlMs;
    const margin = Math.min(Math.max(ttl / 20, 5), 1000);
    const controller = new AbortController();
    let stopped = false;
    let localExpiry: NodeJS.Timeout | null = null;
    let keepTimer: NodeJS.Timeout | null = null;
    const lose = (why: string): void => {
      if (controller.signal.aborted) return;
      controller.abort(new LockLostError(`lock ${name} (token ${lease.token}) lost: ${why}`));
    };
    const confirmed = (at: number): void => {
      if (localExpiry) clearTimeout(localExpiry);
      localExpiry = setTimeout(() => lose('the lease was not confirmed in time'), Math.max(0, at + ttl - margin - performance.now()));
    };
    const keepAlive = async (): Promise<void> => {
      if (stopped || controller.signal.aborted) return;
      const at = performance.now();
      try {
        await lc.keepAlive(lease.leaseId);
        if (!stopped) confirmed(at);
        if (!stopped) keepTimer = setTimeout(() => void keepAlive(), ttl / 3);
      } catch (err) {
        if (err instanceof DtxError && err.code === 'NOT_FOUND') {
          lose(err.message);
          return;
        }
        // Unreachable for now: retry soon; the local expiry fires if it never comes back.
        if (!stopped) keepTimer = setTimeout(() => void keepAlive(), Math.min(200, ttl / 10));
      }
    };
    confirmed(sentAt);
    if (performance.now() - sentAt > ttl / 4) {
      // The acquire waited in the queue: the grant time is unknown, so confirm the lease now.
      sentAt = performance.now();
      await keepAlive();
    } else {
      keepTimer = setTimeout(() => void keepAlive(), ttl / 3);
    }
    try {
      if (controller.signal.aborted) throw controller.signal.reason;
      return await fn({
        name,
        token: lease.token,
        proof: lease.proof,
        leaseId: lease.leaseId,
        signal: controller.signal,
        fence: (op) => fenced(op, name, lease.token, lease.proof),
      });
    } finally {
      stopped = true;
      if (keepTimer) clearTimeout(keepTimer);
      if (localExpiry) clearTimeout(localExpiry);
      await lc.release(lease.leaseId).catch(() => false);
    }
  } finally {
    if (ownsClient) lc.close();
  }
}
