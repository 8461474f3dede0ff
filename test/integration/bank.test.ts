import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DtxClient, op, type TxnResult } from '../../src/client/dtxClient.js';
import { LocalCluster } from '../../src/cluster/localCluster.js';
import { ownerOf } from '../../src/protocol/routing.js';
import { accountKeys, prng, type BankOptions } from '../../src/workload/bank.js';
import { quiescent, txnState } from '../support/nodes.js';
import { waitFor } from '../support/wait.js';

interface Attempt {
  txnId: string;
  from: string;
  to: string;
  amount: bigint;
  result: 'committed' | 'aborted' | 'unknown';
}

/**
 * Jepsen-style bank test on real processes: concurrent transfers across 3 participants,
 * consistent reads that must always sum to the total, kill -9 of random nodes while it
 * runs, and a final state that must equal the opening balances plus exactly the
 * committed transfers (unknown outcomes resolved with GetTransaction, not guessed).
 */
describe('bank transfers across participants', () => {
  let cluster: LocalCluster;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ participants: 3, participantArgs: ['--inquire-after', '300ms'] });
  });

  afterAll(async () => {
    await cluster?.destroy();
  });

  async function runBank(opts: { seed: number; workers: number; kills: number; transfersPerWorker: number; prefix: string }) {
    const bank: BankOptions = { accounts: 12, initial: 100n, prefix: opts.prefix };
    const keys = accountKeys(bank);
    const owners = new Set(keys.map((k) => ownerOf(k, cluster.participantNames)));
    expect(owners.size).toBe(3); // the accounts really are spread over every participant
    const total = bank.initial * BigInt(keys.length);
    const client = new DtxClient(cluster.coordinatorAddress, { timeoutMs: 3000 });
    const opened = await client.transact(keys.map((k) => op.put(k, bank.initial.toString())));
    expect(opened.outcome).toBe('COMMITTED');

    const random = prng(opts.seed);
    const attempts: Attempt[] = [];
    const badReads: string[] = [];
    let goodReads = 0;
    let done = false;

    const worker = async (w: number) => {
      for (let n = 0; n < opts.transfersPerWorker && !done; n++) {
        const from = keys[Math.floor(random() * keys.length)]!;
        const to = keys[(keys.indexOf(from) + 1 + Math.floor(random() * (keys.length - 1))) % keys.length]!;
        const amount = BigInt(1 + Math.floor(random() * 20));
        const firstAttemptMs = Date.now();
        // Lock conflicts are retried under new ids with the first attempt's age, as a real client does.
        for (let retry = 0; retry < 10 && !done; retry++) {
          const a: Attempt = { txnId: `${opts.prefix}-w${w}-${n}-r${retry}`, from, to, amount, result: 'unknown' };
          attempts.push(a);
          let r: TxnResult;
          try {
            r = await client.transfer(from, to, amount, { txnId: a.txnId, firstAttemptMs });
          } catch {
            await new Promise((res) => setTimeout(res, 50)); // back off while a node is down
            break;
          }
          a.result = r.outcome === 'COMMITTED' ? 'committed' : r.outcome === 'ABORTED' ? 'aborted' : 'unknown';
          if (r.abortCode !== 'CONFLICT') break;
        }
      }
    };
    const auditor = async () => {
      for (let i = 0; i < 10_000 && !done; i++) {
        try {
          const rs = await client.read(keys);
          const sum = rs.reduce((s, r) => s + BigInt(r.value), 0n);
          const min = rs.reduce((m, r) => (BigInt(r.value) < m ? BigInt(r.value) : m), total);
          if (sum !== total || min < 0n) badReads.push(`sum=${sum} min=${min}`);
          else goodReads++;
        } catch {
          // a read while a participant is down fails cleanly; it must never be wrong
        }
        await new Promise((res) => setTimeout(res, 100));
      }
    };
    const nemesis = async () => {
      const names = [...cluster.nodes.keys()];
      for (let k = 0; k < opts.kills; k++) {
        await new Promise((res) => setTimeout(res, 300 + Math.floor(random() * 300)));
        const victim = names[Math.floor(random() * names.length)]!;
        await cluster.kill(victim);
        await new Promise((res) => setTimeout(res, 100 + Math.floor(random() * 300)));
        await cluster.restart(victim);
      }
    };

    const workers = Array.from({ length: opts.workers }, (_, w) => worker(w));
    const audit = auditor();
    await nemesis();
    if (opts.kills > 0) {
      // The faults are over: a little more load on the healed cluster, then stop and check.
      await new Promise((res) => setTimeout(res, 1500));
      done = true;
    }
    await Promise.all(workers);
    done = true;
    await audit;

    await waitFor('every node quiescent (no in-doubt txn, no lock held)', () => quiescent(cluster), { timeoutMs: 40_000 });

    // Resolve unknown outcomes from the coordinator's durable log.
    const check = new DtxClient(cluster.coordinatorAddress, { timeoutMs: 5000, waitForReady: true });
    for (const a of attempts.filter((x) => x.result === 'unknown')) {
      const g = await check.getTransaction(a.txnId);
      expect(g.outcome).not.toBe('PENDING');
      a.result = g.outcome === 'COMMITTED' ? 'committed' : 'aborted';
    }
    // Atomicity, read off each participant: a transfer is committed on both of its shards or on neither.
    for (const a of attempts.filter((x, i) => x.result === 'committed' || i % 5 === 0)) {
      const states = await Promise.all([a.from, a.to].map((k) => txnState(cluster.node(ownerOf(k, cluster.participantNames)).address, a.txnId)));
      if (a.result === 'committed') expect(states, a.txnId).toEqual(['TXN_COMMITTED', 'TXN_COMMITTED']);
      else
        expect(
          states.filter((s) => s === 'TXN_COMMITTED'),
          a.txnId,
        ).toEqual([]);
    }
    // Final state = opening balances + exactly the committed transfers.
    const expected = new Map(keys.map((k) => [k, bank.initial]));
    for (const a of attempts.filter((x) => x.result === 'committed')) {
      expected.set(a.from, expected.get(a.from)! - a.amount);
      expected.set(a.to, expected.get(a.to)! + a.amount);
    }
    const final = await check.read(keys);
    expect(Object.fromEntries(final.map((r) => [r.key, BigInt(r.value)]))).toEqual(Object.fromEntries(expected));
    check.close();
    client.close();
    expect(badReads).toEqual([]);
    return { attempts, goodReads, committed: attempts.filter((a) => a.result === 'committed').length };
  }

  it('concurrent transfers keep the total and apply exactly the committed ones', async () => {
    const r = await runBank({ seed: 7, workers: 8, kills: 0, transfersPerWorker: 40, prefix: 'calm' });
    expect(r.committed).toBeGreaterThan(100);
    expect(r.goodReads).toBeGreaterThan(0);
  });

  it('kill -9 of random nodes (coordinator included) during transfers loses nothing', async () => {
    const r = await runBank({ seed: 42, workers: 6, kills: 6, transfersPerWorker: 400, prefix: 'chaos' });
    expect(r.committed).toBeGreaterThan(10);
  }, 120_000);
});
