import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DtxClient, op } from '../../src/client/dtxClient.js';
import { link, partitionLinks } from '../../src/cluster/faultControl.js';
import { LocalCluster } from '../../src/cluster/localCluster.js';
import { counter, keysOnDistinctParticipants, nodeStatus, ownerAddress, quiescent, txnState } from '../support/nodes.js';
import { waitFor } from '../support/wait.js';

/** Network faults injected by the nodes' own gRPC interceptors, set through Admin, then healed. */
describe('network faults between nodes', () => {
  let cluster: LocalCluster;
  let client: DtxClient;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ participants: 3, participantArgs: ['--inquire-after', '300ms'] });
    client = new DtxClient(cluster.coordinatorAddress, { timeoutMs: 2000 });
  });

  afterAll(async () => {
    client?.close();
    await cluster?.destroy();
  });

  async function accounts(prefix: string): Promise<[string, string, string]> {
    const [a, b] = keysOnDistinctParticipants(prefix, cluster.participantNames, 2) as [string, string];
    expect((await client.transact([op.put(a, '100'), op.put(b, '100')])).outcome).toBe('COMMITTED');
    const owner = cluster.participantNames.find((p) => cluster.node(p).address === ownerAddress(cluster, a))!;
    return [a, b, owner];
  }

  const balances = async (keys: string[]) => (await client.read(keys, 5000)).map((r) => r.value);

  it('a two-way partition aborts what crosses it; after healing the same transfer commits', async () => {
    const [a, b, owner] = await accounts('part2-');
    await cluster.setNetworkFaults(partitionLinks(['c1'], [owner]));
    const r = await client.transfer(a, b, 10, { timeoutMs: 800 });
    expect(r.outcome).toBe('ABORTED');
    expect(r.abortCode).toMatch(/TIMED_OUT|UNAVAILABLE_PARTICIPANT/);
    await cluster.setNetworkFaults([]);
    const again = await waitFor('a transfer to commit after healing', async () => {
      const x = await client.transfer(a, b, 10, { timeoutMs: 2000 });
      return x.outcome === 'COMMITTED' ? x : null;
    });
    expect(again.outcome).toBe('COMMITTED');
    expect(await balances([a, b])).toEqual(['90', '110']);
    await waitFor('quiescence', () => quiescent(cluster));
  });

  it('a one-way partition that loses only the votes: the participant prepared, the txn aborts everywhere', async () => {
    const [a, b, owner] = await accounts('part1-');
    // owner→c1 blocked: prepares arrive and are voted on, but the votes are lost.
    const preparedBefore = counter(await nodeStatus(cluster.node(owner).address), 'prepared');
    await cluster.setNetworkFaults(partitionLinks([owner], ['c1'], true));
    const txnId = `oneway-${Date.now()}`;
    const r = await client.transfer(a, b, 5, { txnId, timeoutMs: 800 });
    expect(r.outcome).toBe('ABORTED');
    // The coordinator's own timeout and the link's give-up on the vote race: either names it.
    expect(r.abortCode).toMatch(/TIMED_OUT|UNAVAILABLE_PARTICIPANT/);
    // The owner did prepare (its YES was lost on the way back), and hears the abort c1→owner.
    expect(counter(await nodeStatus(cluster.node(owner).address), 'prepared')).toBe(preparedBefore + 1);
    await cluster.setNetworkFaults([]);
    await waitFor('the prepared txn to learn its abort', async () => (await txnState(cluster.node(owner).address, txnId)) === 'TXN_ABORTED');
    expect(await balances([a, b])).toEqual(['100', '100']);
    await waitFor('quiescence', () => quiescent(cluster));
  });

  it('delayed and duplicated messages never apply a transfer twice', async () => {
    const [a, b] = await accounts('dup-');
    const links = cluster.participantNames.flatMap((p) => [
      link('c1', p, { delayMs: 20, jitterMs: 20, duplicateRate: 0.5 }),
      link(p, 'c1', { delayMs: 10, jitterMs: 10 }),
    ]);
    await cluster.setNetworkFaults(links);
    let committed = 0;
    for (let i = 0; i < 20; i++) {
      const r = await client.transfer(a, b, 1, { timeoutMs: 3000 });
      if (r.outcome === 'COMMITTED') committed++;
    }
    await cluster.setNetworkFaults([]);
    expect(committed).toBeGreaterThan(10);
    expect(await balances([a, b])).toEqual([String(100 - committed), String(100 + committed)]);
    const c1 = await nodeStatus(cluster.coordinatorAddress);
    expect(counter(c1, 'duplicated')).toBeGreaterThan(0);
    expect(counter(c1, 'delayed')).toBeGreaterThan(0);
    await waitFor('quiescence', () => quiescent(cluster));
  });

  it('a skewed clock on a participant does not break transfers', async () => {
    const [a, b, owner] = await accounts('skew-');
    await cluster.setClockOffset(owner, 45_000);
    expect(counter(await nodeStatus(cluster.node(owner).address), 'clockOffsetMs')).toBe(45_000);
    for (let i = 0; i < 5; i++) expect((await client.transfer(a, b, 1, { retries: 5 })).outcome).toBe('COMMITTED');
    await cluster.setClockOffset(owner, -45_000);
    for (let i = 0; i < 5; i++) expect((await client.transfer(b, a, 1, { retries: 5 })).outcome).toBe('COMMITTED');
    await cluster.setClockOffset(owner, 0);
    expect(await balances([a, b])).toEqual(['100', '100']);
    await waitFor('quiescence', () => quiescent(cluster));
  });
});
