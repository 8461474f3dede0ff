import { describe, expect, it } from 'vitest';
import { CommitRate } from '../../src/node/commitRate.js';
import { DEFAULT_PACER, foregroundStarved, MovePacer } from '../../src/node/movePacer.js';

/** A commit counter and a clock the test moves by hand (100 ms samples, as the real sampler takes). */
function rig() {
  const s = { t: 0, committed: 0, perSec: 1000 };
  const rate = new CommitRate(
    () => s.committed,
    () => s.t,
    false,
  );
  const run = (ms: number): void => {
    for (let i = 0; i < ms / 100; i++) {
      s.t += 100;
      s.committed += s.perSec / 10;
      rate.sample();
    }
  };
  return { s, rate, run };
}

describe('CommitRate', () => {
  it('gives the recent rate and the median second, from 100 ms samples', () => {
    const { s, rate, run } = rig();
    expect(rate.perSecond(500)).toBe(0);
    run(10_000);
    expect(rate.perSecond(500)).toBeCloseTo(1000);
    s.perSec = 200;
    run(500);
    expect(rate.perSecond(500)).toBeCloseTo(200);
    // One slow half second does not move the level of the last ten seconds.
    expect(rate.medianPerSecond(10_000)).toBeCloseTo(1000);
  });

  it('keeps 30 s: older samples are overwritten, rates stay right', () => {
    const { s, rate, run } = rig();
    run(40_000);
    s.perSec = 500;
    run(20_000);
    expect(rate.medianPerSecond(10_000)).toBeCloseTo(500);
    expect(rate.perSecond(60_000)).toBeCloseTo(500 * (20 / 29.9) + 1000 * (9.9 / 29.9), 0);
  });
});

describe('MovePacer', () => {
  it('starved only below the floor of a level worth holding', () => {
    expect(foregroundStarved(700, 1000, DEFAULT_PACER)).toBe(true);
    expect(foregroundStarved(800, 1000, DEFAULT_PACER)).toBe(false);
    expect(foregroundStarved(0, 10, DEFAULT_PACER)).toBe(false); // an idle cluster moves at full speed
    expect(foregroundStarved(0, 1000, { ...DEFAULT_PACER, floor: 0 })).toBe(false);
  });

  it('waits while commits are below the floor, until they recover or for at most maxPauseMs', async () => {
    const { s, rate, run } = rig();
    const slept: number[] = [];
    const pacer = new MovePacer(
      rate,
      { floor: 0.75, maxPauseMs: 600, minLevelPerSec: 20, busyShare: 1 },
      async (ms) => {
        slept.push(ms);
        run(ms < 100 ? 100 : ms);
      },
      () => s.t,
    );
    run(10_000);
    pacer.begin();
    expect(pacer.levelPerSec).toBeCloseTo(1000);
    await pacer.giveWay();
    expect(slept).toEqual([]);
    // Starved: it waits while the load is down, and recovers with it.
    s.perSec = 300;
    run(500);
    s.perSec = 1000;
    await pacer.giveWay();
    expect(slept.length).toBeGreaterThan(0);
    expect(pacer.pausedMs).toBeLessThanOrEqual(600);
    expect(rate.perSecond(500)).toBeGreaterThanOrEqual(750);
    // A load that stays down is waited on for maxPauseMs, not forever.
    s.perSec = 100;
    run(1000);
    const before = pacer.pausedMs;
    await pacer.giveWay();
    expect(pacer.pausedMs - before).toBeGreaterThanOrEqual(600);
    expect(pacer.pausedMs - before).toBeLessThan(800);
    expect(pacer.pauses).toBe(2);
  });

  it('rests in proportion to the work (busyShare), bounded by maxPauseMs, and not on an idle cluster', async () => {
    const { s, rate, run } = rig();
    const slept: number[] = [];
    const sleep = async (ms: number): Promise<void> => {
      slept.push(ms);
      run(Math.max(100, ms));
    };
    const pacer = new MovePacer(rate, { floor: 0.75, maxPauseMs: 600, minLevelPerSec: 20, busyShare: 0.4 }, sleep, () => s.t);
    run(10_000);
    pacer.begin();
    // 100 ms of copying at a 40% share owes 150 ms of rest, taken before the next piece.
    pacer.worked(100);
    await pacer.giveWay();
    expect(slept).toEqual([150]);
    await pacer.giveWay();
    expect(slept).toEqual([150]);
    // A piece that took long owes at most one pause.
    pacer.worked(10_000);
    await pacer.giveWay();
    expect(slept).toEqual([150, 600]);
    expect(pacer.pausedMs).toBeGreaterThanOrEqual(750);
    // An idle cluster (level under minLevelPerSec) is not spared: the copy goes at full speed.
    s.perSec = 5;
    run(10_000);
    pacer.begin();
    pacer.worked(100);
    await pacer.giveWay();
    expect(slept).toEqual([150, 600]);
  });
});
