/**
 * The simulator with the non-blocking protocol (nb) and with every protocol mixed in one
 * cluster: the same invariants as 2pc (test/sim/simulator.test.ts), under every fault
 * (loss, duplication, long delays, crashes, pauses, partitions). nb is safe under partitions:
 * each participant's log-once vote is the single point where its vote is decided.
 */
import { describe, expect, it } from 'vitest';
import { describeViolations, runSeeds, simulate, type RunSeedsSummary } from '../../src/sim/index.js';
import { PARTITION_SPLIT } from './partitionSplit.js';

function report(s: RunSeedsSummary): string {
  const f = s.failures[0];
  return f
    ? `${s.failures.length} of ${s.seedsRun} seeds failed: ${describeViolations(s).join(' | ')}\n` +
        `first: seed ${f.seed} (${f.protocol ?? s.protocol}) violated ${f.invariant}: ${f.message}\n${f.trace.slice(-60).join('\n')}`
    : `${s.seedsRun} seeds ok`;
}

describe('nb under every fault', () => {
  it('400 seeds with 3 participants pass every invariant', async () => {
    const s = await runSeeds({ from: 1, count: 400, protocol: 'nb' });
    console.log(
      `sim nb: ${s.seedsRun} seeds, ${s.seedsPerSecond.toFixed(1)} seeds/s; committed=${s.totals.committedNb} aborted=${s.totals.aborted} ` +
        `audits=${s.totals.auditsChecked} terminations=${s.totals.terminations} crashes=${s.totals.crashes} partitions=${s.totals.partitions}; ` +
        `violations: ${describeViolations(s).join(' | ') || 'none'}`,
    );
    expect(s.failures, report(s)).toEqual([]);
    expect(s.totals.committedNb).toBeGreaterThan(2000);
    expect(s.totals.partitions).toBeGreaterThan(100);
    expect(s.totals.crashes).toBeGreaterThan(300);
    // Participants really did finish transactions on their own (log-once termination).
    expect(s.totals.terminations).toBeGreaterThan(50);
  });

  it('1, 2 and 5 participants', async () => {
    for (const participants of [1, 2, 5]) {
      const s = await runSeeds({ from: 1, count: 25, participants, protocol: 'nb' });
      expect(s.failures, `${participants} participants: ${report(s)}`).toEqual([]);
    }
  });

  it('the long partitions that split 3pc (threePhase.test.ts) do not split nb', async () => {
    const s = await runSeeds({ ...PARTITION_SPLIT, protocol: 'nb' });
    expect(s.failures, report(s)).toEqual([]);
    expect(s.totals.partitions).toBeGreaterThan(100);
    expect(s.totals.committedNb).toBeGreaterThan(2000);
  });

  it('without faults most transfers commit and every audit sums to the total', async () => {
    const s = await runSeeds({ from: 1, count: 10, faults: false, protocol: 'nb' });
    expect(s.failures, report(s)).toEqual([]);
    expect(s.totals.committedNb).toBeGreaterThan(500);
    expect(s.totals.auditsChecked).toBeGreaterThan(200);
  });
});

describe('mixed: each transaction picks 2pc, 3pc or nb', () => {
  it('every protocol runs; without faults that make a live node look dead, every invariant holds', async () => {
    // Crashes and duplicates only: 3pc is in the mix, and it is only safe when "unreachable" means "crashed".
    const s = await runSeeds({ from: 1, count: 60, protocol: 'mixed', nemesis: ['dup', 'crash'] });
    expect(s.failures, report(s)).toEqual([]);
    expect(s.totals.committed2pc).toBeGreaterThan(300);
    expect(s.totals.committed3pc).toBeGreaterThan(300);
    expect(s.totals.committedNb).toBeGreaterThan(300);
    expect(s.totals.precommits).toBeGreaterThan(300);
  });

  it('a violation in a mixed run is attributed to the protocol of the transaction it names', async () => {
    const s = await runSeeds({ from: 1, count: 40, protocol: 'mixed', bug: 'participant.dropCommitBatch', stopOnFailure: true });
    const f = s.failures[0];
    expect(f, 'commitOnOneShard went unnoticed').toBeDefined();
    expect(['2pc', '3pc', 'nb']).toContain(f!.protocol);
    expect(s.violations[f!.protocol!]?.[f!.invariant]).toBe(1);
  });
});

describe('determinism per protocol', () => {
  it('the same seed gives the same trace', async () => {
    for (const protocol of ['3pc', 'nb', 'mixed'] as const) {
      const a = await simulate({ seed: 11, protocol });
      const b = await simulate({ seed: 11, protocol });
      expect(b.traceDigest, protocol).toBe(a.traceDigest);
      expect(b.stats, protocol).toEqual(a.stats);
      expect(a.protocol).toBe(protocol);
    }
    expect((await simulate({ seed: 11, protocol: 'nb' })).traceDigest).not.toBe((await simulate({ seed: 11, protocol: '2pc' })).traceDigest);
  });

  it('leaving fault kinds out injects none of them', async () => {
    const s = await runSeeds({ from: 1, count: 20, protocol: '2pc', nemesis: ['crash'] });
    expect(s.totals.partitions + s.totals.pauses + s.totals.lost + s.totals.duplicated).toBe(0);
    expect(s.totals.crashes).toBeGreaterThan(10);
    expect(s.nemesis).toEqual(['crash']);
  });
});

describe('planted runtime bugs are caught under nb', () => {
  it('voteErrorAsYes: nb answers COMMITTED without every YES durable (strict)', async () => {
    const s = await runSeeds({ from: 1, count: 30, protocol: 'nb', bug: 'coordinator.voteErrorAsYes', stopOnFailure: true });
    expect(s.failures.length, 'no seed caught voteErrorAsYes under nb').toBe(1);
    expect(s.failures[0]!.invariant, s.failures[0]!.message).toBe('reply-before-durable');
  });

  it('voteErrorAsYes: the consequence is caught too (consequences only)', async () => {
    const s = await runSeeds({ from: 1, count: 60, protocol: 'nb', bug: 'coordinator.voteErrorAsYes', strictDurability: false, stopOnFailure: true });
    expect(s.failures.length, 'no seed caught voteErrorAsYes under nb').toBe(1);
    expect(['committed-durable', 'committed-applied', 'commit-without-votes', 'bank-final-state', 'bank-total', 'liveness', 'core-invariant']).toContain(
      s.failures[0]!.invariant,
    );
  });

  it('voteBeforeSync: a YES leaves before its prepare record is durable', async () => {
    const s = await runSeeds({ from: 1, count: 20, protocol: 'nb', bug: 'participant.voteBeforeSync', stopOnFailure: true });
    expect(s.failures.length).toBe(1);
    expect(s.failures[0]!.invariant).toBe('vote-before-durable');
  });
});
