import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DtxClient, op } from '../../src/client/dtxClient.js';
import { LocalCluster } from '../../src/cluster/localCluster.js';
import { keysOnDistinctParticipants, ownerAddress, quiescent, setFailpoint, txnState } from '../support/nodes.js';
import { waitFor } from '../support/wait.js';

/**
 * Real processes, real kill -9 at exact protocol steps (failpoints make a node
 * SIGKILL itself there), real restarts from the LevelDB logs.
 */
describe('crash recovery (kill -9 at protocol steps)', () => {
  let cluster: LocalCluster;
  let client: DtxClient;

  beforeAll(async () => {
    // Short inquiry delay so recovered participants ask for outcomes promptly.
    cluster = await LocalCluster.start({ participants: 3, participantArgs: ['--inquire-after', '300ms'] });
    client = new DtxClient(cluster.coordinatorAddress, { timeoutMs: 5000 });
  });

  afterAll(async () => {
    client?.close();
    await cluster?.destroy();
  });

  async function balances(keys: string[]): Promise<bigint[]> {
    const rs = await client.read(keys);
    return rs.map((r) => BigInt(r.value || '0'));
  }

  async function openAccounts(prefix: string, amount: number): Promise<[string, string]> {
    const [a, b] = keysOnDistinctParticipants(prefix, cluster.participantNames, 2) as [string, string];
    const r = await client.transact([op.put(a, String(amount)), op.put(b, String(amount))]);
    expect(r.outcome).toBe('COMMITTED');
    return [a, b];
  }

  it('a participant killed between its YES vote and the commit applies the transfer after restart', async () => {
    const [a, b] = await openAccounts('pkill-', 100);
    const victim = cluster.participantNames.find((p) => cluster.node(p).address === ownerAddress(cluster, b))!;
    await setFailpoint(cluster.node(victim).address, 'participant.commit.before', 'kill');
    const txnId = `pkill-transfer-${Date.now()}`;
    const r = await client.transfer(a, b, 30, { txnId });
    // The coordinator answers once its decision is durable, before the commits are delivered.
    expect(r.outcome).toBe('COMMITTED');
    await waitFor(`${victim} to die at the failpoint`, () => cluster.node(victim).state === 'stopped');

    await cluster.restart(victim);
    await waitFor(
      'the transfer to be applied on every participant',
      async () =>
        (await txnState(ownerAddress(cluster, a), txnId)) === 'TXN_COMMITTED' && (await txnState(ownerAddress(cluster, b), txnId)) === 'TXN_COMMITTED',
    );
    expect(await balances([a, b])).toEqual([70n, 130n]);
    await waitFor('no lock or in-doubt transaction left', () => quiescent(cluster));
  });

  it('a coordinator killed after its decision completes the commit after restart', async () => {
    const [a, b] = await openAccounts('ckill-after-', 50);
    await setFailpoint(cluster.coordinatorAddress, 'coordinator.decision.afterPersist', 'kill');
    const txnId = `ckill-after-${Date.now()}`;
    // The client never hears the answer: the coordinator dies with the decision on disk.
    await expect(client.transfer(a, b, 20, { txnId })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await waitFor('the coordinator to die', () => cluster.node('c1').state === 'stopped');
    expect(await txnState(ownerAddress(cluster, a), txnId)).toBe('TXN_PREPARED');

    await cluster.restart('c1');
    const outcome = await waitFor('GetTransaction to report the outcome', async () => {
      const g = await client.getTransaction(txnId);
      return g.outcome === 'COMMITTED' ? g : null;
    });
    expect(outcome.participants.length).toBe(2);
    await waitFor(
      'the commit to reach both participants',
      async () =>
        (await txnState(ownerAddress(cluster, a), txnId)) === 'TXN_COMMITTED' && (await txnState(ownerAddress(cluster, b), txnId)) === 'TXN_COMMITTED',
    );
    expect(await balances([a, b])).toEqual([30n, 70n]);
    await waitFor('quiescence', () => quiescent(cluster));
  });

  it('a coordinator killed before deciding leaves a presumed abort: nothing applied, locks released', async () => {
    const [a, b] = await openAccounts('ckill-before-', 40);
    await setFailpoint(cluster.coordinatorAddress, 'coordinator.decision.beforePersist', 'kill');
    const txnId = `ckill-before-${Date.now()}`;
    await expect(client.transfer(a, b, 15, { txnId })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await waitFor('the coordinator to die', () => cluster.node('c1').state === 'stopped');
    // Both participants voted YES and now hold their locks, uncertain.
    expect(await txnState(ownerAddress(cluster, a), txnId)).toBe('TXN_PREPARED');
    expect(await txnState(ownerAddress(cluster, b), txnId)).toBe('TXN_PREPARED');

    await cluster.restart('c1');
    await waitFor(
      'participants to learn the presumed abort',
      async () => (await txnState(ownerAddress(cluster, a), txnId)) === 'TXN_ABORTED' && (await txnState(ownerAddress(cluster, b), txnId)) === 'TXN_ABORTED',
    );
    const g = await client.getTransaction(txnId);
    expect(g.outcome).toBe('ABORTED');
    // The id is fenced: a retry cannot commit it now.
    const retry = await client.transfer(a, b, 15, { txnId });
    expect(retry.outcome).toBe('ABORTED');
    expect(await balances([a, b])).toEqual([40n, 40n]);
    await waitFor('quiescence', () => quiescent(cluster));
  });

  it('a participant killed after forcing its prepare, before voting, recovers it and is resolved', async () => {
    const [a, b] = await openAccounts('pprep-', 10);
    const victimAddr = ownerAddress(cluster, a);
    const victim = cluster.participantNames.find((p) => cluster.node(p).address === victimAddr)!;
    await setFailpoint(victimAddr, 'participant.prepare.afterPersist', 'kill');
    const txnId = `pprep-${Date.now()}`;
    const r = await client.transfer(a, b, 5, { txnId, timeoutMs: 1500 });
    // No vote from the victim: the coordinator times out and aborts (not forced).
    expect(r.outcome).toBe('ABORTED');
    await waitFor(`${victim} to die`, () => cluster.node(victim).state === 'stopped');
    await cluster.restart(victim);
    await waitFor('the recovered prepare to be aborted', async () => (await txnState(victimAddr, txnId)) === 'TXN_ABORTED');
    expect(await balances([a, b])).toEqual([10n, 10n]);
    await waitFor('quiescence', () => quiescent(cluster));
  });
});
