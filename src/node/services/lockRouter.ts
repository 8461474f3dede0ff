import * as grpc from '@grpc/grpc-js';
import { memberIds, ownerOfKey, addressOf, type ShardMap } from '../../protocol/shardMap.js';
import { ClientsByAddress, locksClient } from '../../rpc/clients.js';
import type { DialSecurity } from '../../rpc/dial.js';
import type { AcquireRequest__Output } from '../../rpc/generated/dtx/v1/AcquireRequest.js';
import type { Lease__Output } from '../../rpc/generated/dtx/v1/Lease.js';
import type { LockInfo__Output } from '../../rpc/generated/dtx/v1/LockInfo.js';
import type { LocksClient, LocksHandlers } from '../../rpc/generated/dtx/v1/Locks.js';
import type { NetworkFaults } from '../../rpc/networkFaults.js';
import { RpcError, unary } from '../../rpc/status.js';

/** A lock call passed on may take this long beyond the caller's own wait (the hop, the forced grant). */
const MARGIN_MS = 5000;
/** Calls that do not wait in a queue. */
const SHORT_MS = 3000;
const LIST_DEFAULT = 1000;

export interface LockRouterOptions {
  /** The shard map in use: a lock lives on the participant that owns its name's shard, as a key would. */
  map: () => ShardMap;
  dial: DialSecurity;
  /** This node's injected network faults (a coordinator cut off from a participant cannot reach its locks). */
  network: NetworkFaults | null;
  /** Reads the shard map again (a participant said the lock lives elsewhere now). */
  refresh?: () => Promise<void>;
}

type Callback<T> = (err: grpc.ServiceError | null, res?: T) => void;

/**
 * dtx.v1.Locks on a coordinator: no lease lives here. Each lock lives on one participant (the one
 * its name hashes to), in that participant's durable log, and every coordinator passes calls on
 * to it — so the lock service outlives any coordinator, a lease taken through one coordinator is
 * kept alive through another, and fencing tokens come from one counter per lock whichever
 * coordinator a client uses. A lease id starts with its participant's id, which routes
 * KeepAlive and Release.
 */
export class LockRouter {
  private readonly clients: ClientsByAddress<LocksClient>;
  readonly counters = { lockCallsRouted: 0, lockHomeUnreachable: 0 };

  constructor(private readonly o: LockRouterOptions) {
    this.clients = new ClientsByAddress((addr, id) =>
      locksClient(addr, o.dial, { expectNodeId: id, interceptors: o.network ? [o.network.interceptor(id)] : [] }),
    );
  }

  close(): void {
    this.clients.closeAll();
  }

  handlers(): LocksHandlers {
    return {
      Acquire: unary(async (req: AcquireRequest__Output, call) => {
        return this.toLock<Lease__Output>(req.name, req.waitMs + MARGIN_MS, (c, opts, cb) => {
          const out = c.Acquire(req, opts, cb);
          // The caller went away: its place in the lock's queue goes too.
          call.on('cancelled', () => out.cancel());
        });
      }),
      KeepAlive: unary(async (req) => {
        const home = this.homeOfLease(req.leaseId);
        return this.pass(home, `lease ${req.leaseId}`, SHORT_MS, (c, opts, cb) => c.KeepAlive(req, opts, cb));
      }),
      Release: unary(async (req) => {
        const home = this.homeOfLease(req.leaseId);
        return this.pass(home, `lease ${req.leaseId}`, SHORT_MS, (c, opts, cb) => c.Release(req, opts, cb));
      }),
      Describe: unary(async (req) => {
        if (!req.name) throw new RpcError(grpc.status.INVALID_ARGUMENT, 'name is required');
        return this.toLock<LockInfo__Output>(req.name, SHORT_MS, (c, opts, cb) => c.Describe(req, opts, cb));
      }),
      List: unary(async (req) => {
        const limit = req.limit > 0 ? Math.min(req.limit, LIST_DEFAULT) : LIST_DEFAULT;
        // Every participant holds some locks: ask them all, merge in name order.
        const parts = await Promise.all(
          memberIds(this.o.map()).map((id) =>
            this.pass<{ locks: LockInfo__Output[] }>(id, 'the lock list', SHORT_MS, (c, opts, cb) => c.List({ prefix: req.prefix, limit }, opts, cb)),
          ),
        );
        const locks = parts.flatMap((p) => p.locks).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        return { locks: locks.slice(0, limit) };
      }),
    };
  }

  /**
   * A lease taken by this node itself (the shard mover's turn): its fencing token orders movers.
   * `done` releases it; a keep-alive runs meanwhile.
   */
  async lease(name: string, owner: string, ttlMs: number, waitMs: number): Promise<{ token: number; done: () => Promise<void> }> {
    const lease = await this.toLock<Lease__Output>(name, waitMs + MARGIN_MS, (c, opts, cb) => c.Acquire({ name, owner, ttlMs, waitMs }, opts, cb));
    const timer = setInterval(
      () => {
        this.pass(this.homeOfLease(lease.leaseId), `lease ${lease.leaseId}`, SHORT_MS, (c, opts, cb) =>
          c.KeepAlive({ leaseId: lease.leaseId }, opts, cb),
        ).catch(() => undefined);
      },
      Math.max(100, Math.floor(ttlMs / 3)),
    );
    return {
      token: Number(lease.fencingToken),
      done: async () => {
        clearInterval(timer);
        await this.pass(this.homeOfLease(lease.leaseId), `lease ${lease.leaseId}`, SHORT_MS, (c, opts, cb) =>
          c.Release({ leaseId: lease.leaseId }, opts, cb),
        ).catch(() => undefined);
      },
    };
  }

  /** A call to the lock's participant; once more after a map refresh if it says the lock moved. */
  private async toLock<T>(name: string, deadlineMs: number, send: (c: LocksClient, opts: grpc.CallOptions, cb: Callback<T>) => void): Promise<T> {
    try {
      return await this.pass<T>(this.homeOfLock(name), `lock ${name}`, deadlineMs, send);
    } catch (e) {
      if (!(e instanceof RpcError) || e.code !== grpc.status.FAILED_PRECONDITION || !e.message.includes(' lives on ') || !this.o.refresh) throw e;
      await this.o.refresh();
      return this.pass<T>(this.homeOfLock(name), `lock ${name}`, deadlineMs, send);
    }
  }

  private homeOfLock(name: string): string {
    if (!name) throw new RpcError(grpc.status.INVALID_ARGUMENT, 'name is required');
    return ownerOfKey(this.o.map(), name);
  }

  private homeOfLease(leaseId: string): string {
    const id = leaseId.slice(0, Math.max(0, leaseId.indexOf('.')));
    if (addressOf(this.o.map(), id) === undefined)
      throw new RpcError(grpc.status.NOT_FOUND, `lease ${JSON.stringify(leaseId.slice(0, 80))} is not one this cluster issued`);
    return id;
  }

  /** One call to the participant holding the lock: its answer or its status as it is; not reached is UNAVAILABLE naming it. */
  private pass<T>(home: string, what: string, deadlineMs: number, send: (c: LocksClient, opts: grpc.CallOptions, cb: Callback<T>) => void): Promise<T> {
    this.counters.lockCallsRouted++;
    const client = this.clients.at(home, addressOf(this.o.map(), home)!);
    return new Promise<T>((resolve, reject) => {
      send(client, { deadline: Date.now() + deadlineMs }, (err, res) => {
        if (!err) return resolve(res!);
        if (err.code === grpc.status.UNAVAILABLE) {
          this.counters.lockHomeUnreachable++;
          return reject(new RpcError(grpc.status.UNAVAILABLE, `${what} lives on participant ${home}, which cannot be reached: ${err.details}`));
        }
        reject(new RpcError(err.code, err.code === grpc.status.DEADLINE_EXCEEDED ? `${what} on participant ${home}: ${err.details}` : err.details));
      });
    });
  }
}
