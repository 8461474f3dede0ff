import { describe, expect, it } from 'vitest';
import { quantileBetween, TxnSeries, type TxnTotals } from '../../src/console/txnSeries.js';

const buckets = (counts: [number, number][]): TxnTotals['buckets'] => counts.map(([le, count]) => ({ le, count }));

describe('console series', () => {
  it('quantiles interpolate inside the bucket of the rank, from the difference of two readings', () => {
    const before = buckets([
      [0.001, 10],
      [0.01, 10],
      [Infinity, 10],
    ]);
    // 100 new observations: 50 at or under 1 ms, 50 between 1 and 10 ms.
    const after = buckets([
      [0.001, 60],
      [0.01, 110],
      [Infinity, 110],
    ]);
    expect(quantileBetween(before, after, 0.5)).toBeCloseTo(0.001);
    expect(quantileBetween(before, after, 0.99)).toBeCloseTo(0.001 + 0.009 * (49 / 50));
    expect(quantileBetween(after, after, 0.5)).toBeNull();
    // Above every bound: the last finite bound is all that is known.
    expect(
      quantileBetween(
        buckets([
          [0.01, 0],
          [Infinity, 0],
        ]),
        buckets([
          [0.01, 0],
          [Infinity, 5],
        ]),
        0.5,
      ),
    ).toBe(0.01);
  });

  it('rates per second from successive readings, a bounded ring, no negative rate after a reset', () => {
    const s = new TxnSeries(3);
    const at = (sec: number, committed: number, aborted: number): TxnTotals => ({
      atMs: sec * 1000,
      committed,
      aborted,
      buckets: buckets([[Infinity, committed]]),
    });
    s.add(at(0, 0, 0));
    expect(s.points()).toEqual([]);
    s.add(at(2, 10, 4));
    expect(s.points()[0]).toMatchObject({ atMs: 2000, committedPerSec: 5, abortedPerSec: 2 });
    for (let i = 3; i < 10; i++) s.add(at(i, 10 + i, 4));
    expect(s.points().map((p) => p.atMs)).toEqual([7000, 8000, 9000]);
    s.add(at(10, 0, 0));
    expect(s.points().at(-1)).toMatchObject({ committedPerSec: 0, abortedPerSec: 0 });
  });
});
