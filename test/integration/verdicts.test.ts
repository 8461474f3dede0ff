import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runChaos, type ChaosOptions, type ChaosReport } from '../../src/chaos/runChaos.js';
import type { PlantedBug } from '../../src/runtime/plantedBugs.js';

/**
 * Every chaos verdict shown failing (issue 16): for each check, a planted bug (fault-injection
 * nodes only) that makes that check fail on real processes, and every other check of the run
 * pass. Runs are short, with a nemesis only where the bug needs one; bugs planted on different
 * nodes of one run fail different checks, so that one run shows several. README: "Every verdict
 * shown failing" has the table.
 */
describe('every chaos verdict can fail', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function run(o: Omit<ChaosOptions, 'participants' | 'concurrency' | 'seed'> & Partial<ChaosOptions>): Promise<ChaosReport> {
    const r = await runChaos({ quiesceTimeoutMs: 15_000, participants: 3, concurrency: 6, seed: 1, ...o });
    dirs.push(r.dataDir);
    return r;
  }
  const bugs = (m: Record<string, PlantedBug>) => Object.fromEntries(Object.entries(m).map(([node, bug]) => [node, { DTX_PLANTED_BUG: bug }]));
  /** The ids of the checks that failed, with their details when the expectation does not hold. */
  const failedIds = (r: ChaosReport) => r.checks.filter((c) => !c.ok).map((c) => c.id ?? c.name);
  const why = (r: ChaosReport) => r.checks.map((c) => `${c.id}: ${c.ok ? 'ok' : 'FAILED'} ${c.detail}`).join('\n') + `\n(${r.dataDir})`;

  it('bank: a heuristic abort, a prepare record left behind, an overdraft: exactly their three checks fail', async () => {
    const r = await run({
      workload: 'bank',
      nemeses: [],
      durationMs: 3000,
      scarce: true,
      nodeEnv: bugs({
        c1: 'coordinator.abortsAsHeuristic',
        p1: 'participant.commitKeepsPrepare',
        p2: 'participant.ignoreAddMin',
        p3: 'participant.ignoreAddMin',
      }),
    });
    expect(failedIds(r).sort(), why(r)).toEqual(['bank-non-negative', 'healed', 'heuristic']);
    expect(r.checks.find((c) => c.id === 'healed')?.detail).toMatch(/^[1-9]\d* prepare records, 0 undelivered/);
  }, 90_000);

  it('cart: a checkout told ABORTED that committed, an order without its stock decrement, an overdraft: exactly their three checks fail', async () => {
    const r = await run({
      workload: 'cart',
      nemeses: [],
      durationMs: 3000,
      scarce: true,
      nodeEnv: bugs({
        c1: 'coordinator.reportCommitAsAbort',
        p1: 'participant.applyNewKeysOnly',
        p2: 'participant.ignoreAddMin',
        p3: 'participant.ignoreAddMin',
      }),
    });
    expect(failedIds(r).sort(), why(r)).toEqual(['cart-final', 'cart-non-negative', 'cart-order-iff-committed']);
  }, 90_000);

  // The lock workload's keys: locks res0 and res1 and their resources live on p3, res2 and its
  // resource on p2; p1 holds none of them. Seed 5 kills p1 only (at 0.6 s, for 3.5 s). (A
  // participant that skips applying commits fails lock-writes too, and lock-order with it: the
  // fence's high-water mark rides in the commit it skips, so a stalled holder's write gets in.)
  it('lock: a token granted again, a committed write told ABORTED, a restart that crashes: exactly their three checks fail', async () => {
    const r = await run({
      workload: 'lock',
      nemeses: ['kill-participant'],
      seed: 5,
      durationMs: 6000,
      concurrency: 4,
      nodeEnv: bugs({ c1: 'coordinator.reportCommitAsAbort', p1: 'participant.crashOnFirstRecovery', p3: 'locks.tokenReissued' }),
    });
    expect(r.faults.join(), why(r)).toContain('kill -9 p1');
    expect(failedIds(r).sort(), why(r)).toEqual(['lock-token-once', 'lock-writes', 'recovered']);
  }, 90_000);

  // A fifth of the lock holders stall past their lease, until a newer holder has written: with the
  // fences dropped, their writes land after the newer ones.
  it('lock: stale holders whose writes are let in: exactly lock-order fails', async () => {
    const r = await run({
      workload: 'lock',
      nemeses: [],
      durationMs: 4000,
      concurrency: 6,
      nodeEnv: bugs({ p1: 'participant.ignoreFences', p2: 'participant.ignoreFences', p3: 'participant.ignoreFences' }),
    });
    expect(failedIds(r), why(r)).toEqual(['lock-order']);
    expect(r.checks.find((c) => c.id === 'lock-order')?.detail, why(r)).toMatch(/[1-9]\d* holders stalled past their lease/);
  }, 90_000);

  // A kill of c1 leaves what it had prepared in doubt (its participants' inquiries find it
  // unreachable) and its clients' calls broken (unknown outcomes). How many transactions are in
  // doubt with every YES in at the kill depends on timing: at most two runs (kill seeds with three
  // kills of c1 each), as the simulator's tests search seeds.
  it('bank × 2pc × kill c1: an aborted outcome reported pending, participants that commit without the coordinator', async () => {
    const nodeEnv = bugs({
      c1: 'coordinator.abortedReportedPending',
      p1: 'participant.commitWhenCoordinatorUnreachable',
      p2: 'participant.commitWhenCoordinatorUnreachable',
      p3: 'participant.commitWhenCoordinatorUnreachable',
    });
    let r: ChaosReport | null = null;
    for (const seed of [289, 149]) {
      r = await run({ workload: 'bank', protocol: '2pc', nemeses: ['kill'], seed, durationMs: 6000, concurrency: 12, quiesceTimeoutMs: 8000, nodeEnv });
      if (failedIds(r).includes('authorised')) break;
    }
    const failed = failedIds(r!);
    expect(failed, why(r!)).toEqual(expect.arrayContaining(['unknown-resolved', 'authorised']));
    // Not exact: a participant that commits alone may commit a transfer another one aborted (the
    // data checks and atomicity see it), and with c1 killed three times on a busy machine so few
    // transfers commit that reads or COMMITTED replies may go unmeasured. Nothing else fails.
    expect(
      failed.filter((id) => !['unknown-resolved', 'authorised', 'atomicity', 'bank-final', 'bank-read-total', 'durable'].includes(id)),
      why(r!),
    ).toEqual([]);
  }, 200_000);

  // Two coordinators that each run every id (no forwarding), and clients that hedge (each
  // transaction also sent, under its id, to a coordinator taken in turn): the copy that reaches the
  // other coordinator is run there a second time, decided in both logs and outside its owner's.
  // The two runs of one id may decide differently (one aborts on the other's locks): the data and
  // the logs then see a split outcome (bank-final, atomicity; durable when the log read last says
  // ABORTED for an id told COMMITTED), and the coordinator that committed re-delivers its COMMIT
  // for ever to participants that aborted (liveness, healed). Reads that take no locks see half transfers.
  it('bank × 2 coordinators × hedge: ids run by both coordinators, decisions outside their owner, reads without locks', async () => {
    const r = await run({
      workload: 'bank',
      coordinators: 2,
      nemeses: ['hedge'],
      // Seed 5: clients hedge from 0.6 s for 2.5 s, each copy 26 ms after its first call.
      seed: 5,
      durationMs: 4000,
      concurrency: 8,
      quiesceTimeoutMs: 4000,
      nodeEnv: bugs({
        c1: 'coordinator.ownsEverything',
        c2: 'coordinator.ownsEverything',
        p1: 'participant.readsTakeNoLocks',
        p2: 'participant.readsTakeNoLocks',
        p3: 'participant.readsTakeNoLocks',
      }),
    });
    const failed = failedIds(r);
    expect(failed, why(r)).toEqual(expect.arrayContaining(['single-owner', 'owner', 'bank-read-total']));
    expect(
      failed.filter((id) => !['single-owner', 'owner', 'bank-read-total', 'bank-final', 'atomicity', 'durable', 'liveness', 'healed'].includes(id)),
      why(r),
    ).toEqual([]);
  }, 120_000);

  // No nemesis: a lost COMMIT delivery (c1 re-delivers for ever: the cluster never goes idle, its
  // log keeps the commit undelivered) and a participant whose log says ABORTED where it applied.
  it('bank: a decision delivery lost for ever, commits recorded as aborts: exactly liveness, healed and atomicity fail', async () => {
    const r = await run({
      workload: 'bank',
      nemeses: [],
      durationMs: 3000,
      concurrency: 8,
      quiesceTimeoutMs: 4000,
      nodeEnv: bugs({ c1: 'coordinator.loseCommitDelivery', p1: 'storage.commitOutcomeMislabelled' }),
    });
    expect(failedIds(r).sort(), why(r)).toEqual(['atomicity', 'healed', 'liveness']);
    expect(r.checks.find((c) => c.id === 'healed')?.detail, why(r)).toMatch(/^0 prepare records, [1-9]\d* undelivered/);
  }, 120_000);
});
