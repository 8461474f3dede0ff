import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DEFAULT_LEASE_CONFIG,
  LeaseTable,
  type LeaseConfig,
  type LeaseEffect,
  type LeaseEvent,
  type LeaseRecord,
  type LeaseReply,
} from '../../src/protocol/leaseTable.js';
import { InvariantViolation } from '../../src/protocol/invariant.js';
import { evaluateOps, fenceKey, lockSet, validateOps } from '../../src/protocol/ops.js';
import type { StoredValue, TxnOp } from '../../src/protocol/types.js';

/**
 * A harness that plays the runtime: it forces records into a fake durable log and feeds
 * `persisted` back (at once, or when asked), and collects the replies per handle.
 */
class Harness {
  core: LeaseTable;
  now = 0;
  replies = new Map<number, LeaseReply>();
  /** What a crash would leave: the grant records and the token counter. */
  disk = new Map<string, { token: number; ttlMs: number }>();
  diskToken = 0;
  pending: LeaseRecord[] = [];
  timers: number[] = [];
  autoPersist = true;
  private next = 1;
  private ids = 0;

  constructor(config: Partial<LeaseConfig> = {}, recovered?: Harness) {
    this.core = new LeaseTable({ ...DEFAULT_LEASE_CONFIG, ...config });
    if (recovered) {
      this.disk = new Map(recovered.disk);
      this.diskToken = recovered.diskToken;
    }
    this.step({ type: 'recover', grants: [...this.disk].map(([name, g]) => ({ name, ...g })), lastToken: this.diskToken });
  }

  step(e: LeaseEvent): LeaseEffect[] {
    const effects = this.core.step(e, this.now);
    for (const f of effects) {
      if (f.type === 'reply') this.replies.set(f.to, f.reply);
      if (f.type === 'setTimer') this.timers.push(f.at);
      if (f.type === 'persist') {
        if (f.record.kind === 'grant') expect(f.sync).toBe(true); // grants are forced
        this.pending.push(f.record);
      }
    }
    if (this.autoPersist) this.flush();
    return effects;
  }

  /** The forced writes complete, in order. */
  flush(): void {
    while (this.pending.length > 0) {
      const r = this.pending.shift()!;
      if (r.kind === 'grant') {
        this.disk.set(r.name, { token: r.token, ttlMs: r.ttlMs });
        this.diskToken = Math.max(this.diskToken, r.token);
      } else {
        this.disk.delete(r.name);
      }
      this.step({ type: 'persisted', record: r });
    }
  }

  acquire(name: string, opts: { ttlMs?: number; waitMs?: number; owner?: string } = {}): number {
    const h = this.next++;
    this.step({
      type: 'acquire',
      replyTo: h,
      leaseId: `lease-${++this.ids}`,
      name,
      owner: opts.owner ?? `o${h}`,
      ttlMs: opts.ttlMs ?? 1000,
      waitMs: opts.waitMs ?? 0,
    });
    return h;
  }

  keepAlive(leaseId: string): LeaseReply {
    const h = this.next++;
    this.step({ type: 'keepAlive', replyTo: h, leaseId });
    return this.replies.get(h)!;
  }

  release(leaseId: string): LeaseReply {
    const h = this.next++;
    this.step({ type: 'release', replyTo: h, leaseId });
    return this.replies.get(h)!;
  }

  /** Advances the monotonic clock and delivers the wake-ups that fall due. */
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const due = this.timers.filter((t) => t <= until).sort((a, b) => a - b)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.now = Math.max(this.now, due);
      this.step({ type: 'tick' });
    }
    this.now = until;
  }

  granted(h: number) {
    const r = this.replies.get(h);
    return r?.kind === 'granted' ? r.lease : null;
  }

  error(h: number) {
    const r = this.replies.get(h);
    return r?.kind === 'error' ? r : null;
  }
}

describe('LeaseTable', () => {
  it('grants a free lock only once its token is durable, and tokens strictly increase', () => {
    const t = new Harness();
    t.autoPersist = false;
    const a = t.acquire('L');
    expect(t.replies.has(a)).toBe(false); // not before the forced write
    expect(t.pending).toEqual([{ kind: 'grant', name: 'L', token: 1, ttlMs: 1000 }]);
    t.flush();
    expect(t.granted(a)).toMatchObject({ name: 'L', token: 1, ttlMs: 1000 });
    t.autoPersist = true;
    t.release(t.granted(a)!.leaseId);
    const b = t.acquire('L');
    const c = t.acquire('M');
    expect(t.granted(b)!.token).toBe(2);
    expect(t.granted(c)!.token).toBe(3);
  });

  it('FIFO: waiters get the lock in arrival order, and a newcomer never jumps the queue', () => {
    const t = new Harness();
    const holder = t.acquire('L');
    const w = [t.acquire('L', { waitMs: 10_000 }), t.acquire('L', { waitMs: 10_000 }), t.acquire('L', { waitMs: 10_000 })];
    expect(w.map((h) => t.replies.has(h))).toEqual([false, false, false]);
    const order: number[] = [];
    let current = t.granted(holder)!;
    for (let i = 0; i < 3; i++) {
      t.release(current.leaseId);
      // A newcomer arriving while someone waits is refused (wait 0) rather than served first.
      const jumper = t.acquire('L', { waitMs: 0 });
      if (i < 2) expect(t.error(jumper)?.status).toBe('ABORTED');
      const next = w.find((h) => t.granted(h) && !order.includes(h))!;
      order.push(next);
      current = t.granted(next)!;
      if (i === 2) expect(t.error(jumper)?.status).toBe('ABORTED');
    }
    expect(order).toEqual(w);
    const tokens = w.map((h) => t.granted(h)!.token);
    expect(tokens).toEqual([...tokens].sort((a, b) => a - b));
  });

  it('bounded wait: a waiter gives up at its wait_ms with ABORTED naming the holder', () => {
    const t = new Harness();
    t.acquire('L', { ttlMs: 5000, owner: 'alice' });
    const w = t.acquire('L', { waitMs: 300 });
    t.advance(299);
    expect(t.replies.has(w)).toBe(false);
    t.advance(1);
    expect(t.error(w)).toMatchObject({ status: 'ABORTED' });
    expect(t.error(w)!.message).toContain('alice');
    expect(t.core.waiting).toBe(0);
  });

  it('expiry: a lease not kept alive ends at its ttl and passes to the next waiter with a larger token', () => {
    const t = new Harness();
    const a = t.acquire('L', { ttlMs: 1000 });
    const b = t.acquire('L', { waitMs: 5000 });
    t.advance(999);
    expect(t.granted(b)).toBeNull();
    t.advance(1);
    expect(t.granted(b)!.token).toBeGreaterThan(t.granted(a)!.token);
    // The old holder's keep-alive is refused: it lost the lock.
    expect(t.keepAlive(t.granted(a)!.leaseId)).toMatchObject({ kind: 'error', status: 'NOT_FOUND' });
    expect(t.core.counters.expiries).toBe(1);
  });

  it('keep-alive extends the lease by its ttl from now', () => {
    const t = new Harness();
    const a = t.acquire('L', { ttlMs: 1000 });
    const b = t.acquire('L', { waitMs: 10_000 });
    for (let i = 0; i < 10; i++) {
      t.advance(400);
      expect(t.keepAlive(t.granted(a)!.leaseId).kind).toBe('kept');
    }
    expect(t.granted(b)).toBeNull();
    t.advance(1000);
    expect(t.granted(b)).not.toBeNull();
  });

  it('a keep-alive that arrives after the ttl is refused even before any timer fired', () => {
    const t = new Harness();
    const a = t.acquire('L', { ttlMs: 1000 });
    t.now += 1000; // no tick delivered
    expect(t.keepAlive(t.granted(a)!.leaseId)).toMatchObject({ kind: 'error', status: 'NOT_FOUND' });
  });

  it('release is idempotent and frees the durable record once the lock is idle', () => {
    const t = new Harness();
    const a = t.acquire('L');
    expect(t.disk.has('L')).toBe(true);
    expect(t.release(t.granted(a)!.leaseId)).toEqual({ kind: 'released', released: true });
    expect(t.release(t.granted(a)!.leaseId)).toEqual({ kind: 'released', released: false });
    expect(t.disk.has('L')).toBe(false);
    expect(t.diskToken).toBe(1); // the counter stays
    expect(t.core.lockCount).toBe(0);
  });

  it('a cancelled waiter leaves the queue; a grant abandoned while being forced passes the lock on', () => {
    const t = new Harness();
    const a = t.acquire('L');
    const w1 = t.acquire('L', { waitMs: 10_000 });
    const w2 = t.acquire('L', { waitMs: 10_000 });
    t.step({ type: 'cancel', replyTo: w1 });
    t.autoPersist = false;
    t.release(t.granted(a)!.leaseId);
    const w3 = t.acquire('L', { waitMs: 10_000 });
    t.step({ type: 'cancel', replyTo: w2 }); // w2's grant is being forced
    t.autoPersist = true;
    t.flush();
    expect(t.replies.has(w1)).toBe(false);
    expect(t.granted(w2)).toBeNull();
    expect(t.granted(w3)).not.toBeNull();
  });

  it('restart: never re-issues a token, and grants nothing during the lock-delay (the last lease ttl)', () => {
    const t = new Harness();
    const a = t.acquire('L', { ttlMs: 3000 });
    t.acquire('M', { ttlMs: 500 });
    const before = t.granted(a)!.token;
    t.advance(100);
    // Crash: memory is gone; the restarted table sees only what was forced.
    const r = new Harness({}, t);
    expect(r.keepAlive(t.granted(a)!.leaseId)).toMatchObject({ kind: 'error', status: 'NOT_FOUND' });
    const now0 = r.now;
    const busy = r.acquire('L', { waitMs: 0 });
    expect(r.error(busy)?.message).toMatch(/lock-delay/);
    expect(r.core.describe('L', r.now).lockDelayMs).toBe(3000);
    const w = r.acquire('L', { waitMs: 10_000 });
    const other = r.acquire('N'); // a lock with no outstanding lease is free at once
    expect(r.granted(other)!.token).toBeGreaterThan(before + 1);
    r.advance(2999);
    expect(r.granted(w)).toBeNull();
    r.advance(1);
    expect(r.now - now0).toBeGreaterThanOrEqual(3000);
    expect(r.granted(w)!.token).toBeGreaterThan(r.granted(other)!.token);
    // M's shorter lease ended its delay earlier and its idle record was deleted.
    expect(r.disk.has('M')).toBe(false);
  });

  it('restart: a token reserved but never answered is not re-issued either', () => {
    const t = new Harness();
    t.autoPersist = false;
    t.acquire('L');
    // The record was forced (it is on disk) but the process died before answering.
    const r0 = t.pending.shift()!;
    if (r0.kind === 'grant') {
      t.disk.set(r0.name, { token: r0.token, ttlMs: r0.ttlMs });
      t.diskToken = r0.token;
    }
    const r = new Harness({}, t);
    const b = r.acquire('X');
    expect(r.granted(b)!.token).toBe(2);
  });

  it('bounds: ttl, wait, name and owner sizes, waiters per lock, total waiters, lock count', () => {
    const t = new Harness({ maxTtlMs: 5000, maxWaitMs: 1000, maxWaitersPerLock: 2, maxWaiters: 3, maxLocks: 3 });
    expect(t.error(t.acquire('L', { ttlMs: 5001 }))?.status).toBe('INVALID_ARGUMENT');
    expect(t.error(t.acquire('L', { ttlMs: 10 }))?.status).toBe('INVALID_ARGUMENT');
    expect(t.error(t.acquire('L', { waitMs: 1001 }))?.status).toBe('INVALID_ARGUMENT');
    expect(t.error(t.acquire(''))?.status).toBe('INVALID_ARGUMENT');
    expect(t.error(t.acquire('x'.repeat(257)))?.status).toBe('INVALID_ARGUMENT');
    expect(t.error(t.acquire('L', { owner: 'o'.repeat(257) }))?.status).toBe('INVALID_ARGUMENT');
    t.acquire('A');
    t.acquire('A', { waitMs: 1000 });
    t.acquire('A', { waitMs: 1000 });
    expect(t.error(t.acquire('A', { waitMs: 1000 }))?.status).toBe('RESOURCE_EXHAUSTED');
    t.acquire('B');
    t.acquire('B', { waitMs: 1000 });
    expect(t.error(t.acquire('B', { waitMs: 1000 }))).toMatchObject({ status: 'RESOURCE_EXHAUSTED' });
    t.acquire('C');
    expect(t.error(t.acquire('D'))?.status).toBe('RESOURCE_EXHAUSTED');
    // A default ttl when 0.
    const u = new Harness({ defaultTtlMs: 777 });
    expect(u.granted(u.acquire('L', { ttlMs: 0 }))!.ttlMs).toBe(777);
  });

  it('refuses events before recovery and a clock that goes back', () => {
    const core = new LeaseTable();
    expect(() => core.step({ type: 'tick' }, 0)).toThrow(InvariantViolation);
    core.step({ type: 'recover', grants: [], lastToken: 0 }, 10);
    expect(() => core.step({ type: 'tick' }, 5)).toThrow(InvariantViolation);
  });

  it('property: with random acquires, keep-alives, releases, pauses and crashes, no two leases overlap and tokens only grow', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({
              k: fc.constant('acq' as const),
              lock: fc.constantFrom('a', 'b'),
              ttl: fc.integer({ min: 100, max: 2000 }),
              wait: fc.integer({ min: 0, max: 3000 }),
            }),
            fc.record({ k: fc.constant('keep' as const), i: fc.nat() }),
            fc.record({ k: fc.constant('rel' as const), i: fc.nat() }),
            fc.record({ k: fc.constant('adv' as const), ms: fc.integer({ min: 1, max: 1500 }) }),
            fc.record({ k: fc.constant('crash' as const) }),
          ),
          { maxLength: 60 },
        ),
        (cmds) => {
          let t = new Harness();
          // Real time (never reset): holders' leases as the server granted them.
          let base = 0;
          const intervals: { lock: string; token: number; from: number; to: number; leaseId: string; handle: number; h: Harness }[] = [];
          let maxToken = 0;
          const handles: { h: Harness; handle: number }[] = [];
          const close = (leaseId: string, at: number) => {
            const iv = intervals.find((x) => x.leaseId === leaseId && x.to === Infinity);
            if (iv) iv.to = at;
          };
          const sync = () => {
            // Record new grants and expiries (as the server would have enforced them). Grants
            // made in one step (two locks freed at the same tick) come to light together, so they
            // are checked in token order: each must be above every token seen in earlier steps.
            const fresh: { g: NonNullable<ReturnType<Harness['granted']>>; h: Harness; handle: number }[] = [];
            for (const { h, handle } of handles) {
              const g = h.granted(handle);
              if (g && !intervals.some((x) => x.leaseId === g.leaseId)) fresh.push({ g, h, handle });
            }
            for (const { g, h, handle } of fresh.sort((x, y) => x.g.token - y.g.token)) {
              expect(g.token).toBeGreaterThan(maxToken);
              maxToken = g.token;
              intervals.push({ lock: g.name, token: g.token, from: base + h.now, to: Infinity, leaseId: g.leaseId, handle, h });
            }
            for (const iv of intervals) {
              if (iv.to !== Infinity || iv.h !== t) continue;
              const d = t.core.describe(iv.lock, t.now);
              if (!d.held || d.token !== iv.token) iv.to = base + t.now;
            }
          };
          for (const c of cmds) {
            if (c.k === 'acq') handles.push({ h: t, handle: t.acquire(c.lock, { ttlMs: c.ttl, waitMs: c.wait }) });
            else if (c.k === 'adv') t.advance(c.ms);
            else if (c.k === 'crash') {
              // Leases of the old incarnation end no later than their ttl after the crash.
              for (const iv of intervals) {
                if (iv.to === Infinity) {
                  const d = iv.h.core.describe(iv.lock, iv.h.now);
                  iv.to = base + iv.h.now + (d.held ? d.expiresInMs : 0);
                }
              }
              base += t.now;
              t = new Harness({}, t);
            } else {
              const live = intervals.filter((x) => x.to === Infinity && x.h === t);
              const iv = live[(c.k === 'keep' ? c.i : c.i) % Math.max(live.length, 1)];
              if (iv && c.k === 'keep') t.keepAlive(iv.leaseId);
              if (iv && c.k === 'rel') {
                t.release(iv.leaseId);
                close(iv.leaseId, base + t.now);
              }
            }
            sync();
          }
          for (const lock of ['a', 'b']) {
            const ivs = intervals.filter((x) => x.lock === lock).sort((x, y) => x.token - y.token);
            for (let i = 1; i < ivs.length; i++) {
              expect(ivs[i]!.from).toBeGreaterThanOrEqual(ivs[i - 1]!.to === Infinity ? Infinity : ivs[i - 1]!.to);
            }
          }
        },
      ),
      // A fixed seed keeps CI repeatable; the example is the one that once failed (two locks
      // granted at the same tick, seen out of token order by this observer).
      {
        numRuns: 300,
        seed: 20261207,
        examples: [
          [
            [
              { k: 'acq', lock: 'a', ttl: 100, wait: 0 },
              { k: 'acq', lock: 'b', ttl: 100, wait: 0 },
              { k: 'acq', lock: 'b', ttl: 100, wait: 100 },
              { k: 'acq', lock: 'a', ttl: 100, wait: 100 },
              { k: 'adv', ms: 100 },
            ],
          ],
        ],
      },
    );
  });
});

describe('fencing in ops', () => {
  const fenced = (op: TxnOp, token: bigint): TxnOp => ({ ...op, fence: { lock: 'L', token } });
  const stored = (entries: [string, StoredValue][]) => new Map(entries);

  it('locks and reads the fence key exclusively', () => {
    expect(lockSet([fenced({ type: 'get', key: 'k' }, 3n)])).toEqual([
      { key: 'f!L', mode: 'X' },
      { key: 'k', mode: 'S' },
    ]);
    expect(fenceKey('L')).toBe('f!L');
  });

  it('accepts an equal or newer token and raises the high-water mark as a write', () => {
    const ev = evaluateOps([fenced({ type: 'put', key: 'k', value: 'v' }, 7n)], stored([['f!L', { value: '5', version: 2 }]]));
    expect(ev.ok && ev.writes).toEqual([
      { key: 'f!L', value: '7', version: 3 },
      { key: 'k', value: 'v', version: 1 },
    ]);
    expect(ev.ok && ev.results).toEqual([{ key: 'k', found: false, value: 'v', version: 1 }]);
    const same = evaluateOps([fenced({ type: 'put', key: 'k', value: 'v' }, 5n)], stored([['f!L', { value: '5', version: 2 }]]));
    expect(same.ok && same.writes.map((w) => w.key)).toEqual(['k']);
  });

  it('rejects an older token with PRECONDITION_FAILED naming the lock and both tokens', () => {
    const ev = evaluateOps([fenced({ type: 'put', key: 'k', value: 'v' }, 4n)], stored([['f!L', { value: '5', version: 2 }]]));
    expect(ev).toEqual({
      ok: false,
      code: 'PRECONDITION_FAILED',
      reason: 'fenced put on key k rejected: lock L token 4 is older than token 5 already seen',
    });
  });

  it('validates fences and refuses writes to the reserved f! keys', () => {
    expect(() => validateOps([{ type: 'put', key: 'f!L', value: '99' }])).toThrow(/fencing tokens/);
    expect(() => validateOps([{ type: 'get', key: 'f!L' }])).not.toThrow();
    expect(() => validateOps([{ type: 'put', key: 'k', value: '', fence: { lock: '', token: 1n } }])).toThrow(/lock name/);
    expect(() => validateOps([{ type: 'put', key: 'k', value: '', fence: { lock: 'L', token: -1n } }])).toThrow(/out of range/);
  });
});
