import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DtxClient, fenced, LockClient, op, withLock } from '../../src/client/dtxClient.js';
import { LocalCluster } from '../../src/cluster/localCluster.js';
import { ownerOf } from '../../src/protocol/routing.js';
import { runDtx } from '../support/cli.js';
import { waitFor } from '../support/wait.js';

const HOLDER = fileURLToPath(new URL('../support/lockHolder.mjs', import.meta.url));

/** Reads JSON lines from a child's stdout, one at a time. */
function lineReader(child: { stdout: Readable }): () => Promise<Record<string, unknown>> {
  const queue: string[] = [];
  const waiters: ((l: string) => void)[] = [];
  createInterface({ input: child.stdout }).on('line', (l) => {
    const w = waiters.shift();
    if (w) w(l);
    else queue.push(l);
  });
  return () =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no line from the child in 20 s')), 20_000);
      const take = (l: string) => {
        clearTimeout(t);
        resolve(JSON.parse(l) as Record<string, unknown>);
      };
      const l = queue.shift();
      if (l !== undefined) take(l);
      else waiters.push(take);
    });
}

/**
 * The lock service on real processes: leases, fencing tokens enforced by the participants,
 * lock-delay across a coordinator restart, and clock skew.
 */
describe('distributed locks (leases + fencing tokens)', () => {
  let cluster: LocalCluster;
  let client: DtxClient;
  let locks: LockClient;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ participants: 3 });
    client = new DtxClient(cluster.coordinatorAddress, { timeoutMs: 5000, waitForReady: true });
    locks = new LockClient(cluster.coordinatorAddress);
  });

  afterAll(async () => {
    locks?.close();
    client?.close();
    await cluster?.destroy();
  });

  it('mutual exclusion: concurrent clients increment a shared counter with fenced read-modify-write; it ends exact', async () => {
    const key = 'locks-counter';
    const workers = 8;
    const rounds = 5;
    const tokens: bigint[] = [];
    let inside = 0;
    const worker = async (w: number) => {
      const c = new DtxClient(cluster.coordinatorAddress, { timeoutMs: 5000 });
      try {
        for (let i = 0; i < rounds; i++) {
          await withLock(
            c,
            'counter',
            async (held) => {
              inside++;
              expect(inside).toBe(1);
              tokens.push(held.token);
              // Read, think, write: two transactions, both fenced. Without the lock, updates get lost.
              const r = await c.transact([held.fence(op.get(key))], { retries: 5 });
              expect(r.outcome).toBe('COMMITTED');
              const v = Number(r.results[0]!.value || '0');
              await new Promise((res) => setTimeout(res, Math.random() * 10));
              const u = await c.transact([held.fence(op.put(key, String(v + 1)))], { retries: 5 });
              expect(u.outcome, u.reason).toBe('COMMITTED');
              inside--;
            },
            { ttlMs: 5000, waitMs: 60_000, owner: `worker-${w}` },
          );
        }
      } finally {
        c.close();
      }
    };
    await Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
    const [final] = await client.read([key]);
    expect(final!.value).toBe(String(workers * rounds));
    // Each critical section had a larger token than the one before it.
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]! > tokens[i - 1]!).toBe(true);
    await waitFor('the lock to be free', async () => !(await locks.describe('counter')).held);
  });

  it('a holder paused past its ttl loses the lock; the next holder gets a larger token; the late write is rejected', async () => {
    const lock = 'paused-lock';
    // On another participant than the lock: restarting the key's participant below must not end the lease.
    const key = Array.from({ length: 100 }, (_, i) => `fenced-resource-${i}`).find(
      (k) => ownerOf(k, cluster.participantNames) !== ownerOf(lock, cluster.participantNames),
    )!;
    const holder = spawn(process.execPath, [HOLDER, cluster.coordinatorAddress, lock, key, '1000'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const next = lineReader(holder);
    try {
      const acquired = await next();
      expect(acquired['event']).toBe('acquired');
      const t1 = BigInt(acquired['token'] as string);
      const proof1 = acquired['proof'] as string;

      holder.kill('SIGSTOP'); // a long GC pause: keep-alives stop
      await waitFor("the paused holder's lease to expire", async () => !(await locks.describe(lock)).held, { timeoutMs: 10_000 });
      const lease2 = await locks.acquire(lock, { ttlMs: 10_000, waitMs: 5000, owner: 'second' });
      expect(lease2.token > t1).toBe(true);
      const w2 = await client.transact([fenced(op.put(key, `second-${lease2.token}`), lock, lease2.token, lease2.proof)]);
      expect(w2.outcome).toBe('COMMITTED');

      holder.kill('SIGCONT'); // it wakes up and, believing it still holds the lock, writes
      holder.stdin.write('write\n');
      let wrote = await next();
      while (wrote['event'] === 'lost') wrote = await next();
      expect(wrote['event']).toBe('wrote');
      expect(wrote['outcome']).toBe('ABORTED');
      expect(wrote['abortCode']).toBe('PRECONDITION_FAILED');
      expect(wrote['reason']).toContain(`lock ${lock} token ${t1} is older than token ${lease2.token}`);
      const [v] = await client.read([key]);
      expect(v!.value).toBe(`second-${lease2.token}`);

      // The high-water mark is durable: after the participant restarts, the stale token is still refused.
      await cluster.restart(ownerOf(key, cluster.participantNames));
      // (Right after the restart the coordinator may still be reconnecting: retry until the participant answers.)
      const stale = await waitFor('the restarted participant to judge the stale write', async () => {
        const r = await client.transact([fenced(op.put(key, 'stale'), lock, t1, proof1)]);
        return r.abortCode === 'UNAVAILABLE_PARTICIPANT' || r.abortCode === 'CONFLICT' ? null : r;
      });
      expect(stale.outcome).toBe('ABORTED');
      expect(stale.abortCode).toBe('PRECONDITION_FAILED');
      expect(stale.reason).toContain(`token ${t1} is older than token ${lease2.token}`);
      expect(await locks.release(lease2.leaseId)).toBe(true);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it("a lock outlives its coordinator: a lease taken before the coordinator's kill -9 is kept alive and released after", async () => {
    const lease = await locks.acquire('outlives-coordinator', { ttlMs: 10_000, owner: 'holder' });
    await cluster.kill('c1');
    await cluster.restart('c1');
    const kept = await locks.keepAlive(lease.leaseId);
    expect(kept.ttlMs).toBeGreaterThan(0);
    await expect(locks.acquire('outlives-coordinator', { waitMs: 0 })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(await locks.release(lease.leaseId)).toBe(true);
  });

  it("a restarted lock's participant never re-issues a token and grants nothing during lock-delay", async () => {
    const lock = 'restart-lock';
    const home = ownerOf(lock, cluster.participantNames);
    // Another lock on the same participant: tokens come from one counter per participant.
    const otherLock = Array.from({ length: 200 }, (_, i) => `restart-other-${i}`).find((n) => ownerOf(n, cluster.participantNames) === home)!;
    const ttlMs = 3000;
    const before = await locks.acquire(lock, { ttlMs, owner: 'before-crash' });
    const killedAt = Date.now();
    await cluster.kill(home);
    await cluster.restart(home);

    // The old lease is unknown to the new incarnation: its holder learns it lost the lock.
    await expect(locks.keepAlive(before.leaseId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(locks.acquire(lock, { waitMs: 0 })).rejects.toMatchObject({ code: 'ABORTED', message: expect.stringContaining('lock-delay') });
    const info = await locks.describe(lock);
    expect(info.held).toBe(false);
    expect(info.lockDelayMs).toBeGreaterThan(0);
    expect(info.lastToken >= before.token).toBe(true);

    // Another lock is free at once, with a token above every one issued before the crash.
    const other = await locks.acquire(otherLock, { ttlMs: 1000 });
    expect(other.token > before.token).toBe(true);
    await locks.release(other.leaseId);

    const after = await locks.acquire(lock, { ttlMs: 2000, waitMs: 15_000, owner: 'after-crash' });
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(ttlMs);
    expect(after.token > other.token).toBe(true);
    await locks.release(after.leaseId);
  });

  it('clock skew on the nodes does not create two holders or expire a lease early', async () => {
    const lock = 'skew-lock';
    try {
      const a = await locks.acquire(lock, { ttlMs: 2000, owner: 'a' });
      for (const offset of [3_600_000, -3_600_000]) {
        await cluster.setClockOffset('c1', offset);
        for (const p of cluster.participantNames) await cluster.setClockOffset(p, -offset);
        await expect(locks.acquire(lock, { waitMs: 200 })).rejects.toMatchObject({ code: 'ABORTED' });
        await locks.keepAlive(a.leaseId);
        const d = await locks.describe(lock);
        expect(d.held).toBe(true);
        expect(d.expiresInMs).toBeLessThanOrEqual(2000);
        expect(d.expiresInMs).toBeGreaterThan(1000);
      }
      // Stop keeping it alive: it expires by the monotonic clock, about 2 s later, not an hour off.
      const start = Date.now();
      const b = await locks.acquire(lock, { ttlMs: 2000, waitMs: 10_000, owner: 'b' });
      const waited = Date.now() - start;
      expect(waited).toBeGreaterThan(1500);
      expect(waited).toBeLessThan(5000);
      expect(b.token > a.token).toBe(true);
      await expect(locks.keepAlive(a.leaseId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      // Fencing ignores clocks too: a's token is stale once b's has been seen.
      const key = 'skew-resource';
      expect((await client.transact([fenced(op.put(key, 'b'), lock, b.token, b.proof)])).outcome).toBe('COMMITTED');
      expect((await client.transact([fenced(op.put(key, 'a'), lock, a.token, a.proof)])).outcome).toBe('ABORTED');
      await locks.release(b.leaseId);
    } finally {
      for (const n of cluster.nodes.keys()) await cluster.setClockOffset(n, 0);
    }
  });

  it('dtx lock run: exports the token, passes the exit code, refuses a busy lock, and stops the command when the lease is lost', async () => {
    const c = ['-c', cluster.coordinatorAddress];
    const r = await runDtx([
      'lock',
      'run',
      'cli-lock',
      '--ttl',
      '2s',
      ...c,
      '--',
      process.execPath,
      '-e',
      'process.stdout.write(process.env.DTX_LOCK_NAME + " " + process.env.DTX_LOCK_TOKEN); process.exit(7)',
    ]);
    expect(r.code, r.stderr).toBe(7);
    expect(r.stdout).toMatch(/^cli-lock [0-9]+$/);

    // While one command holds it, another run with no wait exits 3 (busy), and list shows the holder.
    const long = runDtx(['lock', 'run', 'cli-lock', '--ttl', '2s', '--owner', 'long-runner', ...c, '--', process.execPath, '-e', 'setTimeout(() => {}, 8000)']);
    await waitFor('the long command to hold the lock', async () => (await locks.describe('cli-lock')).held);
    const busy = await runDtx(['lock', 'run', 'cli-lock', ...c, '--', process.execPath, '-e', '0']);
    expect(busy.code).toBe(3);
    const list = await runDtx(['lock', 'list', ...c]);
    expect(list.stdout).toMatch(/cli-lock\s+held by long-runner\s+token [0-9]+/);
    expect((await long).code).toBe(0);

    // The dtx process is paused past its ttl: on waking it finds the lease lost, stops the command, exits 1.
    let pid = 0;
    const lost = runDtx(['lock', 'run', 'cli-lock', '--ttl', '1s', ...c, '--', process.execPath, '-e', 'setInterval(() => {}, 1000)'], {
      onSpawn: (p) => (pid = p),
    });
    await waitFor('the command to hold the lock', async () => (await locks.describe('cli-lock')).held);
    process.kill(pid, 'SIGSTOP');
    await waitFor('the lease to expire', async () => !(await locks.describe('cli-lock')).held, { timeoutMs: 10_000 });
    process.kill(pid, 'SIGCONT');
    const res = await lost;
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/lost/);
  });
});
