import { describe, expect, it } from 'vitest';
import { runSeeds } from '../../src/sim/runSeeds.js';

/**
 * Shards moving while the workload runs, in the simulator: the real participant side of a move
 * (freeze, export, import, install) and the real coordinator runtimes (hold, map), crashes of any
 * node mid-move, coordinators that learn the new map late (from a participant's WRONG_SHARD
 * refusal), and ids re-run across a move. Every invariant must hold; a move that copies without
 * waiting for the transactions on its shards, or misses what changed after its precopy, must be caught.
 */
describe('moving shards in the simulator', () => {
  it.each([
    ['2pc' as const, 1, 100],
    ['nb' as const, 1, 100],
    ['mixed' as const, 1, 100],
    ['mixed' as const, 2, 60],
  ])('%s, %i coordinator(s): %i seeds pass every invariant while shards move', async (protocol, coordinators, count) => {
    // 3pc is in the mix, and it is only safe when "unreachable" means "crashed" (as in protocols.test.ts).
    const nemesis = protocol === 'mixed' ? (['dup', 'crash'] as const) : undefined;
    const s = await runSeeds({ from: 1, count, protocol, coordinators, reshard: true, ...(nemesis ? { nemesis } : {}) });
    expect(s.failures.map((f) => `seed ${f.seed}: ${f.invariant} ${f.message}`)).toEqual([]);
    expect(s.totals.shardMoves).toBeGreaterThan(count);
    expect(s.totals.shardMovesRolledBack).toBeGreaterThan(0);
    expect(s.totals.wrongShardRefusals).toBeGreaterThan(0);
    expect(s.totals.committed).toBeGreaterThan(count);
  });

  it.each(['shards.copyWithoutDrain' as const, 'shards.precopyMissesChanges' as const, 'shards.precopyNoteRestarted' as const])(
    'a broken move is caught (planted bug %s)',
    async (bug) => {
      for (const protocol of ['2pc', 'nb'] as const) {
        const s = await runSeeds({ from: 1, count: 100, protocol, reshard: true, bug, stopOnFailure: true });
        expect(s.failures.length, `no ${protocol} seed in 1..100 caught ${bug}`).toBe(1);
        expect(['bank-read', 'bank-total', 'bank-final-state', 'committed-durable', 'atomicity']).toContain(s.failures[0]!.invariant);
      }
    },
  );
});
