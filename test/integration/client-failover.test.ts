import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DtxClient, LockClient, op, withLock, type TxnResult } from '../../src/client/dtxClient.js';
import { LocalCluster } from '../../src/cluster/localCluster.js';
import { CLI_ENTRY } from '../../src/paths.js';
import { counter, nodeStatus } from '../support/nodes.js';

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI_ENTRY, ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Issue 13, the client side: a client given several coordinators spreads transactions over
 * them and, when one is killed, keeps committing through the others — the caller sees no error.
 */
describe('clients fail over between coordinators', () => {
  let cluster: LocalCluster;
  let both: string[];
  const clients: { close(): void }[] = [];
  const track = <C extends { close(): void }>(c: C): C => {
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    cluster = await LocalCluster.start({ coordinators: 2, participants: 3 });
    both = cluster.coordinatorAddresses;
    expect(cluster.coordinatorNames).toEqual(['c1', 'c2']);
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await cluster?.destroy();
  });

  /** `n` one-key transactions, one after the other; every one must commit, and no call may throw. */
  async function commitEach(client: DtxClient, prefix: string, n: number): Promise<TxnResult[]> {
    const out: TxnResult[] = [];
    for (let i = 0; i < n; i++) {
      const r = await client.transact([op.put(`${prefix}${i}`, String(i)), op.add(`${prefix}count`, 1)]);
      expect(r.outcome, `${r.reason} ${r.txnId} ${r.abortCode} failovers=${client.failovers}`).toBe('COMMITTED');
      out.push(r);
    }
    return out;
  }

  /** Per coordinator: transactions it ran (as their owner) and requests it passed on to an owner. */
  const counts = async () =>
    Promise.all(
      both.map(async (a) => {
        const s = await nodeStatus(a);
        return { committed: counter(s, 'committed'), forwarded: counter(s, 'forwarded') };
      }),
    );

  it('spreads transactions over every coordinator, under ids the client made', async () => {
    const before = await counts();
    const client = track(new DtxClient(both));
    const rs = await commitEach(client, 'rr:', 20);
    const after = await counts();
    // Round-robin: each coordinator got 10 requests. Each id has one owner (the id's hash picks
    // it), which ran it; a request that reached the other coordinator was passed on to it.
    const ran = after.map((n, i) => n.committed - before[i]!.committed);
    const passedOn = after.map((n, i) => n.forwarded - before[i]!.forwarded);
    expect(ran[0]! + ran[1]!).toBe(20);
    expect(ran.every((n) => n > 0)).toBe(true); // a 2 in 2^20 chance of failing by luck
    for (const [i, n] of passedOn.entries()) expect(n, `forwarded by ${cluster.coordinatorNames[i]}`).toBeLessThanOrEqual(10);
    for (const r of rs) expect(r.txnId).toMatch(/^cl\.[0-9]+\.[0-9a-f]{16}$/);
    expect(new Set(rs.map((r) => r.txnId)).size).toBe(rs.length);
    expect(client.failovers).toBe(0);
    // A single address is what it always was: server-made ids.
    const one = track(new DtxClient(both[1]!));
    expect((await one.transact([op.put('rr:one', 'x')])).txnId).toMatch(/^c2-/);
  });

  it('keeps committing through the other coordinator after one is killed, unary and streamed', async () => {
    // Short timeouts: the survivor waits up to one of them for a dead owner before settling its ids.
    const unary = track(new DtxClient(both, { timeoutMs: 2000 }));
    const streamed = track(new DtxClient(both, { timeoutMs: 2000, stream: true }));
    await commitEach(unary, 'pre-u:', 2);
    await commitEach(streamed, 'pre-s:', 2); // both streams open
    await cluster.kill('c1');

    await commitEach(unary, 'post-u:', 8);
    await commitEach(streamed, 'post-s:', 8);
    expect(unary.failovers).toBeGreaterThan(0);
    expect(streamed.failovers).toBeGreaterThan(0);
    // Reads and outcome queries fail over too.
    const rs = await unary.read(['post-u:count', 'post-s:count']);
    expect(rs.map((r) => r.value)).toEqual(['8', '8']);
    const last = await streamed.transact([op.get('post-s:count')]);
    expect((await unary.getTransaction(last.txnId)).outcome).toBe('COMMITTED');
    // The survivor did the work.
    expect(counter(await nodeStatus(both[1]!), 'committed')).toBeGreaterThanOrEqual(16);
  });

  it('the CLI takes a list with -c or DTX_COORDINATOR and succeeds with the first address dead', () => {
    const dead = both[0]!;
    const list = both.join(',');
    const put = cli(['txn', 'put', 'cli:a', '1', 'cli:b', '2', '-c', list, '--timeout', '2s']);
    expect(put.code, put.stderr).toBe(0);
    expect(put.stdout).toMatch(/^COMMITTED cl\./);
    const read = cli(['read', 'cli:a', 'cli:b', '--json'], { DTX_COORDINATOR: `${dead}, ${both[1]}` });
    expect(read.code, read.stderr).toBe(0);
    expect((JSON.parse(read.stdout) as { value: string }[]).map((r) => r.value)).toEqual(['1', '2']);
    const onlyDead = cli(['txn', 'put', 'cli:c', '3', '-c', dead]);
    expect(onlyDead.code).toBe(1);
    expect(onlyDead.stderr).toMatch(/^dtx: UNAVAILABLE: /);
    const bad = cli(['txn', 'put', 'cli:c', '3', '-c', `${both[1]},nohost`]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/entry 2 of .*expected host:port, got "nohost"/);
    const status = cli(['status', '-c', list]);
    expect(status.stdout).toMatch(/^c2 +coordinator/);
    expect(status.stdout).toMatch(new RegExp(`${dead.replace(/\./g, '\\.')} +DOWN`));
  });

  it('the lock client moves to the next coordinator when the first is down', async () => {
    const lc = track(new LockClient(both, 3000));
    const lease = await lc.acquire('fo-lock', { ttlMs: 5000, owner: 'failover-test' });
    expect(lease.token).toBeGreaterThan(0n);
    expect(await lc.keepAlive(lease.leaseId)).toEqual({ ttlMs: 5000 });
    expect(await lc.release(lease.leaseId)).toBe(true);
    expect(lc.failovers).toBe(1); // once, for the acquire; then it stays with the one that answered

    const client = track(new DtxClient(both, { timeoutMs: 2000 }));
    const written = await withLock(client, 'fo-lock', async (held) => client.transact([held.fence(op.put('fo:guarded', 'yes'))]), { ttlMs: 3000 });
    expect(written.outcome).toBe('COMMITTED');
  });
});
