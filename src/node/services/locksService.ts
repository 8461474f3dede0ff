import type * as grpc from '@grpc/grpc-js';
import type { LeaseView, LockInfo } from '../../protocol/leaseTable.js';
import type { Lease } from '../../rpc/generated/dtx/v1/Lease.js';
import type { LockInfo as WireLockInfo } from '../../rpc/generated/dtx/v1/LockInfo.js';
import type { LocksHandlers } from '../../rpc/generated/dtx/v1/Locks.js';
import { answer, unary } from '../../rpc/status.js';
import type { FenceKey } from '../../rpc/fenceProof.js';
import type { LockRuntime } from '../../runtime/lockRuntime.js';
import { RequestError } from '../../runtime/requestError.js';

/** dtx.v1.Locks over the lock runtime: wire conversion, and the proof that signs each fencing token (with a cluster secret). */
export function locksService(rt: LockRuntime, fenceKey: FenceKey | null): LocksHandlers {
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
      const lease = await answer<LeaseView>((respond) => {
        const pending = rt.acquire({ name: req.name, owner: req.owner, ttlMs: req.ttlMs, waitMs: req.waitMs }, respond);
        // The caller went away: its place in the queue goes too.
        (call as grpc.ServerUnaryCall<unknown, unknown>).on('cancelled', () => pending.cancel());
      });
      return leaseToWire(lease);
    }),
    KeepAlive: unary(async (req) => {
      const l = await answer<LeaseView>((respond) => rt.keepAlive(req.leaseId, respond));
      return { leaseId: l.leaseId, ttlMs: l.ttlMs, fencingToken: String(l.token), fencingProof: proof(l) };
    }),
    Release: unary(async (req) => answer<{ released: boolean }>((respond) => rt.release(req.leaseId, respond))),
    List: unary(async (req) => ({ locks: rt.list(req.prefix, req.limit).map(infoToWire) })),
    Describe: unary(async (req) => {
      const info = rt.describe(req.name);
      if (info instanceof RequestError) throw info;
      return infoToWire(info);
    }),
  };
}
