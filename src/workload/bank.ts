import { DtxClient, type TxnResult } from '../client/dtxClient.js';

/** Seeded PRNG (mulberry32): workloads are reproducible from their seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface BankOptions {
  accounts: number;
  initial: bigint;
  prefix?: string;
}

export function accountKeys(o: BankOptions): string[] {
  return Array.from({ length: o.accounts }, (_, i) => `${o.prefix ?? 'acct'}:${String(i).padStart(4, '0')}`);
}

/** Opens every account with the same balance in one transaction. */
export async function openAccounts(client: DtxClient, o: BankOptions): Promise<void> {
  const keys = accountKeys(o);
  const r = await client.transact(keys.map((key) => ({ type: 'put', key, value: o.initial.toString() })));
  if (r.outcome !== 'COMMITTED') throw new Error(`could not open accounts: ${r.reason}`);
}

export interface Audit {
  total: bigint;
  min: bigint;
  balances: Map<string, bigint>;
}

/** One consistent read of every account. */
export async function audit(client: DtxClient, o: BankOptions): Promise<Audit> {
  const results = await client.read(accountKeys(o));
  const balances = new Map<string, bigint>();
  let total = 0n;
  let min: bigint | null = null;
  for (const r of results) {
    const b = BigInt(r.value === '' ? '0' : r.value);
    balances.set(r.key, b);
    total += b;
    min = min === null || b < min ? b : min;
  }
  return { total, min: min ?? 0n, balances };
}

export interface TransferCounts {
  committed: number;
  aborted: number;
  insufficient: number;
  failed: number;
}

/** Random transfers between random accounts until `until()` says stop. */
export async function transferLoop(client: DtxClient, o: BankOptions, random: () => number, counts: TransferCounts, until: () => boolean): Promise<void> {
  const keys = accountKeys(o);
  while (!until()) {
    const from = keys[Math.floor(random() * keys.length)]!;
    let to = keys[Math.floor(random() * keys.length)]!;
    if (to === from) to = keys[(keys.indexOf(from) + 1) % keys.length]!;
    const amount = 1 + Math.floor(random() * 10);
    let r: TxnResult;
    try {
      r = await client.transfer(from, to, amount, { retries: 5 });
    } catch {
      counts.failed++;
      continue;
    }
    if (r.outcome === 'COMMITTED') counts.committed++;
    else if (r.abortCode === 'PRECONDITION_FAILED') counts.insufficient++;
    else counts.aborted++;
  }
}
