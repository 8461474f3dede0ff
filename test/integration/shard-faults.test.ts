import { ClassicLevel } from 'classic-level';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DtxClient, op } from '../../src/client/dtxClient.js';
import { LocalCluster } from '../../src/cluster/localCluster.js';
import { ownerOfKey, shardOf, type ShardMap } from '../../src/protocol/shardMap.js';
import { setFailpoint } from '../support/nodes.js';
import { waitFor } from '../support/wait.js';

const KEYS = Array.from({ length: 300 }, (_, i) => `acct-${i}`);
const INITIAL = 100;

/**
 * kill -9 at each step of a move — of the source, the target or the coordinator running it —
 * while transfers run: the move completes or rolls back by itself once the node is back (the
 * coordinator settles its half-done moves), no transfer is lost or applied twice, and at the end
 * every key's row is on exactly the participant the map names.
 */
describe('faults during a shard move', () => {
  let cluster: LocalCluster;
  let client: DtxClient;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ participants: 3, participantArgs: ['--inquire-after', '300ms'] });
    client = new DtxClient(cluster.coordinatorAddress, { timeoutMs: 4000, waitForReady: true });
    const put = await client.transact(KEYS.map((k) => op.put(k, String(INITIAL))));
    expect(put.outcome).toBe('COMMITTED');
  });

  afterAll(async () => {
    client?.close();
    await cluster?.destroy();
  });

  /** Transfers until `stop`; failures of calls (a node is down) are expected and counted apart. */
  function transfersUntil(stop: { done: boolean }): Promise<number> {
    let committed = 0;
    const worker = async (w: number): Promise<void> => {
      for (let n = 0; !stop.done && n < 100_000; n++) {
        const from = KEYS[(w * 31 + n * 7) % KEYS.length]!;
        const to = KEYS[(w * 17 + n * 13 + 1) % KEYS.length]!;
        if (from === to) continue;
        try {
          const r = await client.transfer(from, to, 1, { min: -1_000_000, timeoutMs: 2000 });
          if (r.outcome === 'COMMITTED') committed++;
        } catch {
          // a node is down: the outcome is settled by the protocol; the total check covers it
        }
      }
    };
    return Promise.all([0, 1, 2].map(worker)).then(() => committed);
  }

  async function settled(): Promise<ShardMap> {
    return waitFor(
      'every participant at the newest map with no move marks',
      async () => {
        const o = await cluster.shards();
        if (o.unreachable.length > 0) return null;
        const clean = o.hosts.every((h) => h.frozen.length === 0 && h.incoming.length === 0 && h.map?.epoch === o.map.epoch);
        return clean ? o.map : null;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  }

  async function sumOfAll(): Promise<number> {
    const rs = await waitFor('a consistent read of every account', async () => client.read(KEYS), { timeoutMs: 20_000 });
    expect(rs.every((r) => r.found)).toBe(true);
    return rs.reduce((s, r) => s + Number(r.value), 0);
  }

  const cases: { failpoint: string; node: 'source' | 'target' | 'c1' }[] = [
    { failpoint: 'participant.shards.freeze.after', node: 'source' },
    { failpoint: 'participant.shards.import.opened', node: 'target' },
    // Back before the mover's next chunk: a move opened before the restart takes no more rows.
    { failpoint: 'participant.shards.import.rowsWritten', node: 'target' },
    { failpoint: 'participant.shards.install.before', node: 'target' },
    // The source's map durable, its lost shards' rows not yet deleted: back, it finishes the deletes.
    { failpoint: 'participant.shards.install.written', node: 'source' },
    { failpoint: 'coordinator.move.afterPrecopy', node: 'c1' },
    { failpoint: 'coordinator.move.afterFreeze', node: 'c1' },
    { failpoint: 'coordinator.move.afterCopy', node: 'c1' },
    { failpoint: 'coordinator.move.afterTargetInstall', node: 'c1' },
  ];

  for (const [i, c] of cases.entries()) {
    it(`kill -9 of the ${c.node === 'c1' ? 'coordinator' : c.node} at ${c.failpoint}: the move completes or rolls back, nothing is lost`, async () => {
      const map = await settled();
      const from = map.members[i % map.members.length]!.id;
      const to = map.members[(i + 1) % map.members.length]!.id;
      // Shards of `from` that hold some of the accounts, so that rows really move.
      const shards = [...new Set(KEYS.filter((k) => ownerOfKey(map, k) === from).map((k) => shardOf(k, map.owners.length)))].slice(0, 4);
      const victim = c.node === 'source' ? from : c.node === 'target' ? to : 'c1';
      await setFailpoint(cluster.node(victim).address, c.failpoint, 'kill');
      const stop = { done: false };
      const running = transfersUntil(stop);
      const move = cluster.moveShards(shards, to).then(
        () => 'moved',
        (e: Error) => `failed: ${e.message}`,
      );
      await waitFor(`${victim} to die at ${c.failpoint}`, () => cluster.node(victim).state === 'stopped', {
        timeoutMs: 20_000,
      });
      await cluster.restart(victim);
      const outcome = await move;
      const after = await settled();
      stop.done = true;
      expect(await running).toBeGreaterThanOrEqual(0);
      // Completed or rolled back, never half: each shard is on `from` or `to`, the same for all.
      const owners = new Set(shards.map((s) => after.owners[s]));
      expect(owners.size, `${outcome}; owners ${[...owners].join(',')}`).toBe(1);
      expect([from, to]).toContain([...owners][0]);
      expect(await sumOfAll()).toBe(INITIAL * KEYS.length);
    });
  }

  it('the coordinator cut off from the target during a move: it rolls back, and after healing nothing is left half-done', async () => {
    const map = await settled();
    const [from, to] = [map.members[0]!.id, map.members[2]!.id];
    const shards = [...new Set(KEYS.filter((k) => ownerOfKey(map, k) === from).map((k) => shardOf(k, map.owners.length)))].slice(0, 3);
    const block = { blocked: true, delayMs: 0, jitterMs: 0, dropRate: 0, duplicateRate: 0 };
    await cluster.setNetworkFaults([
      { from: 'c1', to, ...block },
      { from: to, to: 'c1', ...block },
    ]);
    const stop = { done: false };
    const running = transfersUntil(stop);
    const outcome = await cluster.moveShards(shards, to).then(
      () => 'moved',
      (e: Error) => `failed: ${e.message}`,
    );
    expect(outcome).toMatch(/^failed/);
    await cluster.setNetworkFaults([]);
    const after = await settled();
    stop.done = true;
    await running;
    for (const s of shards) expect(after.owners[s]).toBe(from);
    expect(await sumOfAll()).toBe(INITIAL * KEYS.length);
  });

  it('at the end every key is stored on exactly the participant the map names', async () => {
    const map = await settled();
    await cluster.stop();
    const holders = new Map<string, string[]>();
    for (const p of map.members.map((m) => m.id)) {
      const db = new ClassicLevel<string, string>(join(cluster.dataDir, p), { createIfMissing: false });
      try {
        for await (const key of db.keys({ gte: 'k!', lt: 'k"' })) holders.set(key.slice(7), [...(holders.get(key.slice(7)) ?? []), p]);
      } finally {
        await db.close();
      }
    }
    for (const k of KEYS) expect(holders.get(k), k).toEqual([ownerOfKey(map, k)]);
  });
});
