import { describe, expect, it } from 'vitest';
import { runSeeds } from '../../src/sim/runSeeds.js';

/**
 * Several coordinators in the simulator: clients call any of them (a seeded pick per call), each
 * forwards to the owner of an id, under every fault (crashes and partitions of coordinators
 * included). The checker sees every decision as it becomes durable and fails a seed on one written
 * by a coordinator that does not own the id.
 */
describe('several coordinators in the simulator', () => {
  it.each([
    [2, '2pc' as const, 120],
    [2, 'nb' as const, 120],
    [2, 'mixed' as const, 120],
    [3, 'mixed' as const, 60],
  ])('%i coordinators, %s: %i seeds pass every invariant', async (coordinators, protocol, count) => {
    const s = await runSeeds({ from: 1, count, coordinators, protocol });
    expect(s.failures.map((f) => `seed ${f.seed}: ${f.invariant} ${f.message}`)).toEqual([]);
    expect(s.totals.committed).toBeGreaterThan(count);
  });

  it('a coordinator that runs ids it does not own is caught (planted bug coordinator.ownsEverything)', async () => {
    const s = await runSeeds({ from: 1, count: 100, coordinators: 2, protocol: '2pc', bug: 'coordinator.ownsEverything', stopOnFailure: true });
    expect(s.failures.length, 'no seed in 1..100 caught coordinator.ownsEverything').toBe(1);
    expect(['single-owner', 'atomicity', 'client-outcome-stable', 'decision-stable', 'contradiction']).toContain(s.failures[0]!.invariant);
  });
});
