import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DtxClient, op } from '../../src/client/dtxClient.js';
import { LocalCluster } from '../../src/cluster/localCluster.js';
import { ownerOfTxn } from '../../src/protocol/ownership.js';
import { call, coordinatorClient } from '../../src/rpc/clients.js';
import type { GetTransactionResponse__Output } from '../../src/rpc/generated/dtx/v1/GetTransactionResponse.js';
import { counter, keysOnDistinctParticipants, nodeStatus, quiescent, setFailpoint, txnState } from '../support/nodes.js';
import { waitFor } from '../support/wait.js';

async function getTransaction(address: string, txnId: string): Promise<GetTransactionResponse__Output> {
  const c = coordinatorClient(address);
  try {
    return await call<{ txnId: string }, GetTransactionResponse__Output>(c.GetTransaction.bind(c), { txnId }, 5000);
  } finally {
    c.close();
  }
}

/**
 * Two coordinators over the same participants, as real processes: every transaction has one
 * owner, the other forwards to it, and a coordinator that cannot reach the owner never presumes
 * an outcome (issue 13's split COMMITTED/ABORTED).
 */
describe('several coordinators: one owner per transaction', () => {
  let cluster: LocalCluster;
  const clients = new Map<string, DtxClient>();
  const client = (name: string): DtxClient => {
    let c = clients.get(name);
    if (!c) clients.set(name, (c = new DtxClient(cluster.node(name).address, { timeoutMs: 4000 })));
    return c;
  };

  beforeAll(async () => {
    cluster = await LocalCluster.start({ participants: 3, coordinators: 2, participantArgs: ['--inquire-after', '300ms'] });
  });

  afterAll(async () => {
    for (const c of clients.values()) c.close();
    await cluster?.destroy();
  });

  it('a coordinator killed after its durable COMMIT: the other says PENDING naming it (not ABORTED); once back, COMMITTED everywhere', async () => {
    const id = 'order-77';
    const owner = ownerOfTxn(id, cluster.coordinatorNames);
    const other = cluster.coordinatorNames.find((c) => c !== owner)!;
    const keys = Array.from({ length: 6 }, (_, i) => `x${i + 1}`);
    await setFailpoint(cluster.node(owner).address, 'coordinator.decision.afterPersist', 'kill');
    // Sent to c1 as a user would: if c1 does not own the id it passes it on, and the owner dies.
    const sent = client('c1').transact(
      keys.map((k, i) => op.put(k, String(i + 1))),
      { txnId: id },
    );
    await expect(sent).rejects.toMatchObject({ code: expect.stringMatching(/^(UNAVAILABLE|DEADLINE_EXCEEDED)$/) });
    await waitFor(`${owner} to die after its decision`, () => cluster.node(owner).state === 'stopped');

    const asked = await getTransaction(cluster.node(other).address, id);
    expect(asked.outcome).toBe('PENDING');
    expect(asked.owner).toBe(owner);
    expect(asked.reason).toContain(owner);
    for (const p of cluster.participantNames) expect(cluster.node(p).state).toBe('running');

    await cluster.restart(owner);
    const done = await waitFor('the other coordinator to report COMMITTED', async () => {
      const g = await getTransaction(cluster.node(other).address, id);
      return g.outcome === 'COMMITTED' ? g : null;
    });
    expect(done.results.length).toBe(6);
    await waitFor('every participant of order-77 to have committed it', async () => {
      for (const p of done.participants) if ((await txnState(cluster.node(p).address, id)) !== 'TXN_COMMITTED') return false;
      return true;
    });
    for (const n of cluster.nodes.values()) expect(n.state).toBe('running');
    const read = await client(other).read(keys);
    expect(read.map((r) => r.value)).toEqual(['1', '2', '3', '4', '5', '6']);
    await waitFor('quiescence', () => quiescent(cluster));
  });

  it('one client-chosen id sent to both coordinators at once runs once', async () => {
    const [a, b] = keysOnDistinctParticipants('race-', cluster.participantNames, 2) as [string, string];
    for (let round = 0; round < 5; round++) {
      const id = `race-${round}`;
      const ops = [op.add(a, 1n), op.add(b, 1n)];
      const [r1, r2] = await Promise.all([client('c1').transact(ops, { txnId: id }), client('c2').transact(ops, { txnId: id })]);
      expect(r1.outcome).toBe('COMMITTED');
      expect(r2).toEqual(r1);
    }
    const values = await client('c1').read([a, b]);
    expect(values.map((r) => r.value)).toEqual(['5', '5']);
    const forwarded = counter(await nodeStatus(cluster.node('c1').address), 'forwarded') + counter(await nodeStatus(cluster.node('c2').address), 'forwarded');
    expect(forwarded).toBeGreaterThanOrEqual(5);
  });

  it('a question about a transaction the other coordinator made is answered by its owner, with the results', async () => {
    const r = await client('c1').transact([op.put('asked-a', 'x'), op.get('asked-a')]);
    expect(r.txnId.startsWith('c1-')).toBe(true);
    const g = await getTransaction(cluster.node('c2').address, r.txnId);
    expect(g.outcome).toBe('COMMITTED');
    expect(g.owner).toBe('c1');
    expect(g.results.length).toBe(2);
  });

  it('a client given every coordinator sends each transaction to its owner; with one down, its new ids belong to the others', async () => {
    const client = new DtxClient(cluster.coordinatorAddresses, { timeoutMs: 3000 });
    const forwarded = async () => {
      let n = 0;
      for (const c of cluster.coordinatorNames) n += counter(await nodeStatus(cluster.node(c).address), 'forwarded');
      return n;
    };
    const unreachable = async () => counter(await nodeStatus(cluster.node('c1').address), 'ownerUnreachable');
    try {
      const [a, b] = keysOnDistinctParticipants('owned-', cluster.participantNames, 2) as [string, string];
      const before = await forwarded();
      for (let i = 0; i < 30; i++) expect((await client.transact([op.add(a, 1n), op.add(b, -1n)])).outcome).toBe('COMMITTED');
      expect(await forwarded()).toBe(before);

      await cluster.kill('c2');
      const lost = await unreachable();
      for (let i = 0; i < 30; i++) expect((await client.transact([op.add(a, 1n), op.add(b, -1n)])).outcome).toBe('COMMITTED');
      // At most the calls that were on their way to c2 when it died needed its participants' answer.
      expect((await unreachable()) - lost).toBeLessThanOrEqual(2);
      const values = await client.read([a, b]);
      expect(values.map((r) => r.value)).toEqual(['60', '-60']);
    } finally {
      client.close();
      await cluster.restart('c2');
    }
  });
});
