import { op } from '../client/dtxClient.js';
import { accountKeys, type BankOptions } from './bank.js';
import { recordTxn, type ChaosWorkload, type CheckResult } from './checks.js';
import type { History } from './history.js';

/** The successful reads: how many sum to the total, which do not, how many saw a negative balance. */
function checkReads(history: History, total: bigint): { goodReads: number; badReads: string[]; negative: number } {
  let goodReads = 0;
  const badReads: string[] = [];
  let negative = 0;
  for (const e of history.entries) {
    if (e.f !== 'read' || e.type !== 'ok') continue;
    const values = Object.values(e.value as Record<string, string>).map((v) => BigInt(v || '0'));
    const sum = values.reduce((a, b) => a + b, 0n);
    if (values.some((v) => v < 0n)) negative++;
    if (sum === total) goodReads++;
    else badReads.push(`#${e.index} sum=${sum}`);
  }
  return { goodReads, badReads, negative };
}

/** The balances the accounts must end with: the opening ones plus exactly the committed transfers. */
function expectedBalances(history: History, committed: ReadonlySet<string>, keys: string[], initial: bigint): Map<string, bigint> {
  const expected = new Map(keys.map((k) => [k, initial]));
  for (const e of history.entries) {
    if (e.f !== 'transfer' || e.type !== 'invoke' || !committed.has(e.txnId!)) continue;
    const v = e.value as { from: string; to: string; amount: number };
    expected.set(v.from, expected.get(v.from)! - BigInt(v.amount));
    expected.set(v.to, expected.get(v.to)! + BigInt(v.amount));
  }
  return expected;
}

/**
 * Jepsen's bank: transfers between accounts on different participants and reads of all
 * accounts. Checks: every read sums to the total, no balance below 0, and the final
 * balances are the opening ones plus exactly the committed transfers.
 */
export function bankWorkload(o: BankOptions & { readShare?: number }): ChaosWorkload {
  const keys = accountKeys(o);
  const total = o.initial * BigInt(keys.length);
  let seq = 0;
  return {
    name: 'bank',
    async setup(client) {
      const r = await client.transact(
        keys.map((k) => op.put(k, o.initial.toString())),
        { retries: 10 },
      );
      if (r.outcome !== 'COMMITTED') throw new Error(`cannot open accounts: ${r.reason}`);
    },
    async step(client, process, random, history) {
      if (random() < (o.readShare ?? 0.2)) {
        history.add({ process, type: 'invoke', f: 'read' });
        try {
          const rs = await client.read(keys, 3000);
          history.add({ process, type: 'ok', f: 'read', value: Object.fromEntries(rs.map((r) => [r.key, r.value])) });
        } catch (err) {
          history.add({ process, type: 'fail', f: 'read', error: (err as Error).message });
        }
        return;
      }
      const from = keys[Math.floor(random() * keys.length)]!;
      const to = keys[(keys.indexOf(from) + 1 + Math.floor(random() * (keys.length - 1))) % keys.length]!;
      const amount = 1 + Math.floor(random() * 10);
      const txnId = `bank-${process}-${seq++}`;
      await recordTxn(history, process, 'transfer', txnId, { from, to, amount }, () => client.transfer(from, to, amount, { txnId, timeoutMs: 3000 }));
    },
    keysOf(e) {
      if (e.f !== 'transfer') return null;
      const v = e.value as { from: string; to: string };
      return [v.from, v.to];
    },
    async check(client, history: History, committed): Promise<CheckResult[]> {
      const { goodReads, badReads, negative } = checkReads(history, total);
      const expected = expectedBalances(history, committed, keys, o.initial);
      const final = await client.read(keys, 10_000);
      const wrong = final.filter((r) => BigInt(r.value || '0') !== expected.get(r.key));
      const finalNegative = final.filter((r) => BigInt(r.value || '0') < 0n).length;
      return [
        {
          id: 'bank-read-total',
          name: 'bank: every read sums to the total',
          ok: badReads.length === 0,
          measured: goodReads + badReads.length > 0,
          detail: `${goodReads} reads ok, ${badReads.length} wrong ${badReads.slice(0, 3).join(' ')}`,
        },
        {
          // Always measured: the final balances are read whatever the run did.
          id: 'bank-non-negative',
          name: 'bank: no balance below 0',
          ok: negative === 0 && finalNegative === 0,
          detail: `${negative} reads and ${finalNegative} final balances negative`,
        },
        {
          id: 'bank-final',
          name: 'bank: final = initial + committed transfers',
          ok: wrong.length === 0,
          measured: committed.size > 0,
          detail: `${committed.size} committed; ${wrong.length} accounts differ ${wrong
            .slice(0, 3)
            .map((r) => `${r.key}=${r.value} want ${expected.get(r.key)}`)
            .join(' ')}`,
        },
      ];
    },
  };
}
