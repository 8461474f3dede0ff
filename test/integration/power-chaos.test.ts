import { readFileSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runChaos, type ChaosOptions, type ChaosReport } from '../../src/chaos/runChaos.js';
import { powerFsUnavailable } from '../../src/cluster/powerFs.js';

/**
 * Power loss on real processes: the nodes run on powerfs and the power nemesis cuts them (kill -9,
 * unsynced writes dropped, restart on what was durable). A prepare written without sync is then
 * caught — a kill -9 alone would never see it, the OS keeps the write — and the real code keeps
 * every guarantee. No mount may outlive a run.
 */
describe('chaos with power cuts (powerfs)', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function run(o: Omit<ChaosOptions, 'participants'>): Promise<ChaosReport> {
    const r = await runChaos({ quiesceTimeoutMs: 30_000, ...o, participants: 3 });
    dirs.push(r.dataDir);
    const mounts = readFileSync('/proc/self/mounts', 'utf8');
    expect(mounts.includes(r.dataDir), 'a powerfs mount outlived the run').toBe(false);
    return r;
  }

  const failed = (r: ChaosReport) => r.checks.filter((c) => !c.ok).map((c) => c.name);
  const powerCuts = (r: ChaosReport) => r.faults.filter((f) => /power cut .* lost \d+ KiB/.test(f));

  it('this machine can run powerfs (/dev/fuse, python3-fusepy, fuse3: see .ci/run)', () => {
    expect(powerFsUnavailable()).toBeNull();
  });

  // Cart at 8 clients, power cuts only, seed 1 (catch rate over seeds in the README).
  const catchRun = { workload: 'cart' as const, nemeses: ['power' as const], protocol: '2pc' as const, durationMs: 10_000, seed: 1, concurrency: 8 };

  it('catches a prepare record written without sync (planted bug, no delay trick) by cutting the power', async () => {
    const bug = { DTX_PLANTED_BUG: 'participant.prepareUnsynced' };
    // Up to four seeds: a cut must land between an unsynced prepare and the write that syncs it
    // (caught in 7 of 8 seeds; in clean-clone CI on a busy machine seed 1 missed once, and seeds 1
    // and 2 both missed once). Each seed's faults and ops are kept for the failure message.
    let r: ChaosReport | null = null;
    const tried: string[] = [];
    for (const seed of [catchRun.seed, 2, 3, 4]) {
      r = await run({ ...catchRun, seed, nodeEnv: { p1: bug, p2: bug, p3: bug } });
      expect(powerCuts(r).length).toBeGreaterThanOrEqual(2);
      tried.push(`seed ${seed}: ops ${JSON.stringify(r.ops)}; ${r.faults.join('; ')}`);
      if (!r.ok) break;
    }
    if (!r) throw new Error('no run');
    expect(r.ok, `the unsynced prepare was never caught:\n${tried.join('\n')}`).toBe(false);
    // A lost YES vote: the checkout committed on the other shards only.
    expect(failed(r).filter((n) => /cart: an order exists|cart: stock and wallets|atomicity|COMMITTED told to a client/.test(n))).not.toEqual([]);
  }, 420_000);

  it('the same run without the bug keeps every guarantee', async () => {
    const r = await run(catchRun);
    expect(powerCuts(r).length).toBeGreaterThanOrEqual(2);
    expect(failed(r)).toEqual([]);
    expect(r.ops.ok).toBeGreaterThan(5);
  }, 180_000);

  // The coordinator's power cut, at its next fsync: a decision written without sync is lost. Bank,
  // 2pc, 4 s, seed 1: one cut of c1 at 0.6 s (caught in 3 of 3 runs; README "Every verdict shown failing").
  const coordinatorRun = {
    workload: 'bank' as const,
    nemeses: ['power-coordinator' as const],
    protocol: '2pc' as const,
    durationMs: 4000,
    seed: 1,
    concurrency: 8,
  };

  it('catches a coordinator whose decisions are never synced: COMMITTED told, lost at its power cut', async () => {
    const r = await run({ ...coordinatorRun, nodeEnv: { c1: { DTX_PLANTED_BUG: 'coordinator.decisionsUnsynced' } } });
    expect(r.faults.join(), 'no power cut of c1').toMatch(/power cut c1/);
    const ids = r.checks.filter((c) => !c.ok).map((c) => c.id ?? c.name);
    expect(ids, r.dataDir).toContain('durable');
    // Allowed with it: participants that committed on a COMMIT whose record c1 lost (authorised, its
    // rule wants that record); a told-COMMITTED transfer that c1, back without its record, presumed
    // aborted where some participant had not yet committed (bank-final, atomicity).
    expect(
      ids.filter((id) => !['durable', 'authorised', 'bank-final', 'atomicity'].includes(id)),
      r.checks.map((c) => `${c.id}: ${c.ok ? 'ok' : 'FAILED'} ${c.detail}`).join('\n'),
    ).toEqual([]);
  }, 180_000);

  it('the same power cuts of the coordinator without the bug keep every guarantee', async () => {
    const r = await run(coordinatorRun);
    expect(r.faults.join()).toMatch(/power cut c1/);
    expect(failed(r)).toEqual([]);
  }, 180_000);

  it('bank on nb under power cuts, kill -9 and partitions keeps every guarantee', async () => {
    const r = await run({ workload: 'bank', nemeses: ['power', 'kill', 'partition'], protocol: 'nb', durationMs: 12_000, seed: 3, concurrency: 6 });
    expect(failed(r)).toEqual([]);
    expect(r.faults.some((f) => f.includes('power cut'))).toBe(true);
  }, 180_000);
});
