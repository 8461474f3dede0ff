import { describe, expect, it } from 'vitest';
import { runSeeds } from '../../src/sim/runSeeds.js';

/**
 * Retention under simulation: every node collects records older than a short window while the
 * workload runs, and clients retry a third of their finished ids after the window and its grace:
 * each must be refused ("outside the retention window") or told the same outcome, never run again
 * (a second run shows as a YES without a durable prepare, a changed decision, or money twice).
 */
describe('simulator: retention', () => {
  it.each([
    ['2pc' as const, 1000, 100],
    ['nb' as const, 10_000, 60],
    // A 1 s window is shorter than the sim's partitions and crashes: a branch stays in doubt
    // longer than the window, and its peers' records must wait for it (PeerHorizon).
    ['nb' as const, 1000, 60],
    ['3pc' as const, 1000, 40],
  ])('%s with a %i ms window: %i seeds pass every invariant', async (protocol, retentionMs, count) => {
    const s = await runSeeds({ from: 1, count, protocol, retentionMs });
    expect(s.failures.map((f) => `seed ${f.seed}: ${f.invariant} ${f.message}`)).toEqual([]);
    expect(s.totals.committed).toBeGreaterThan(count);
  });

  it('a node that forgets its collected-up-to mark is caught (planted bug retention.forgetLowWater)', async () => {
    const s = await runSeeds({ from: 1, count: 100, protocol: '2pc', retentionMs: 1000, bug: 'retention.forgetLowWater', stopOnFailure: true });
    expect(s.failures.length, 'no seed in 1..100 caught retention.forgetLowWater').toBe(1);
  });
});
