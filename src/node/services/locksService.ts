import type * as grpc from '@grpc/grpc-js';
import type { LeaseView, LockInfo } from '../../protocol/leaseTable.js';
import type { Lease } from '../../rpc/generated/dtx/v1/Lease.js';
import type { LockInfo as WireLockInfo } from '../../rpc/generated/dtx/v1/LockInfo.js';
import type { LocksHandlers } from '../../rpc/generated/dtx/v1/Locks.js';
import { answer, unary } from '../../rpc/status.js';
import type { FenceKey } from '../../rpc/fenceProof.js';
import type { LockRuntime } from '../../runtime/lockRuntime.js';
import { RequestError } from '../../runtime/requestError.js';

/** Why this participant does not serve a lock now (its shard lives elsewhere, or is moving); null: it does. */
export type LockRefusal = (name: string) => { moving: boolean; message: string } | null;

/**
 * dtx.v1.Locks over the lock runtime: wire conversion, the proof that signs each fencing token
 * (with a cluster secret), and only the locks whose shard this participant serves.
 */
export function locksService(rt: LockRuntime, fenceKey: FenceKey | null, refusal: LockRefusal = () => null): LocksHandlers {
  const served = (name: string): void => {
    const r = refusal(name);
    if (r) throw new RequestError(r.moving ? 'UNAVAILABLE' : 'FAILED_PRECONDITION', r.message);
  };
  /** A lease whose lock moved away (or is moving) ended: its holder must acquire again. */
  const leaseServed = (leaseId: string): void => {
    const name = rt.core.lockOf(leaseId);
    const r = name === undefined ? null : refusal(name);
    if (r) throw new RequestError('NOT_FOUND', `lease ${leaseId} ended: ${r.message}`);
  };
  const proof = (l: LeaseView): string => (fenceKey ? fenceKey.sign(l.name, l.token) : '');
  const leaseToWire = (l: LeaseView): Lease => ({
    leaseId: l.leaseId,
    fencingToken: String(l.token),
    fencingProof: proof(l),
    ttlMs: l.ttlMs,
    name: l.name,
    owner: l.owner,
  });
  const infoToWire = (i: LockInfo): WireLockInfo => ({
    name: i.name,
    held: i.held,
    owner: i.owner,
    fencingToken: String(i.token),
    expiresInMs: i.expiresInMs,
    waiters: i.waiters,
    lockDelayMs: i.lockDelayMs,
    lastToken: String(rt.core.highestToken),
  });
  return {
    Acquire: unary(async (req, call) => {
      served(req.name);
      const lease = await answer<LeaseView>((respond) => {
        const pending = rt.acquire({ name: req.name, owner: req.owner, ttlMs: req.ttlMs, waitMs: req.waitMs }, respond);
        // The caller went away: its place in the queue goes too.
        (call as grpc.ServerUnaryCall<unknown, unknown>).on('cancelled', () => pending.cancel());
      });
      return leaseToWire(lease);
    }),
    KeepAlive: unary(async (req) => {
      leaseServed(req.leaseId);
      const l = await answer<LeaseView>((respond) => rt.keepAlive(req.leaseId, respond));
      return { leaseId: l.leaseId, ttlMs: l.ttlMs, fencingToken: String(l.token), fencingProof: proof(l) };
    }),
    Release: unary(async (req) => {
      if (rt.core.lockOf(req.leaseId) !== undefined && refusal(rt.core.lockOf(req.leaseId)!)) return { released: false };
      return answer<{ released: boolean }>((respond) => rt.release(req.leaseId, respond));
    }),
    List: unary(async (req) => ({
      locks: rt
        .list(req.prefix, req.limit)
        .filter((i) => refusal(i.name) === null)
        .map(infoToWire),
    })),
    Describe: unary(async (req) => {
      if (req.name) served(req.name);
      const info = rt.describe(req.name);
      if (info instanceof RequestError) throw info;
      return infoToWire(info);
    }),
  };
}
