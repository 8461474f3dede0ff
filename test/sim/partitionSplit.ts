import type { RunSeedsOptions } from '../../src/sim/index.js';

/**
 * The seeds and faults on which 3pc is shown to split its decisions (test/sim/threePhase.test.ts)
 * and on which nb must hold (test/sim/protocols.test.ts): partitions only, lasting 2..6 s, longer
 * than the RPC deadlines (1..3 s), so that a live participant cut off from everyone concludes the
 * others failed. A few percent of these seeds split 3pc.
 */
export const PARTITION_SPLIT: Pick<RunSeedsOptions, 'from' | 'count' | 'nemesis' | 'partitionMs'> = {
  from: 1,
  count: 200,
  nemesis: ['partition'],
  partitionMs: { min: 2000, max: 6000 },
};
