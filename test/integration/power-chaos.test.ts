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
    const r = await run({ ...catchRun, nodeEnv: { p1: bug, p2: bug, p3: bug } });
    expect(powerCuts(r).length).toBeGreaterThanOrEqual(2);
    expect(r.ok).toBe(false);
    // A lost YES vote: the checkout committed on the other shards only.
    expect(failed(r).filter((n) => /cart: an order exists|cart: stock and wallets|atomicity|COMMITTED told to a client/.test(n))).not.toEqual([]);
  }, 180_000);

  it('the same run without the bug keeps every guarantee', async () => {
    const r = await run(catchRun);
    expect(powerCuts(r).length).toBeGreaterThanOrEqual(2);
    expect(failed(r)).toEqual([]);
    expect(r.ops.ok).toBeGreaterThan(5);
  }, 180_000);

  it('bank on nb under power cuts, kill -9 and partitions keeps every guarantee', async () => {
    const r = await run({ workload: 'bank', nemeses: ['power', 'kill', 'partition'], protocol: 'nb', durationMs: 12_000, seed: 3, concurrency: 6 });
    expect(failed(r)).toEqual([]);
    expect(r.faults.some((f) => f.includes('power cut'))).toBe(true);
  }, 180_000);
});
