import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DtxClient, op } from '../../src/client/dtxClient.js';
import { LockClient } from '../../src/client/locks.js';
import { LocalCluster } from '../../src/cluster/localCluster.js';
import { freePorts } from '../../src/cluster/ports.js';
import { loadOf, ownerOfKey, shardOf } from '../../src/protocol/shardMap.js';
import { runDtx } from '../support/cli.js';

const KEYS = Array.from({ length: 40 }, (_, i) => `user-${i}`);

/**
 * Scaling out without losing a key: 40 keys written through p1..p3, then p4 added and removed
 * while transfers run. Every key stays readable with its value, the transfers' total never moves,
 * and nothing is re-routed silently (a coordinator started with a list that contradicts the map
 * refuses to start, saying which command changes membership).
 */
describe('shard map: adding and removing participants online', () => {
  let cluster: LocalCluster;
  let client: DtxClient;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ participants: 3 });
    client = new DtxClient(cluster.coordinatorAddress, { timeoutMs: 5000 });
  });

  afterAll(async () => {
    client?.close();
    await cluster?.destroy();
  });

  async function readAll(): Promise<Map<string, string>> {
    const rs = await client.read(KEYS);
    return new Map(rs.map((r) => [r.key, r.found ? r.value : '(absent)']));
  }

  /** Transfers between the accounts until `stop`; the sum of committed ones is checked by reads. */
  function transfersUntil(stop: { done: boolean }, accounts: string[]): Promise<{ committed: number; aborted: string[]; ms: number }> {
    const started = Date.now();
    const out = { committed: 0, aborted: [] as string[], ms: 0 };
    const worker = async (w: number): Promise<void> => {
      for (let n = 0; !stop.done && n < 100_000; n++) {
        const from = accounts[(w * 7 + n) % accounts.length]!;
        const to = accounts[(w * 7 + n * 3 + 1) % accounts.length]!;
        if (from === to) continue;
        const r = await client.transfer(from, to, 1, { min: -1_000_000, retries: 5 });
        if (r.outcome === 'COMMITTED') out.committed++;
        else out.aborted.push(`${r.abortCode}: ${r.reason}`);
      }
    };
    return Promise.all([0, 1, 2, 3].map(worker)).then(() => ({ ...out, ms: Date.now() - started }));
  }

  it('40 keys stay readable through adding p4 (a quarter of the shards move to it) and removing it again, with transfers running', async () => {
    const written = await client.transact(KEYS.map((k, i) => op.put(k, String(1000 + i))));
    expect(written.outcome).toBe('COMMITTED');
    const before = await readAll();
    expect([...before.values()].filter((v) => v === '(absent)')).toEqual([]);
    const sumOf = (m: Map<string, string>) => [...m.values()].reduce((s, v) => s + Number(v), 0);
    const total = sumOf(before);

    const stop = { done: false };
    const running = transfersUntil(stop, KEYS);
    const steps: string[] = [];
    const p4 = await cluster.addParticipant({ shardsPerStep: 32 }, (p) => steps.push(p.step)).finally(() => (stop.done = true));
    const duringAdd = await running;
    expect(p4).toBe('p4');
    const added = await cluster.shards();
    expect(added.map.members.map((m) => m.id)).toEqual(['p1', 'p2', 'p3', 'p4']);
    expect(loadOf(added.map).get('p4')).toBe(256);
    const onP4 = KEYS.filter((k) => ownerOfKey(added.map, k) === 'p4');
    expect(onP4.length).toBeGreaterThan(0);
    expect(steps.some((s) => s.includes('joined the map'))).toBe(true);

    // The coordinator restarted with p4 in its list (the launcher keeps it) agrees with the map.
    await cluster.restart('c1');
    const afterAdd = await readAll();
    expect([...afterAdd.values()].filter((v) => v === '(absent)')).toEqual([]);

    const stop2 = { done: false };
    const running2 = transfersUntil(stop2, KEYS);
    await cluster.removeParticipant('p4', { shardsPerStep: 32 }).finally(() => (stop2.done = true));
    const duringRemove = await running2;
    const removed = await cluster.shards();
    expect(removed.map.members.map((m) => m.id)).toEqual(['p1', 'p2', 'p3']);
    expect(removed.map.owners.every((o) => o !== 'p4')).toBe(true);
    const after = await readAll();
    expect([...after.values()].filter((v) => v === '(absent)')).toEqual([]);
    expect(sumOf(after)).toBe(total);
    for (const r of [duringAdd, duringRemove]) {
      expect(r.committed).toBeGreaterThan(0);
      // A moved shard is never an error a client sees.
      expect(r.aborted.filter((a) => a.startsWith('WRONG_SHARD'))).toEqual([]);
    }
  });

  it('a coordinator whose --participants contradicts the map refuses to start (exit 2), naming the command that changes membership', async () => {
    const map = (await cluster.shards()).map;
    const [port, ghostPort] = await freePorts(2);
    const dir = mkdtempSync(join(tmpdir(), 'dtx-c-'));
    try {
      const list = [...map.members.map((m) => `${m.id}=${m.addr}`), `p9=127.0.0.1:${ghostPort}`].join(',');
      const r = await runDtx(['coordinator', '--id', 'c9', '--listen', `127.0.0.1:${port}`, '--data', dir, '--participants', list, '--allow-faults']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/p9/);
      expect(r.stderr).toMatch(/add-participant/);
      const missing = map.members
        .slice(1)
        .map((m) => `${m.id}=${m.addr}`)
        .join(',');
      const r2 = await runDtx(['coordinator', '--id', 'c9', '--listen', `127.0.0.1:${port}`, '--data', dir, '--participants', missing, '--allow-faults']);
      expect(r2.code).toBe(2);
      expect(r2.stderr).toMatch(/remove-participant p1/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('dtx shards move and list: a shard moves to another participant and its keys follow', async () => {
    const before = (await cluster.shards()).map;
    const key = KEYS[0]!;
    const shard = shardOf(key, before.owners.length);
    const to = before.members.map((m) => m.id).find((id) => id !== before.owners[shard])!;
    const moved = await runDtx(['shards', 'move', String(shard), to, '-c', cluster.coordinatorAddress]);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toMatch(/done: 1 shard/);
    const listed = await runDtx(['shards', 'list', '-c', cluster.coordinatorAddress]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`shard map epoch ${before.epoch + 1}`));
    const after = (await cluster.shards()).map;
    expect(ownerOfKey(after, key)).toBe(to);
    const values = await readAll();
    expect(values.get(key)).not.toBe('(absent)');
    const bad = await runDtx(['shards', 'move', '99999', to, '-c', cluster.coordinatorAddress]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/shard 99999 does not exist/);
  });

  it('a lock moves with its shard: its lease ends on the old participant, the new one waits out the lease and issues higher tokens', async () => {
    const locks = new LockClient(cluster.coordinatorAddress);
    try {
      const name = 'moving-lock';
      const first = await locks.acquire(name, { ttlMs: 1500, owner: 'first' });
      const map = (await cluster.shards()).map;
      const shard = shardOf(name, map.owners.length);
      const to = map.members.map((m) => m.id).find((id) => id !== map.owners[shard])!;
      await cluster.moveShards([shard], to);
      // The old holder hears at once that its lease is gone.
      await expect(locks.keepAlive(first.leaseId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      // Nobody gets the lock before the old lease could have run out (lock-delay on the new participant).
      const info = await locks.describe(name);
      expect(info.lockDelayMs).toBeGreaterThan(0);
      await expect(locks.acquire(name, { waitMs: 0 })).rejects.toMatchObject({ code: 'ABORTED' });
      const second = await locks.acquire(name, { ttlMs: 1500, waitMs: 5000, owner: 'second' });
      expect(second.token).toBeGreaterThan(first.token);
      expect(second.leaseId.startsWith(`${to}.`)).toBe(true);
      await locks.release(second.leaseId);
    } finally {
      locks.close();
    }
  });
});
