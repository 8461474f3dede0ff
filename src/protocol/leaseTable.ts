import { invariant } from './invariant.js';
import { MAX_LOCK_NAME_BYTES } from './ops.js';

/**
 * The lock service's lease table (issue 6), as a pure state machine like the other cores:
 * step(event, now) → effects. `now` is a MONOTONIC clock reading in ms (the runtime uses
 * performance.now(), never Date.now()), so wall-clock skew and jumps cannot expire or
 * extend a lease. The clock restarts with the process; that is what lock-delay is for.
 *
 * Rules:
 * - One holder per lock. Waiters queue FIFO per lock and wait at most their wait_ms.
 * - A lease lasts ttl from its grant (or last keep-alive) as this server measures it.
 * - Every grant takes a fresh fencing token from ONE counter for the whole service, so
 *   tokens strictly increase per lock (and globally). The runtime forces a record of the
 *   token (and the lease's ttl) before the grant is answered (`persist` with sync, then
 *   `persisted` comes back): after a restart the counter resumes above every token that
 *   anyone can have been told.
 * - Lock-delay: after a restart a lock whose grant record survived (it may have a holder
 *   out there that still believes in its lease) grants nothing until that lease's ttl has
 *   run out, counted from the restart — keep-alives only ever extend a lease by its ttl, so
 *   no lease granted before the crash can outlive this. Leases themselves are not
 *   recovered: their ids are unknown to the new incarnation, so keep-alives fail and the
 *   holders learn at once that they lost the lock.
 * - A lock that becomes idle has its grant record deleted (unforced: a lost delete only
 *   costs an unnecessary lock-delay after a crash).
 */

export type ReplyTo = number;

export interface LeaseConfig {
  defaultTtlMs: number;
  minTtlMs: number;
  /** No lease is longer than this: bounds the lock-delay after a restart. */
  maxTtlMs: number;
  maxWaitMs: number;
  maxWaitersPerLock: number;
  maxWaiters: number;
  /** Locks in memory at once (held, waited for, or in lock-delay). */
  maxLocks: number;
  maxOwnerBytes: number;
  maxListed: number;
}

export const DEFAULT_LEASE_CONFIG: LeaseConfig = {
  defaultTtlMs: 10_000,
  minTtlMs: 100,
  maxTtlMs: 120_000,
  maxWaitMs: 120_000,
  maxWaitersPerLock: 1_000,
  maxWaiters: 10_000,
  maxLocks: 10_000,
  maxOwnerBytes: 256,
  maxListed: 1_000,
};

/** What the runtime forces: the newest grant of a lock (its token and ttl), or that it is idle. */
export type LeaseRecord = { kind: 'grant'; name: string; token: number; ttlMs: number } | { kind: 'free'; name: string };

export interface RecoveredGrant {
  name: string;
  token: number;
  ttlMs: number;
}

export type LeaseEvent =
  | { type: 'recover'; grants: RecoveredGrant[]; lastToken: number }
  | { type: 'acquire'; replyTo: ReplyTo; leaseId: string; name: string; owner: string; ttlMs: number; waitMs: number }
  | { type: 'keepAlive'; replyTo: ReplyTo; leaseId: string }
  | { type: 'release'; replyTo: ReplyTo; leaseId: string }
  /** The caller of a pending acquire went away (its call was cancelled or timed out). */
  | { type: 'cancel'; replyTo: ReplyTo }
  /**
   * Locks that moved here with their shard: the token counter rises above the source's, and each
   * lock is in lock-delay for its last lease's ttl (its holder on the source may still act), as
   * after a restart.
   */
  | { type: 'adopt'; grants: RecoveredGrant[]; lastToken: number }
  | { type: 'persisted'; record: LeaseRecord }
  | { type: 'tick' };

export interface LeaseView {
  leaseId: string;
  name: string;
  owner: string;
  token: number;
  ttlMs: number;
}

export type LeaseErrorStatus = 'INVALID_ARGUMENT' | 'ABORTED' | 'NOT_FOUND' | 'RESOURCE_EXHAUSTED';

export type LeaseReply =
  | { kind: 'granted'; lease: LeaseView }
  | { kind: 'kept'; lease: LeaseView }
  | { kind: 'released'; released: boolean }
  | { kind: 'error'; status: LeaseErrorStatus; message: string };

export type LeaseEffect =
  | { type: 'reply'; to: ReplyTo; reply: LeaseReply }
  | { type: 'persist'; record: LeaseRecord; sync: boolean }
  | { type: 'setTimer'; at: number }
  | { type: 'log'; level: 'info' | 'warn'; msg: string; lock: string };

export interface LockInfo {
  name: string;
  held: boolean;
  owner: string;
  /** The holder's lease ('' when free): operators see it, clients' List does not. */
  leaseId: string;
  token: number;
  expiresInMs: number;
  waiters: number;
  lockDelayMs: number;
}

interface Lease extends LeaseView {
  expiresAt: number;
}

interface Waiter {
  replyTo: ReplyTo;
  leaseId: string;
  owner: string;
  ttlMs: number;
  deadline: number;
}

interface LockState {
  name: string;
  holder: Lease | null;
  /** Token reserved, its record being forced; answered on `persisted`. */
  granting: (Waiter & { token: number; cancelled: boolean }) | null;
  queue: Waiter[];
  /** Lock-delay after a restart: nothing is granted before this time. 0 = none. */
  delayUntil: number;
  /** A grant record of this lock is (or may be) on disk. */
  recordLive: boolean;
}

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

export class LeaseTable {
  private readonly locks = new Map<string, LockState>();
  /** leaseId → lock name, for granted leases. */
  private readonly leases = new Map<string, string>();
  private lastToken = 0;
  private waiterCount = 0;
  private recovered = false;
  private timerAt = Infinity;
  private now = 0;
  private effects: LeaseEffect[] = [];
  readonly counters = { grants: 0, releases: 0, expiries: 0, keepAlives: 0, waitTimeouts: 0, rejected: 0 };

  constructor(private readonly config: LeaseConfig = DEFAULT_LEASE_CONFIG) {}

  step(event: LeaseEvent, now: number): LeaseEffect[] {
    invariant(now >= this.now, () => `monotonic clock went back from ${this.now} to ${now}`);
    this.now = now;
    this.effects = [];
    if (event.type !== 'recover') invariant(this.recovered, `lease table got ${event.type} before recovery`);
    switch (event.type) {
      case 'recover':
        this.onRecover(event.grants, event.lastToken);
        break;
      case 'acquire':
        this.onAcquire(event);
        break;
      case 'keepAlive':
        this.onKeepAlive(event.replyTo, event.leaseId);
        break;
      case 'release':
        this.onRelease(event.replyTo, event.leaseId);
        break;
      case 'cancel':
        this.onCancel(event.replyTo);
        break;
      case 'adopt':
        this.onAdopt(event.grants, event.lastToken);
        break;
      case 'persisted':
        this.onPersisted(event.record);
        break;
      case 'tick':
        this.timerAt = Infinity;
        for (const l of [...this.locks.values()]) this.settle(l);
        break;
    }
    // Full scan only on ticks and recovery; other steps announce their own new deadlines.
    if (event.type === 'tick' || event.type === 'recover' || event.type === 'adopt') this.wakeAt(this.nextDeadline());
    const out = this.effects;
    this.effects = [];
    return out;
  }

  /** The highest token ever issued (or reserved) by this service. */
  get highestToken(): number {
    return this.lastToken;
  }

  get lockCount(): number {
    return this.locks.size;
  }

  get heldCount(): number {
    return this.leases.size;
  }

  get waiting(): number {
    return this.waiterCount;
  }

  describe(name: string, now: number): LockInfo {
    const l = this.locks.get(name);
    const h = l?.holder && l.holder.expiresAt > now ? l.holder : null;
    return {
      name,
      held: h !== null,
      owner: h?.owner ?? '',
      leaseId: h?.leaseId ?? '',
      token: h?.token ?? 0,
      expiresInMs: h ? Math.ceil(h.expiresAt - now) : 0,
      waiters: l?.queue.length ?? 0,
      lockDelayMs: l && l.delayUntil > now ? Math.ceil(l.delayUntil - now) : 0,
    };
  }

  list(prefix: string, limit: number, now: number): LockInfo[] {
    const n = Math.min(limit > 0 ? limit : this.config.maxListed, this.config.maxListed);
    return [...this.locks.keys()]
      .filter((name) => name.startsWith(prefix))
      .sort()
      .slice(0, n)
      .map((name) => this.describe(name, now));
  }

  private emit(e: LeaseEffect): void {
    this.effects.push(e);
  }

  private reply(to: ReplyTo, reply: LeaseReply): void {
    this.emit({ type: 'reply', to, reply });
  }

  private fail(to: ReplyTo, status: LeaseErrorStatus, message: string): void {
    this.counters.rejected++;
    this.reply(to, { kind: 'error', status, message });
  }

  private onRecover(grants: RecoveredGrant[], lastToken: number): void {
    invariant(!this.recovered, 'lease table recovered twice');
    this.recovered = true;
    this.lastToken = lastToken;
    for (const g of grants) {
      this.lastToken = Math.max(this.lastToken, g.token);
      // Its holder may still act on a lease of up to ttl from just before the crash.
      const ttl = Math.min(Math.max(g.ttlMs, 0), this.config.maxTtlMs);
      this.locks.set(g.name, { name: g.name, holder: null, granting: null, queue: [], delayUntil: this.now + ttl, recordLive: true });
      this.emit({ type: 'log', level: 'info', lock: g.name, msg: `lock-delay ${ttl} ms after restart (last token ${g.token})` });
    }
  }

  private onAdopt(grants: RecoveredGrant[], lastToken: number): void {
    this.lastToken = Math.max(this.lastToken, lastToken, ...grants.map((g) => g.token));
    for (const g of grants) {
      const ttl = Math.min(Math.max(g.ttlMs, 0), this.config.maxTtlMs);
      const l = this.locks.get(g.name);
      if (l) l.delayUntil = Math.max(l.delayUntil, this.now + ttl);
      else this.locks.set(g.name, { name: g.name, holder: null, granting: null, queue: [], delayUntil: this.now + ttl, recordLive: true });
      this.emit({ type: 'log', level: 'info', lock: g.name, msg: `moved here: lock-delay ${ttl} ms (last token ${g.token})` });
    }
  }

  /**
   * The locks among `names` this table knows with their last token and ttl (held, being granted,
   * or in lock-delay): what a move must hand to the lock's next participant.
   */
  grantsOf(names: (name: string) => boolean): RecoveredGrant[] {
    const out: RecoveredGrant[] = [];
    for (const l of this.locks.values()) {
      if (!names(l.name)) continue;
      const h = l.holder ?? l.granting;
      out.push({ name: l.name, token: h?.token ?? this.lastToken, ttlMs: h?.ttlMs ?? this.config.maxTtlMs });
    }
    return out;
  }

  /** The lock a granted lease belongs to (to check that it is still served here). */
  lockOf(leaseId: string): string | undefined {
    return this.leases.get(leaseId);
  }

  private onAcquire(e: Extract<LeaseEvent, { type: 'acquire' }>): void {
    const c = this.config;
    if (e.name.length === 0 || byteLength(e.name) > MAX_LOCK_NAME_BYTES) {
      return this.fail(e.replyTo, 'INVALID_ARGUMENT', `lock name must be 1..${MAX_LOCK_NAME_BYTES} bytes`);
    }
    if (byteLength(e.owner) > c.maxOwnerBytes) {
      return this.fail(e.replyTo, 'INVALID_ARGUMENT', `owner longer than ${c.maxOwnerBytes} bytes`);
    }
    const ttlMs = e.ttlMs === 0 ? c.defaultTtlMs : e.ttlMs;
    if (!Number.isSafeInteger(ttlMs) || ttlMs < c.minTtlMs || ttlMs > c.maxTtlMs) {
      return this.fail(e.replyTo, 'INVALID_ARGUMENT', `ttl_ms must be ${c.minTtlMs}..${c.maxTtlMs}, got ${ttlMs}`);
    }
    if (!Number.isSafeInteger(e.waitMs) || e.waitMs < 0 || e.waitMs > c.maxWaitMs) {
      return this.fail(e.replyTo, 'INVALID_ARGUMENT', `wait_ms must be 0..${c.maxWaitMs}, got ${e.waitMs}`);
    }
    invariant(!this.leases.has(e.leaseId), () => `lease id ${e.leaseId} reused`);
    let l = this.locks.get(e.name);
    if (!l) {
      if (this.locks.size >= c.maxLocks) {
        return this.fail(e.replyTo, 'RESOURCE_EXHAUSTED', `too many locks in use (${this.locks.size}; the limit is ${c.maxLocks})`);
      }
      l = { name: e.name, holder: null, granting: null, queue: [], delayUntil: 0, recordLive: false };
      this.locks.set(e.name, l);
    }
    this.settle(l, false);
    const w: Waiter = { replyTo: e.replyTo, leaseId: e.leaseId, owner: e.owner, ttlMs, deadline: this.now + e.waitMs };
    if (this.isFree(l) && l.queue.length === 0) {
      this.grant(l, w);
      return;
    }
    if (e.waitMs === 0) {
      this.fail(e.replyTo, 'ABORTED', this.busyReason(l));
      this.dropIfIdle(l);
      return;
    }
    if (l.queue.length >= c.maxWaitersPerLock) {
      return this.fail(e.replyTo, 'RESOURCE_EXHAUSTED', `lock ${l.name} has ${l.queue.length} waiters (the limit is ${c.maxWaitersPerLock})`);
    }
    if (this.waiterCount >= c.maxWaiters) {
      return this.fail(e.replyTo, 'RESOURCE_EXHAUSTED', `${this.waiterCount} acquires are waiting (the limit is ${c.maxWaiters})`);
    }
    l.queue.push(w); // FIFO: behind everyone already waiting
    this.waiterCount++;
    this.wakeAt(w.deadline);
  }

  private onKeepAlive(replyTo: ReplyTo, leaseId: string): void {
    const l = this.lockOfLease(leaseId);
    if (l) this.settle(l); // an expired lease is gone before we look
    const h = l?.holder;
    if (!l || !h || h.leaseId !== leaseId) {
      return this.fail(replyTo, 'NOT_FOUND', `lease ${leaseId} is not held: it expired, was released, or predates a restart`);
    }
    this.counters.keepAlives++;
    h.expiresAt = this.now + h.ttlMs; // later than before: the pending wake-up re-arms itself
    this.reply(replyTo, { kind: 'kept', lease: this.view(h) });
  }

  private onRelease(replyTo: ReplyTo, leaseId: string): void {
    const l = this.lockOfLease(leaseId);
    if (l) this.settle(l, false);
    if (!l || l.holder?.leaseId !== leaseId) {
      this.reply(replyTo, { kind: 'released', released: false });
      return;
    }
    this.counters.releases++;
    this.endLease(l);
    this.reply(replyTo, { kind: 'released', released: true });
    this.settle(l);
  }

  private onCancel(replyTo: ReplyTo): void {
    for (const l of this.locks.values()) {
      if (l.granting?.replyTo === replyTo) {
        l.granting.cancelled = true;
        return;
      }
      const i = l.queue.findIndex((w) => w.replyTo === replyTo);
      if (i >= 0) {
        l.queue.splice(i, 1);
        this.waiterCount--;
        this.settle(l);
        return;
      }
    }
  }

  private onPersisted(record: LeaseRecord): void {
    if (record.kind === 'free') return;
    const l = this.locks.get(record.name);
    const g = l?.granting;
    invariant(l && g && g.token === record.token, () => `grant ${record.name}#${record.token} persisted but not pending`);
    l.granting = null;
    l.recordLive = true;
    if (g.cancelled) {
      // Nobody is waiting for this lease any more: the next in line may have the lock.
      this.emit({ type: 'log', level: 'info', lock: l.name, msg: `grant of token ${g.token} abandoned by its caller` });
      this.settle(l);
      return;
    }
    // The ttl counts from now, after the caller's request was sent: the holder, timing its
    // lease from when it asked, always believes it ends earlier than this server does.
    const lease: Lease = { leaseId: g.leaseId, name: l.name, owner: g.owner, token: g.token, ttlMs: g.ttlMs, expiresAt: this.now + g.ttlMs };
    l.holder = lease;
    this.leases.set(lease.leaseId, l.name);
    this.counters.grants++;
    this.wakeAt(lease.expiresAt);
    this.reply(g.replyTo, { kind: 'granted', lease: this.view(lease) });
  }

  private lockOfLease(leaseId: string): LockState | undefined {
    const name = this.leases.get(leaseId);
    return name === undefined ? undefined : this.locks.get(name);
  }

  private isFree(l: LockState): boolean {
    return l.holder === null && l.granting === null && l.delayUntil <= this.now;
  }

  private grant(l: LockState, w: Waiter): void {
    invariant(this.isFree(l), () => `grant of busy lock ${l.name}`);
    const token = ++this.lastToken;
    l.granting = { ...w, token, cancelled: false };
    this.emit({ type: 'persist', record: { kind: 'grant', name: l.name, token, ttlMs: w.ttlMs }, sync: true });
  }

  private endLease(l: LockState): void {
    const h = l.holder;
    if (!h) return;
    this.leases.delete(h.leaseId);
    l.holder = null;
  }

  /**
   * Brings one lock up to `now`: expires its lease, ends its lock-delay, grants it to the
   * head of its queue, times out waiters, and forgets it once idle.
   */
  private settle(l: LockState, dropIdle = true): void {
    const now = this.now;
    if (l.holder && l.holder.expiresAt <= now) {
      this.counters.expiries++;
      this.emit({ type: 'log', level: 'warn', lock: l.name, msg: `lease of ${l.holder.owner || 'anonymous'} (token ${l.holder.token}) expired` });
      this.endLease(l);
    }
    if (l.delayUntil !== 0 && l.delayUntil <= now) l.delayUntil = 0;
    this.timeOutWaiters(l, (w) => w.deadline < now);
    if (this.isFree(l) && l.queue.length > 0) {
      this.waiterCount--;
      this.grant(l, l.queue.shift()!);
    }
    this.timeOutWaiters(l, (w) => w.deadline <= now);
    if (dropIdle) this.dropIfIdle(l);
  }

  private timeOutWaiters(l: LockState, expired: (w: Waiter) => boolean): void {
    if (!l.queue.some(expired)) return;
    const keep: Waiter[] = [];
    for (const w of l.queue) {
      if (expired(w)) {
        this.waiterCount--;
        this.counters.waitTimeouts++;
        this.fail(w.replyTo, 'ABORTED', `gave up waiting: ${this.busyReason(l)}`);
      } else {
        keep.push(w);
      }
    }
    l.queue = keep;
  }

  private busyReason(l: LockState): string {
    if (l.holder) return `lock ${l.name} is held by ${l.holder.owner || 'another owner'} (token ${l.holder.token})`;
    if (l.granting) return `lock ${l.name} is being granted to another owner`;
    if (l.delayUntil > this.now) {
      return `lock ${l.name} is in lock-delay after a restart for ${Math.ceil(l.delayUntil - this.now)} more ms`;
    }
    return `lock ${l.name} is wanted by ${l.queue.length} earlier waiters`;
  }

  private dropIfIdle(l: LockState): void {
    if (l.holder || l.granting || l.queue.length > 0 || l.delayUntil > this.now) return;
    this.locks.delete(l.name);
    if (l.recordLive) this.emit({ type: 'persist', record: { kind: 'free', name: l.name }, sync: false });
  }

  private nextDeadline(): number {
    let at = Infinity;
    for (const l of this.locks.values()) {
      if (l.holder) at = Math.min(at, l.holder.expiresAt);
      if (l.delayUntil > 0) at = Math.min(at, l.delayUntil);
      for (const w of l.queue) at = Math.min(at, w.deadline);
    }
    return at;
  }

  /** Asks for a tick at `at` unless one is already due no later (a tick re-arms at the next deadline). */
  private wakeAt(at: number): void {
    if (at === Infinity) return;
    if (at < this.timerAt || this.timerAt <= this.now) {
      this.timerAt = at;
      this.emit({ type: 'setTimer', at });
    }
  }

  private view(h: Lease): LeaseView {
    return { leaseId: h.leaseId, name: h.name, owner: h.owner, token: h.token, ttlMs: h.ttlMs };
  }
}
