import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runChaos, type ChaosReport } from '../../src/chaos/runChaos.js';

/**
 * The register workload on real processes: the isolation checker passes the real code and
 * finds the anomalies of a planted isolation bug — reads that take no lock — with the
 * transactions and edges of each cycle. (Runs under kill and partition, per protocol: manual, see the README.)
 */
describe('isolation checked from histories (register workload)', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function run(o: Partial<Parameters<typeof runChaos>[0]>): Promise<ChaosReport> {
    const r = await runChaos({ workload: 'register', nemeses: [], durationMs: 6000, seed: 3, concurrency: 8, participants: 3, quiesceTimeoutMs: 30_000, ...o });
    dirs.push(r.dataDir);
    return r;
  }

  const failed = (r: ChaosReport) => r.checks.filter((c) => !c.ok).map((c) => c.id ?? c.name);
  const isolationRows = (r: ChaosReport) => r.checks.filter((c) => c.id?.startsWith('isolation:'));

  it('the real code, its nodes paused (SIGSTOP) now and then: every isolation row passes, with transactions, reads and every kind of edge behind it', async () => {
    const r = await run({ nemeses: ['pause'], durationMs: 8000 });
    expect(failed(r)).toEqual([]);
    expect(r.faults.length).toBeGreaterThanOrEqual(1);
    expect(isolationRows(r)).toHaveLength(8);
    const iso = r.isolation!;
    // Low bars: the machine may be busy; enough that a pass is not vacuous.
    expect(iso.txns.ok).toBeGreaterThan(20);
    expect(iso.reads).toBeGreaterThan(20);
    for (const n of Object.values(iso.edges)) expect(n).toBeGreaterThan(5);
  }, 90_000);

  it('catches reads that take no lock (planted bug): G-single / G2-item cycles, each with its transactions and edges', async () => {
    const bug = { DTX_PLANTED_BUG: 'participant.readsTakeNoLocks' };
    const r = await run({ nodeEnv: { p1: bug, p2: bug, p3: bug } });
    const cycles = [...r.isolation!.anomalies['G-single'], ...r.isolation!.anomalies['G2-item']];
    expect(cycles.length).toBeGreaterThan(0);
    expect(failed(r).some((id) => id === 'isolation:G-single' || id === 'isolation:G2-item')).toBe(true);
    // Only isolation breaks: the other checks still hold.
    expect(failed(r).every((id) => id.startsWith('isolation:'))).toBe(true);
    const c = cycles[0]!;
    expect(c.edges.length).toBeGreaterThanOrEqual(2);
    expect(c.edges.some((e) => e.type === 'rw')).toBe(true);
    expect(c.edges[c.edges.length - 1]!.to).toBe(c.edges[0]!.from);
  }, 90_000);
});
