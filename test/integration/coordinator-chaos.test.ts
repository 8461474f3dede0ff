import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { DtxClient, LockClient, op } from '../../src/client/dtxClient.js';
import { runChaos, type ChaosReport } from '../../src/chaos/runChaos.js';
import { LocalCluster } from '../../src/cluster/localCluster.js';
import { keysOnDistinctParticipants } from '../support/nodes.js';

const OWNERSHIP_CHECKS = ['no transaction run by two coordinators', 'every client asked the right owner or was forwarded'];

/**
 * Two coordinators over the same participants, on real processes, broken by the nemeses that
 * matter for them: a coordinator killed, cut off from the other or from some participants,
 * paused. Clients spread over both and fail over.
 */
describe('chaos with several coordinators', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function run(o: Omit<Parameters<typeof runChaos>[0], 'coordinators' | 'participants' | 'concurrency'>): Promise<ChaosReport> {
    const r = await runChaos({ quiesceTimeoutMs: 30_000, coordinators: 2, participants: 3, concurrency: 6, ...o });
    dirs.push(r.dataDir);
    return r;
  }
  const failed = (r: ChaosReport) => r.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);

  it.each([
    ['nb', 'bank', ['kill-coordinator', 'partition', 'pause'], 21],
    ['2pc', 'cart', ['kill-coordinator', 'partition', 'pause'], 22],
    ['3pc', 'bank', ['kill-coordinator', 'pause'], 23],
    ['nb', 'lock', ['kill-coordinator', 'partition', 'pause'], 24],
  ] as const)(
    '%s × %s × %j: every check holds, ownership included',
    async (protocol, workload, nemeses, seed) => {
      const r = await run({ protocol, workload, nemeses: [...nemeses], durationMs: 10_000, seed });
      expect(failed(r)).toEqual([]);
      for (const name of OWNERSHIP_CHECKS) expect(r.checks.map((c) => c.name)).toContain(name);
      expect(r.ops.ok).toBeGreaterThan(20);
    },
    120_000,
  );

  it('one of two coordinators killed for 30 s under nb bank transfers and lock holders: no transfer blocks, no lease order lost', async () => {
    const cluster = await LocalCluster.start({
      participants: 3,
      coordinators: 2,
      coordinatorArgs: ['--protocol', 'nb'],
      participantArgs: ['--inquire-after', '500ms'],
    });
    dirs.push(cluster.dataDir);
    const clients = Array.from({ length: 4 }, () => new DtxClient(cluster.coordinatorAddresses, { timeoutMs: 3000 }));
    const locks = new LockClient(cluster.coordinatorAddresses, 3000);
    try {
      const [a, b] = keysOnDistinctParticipants('outage-', cluster.participantNames, 2) as [string, string];
      let slowest = 0;
      let committed = 0;
      const perSecond = new Map<number, number>();
      const tokens: bigint[] = [];
      let stop = false;
      const t0 = performance.now();
      const transfers = clients.map(async (c) => {
        for (let i = 0; i < 100_000 && !stop; i++) {
          const s = performance.now();
          const r = await c.transact([op.add(a, -1n), op.add(b, 1n)]);
          slowest = Math.max(slowest, performance.now() - s);
          if (r.outcome === 'COMMITTED') {
            committed++;
            const sec = Math.floor((performance.now() - t0) / 1000);
            perSecond.set(sec, (perSecond.get(sec) ?? 0) + 1);
          }
        }
      });
      const holders = (async () => {
        for (let i = 0; i < 100_000 && !stop; i++) {
          const lease = await locks.acquire('outage-lock', { ttlMs: 2000, waitMs: 2000 });
          tokens.push(lease.token);
          await locks.release(lease.leaseId);
        }
      })();
      await new Promise((r) => setTimeout(r, 2000));
      await cluster.kill('c2');
      const killedAt = Math.floor((performance.now() - t0) / 1000);
      await new Promise((r) => setTimeout(r, 30_000));
      stop = true;
      await Promise.all([...transfers, holders]);
      // Every second of the outage committed transfers; no call waited past its own timeout and failover.
      for (let sec = killedAt + 1; sec < killedAt + 30; sec++) expect(perSecond.get(sec) ?? 0, `second ${sec}`).toBeGreaterThan(0);
      expect(slowest).toBeLessThan(8000);
      expect(committed).toBeGreaterThan(100);
      // One lock's tokens only ever go up, through the outage.
      for (let k = 1; k < tokens.length; k++) expect(tokens[k]! > tokens[k - 1]!).toBe(true);
      expect(tokens.length).toBeGreaterThan(20);
      const [va, vb] = (await clients[0]!.read([a, b])).map((r) => BigInt(r.value || '0'));
      expect(va! + vb!).toBe(0n);
    } finally {
      for (const c of clients) c.close();
      locks.close();
      await cluster.destroy();
    }
  }, 120_000);
});
