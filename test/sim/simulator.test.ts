/**
 * The deterministic simulator (src/sim): many seeds of the real cores under faults must pass;
 * a seed replays the same trace; the checkers catch each planted runtime bug.
 */
import { describe, expect, it } from 'vitest';
import { runSeeds, simulate, type BugName, type InvariantName, type RunSeedsSummary } from '../../src/sim/index.js';
import { PARTITION_SPLIT } from './partitionSplit.js';

function report(s: RunSeedsSummary): string {
  const f = s.failures[0];
  return f
    ? `seed ${f.seed} violated ${f.invariant}: ${f.message}\n${f.trace.slice(-60).join('\n')}`
    : `${s.seedsRun} seeds ok`;
}

describe('simulation: the real cores under loss, duplication, reordering, partitions, crashes and pauses', () => {
  it('400 seeds with 3 participants pass every invariant (2pc)', () => {
    const s = runSeeds({ from: 1, count: 400, protocol: '2pc' });
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
    console.log(
      `sim: ${s.seedsRun} seeds, ${s.seedsPerSecond.toFixed(1)} seeds/s; committed=${s.totals.committed} aborted=${s.totals.aborted} ` +
        `audits=${s.totals.auditsChecked} crashes=${s.totals.crashes} partitions=${s.totals.partitions} pauses=${s.totals.pauses}`,
    );
  });

  it('1, 2 and 5 participants', () => {
    for (const participants of [1, 2, 5]) {
      const s = runSeeds({ from: 1, count: 40, participants });
      expect(s.failures, `${participants} participants: ${report(s)}`).toEqual([]);
    }
  });

  it('the long partitions that split 3pc (threePhase.test.ts) block 2pc at worst: every invariant holds', () => {
    const s = runSeeds({ ...PARTITION_SPLIT, count: 80, protocol: '2pc' });
    expect(s.failures, report(s)).toEqual([]);
    expect(s.totals.partitions).toBeGreaterThan(40);
  });

  it('without faults most transfers commit and every audit sums to the total', () => {
    const s = runSeeds({ from: 1, count: 10, faults: false });
    expect(s.failures, report(s)).toEqual([]);
    expect(s.totals.crashes + s.totals.lost + s.totals.duplicated + s.totals.partitions + s.totals.pauses).toBe(0);
    expect(s.totals.committed).toBeGreaterThan(500);
    expect(s.totals.auditsChecked).toBeGreaterThan(200);
  });
});

describe('determinism', () => {
  it('the same seed gives the same trace; another seed another one', () => {
    for (const seed of [7, 123, 9001]) {
      const a = simulate({ seed });
      const b = simulate({ seed });
      expect(b.traceDigest).toBe(a.traceDigest);
      expect(b.trace).toEqual(a.trace);
      expect(b.stats).toEqual(a.stats);
      expect(a.trace.length).toBe(200);
    }
    expect(simulate({ seed: 1 }).traceDigest).not.toBe(simulate({ seed: 2 }).traceDigest);
  });

  it('a planted-bug failure replays identically, with a readable trace', () => {
    const found = runSeeds({ from: 1, count: 20, bug: 'commitOnOneShard', stopOnFailure: true });
    const seed = found.failures[0]?.seed;
    expect(seed, 'commitOnOneShard is caught within 20 seeds').toBeDefined();
    const a = simulate({ seed: seed!, bug: 'commitOnOneShard' });
    const b = simulate({ seed: seed!, bug: 'commitOnOneShard' });
    expect(a.ok).toBe(false);
    expect(b.violation).toEqual(a.violation);
    expect(b.trace).toEqual(a.trace);
    expect(a.focus!.length).toBeGreaterThan(3);
    expect(a.trace.at(-1)).toMatch(/VIOLATION/);
  });
});

describe('planted runtime bugs are caught', () => {
  const cases: [BugName, boolean, number, InvariantName[]][] = [
    // strict: persist-before-send is checked at the moment a vote or a client reply leaves
    ['voteBeforeSync', true, 20, ['vote-before-durable']],
    ['replyBeforeDecisionDurable', true, 20, ['reply-before-durable']],
    ['commitOnOneShard', true, 20, ['committed-durable', 'committed-applied', 'bank-read', 'bank-total', 'bank-final-state', 'liveness', 'core-invariant']],
    // lax: only consequences (lost writes after a crash) are checked
    ['voteBeforeSync', false, 100, ['committed-durable', 'committed-applied', 'bank-read', 'bank-total', 'bank-final-state', 'atomicity']],
    ['replyBeforeDecisionDurable', false, 400, ['committed-durable', 'aborted-not-applied', 'atomicity', 'client-outcome-stable']],
  ];
  for (const [bug, strict, within, expected] of cases) {
    it(`${bug} (${strict ? 'strict' : 'consequences only'}) within ${within} seeds`, () => {
      const s = runSeeds({ from: 1, count: within, bug, strictDurability: strict, stopOnFailure: true });
      expect(s.failures.length, `no seed in 1..${within} caught ${bug}`).toBe(1);
      const f = s.failures[0]!;
      expect(expected, `${bug}: seed ${f.seed} ${f.message}`).toContain(f.invariant);
      expect(f.trace.length).toBeGreaterThan(10);
    });
  }
});
