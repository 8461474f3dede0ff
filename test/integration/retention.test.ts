import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DtxClient, DtxError, op } from '../../src/client/dtxClient.js';
import { LocalCluster } from '../../src/cluster/localCluster.js';
import { ownerOf } from '../../src/protocol/routing.js';
import { counter, keysOnDistinctParticipants, nodeStatus } from '../support/nodes.js';
import { waitFor } from '../support/wait.js';

/**
 * Retention on real processes: with a 2 s window every node collects the records of finished
 * transactions (coordinator decisions, participant outcome records), and an id older than the
 * window is refused FAILED_PRECONDITION "outside the retention window" — by Transact and by
 * GetTransaction, before and after a kill -9 of its coordinator and a participant (the
 * collected-up-to mark is durable) — never run a second time.
 */
describe('retention (--retention 2s)', () => {
  let cluster: LocalCluster;
  let client: DtxClient;
  const WINDOW = ['--retention', '2s'];

  beforeAll(async () => {
    cluster = await LocalCluster.start({ participants: 3, coordinatorArgs: WINDOW, participantArgs: WINDOW });
    client = new DtxClient(cluster.coordinatorAddress, { timeoutMs: 5000, waitForReady: true });
  });

  afterAll(async () => {
    client?.close();
    await cluster?.destroy();
  });

  const refusal = async (p: Promise<unknown>): Promise<DtxError> => {
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DtxError);
    return err as DtxError;
  };

  async function collectedEverywhere(atLeast: Record<string, number>): Promise<boolean> {
    for (const [name, n] of cluster.nodes) {
      const s = await nodeStatus(n.address);
      if (counter(s, 'retentionCollected') < (atLeast[name] ?? 1)) return false;
    }
    return true;
  }

  it('collects finished records on every node and refuses an id older than the window, also after kill -9', async () => {
    const [a, b, c] = keysOnDistinctParticipants('ret-', cluster.participantNames);
    await client.transact([op.put(a!, '100'), op.put(b!, '100'), op.put(c!, '100')]);
    const transfer = [op.add(a!, -1n, { min: 0n }), op.add(b!, 1n)];
    // Each id's birth: its first attempt, which every retry of it repeats.
    const born = new Map<string, number>();
    for (let i = 0; i < 20; i++) {
      const txnId = `ret-transfer-${i}`;
      born.set(txnId, Date.now());
      const r = await client.transact(transfer, { txnId, firstAttemptMs: born.get(txnId)! });
      expect(r.outcome, r.reason).toBe('COMMITTED');
      // Inside the window a retry is answered from the record: the same outcome, not a second run.
      if (i === 0) expect((await client.transact(transfer, { txnId, firstAttemptMs: born.get(txnId)! })).outcome).toBe('COMMITTED');
    }
    const ids = [...born.keys()];

    // The coordinator decided 21 transactions; the owners of a and b hold 21 outcome records, c's 1.
    const [pa, pb] = [a!, b!].map((k) => ownerOf(k, cluster.participantNames));
    await waitFor('every node to collect its records', () => collectedEverywhere({ c1: 21, [pa!]: 21, [pb!]: 21 }), { timeoutMs: 30_000, intervalMs: 200 });

    const retry = await refusal(client.transact(transfer, { txnId: ids[1]!, firstAttemptMs: born.get(ids[1]!)! }));
    expect(retry.code).toBe('FAILED_PRECONDITION');
    expect(retry.message).toMatch(/outside the retention window/);
    const asked = await refusal(client.getTransaction(ids[2]!, { firstAttemptMs: born.get(ids[2]!)! }));
    expect(asked.code).toBe('FAILED_PRECONDITION');

    // The mark is durable: after kill -9 of the coordinator and a participant, still refused.
    await cluster.kill('c1');
    await cluster.kill('p1');
    await cluster.restart('p1');
    await cluster.restart('c1');
    const afterCrash = await refusal(client.transact(transfer, { txnId: ids[3]!, firstAttemptMs: born.get(ids[3]!)! }));
    expect(afterCrash.code).toBe('FAILED_PRECONDITION');

    // Nothing ran twice: 20 transfers of 1, and a new transaction still runs.
    const read = await client.transact([op.get(a!), op.get(b!), op.get(c!)]);
    expect(read.results.map((r) => r.value)).toEqual(['80', '120', '100']);
    const fresh = await client.transact([op.add(a!, -1n, { min: 0n }), op.add(c!, 1n)], { txnId: 'ret-fresh', firstAttemptMs: Date.now() });
    expect(fresh.outcome).toBe('COMMITTED');
  }, 90_000);
});
