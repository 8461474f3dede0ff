import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { CoordinatorPool } from '../../src/client/coordinatorPool.js';
import { DtxError } from '../../src/client/dtxError.js';
import { withFailover } from '../../src/client/failover.js';
import { failoverLimits } from '../../src/client/failoverPolicy.js';

class Fake {
  closed = false;
  constructor(readonly address: string) {}
  close(): void {
    this.closed = true;
  }
}

function pool(addresses: string[], mode: 'round-robin' | 'sticky' = 'round-robin') {
  let now = 0;
  const made: string[] = [];
  const p = new CoordinatorPool(
    addresses,
    (a) => {
      made.push(a);
      return new Fake(a);
    },
    { mode, now: () => now, downForMs: 1000 },
  );
  return { p, made, advance: (ms: number) => (now += ms) };
}

describe('CoordinatorPool', () => {
  it('round-robin: every call starts at the next address', () => {
    const { p } = pool(['a', 'b', 'c']);
    expect([p.order(), p.order(), p.order(), p.order()]).toEqual([
      [0, 1, 2],
      [1, 2, 0],
      [2, 0, 1],
      [0, 1, 2],
    ]);
  });

  it('tries an address marked down after the others until its time is up, never drops it', () => {
    const { p, advance } = pool(['a', 'b', 'c']);
    p.markDown(0);
    expect([p.order(), p.order(), p.order()]).toEqual([
      [1, 2, 0],
      [1, 2, 0],
      [2, 1, 0],
    ]);
    advance(1000);
    expect(p.order()).toEqual([0, 1, 2]);
    p.markDown(1);
    p.markUp(1);
    expect(p.order()).toEqual([1, 2, 0]);
  });

  it('when every address is down, keeps the plain rotation', () => {
    const { p } = pool(['a', 'b']);
    p.markDown(0);
    p.markDown(1);
    expect([p.order(), p.order()]).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });

  it('sticky: stays with the address that answered, moves on when it fails', () => {
    const { p } = pool(['a', 'b', 'c'], 'sticky');
    expect([p.order(), p.order()]).toEqual([
      [0, 1, 2],
      [0, 1, 2],
    ]);
    p.markDown(0);
    expect(p.order()).toEqual([1, 2, 0]);
    p.markUp(2);
    expect(p.order()).toEqual([2, 1, 0]); // from the one that answered; the failed one last
  });

  it('makes a client per address on first use, and closes those', () => {
    const { p, made } = pool(['a', 'b']);
    expect(p.client(1)).toBe(p.client(1));
    expect(made).toEqual(['b']);
    const b = p.client(1);
    p.close();
    expect(b.closed).toBe(true);
    expect(p.made().map((m) => m.address)).toEqual(['b']);
  });
});

const unavailable = () => new DtxError('UNAVAILABLE', grpc.status.UNAVAILABLE, 'No connection established');

describe('withFailover', () => {
  it('one address: one attempt, its error unchanged', async () => {
    const { p } = pool(['a']);
    const err = unavailable();
    let calls = 0;
    const run = withFailover(p, { scope: 'idempotent', timeoutMs: 1000, limits: failoverLimits(1, 1000) }, () => {
      calls++;
      return Promise.reject(err);
    });
    await expect(run).rejects.toBe(err);
    expect(calls).toBe(1);
    expect(p.failovers).toBe(0);
  });

  it('repeats the call on the next address and returns its answer', async () => {
    const { p } = pool(['dead', 'live']);
    const seen: string[] = [];
    const r = await withFailover(p, { scope: 'idempotent', timeoutMs: 1000, limits: failoverLimits(2, 1000) }, (c, t) => {
      seen.push(`${c.address}/${t}`);
      return c.address === 'dead' ? Promise.reject(unavailable()) : Promise.resolve('ok');
    });
    expect(r).toBe('ok');
    expect(seen).toEqual(['dead/1000', 'live/1000']);
    expect(p.failovers).toBe(1);
    expect(p.order()).toEqual([1, 0]); // the dead one is tried last now
  });

  it('does not repeat an answer; gives up after the attempt bound naming the addresses tried', async () => {
    const { p } = pool(['a', 'b']);
    const refused = new DtxError('INVALID_ARGUMENT', grpc.status.INVALID_ARGUMENT, 'op 0: empty key');
    await expect(withFailover(p, { scope: 'idempotent', timeoutMs: 1000, limits: failoverLimits(2, 1000) }, () => Promise.reject(refused))).rejects.toBe(
      refused,
    );
    let calls = 0;
    const all = withFailover(p, { scope: 'idempotent', timeoutMs: 1000, limits: failoverLimits(2, 1000) }, () => {
      calls++;
      return Promise.reject(unavailable());
    });
    await expect(all).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/No connection established \(4 attempts: (a, b|b, a)\)$/) });
    expect(calls).toBe(4);
  });

  it('turns a raw gRPC status (a broken stream) into a DtxError and fails over on it', async () => {
    const { p } = pool(['a', 'b']);
    const r = await withFailover(p, { scope: 'idempotent', timeoutMs: 1000, limits: failoverLimits(2, 1000) }, (c) =>
      c.address === 'a'
        ? Promise.reject(Object.assign(new Error('stream'), { code: grpc.status.UNAVAILABLE, details: 'stream ended (outcome unknown)' }))
        : Promise.resolve(c.address),
    );
    expect(r).toBe('b');
  });
});
