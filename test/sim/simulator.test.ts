/**
 * The deterministic simulator (src/sim): many seeds of the real cores under faults must pass;
 * a seed replays the same trace; the checkers catch each planted runtime bug.
 */
import { describe, expect, it } from 'vitest';
import { runSeeds, simulate, type PlantedBug, type InvariantName, type RunSeedsSummary } from '../../src/sim/index.js';
import { PARTITION_SPLIT } from './partitionSplit.js';

function report(s: RunSeedsSummary): string {
  const f = s.failures[0];
  return f ? `seed ${f.seed} violated ${f.invariant}: ${f.message}\n${f.trace.slice(-60).join('\n')}` : `${s.seedsRun} seeds ok`;
}

describe('simulation: the real cores under loss, duplication, reordering, partitions, crashes and pauses', () => {
  it('400 seeds with 3 participants pass every invariant (2pc)', async () => {
    const s = await runSeeds({ from: 1, count: 400, protocol: '2pc' });
    expect(s.failures, report(s)).toEqual([]);
    expect(s.seedsRun).toBe(400);
    // The seeds really did inject faults and really did move money.
    expect(s.totals.crashes).toBeGreaterThan(300);
    expect(s.totals.partitions).toBeGreaterThan(100);
    expect(s.totals.pauses).toBeGreaterThan(100);
    expect(s.totals.lost).toBeGreaterThan(1000);
    expect(s.totals.duplicated).toBeGreaterThan(1000);
    expect(s.totals.lostUnsyncedBatches).toBeGreaterThan(20);
    expect(s.totals.committed).toBeGreaterThan(2000);
    expect(s.totals.auditsChecked).toBeGreaterThan(500);
    // The lock service and the storage layer ran too: leases, fenced writes, stale holders refused,
    // prepares answered from memory and from the engine.
    expect(s.totals.lockGrants).toBeGreaterThan(1000);
    expect(s.totals.fencedWrites).toBeGreaterThan(500);
    expect(s.totals.staleWritesRefused).toBeGreaterThan(20);
    expect(s.totals.readsFromMemory).toBeGreaterThan(1000);
    expect(s.totals.readsFromLog).toBeGreaterThan(1000);
    expect(s.totals.readOnlyRestarts).toBeGreaterThan(0);
    console.log(
      `sim: ${s.seedsRun} seeds, ${s.seedsPerSecond.toFixed(1)} seeds/s; committed=${s.totals.committed} aborted=${s.totals.aborted} ` +
        `audits=${s.totals.auditsChecked} crashes=${s.totals.crashes} partitions=${s.totals.partitions} pauses=${s.totals.pauses}`,
    );
  });

  it('1, 2 and 5 participants', async () => {
    for (const participants of [1, 2, 5]) {
      const s = await runSeeds({ from: 1, count: 40, participants });
      expect(s.failures, `${participants} participants: ${report(s)}`).toEqual([]);
    }
  });

  it('the long partitions that split 3pc (threePhase.test.ts) block 2pc at worst: every invariant holds', async () => {
    const s = await runSeeds({ ...PARTITION_SPLIT, count: 80, protocol: '2pc' });
    expect(s.failures, report(s)).toEqual([]);
    expect(s.totals.partitions).toBeGreaterThan(40);
  });

  it('without faults most transfers commit and every audit sums to the total', async () => {
    const s = await runSeeds({ from: 1, count: 10, faults: false });
    expect(s.failures, report(s)).toEqual([]);
    expect(s.totals.crashes + s.totals.lost + s.totals.duplicated + s.totals.partitions + s.totals.pauses).toBe(0);
    expect(s.totals.committed).toBeGreaterThan(500);
    expect(s.totals.auditsChecked).toBeGreaterThan(200);
  });
});

describe('determinism', () => {
  it('the same seed gives the same trace; another seed another one', async () => {
    for (const seed of [7, 123, 9001]) {
      const a = await simulate({ seed });
      const b = await simulate({ seed });
      expect(b.traceDigest).toBe(a.traceDigest);
      expect(b.trace).toEqual(a.trace);
      expect(b.stats).toEqual(a.stats);
      expect(a.trace.length).toBe(200);
    }
    expect((await simulate({ seed: 1 })).traceDigest).not.toBe((await simulate({ seed: 2 })).traceDigest);
  });

  it('a planted-bug failure replays identically, with a readable trace', async () => {
    const found = await runSeeds({ from: 1, count: 20, bug: 'participant.dropCommitBatch', stopOnFailure: true });
    const seed = found.failures[0]?.seed;
    expect(seed, 'commitOnOneShard is caught within 20 seeds').toBeDefined();
    const a = await simulate({ seed: seed!, bug: 'participant.dropCommitBatch' });
    const b = await simulate({ seed: seed!, bug: 'participant.dropCommitBatch' });
    expect(a.ok).toBe(false);
    expect(b.violation).toEqual(a.violation);
    expect(b.trace).toEqual(a.trace);
    expect(a.focus!.length).toBeGreaterThan(3);
    expect(a.trace.at(-1)).toMatch(/VIOLATION/);
  });
});

describe('planted runtime bugs are caught', () => {
  const cases: [PlantedBug, boolean, number, InvariantName[]][] = [
    // strict: persist-before-send is checked at the moment a vote or a client reply leaves
    ['participant.voteBeforeSync', true, 20, ['vote-before-durable']],
    ['coordinator.replyBeforeDecisionDurable', true, 20, ['reply-before-durable']],
    [
      'participant.dropCommitBatch',
      true,
      20,
      ['committed-durable', 'committed-applied', 'bank-read', 'bank-total', 'bank-final-state', 'liveness', 'core-invariant'],
    ],
    // lax: only consequences (lost writes after a crash) are checked
    // (its late prepare record can also land after the transaction ended: it is left behind
    // (liveness), or recovery finds two prepared transactions holding one key)
    [
      'participant.voteBeforeSync',
      false,
      100,
      ['committed-durable', 'committed-applied', 'bank-read', 'bank-total', 'bank-final-state', 'atomicity', 'core-invariant', 'liveness'],
    ],
    ['participant.skipCommitApply', true, 20, ['bank-final-state', 'bank-total', 'bank-read', 'lock-writes', 'committed-durable']],
    // the lock workload's checks: a participant that ignores fences lets a stale holder write
    ['participant.ignoreFences', true, 200, ['lock-order', 'lock-writes']],
    // the storage layer: a read a commit overtook puts the old value back into the value cache
    ['storage.cacheOvertakenReads', true, 5000, ['bank-read', 'bank-total', 'bank-final-state', 'non-negative', 'lock-writes', 'lock-order']],
    ['coordinator.replyBeforeDecisionDurable', false, 400, ['committed-durable', 'aborted-not-applied', 'atomicity', 'client-outcome-stable']],
  ];
  for (const [bug, strict, within, expected] of cases) {
    it(`${bug} (${strict ? 'strict' : 'consequences only'}) within ${within} seeds`, async () => {
      const s = await runSeeds({ from: 1, count: within, bug, strictDurability: strict, stopOnFailure: true });
      expect(s.failures.length, `no seed in 1..${within} caught ${bug}`).toBe(1);
      const f = s.failures[0]!;
      expect(expected, `${bug}: seed ${f.seed} ${f.message}`).toContain(f.invariant);
      expect(f.trace.length).toBeGreaterThan(10);
    });
  }
});
