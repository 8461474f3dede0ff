import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { COORDINATOR_DOWN_MIN_MS, nemesisSchedule, PARTICIPANT_DOWN_MIN_MS } from '../../src/chaos/nemesis.js';
import { runChaos, type ChaosReport } from '../../src/chaos/runChaos.js';

/**
 * A CI-sized slice of the protocol matrix (scripts/protocol-matrix.mjs) on real processes:
 * nb terminates without its coordinator (nothing left in doubt while it is down) and 2pc
 * keeps every guarantee across partitions, including the split {c1, pX} | {the others}.
 */
describe('protocol chaos', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function run(o: Parameters<typeof runChaos>[0]): Promise<ChaosReport> {
    const r = await runChaos({ quiesceTimeoutMs: 20_000, ...o });
    // Kept on failure, for the history and the node logs.
    if (r.ok) dirs.push(r.dataDir);
    return r;
  }

  const failed = (r: ChaosReport) => r.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail} (${r.dataDir})`);

  it('role kills keep their node down long enough for termination to act', () => {
    const nodes = ['c1', 'p1', 'p2', 'p3'];
    const kc = nemesisSchedule(3, ['kill-coordinator'], 60_000, nodes);
    expect(kc.length).toBeGreaterThanOrEqual(5);
    for (const s of kc) {
      expect(s.kills).toBe('c1');
      expect(s.forMs).toBeGreaterThanOrEqual(COORDINATOR_DOWN_MIN_MS);
    }
    const kp = nemesisSchedule(3, ['kill-participant'], 60_000, nodes);
    expect(new Set(kp.map((s) => s.kills))).toEqual(new Set(['p1', 'p2', 'p3']));
    for (const s of kp) expect(s.forMs).toBeGreaterThanOrEqual(PARTICIPANT_DOWN_MIN_MS);
    const parts = nemesisSchedule(3, ['partition'], 120_000, nodes).map((s) => s.what);
    expect(parts.some((w) => /^partition c1,p\d[|→]p\d,p\d$/.test(w))).toBe(true);
    // Every step ends within the run.
    for (const s of [...kc, ...kp]) expect(s.atMs + s.forMs).toBeLessThanOrEqual(60_000);
  });

  it('nb × kill-coordinator (bank): every check holds and nothing stays in doubt while c1 is down', async () => {
    // c1 is down from 0.6 s for 5.5 s: 10 s leave the clients a few seconds on either side.
    const r = await run({ workload: 'bank', protocol: 'nb', nemeses: ['kill-coordinator'], durationMs: 10_000, seed: 1, concurrency: 8, participants: 3 });
    expect(failed(r)).toEqual([]);
    expect(r.atomicity?.ok).toBe(true);
    expect(r.coordinatorOutages.length).toBeGreaterThanOrEqual(1);
    expect(r.blockedWhileCoordinatorDown).toBe(0);
    expect(r.commitLatency.count).toBeGreaterThan(0);
    expect(r.commitLatency.p99).toBeGreaterThanOrEqual(r.commitLatency.p50);
  }, 80_000);

  it('2pc × partition (bank): every check holds', async () => {
    const r = await run({ workload: 'bank', protocol: '2pc', nemeses: ['partition'], durationMs: 8000, seed: 1, concurrency: 8, participants: 3 });
    expect(failed(r)).toEqual([]);
    expect(r.atomicity?.ok).toBe(true);
    expect(r.faults.length).toBeGreaterThanOrEqual(2);
    // Not measured without a coordinator kill.
    expect(r.blockedWhileCoordinatorDown).toBeNull();
  }, 80_000);
});
