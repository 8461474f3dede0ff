import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import {
  DEFAULT_LEASE_CONFIG,
  LeaseTable,
  type LeaseConfig,
  type LeaseEffect,
  type LeaseEvent,
  type LeaseReply,
  type LeaseView,
  type LockInfo,
} from '../protocol/leaseTable.js';
import type { Lease } from '../rpc/generated/dtx/v1/Lease.js';
import type { LockInfo as WireLockInfo } from '../rpc/generated/dtx/v1/LockInfo.js';
import type { LocksHandlers } from '../rpc/generated/dtx/v1/Locks.js';
import { dtxV1, SERVICE_NAMES } from '../rpc/protos.js';
import type { ServiceBinding } from '../rpc/serve.js';
import { RpcError, unary } from '../rpc/status.js';
import { LockStore } from '../storage/lockStore.js';
import type { NodeStore } from '../storage/nodeStore.js';
import { ReplyRegistry } from './replies.js';

export interface LockServiceOptions {
  store: NodeStore;
  log: Logger;
  config?: Partial<LeaseConfig>;
}

export interface RunningLockService {
  name: string;
  binding: ServiceBinding;
  counters(): Record<string, number>;
  stop(): void;
}

/** The lease clock: monotonic, unaffected by wall-clock steps and by Admin.SetClockOffset. */
const monotonicNow = (): number => performance.now();

function leaseToWire(l: LeaseView): Lease {
  return { leaseId: l.leaseId, fencingToken: String(l.token), ttlMs: l.ttlMs, name: l.name, owner: l.owner };
}

/**
 * Runs the pure LeaseTable on the coordinator's LevelDB and a monotonic clock, and serves
 * dtx.v1.Locks. Every effect is executed at once, in order: the core never answers before a
 * forced write completes because it waits for `persisted` itself, and keeping appends in
 * emission order means a lock's `free` record can never overtake a later grant of that lock.
 * Recovery (reading the grant records, starting lock-delay) happens before it is served.
 */
export async function startLockService(opts: LockServiceOptions): Promise<RunningLockService> {
  const log = opts.log.child({ service: 'locks' });
  const store = new LockStore(opts.store);
  const core = new LeaseTable({ ...DEFAULT_LEASE_CONFIG, ...opts.config });
  const replies = new ReplyRegistry<LeaseReply>();
  let timer: NodeJS.Timeout | null = null;
  let timerAt = Infinity;
  let stopped = false;

  const fatal = (err: unknown, what: string): void => {
    if (stopped) return;
    stopped = true;
    log.fatal({ err }, what);
    process.exit(70);
  };

  const execute = (e: LeaseEffect): void => {
    switch (e.type) {
      case 'reply':
        replies.resolve(e.to, e.reply);
        return;
      case 'persist': {
        const record = e.record;
        store.persist(record, e.sync).then(
          () => {
            if (record.kind === 'grant') dispatch({ type: 'persisted', record });
          },
          (err: unknown) => fatal(err, `lock record ${record.kind} of ${record.name} failed`),
        );
        return;
      }
      case 'setTimer': {
        if (timer && e.at >= timerAt) return; // an earlier wake-up re-arms at the next deadline
        if (timer) clearTimeout(timer);
        timerAt = e.at;
        timer = setTimeout(() => {
          timer = null;
          timerAt = Infinity;
          dispatch({ type: 'tick' });
        }, Math.max(0, Math.ceil(e.at - monotonicNow())));
        return;
      }
      case 'log':
        log[e.level]({ lock: e.lock }, e.msg);
        return;
    }
  };

  const dispatch = (event: LeaseEvent): void => {
    if (stopped) return;
    let effects: LeaseEffect[];
    try {
      effects = core.step(event, monotonicNow());
    } catch (err) {
      fatal(err, `lease table failed on ${event.type}`);
      return;
    }
    for (const e of effects) execute(e);
  };

  const recovered = await store.recover();
  dispatch({ type: 'recover', grants: recovered.grants, lastToken: recovered.lastToken });
  if (recovered.grants.length > 0) {
    log.info({ locks: recovered.grants.length, lastToken: recovered.lastToken }, 'locks in lock-delay after restart');
  }

  const ask = async (event: (replyTo: number) => LeaseEvent, call?: grpc.ServerUnaryCall<unknown, unknown>): Promise<LeaseReply> => {
    const { handle, reply } = replies.open();
    call?.on('cancelled', () => dispatch({ type: 'cancel', replyTo: handle }));
    dispatch(event(handle));
    const r = await reply;
    if (r.kind === 'error') throw new RpcError(grpc.status[r.status], r.message);
    return r;
  };

  const infoToWire = (i: LockInfo): WireLockInfo => ({
    name: i.name,
    held: i.held,
    owner: i.owner,
    fencingToken: String(i.token),
    expiresInMs: i.expiresInMs,
    waiters: i.waiters,
    lockDelayMs: i.lockDelayMs,
    lastToken: String(core.highestToken),
  });

  const handlers: LocksHandlers = {
    Acquire: unary(async (req, call): Promise<Lease> => {
      const r = await ask(
        (replyTo) => ({
          type: 'acquire',
          replyTo,
          leaseId: randomUUID(),
          name: req.name,
          owner: req.owner,
          ttlMs: req.ttlMs,
          waitMs: req.waitMs,
        }),
        call as grpc.ServerUnaryCall<unknown, unknown>,
      );
      if (r.kind !== 'granted') throw new RpcError(grpc.status.INTERNAL, 'unexpected reply');
      return leaseToWire(r.lease);
    }),
    KeepAlive: unary(async (req) => {
      const r = await ask((replyTo) => ({ type: 'keepAlive', replyTo, leaseId: req.leaseId }));
      if (r.kind !== 'kept') throw new RpcError(grpc.status.INTERNAL, 'unexpected reply');
      return { leaseId: r.lease.leaseId, ttlMs: r.lease.ttlMs, fencingToken: String(r.lease.token) };
    }),
    Release: unary(async (req) => {
      const r = await ask((replyTo) => ({ type: 'release', replyTo, leaseId: req.leaseId }));
      if (r.kind !== 'released') throw new RpcError(grpc.status.INTERNAL, 'unexpected reply');
      return { released: r.released };
    }),
    List: unary(async (req) => ({ locks: core.list(req.prefix, req.limit, monotonicNow()).map(infoToWire) })),
    Describe: unary(async (req) => {
      if (!req.name) throw new RpcError(grpc.status.INVALID_ARGUMENT, 'name is required');
      return infoToWire(core.describe(req.name, monotonicNow()));
    }),
  };

  return {
    name: SERVICE_NAMES.locks,
    binding: { name: SERVICE_NAMES.locks, definition: dtxV1.Locks.service, handlers },
    counters: () => ({
      lockGrants: core.counters.grants,
      lockReleases: core.counters.releases,
      lockExpiries: core.counters.expiries,
      lockWaitTimeouts: core.counters.waitTimeouts,
      locksHeld: core.heldCount,
      lockWaiters: core.waiting,
      lockLastToken: core.highestToken,
    }),
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
