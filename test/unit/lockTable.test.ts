import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvariantViolation } from '../../src/protocol/invariant.js';
import { LockTable } from '../../src/protocol/lockTable.js';
import { isOlder, type LockRequest, type TxnAge } from '../../src/protocol/types.js';

const age = (ms: number, id: string): TxnAge => ({ ms, id });
const X = (key: string): LockRequest => ({ key, mode: 'X' });
const S = (key: string): LockRequest => ({ key, mode: 'S' });

describe('isOlder', () => {
  it('orders by time then by id, strictly', () => {
    expect(isOlder(age(1, 'b'), age(2, 'a'))).toBe(true);
    expect(isOlder(age(2, 'a'), age(1, 'b'))).toBe(false);
    expect(isOlder(age(5, 'a'), age(5, 'b'))).toBe(true);
    expect(isOlder(age(5, 'b'), age(5, 'a'))).toBe(false);
    expect(isOlder(age(5, 'a'), age(5, 'a'))).toBe(false);
  });
});

describe('LockTable', () => {
  it('shares S locks and counts holders and keys', () => {
    const lt = new LockTable();
    expect(lt.tryAcquire('t1', age(1, 't1'), [S('a'), S('b')])).toEqual({ kind: 'granted' });
    expect(lt.tryAcquire('t2', age(2, 't2'), [S('a')])).toEqual({ kind: 'granted' });
    expect(lt.holders('a').sort()).toEqual(['t1', 't2']);
    expect(lt.holders('b')).toEqual(['t1']);
    expect(lt.heldCount).toBe(2);
    expect(lt.lockedKeyCount).toBe(2);
    expect(lt.holds('t1')).toBe(true);
    expect(lt.holds('t3')).toBe(false);
  });

  it('wait-die: an older requester waits for a younger X holder', () => {
    const lt = new LockTable();
    lt.tryAcquire('young', age(10, 'young'), [X('a')]);
    expect(lt.tryAcquire('old', age(1, 'old'), [X('a')])).toEqual({ kind: 'wait', key: 'a', holders: ['young'] });
    expect(lt.holds('old')).toBe(false);
  });

  it('wait-die: a younger requester dies on an older holder (S vs X and X vs S)', () => {
    const lt = new LockTable();
    lt.tryAcquire('old', age(1, 'old'), [X('a'), S('b')]);
    expect(lt.tryAcquire('young', age(10, 'young'), [S('a')])).toEqual({ kind: 'die', key: 'a', holder: 'old' });
    expect(lt.tryAcquire('young', age(10, 'young'), [X('b')])).toEqual({ kind: 'die', key: 'b', holder: 'old' });
    expect(lt.holds('young')).toBe(false);
  });

  it('same ms: the id breaks the tie', () => {
    const lt = new LockTable();
    lt.tryAcquire('b', age(5, 'b'), [X('k')]);
    expect(lt.tryAcquire('a', age(5, 'a'), [X('k')]).kind).toBe('wait');
    expect(lt.tryAcquire('c', age(5, 'c'), [X('k')]).kind).toBe('die');
  });

  it('die on a later key wins over a wait on an earlier key', () => {
    const lt = new LockTable();
    lt.tryAcquire('young', age(10, 'young'), [X('a')]);
    lt.tryAcquire('old', age(1, 'old'), [X('b')]);
    expect(lt.tryAcquire('mid', age(5, 'mid'), [X('a'), X('b')])).toEqual({ kind: 'die', key: 'b', holder: 'old' });
  });

  it('reports the first conflicting key and all its conflicting holders when waiting', () => {
    const lt = new LockTable();
    lt.tryAcquire('y1', age(10, 'y1'), [S('a')]);
    lt.tryAcquire('y2', age(11, 'y2'), [S('a')]);
    lt.tryAcquire('y3', age(12, 'y3'), [X('b')]);
    expect(lt.tryAcquire('old', age(1, 'old'), [X('a'), X('b')])).toEqual({ kind: 'wait', key: 'a', holders: ['y1', 'y2'] });
  });

  it('is all-or-nothing: a refused request takes no lock at all', () => {
    const lt = new LockTable();
    lt.tryAcquire('young', age(10, 'young'), [X('b')]);
    expect(lt.tryAcquire('old', age(1, 'old'), [X('a'), X('b'), X('c')]).kind).toBe('wait');
    expect(lt.holders('a')).toEqual([]);
    expect(lt.holders('c')).toEqual([]);
    expect(lt.lockedKeyCount).toBe(1);
    // and it may try again later
    lt.release('young');
    expect(lt.tryAcquire('old', age(1, 'old'), [X('a'), X('b'), X('c')])).toEqual({ kind: 'granted' });
    expect(lt.lockedKeyCount).toBe(3);
  });

  it('S then X by another txn conflicts; an X holder blocks S', () => {
    const lt = new LockTable();
    lt.tryAcquire('r', age(10, 'r'), [S('a')]);
    expect(lt.tryAcquire('w', age(1, 'w'), [X('a')]).kind).toBe('wait');
    const lt2 = new LockTable();
    lt2.tryAcquire('w', age(10, 'w'), [X('a')]);
    expect(lt2.tryAcquire('r', age(1, 'r'), [S('a')]).kind).toBe('wait');
  });

  it('release frees keys, returns them, and lets others in; releasing twice is harmless', () => {
    const lt = new LockTable();
    lt.tryAcquire('t1', age(1, 't1'), [X('a'), S('b')]);
    lt.tryAcquire('t2', age(2, 't2'), [S('b')]);
    expect(lt.release('t1')).toEqual(['a', 'b']);
    expect(lt.release('t1')).toEqual([]);
    expect(lt.holders('b')).toEqual(['t2']);
    expect(lt.lockedKeyCount).toBe(1);
    expect(lt.tryAcquire('t3', age(3, 't3'), [X('a')])).toEqual({ kind: 'granted' });
    expect(lt.release('t2')).toEqual(['b']);
    expect(lt.release('t3')).toEqual(['a']);
    expect(lt.lockedKeyCount).toBe(0);
    expect(lt.heldCount).toBe(0);
  });

  it('a shared key becomes X when a co-holder... cannot: X never joins S holders', () => {
    const lt = new LockTable();
    lt.tryAcquire('a1', age(1, 'a1'), [S('k')]);
    expect(lt.tryAcquire('a2', age(0, 'a2'), [X('k')]).kind).toBe('wait');
    expect(lt.holders('k')).toEqual(['a1']);
    // S still joins
    expect(lt.tryAcquire('a3', age(9, 'a3'), [S('k')]).kind).toBe('granted');
  });

  it('a decided older holder makes a younger requester wait instead of die', () => {
    const lt = new LockTable();
    lt.tryAcquire('old', age(1, 'old'), [X('a'), X('b')]);
    expect(lt.tryAcquire('young', age(10, 'young'), [X('a')]).kind).toBe('die');
    lt.markDecided('old');
    expect(lt.tryAcquire('young', age(10, 'young'), [X('a')])).toEqual({ kind: 'wait', key: 'a', holders: ['old'] });
    // an undecided older holder on another key still kills it
    lt.tryAcquire('older', age(0, 'older'), [S('c')]);
    expect(lt.tryAcquire('young', age(10, 'young'), [X('a'), X('c')])).toEqual({ kind: 'die', key: 'c', holder: 'older' });
    // marking a txn without locks is a bug
    expect(() => lt.markDecided('nobody')).toThrow(InvariantViolation);
    lt.release('old');
    expect(lt.tryAcquire('young', age(10, 'young'), [X('a')])).toEqual({ kind: 'granted' });
  });

  it('acquiring twice for the same txn is an invariant violation', () => {
    const lt = new LockTable();
    lt.tryAcquire('t', age(1, 't'), [S('a')]);
    expect(() => lt.tryAcquire('t', age(1, 't'), [S('b')])).toThrow(InvariantViolation);
  });

  it('forceAcquire re-takes compatible locks and throws on conflicting recovered locks', () => {
    const lt = new LockTable();
    lt.forceAcquire('p1', age(1, 'p1'), [X('a'), S('b')]);
    lt.forceAcquire('p2', age(2, 'p2'), [S('b')]);
    expect(lt.holders('b').sort()).toEqual(['p1', 'p2']);
    expect(() => lt.forceAcquire('p3', age(3, 'p3'), [X('a')])).toThrow(/both hold key a/);
    expect(() => lt.forceAcquire('p4', age(3, 'p4'), [X('b')])).toThrow(InvariantViolation);
    expect(() => lt.forceAcquire('p1', age(1, 'p1'), [S('z')])).toThrow(/recovered twice/);
    // a recovered lock behaves as a normal one for wait-die
    expect(lt.tryAcquire('young', age(5, 'young'), [S('a')])).toEqual({ kind: 'die', key: 'a', holder: 'p1' });
  });

  it('property: the table never lets X coexist with another holder, and wait-die never waits for an older txn', () => {
    const keys = ['a', 'b', 'c'];
    const action = fc.oneof(
      fc.record({
        kind: fc.constant('acq' as const),
        txn: fc.nat(7),
        reqs: fc.uniqueArray(fc.tuple(fc.constantFrom(...keys), fc.constantFrom<'S' | 'X'>('S', 'X')), {
          minLength: 1,
          maxLength: 3,
          selector: ([k]) => k,
        }),
      }),
      fc.record({ kind: fc.constant('rel' as const), txn: fc.nat(7) }),
    );
    fc.assert(
      fc.property(fc.array(action, { maxLength: 40 }), (actions) => {
        const lt = new LockTable();
        const model = new Map<string, LockRequest[]>();
        for (const a of actions) {
          const id = `t${a.txn}`;
          if (a.kind === 'rel') {
            const had = model.get(id);
            expect(lt.release(id).sort()).toEqual((had ?? []).map((r) => r.key).sort());
            model.delete(id);
            continue;
          }
          if (model.has(id)) continue;
          const reqs = a.reqs.map(([key, mode]) => ({ key, mode }));
          const myAge = age(a.txn, id);
          const r = lt.tryAcquire(id, myAge, reqs);
          const conflicts = [...model.entries()].filter(([, held]) =>
            held.some((h) => reqs.some((q) => q.key === h.key && (q.mode === 'X' || h.mode === 'X'))),
          );
          if (conflicts.length === 0) expect(r.kind).toBe('granted');
          else if (conflicts.some(([other]) => isOlder(age(Number(other.slice(1)), other), myAge))) expect(r.kind).toBe('die');
          else expect(r.kind).toBe('wait');
          if (r.kind === 'granted') model.set(id, reqs);
          for (const k of keys) {
            const holders = [...model.entries()].filter(([, h]) => h.some((x) => x.key === k));
            expect(lt.holders(k).sort()).toEqual(holders.map(([t]) => t).sort());
            if (holders.some(([, h]) => h.some((x) => x.key === k && x.mode === 'X'))) expect(holders).toHaveLength(1);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
