import {
  DEFAULT_LEASE_CONFIG,
  LeaseTable,
  type LeaseConfig,
  type LeaseEffect,
  type LeaseEvent,
  type LeaseReply,
  type LeaseView,
  type LockInfo,
  type RecoveredGrant,
} from '../protocol/leaseTable.js';
import type { LockStore } from '../storage/lockStore.js';
import { CoreDriver, type EffectExecutor } from './coreDriver.js';
import type { PlantedBug } from './plantedBugs.js';
import type { RuntimeEnv } from './env.js';
import { ReplyRegistry } from './replies.js';
import { RequestError } from './requestError.js';

export interface LockRuntimeOptions {
  store: LockStore;
  env: RuntimeEnv;
  config?: Partial<LeaseConfig>;
  /**
   * Starts every lease id (`<prefix>.<unique>`): the id of the node that holds the lock, so that
   * a coordinator can route a KeepAlive or Release to it from the lease id alone.
   */
  leaseIdPrefix?: string;
  /** A planted bug (fault-injection nodes only): locks.tokenReissued. */
  bug?: PlantedBug | null;
}

export interface AcquireInput {
  name: string;
  owner: string;
  ttlMs: number;
  waitMs: number;
}

/**
 * The lock service's runtime: the pure LeaseTable on a participant's store and a MONOTONIC
 * clock (never skewed). Nothing blocks: the table answers a grant only once it heard
 * `persisted` for its forced record, and appends keep their order, so a lock's `free` record can
 * never overtake a later grant of that lock. Nodes and the simulator run exactly this.
 */
export class LockRuntime {
  readonly core: LeaseTable;
  private readonly driver: CoreDriver<LeaseEvent, LeaseEffect>;
  private readonly replies = new ReplyRegistry<LeaseReply>();
  private cancelTimer: (() => void) | null = null;
  private timerAt = Infinity;
  private stopped = false;
  /** Each lock's last granted token, kept only under the planted bug locks.tokenReissued. */
  private readonly plantedTokens = new Map<string, number>();

  constructor(private readonly o: LockRuntimeOptions) {
    this.core = new LeaseTable({ ...DEFAULT_LEASE_CONFIG, ...o.config });
    const executor: EffectExecutor<LeaseEvent, LeaseEffect> = {
      execute: (e, done) => this.execute(e, done),
      isBlocking: () => false,
    };
    this.driver = new CoreDriver(this.core, executor, { clock: o.env.monotonic, defer: (fn) => o.env.defer(fn), fatal: (err, what) => o.env.fatal(err, what) });
  }

  /** Reads the grant records and starts lock-delay before anything is served; returns the locks in lock-delay. */
  async start(): Promise<{ locks: number; lastToken: number }> {
    const recovered = await this.o.store.recover();
    this.driver.dispatch({ type: 'recover', grants: recovered.grants, lastToken: recovered.lastToken });
    return { locks: recovered.grants.length, lastToken: recovered.lastToken };
  }

  stop(): void {
    this.stopped = true;
    this.driver.stop();
    this.cancelTimer?.();
    this.cancelTimer = null;
  }

  /** `onCancel` lets the caller withdraw a pending acquire (its call was cancelled or timed out). */
  acquire(req: AcquireInput, respond: (r: LeaseView | RequestError) => void): { cancel(): void } {
    const replyTo = this.ask(
      (h) => ({ type: 'acquire', replyTo: h, leaseId: this.o.leaseIdPrefix ? `${this.o.leaseIdPrefix}.${this.o.env.newId()}` : this.o.env.newId(), ...req }),
      (r) => respond(r.kind === 'granted' ? (this.o.bug === 'locks.tokenReissued' ? this.reissued(r.lease) : r.lease) : asError(r)),
    );
    return { cancel: () => this.driver.dispatch({ type: 'cancel', replyTo }) };
  }

  /** PLANTED BUG locks.tokenReissued: a lock granted again is answered with its previous grant's token. */
  private reissued(lease: LeaseView): LeaseView {
    const previous = this.plantedTokens.get(lease.name);
    this.plantedTokens.set(lease.name, lease.token);
    return previous === undefined ? lease : { ...lease, token: previous };
  }

  keepAlive(leaseId: string, respond: (r: LeaseView | RequestError) => void): void {
    this.ask(
      (h) => ({ type: 'keepAlive', replyTo: h, leaseId }),
      (r) => respond(r.kind === 'kept' ? r.lease : asError(r)),
    );
  }

  release(leaseId: string, respond: (r: { released: boolean } | RequestError) => void): void {
    this.ask(
      (h) => ({ type: 'release', replyTo: h, leaseId }),
      (r) => respond(r.kind === 'released' ? { released: r.released } : asError(r)),
    );
  }

  /** Locks that moved here with their shard (see LeaseTable's adopt). */
  adopt(grants: RecoveredGrant[], lastToken: number): void {
    this.driver.dispatch({ type: 'adopt', grants, lastToken });
  }

  list(prefix: string, limit: number): LockInfo[] {
    return this.core.list(prefix, limit, this.o.env.monotonic.now());
  }

  describe(name: string): LockInfo | RequestError {
    if (!name) return new RequestError('INVALID_ARGUMENT', 'name is required');
    return this.core.describe(name, this.o.env.monotonic.now());
  }

  counters(): Record<string, number> {
    const c = this.core.counters;
    return {
      lockGrants: c.grants,
      lockReleases: c.releases,
      lockExpiries: c.expiries,
      lockWaitTimeouts: c.waitTimeouts,
      locksHeld: this.core.heldCount,
      lockWaiters: this.core.waiting,
      lockLastToken: this.core.highestToken,
    };
  }

  private ask(event: (replyTo: number) => LeaseEvent, respond: (r: LeaseReply) => void): number {
    const replyTo = this.replies.open(respond);
    this.driver.dispatch(event(replyTo));
    return replyTo;
  }

  private execute(e: LeaseEffect, done: (event?: LeaseEvent) => void): void {
    const env = this.o.env;
    switch (e.type) {
      case 'reply':
        this.replies.resolve(e.to, e.reply);
        return done();
      case 'persist': {
        const record = e.record;
        return this.o.store.persist(record, e.sync, (err) => {
          if (err) return env.fatal(err, `lock record ${record.kind} of ${record.name}`);
          done(record.kind === 'grant' ? { type: 'persisted', record } : undefined);
        });
      }
      case 'setTimer':
        this.wakeAt(e.at);
        return done();
      case 'log':
        env.log[e.level]({ lock: e.lock }, e.msg);
        return done();
    }
  }

  /** One timer for the whole table: an earlier wake-up re-arms at the next deadline itself. */
  private wakeAt(at: number): void {
    if (this.stopped || (this.cancelTimer && at >= this.timerAt)) return;
    this.cancelTimer?.();
    this.timerAt = at;
    const clock = this.o.env.monotonic;
    this.cancelTimer = clock.after(Math.max(0, Math.ceil(at - clock.now())), () => {
      this.cancelTimer = null;
      this.timerAt = Infinity;
      this.driver.dispatch({ type: 'tick' });
    });
  }
}

function asError(r: LeaseReply): RequestError {
  if (r.kind === 'error') return new RequestError(r.status, r.message);
  return new RequestError('INTERNAL', `unexpected lock service reply ${r.kind}`);
}
