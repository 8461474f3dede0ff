import { op, type DtxClient, type TxnOp } from '../client/dtxClient.js';
import { ownerOf } from '../protocol/routing.js';

export type WorkloadName = 'bank' | 'cart' | 'kv';
export type Contention = 'low' | 'high';

/** One unit of work of a client loop: a transaction, named by kind (transfer, put, get, checkout). */
export interface BenchTxn {
  kind: string;
  ops: TxnOp[];
}

export interface BenchWorkload {
  name: WorkloadName;
  /** What the workload is, for the report. */
  shape: Record<string, string | number>;
  /** bank: the account keys (each opens at BIG), made anew on each call (a million are not kept for the run). */
  accounts?: () => string[];
  /** Writes the opening state (accounts, stock, keys). */
  setup(client: DtxClient): Promise<void>;
  /** The next transaction of client loop `loop`, from that loop's PRNG. */
  next(random: () => number, loop: number): BenchTxn;
}

export interface WorkloadOptions {
  name: WorkloadName;
  /** Participant ids as the coordinator routes them (p1..pN). */
  participants: string[];
  contention: Contention;
  /** Overrides the contention's key count: accounts (bank), keys (kv), wallets (cart). */
  accounts?: number;
  /** kv: fraction of gets (the rest are puts). */
  readRatio?: number;
  /** Unique per run, so runs against one --target cluster never share keys. */
  runId: string;
}

/** Key counts per contention level: low spreads load over many keys, high makes loops collide. */
export const DEFAULT_KEYS: Record<WorkloadName, Record<Contention, number>> = {
  bank: { low: 10_000, high: 10 },
  kv: { low: 10_000, high: 10 },
  cart: { low: 10_000, high: 10 },
};

/** Opening balances and stock: a bench never runs out. */
export const BIG = 1_000_000_000_000n;

/** The bank workload's key of account `i` of a run. */
export function bankKey(runId: string, i: number): string {
  return `bench:${runId}:acct:${i}`;
}

/** The bank workload's account keys of a run. */
export function bankKeys(runId: string, accounts: number): string[] {
  return Array.from({ length: accounts }, (_, i) => bankKey(runId, i));
}

export function makeWorkload(o: WorkloadOptions): BenchWorkload {
  const n = o.accounts ?? DEFAULT_KEYS[o.name][o.contention];
  switch (o.name) {
    case 'bank':
      return bankWorkload(o, n);
    case 'kv':
      return kvWorkload(o, n);
    case 'cart':
      return cartWorkload(o, n);
  }
}

const pick = <T>(xs: readonly T[], random: () => number): T => xs[Math.floor(random() * xs.length)]!;

/** Draws of a transfer's other side before giving up (accounts on one participant but a few need more). */
const MAX_OTHER_SIDE_DRAWS = 10_000;

/**
 * Transfers between two accounts that live on different participants: every one is a distributed
 * 2PC. Keys and owners are worked out per transfer (a hash over the participants), not kept: a
 * million accounts' keys, owners and per-participant lists held in the bench client made its
 * major GCs 100-250 ms, long enough to show as dips in what it measured.
 */
function bankWorkload(o: WorkloadOptions, accounts: number): BenchWorkload {
  const key = (i: number): string => bankKey(o.runId, i);
  const ownerOfAccount = (k: string): string => ownerOf(k, o.participants);
  // The participants holding accounts (the scan stops once every one is seen).
  const holding = new Set<string>();
  for (let i = 0; i < accounts && holding.size < o.participants.length; i++) holding.add(ownerOfAccount(key(i)));
  if (holding.size < 2)
    throw new Error(`bank needs accounts on at least 2 participants; ${accounts} accounts all hash to ${[...holding].join('')}: use more --accounts`);
  return {
    name: 'bank',
    accounts: () => bankKeys(o.runId, accounts),
    shape: {
      accounts,
      participantsWithAccounts: holding.size,
      transfer: 'add(from, -amount, min 0) + add(to, +amount), from and to on different participants',
    },
    setup: (client) =>
      putAll(
        client,
        bankKeys(o.runId, accounts).map((k) => [k, BIG.toString()]),
      ),
    next(random) {
      const from = key(Math.floor(random() * accounts));
      const fromOwner = ownerOfAccount(from);
      for (let i = 0; i < MAX_OTHER_SIDE_DRAWS; i++) {
        const to = key(Math.floor(random() * accounts));
        if (ownerOfAccount(to) === fromOwner) continue;
        const amount = 1 + Math.floor(random() * 10);
        return { kind: 'transfer', ops: [op.add(from, -amount, { min: 0 }), op.add(to, amount)] };
      }
      throw new Error(`no account on another participant than ${fromOwner} in ${MAX_OTHER_SIDE_DRAWS} draws`);
    },
  };
}

/** Single-key transactions: a put or a get of one key (one participant, no distributed commit). */
function kvWorkload(o: WorkloadOptions, n: number): BenchWorkload {
  const keys = Array.from({ length: n }, (_, i) => `bench:${o.runId}:kv:${i}`);
  const readRatio = o.readRatio ?? 0.5;
  let seq = 0;
  return {
    name: 'kv',
    shape: { keys: n, readRatio, value: '64 bytes' },
    setup: (client) =>
      putAll(
        client,
        keys.map((k) => [k, 'v'.repeat(64)]),
      ),
    next(random, loop) {
      const key = pick(keys, random);
      if (random() < readRatio) return { kind: 'get', ops: [op.get(key)] };
      return { kind: 'put', ops: [op.put(key, `${loop}:${seq++}:`.padEnd(64, 'v'))] };
    },
  };
}

/** Checkout: reserve stock (never below 0), charge a wallet (never below 0), write the order. */
function cartWorkload(o: WorkloadOptions, users: number): BenchWorkload {
  const skus = Math.max(1, Math.ceil(users / 10));
  const stock = Array.from({ length: skus }, (_, i) => `bench:${o.runId}:stock:${i}`);
  const wallets = Array.from({ length: users }, (_, i) => `bench:${o.runId}:wallet:${i}`);
  let seq = 0;
  return {
    name: 'cart',
    shape: { wallets: users, skus, checkout: 'add(stock, -qty, min 0) + add(wallet, -cost, min 0) + check(order absent) + put(order)' },
    setup: (client) =>
      putAll(
        client,
        [...stock, ...wallets].map((k) => [k, BIG.toString()]),
      ),
    next(random, loop) {
      const sku = Math.floor(random() * skus);
      const qty = 1 + Math.floor(random() * 3);
      const cost = (10 + 5 * (sku % 100)) * qty;
      const order = `bench:${o.runId}:order:${loop}:${seq++}`;
      return {
        kind: 'checkout',
        ops: [
          op.add(stock[sku]!, -qty, { min: 0 }),
          op.add(pick(wallets, random), -cost, { min: 0 }),
          op.check(order, { kind: 'exists', exists: false }),
          op.put(order, JSON.stringify({ sku, qty, cost })),
        ],
      };
    },
  };
}

/** Writes many keys in transactions of at most 500 ops, a few at a time. */
export async function putAll(client: DtxClient, pairs: [string, string][]): Promise<void> {
  const chunks: [string, string][][] = [];
  for (let i = 0; i < pairs.length; i += 500) chunks.push(pairs.slice(i, i + 500));
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      const chunk = chunks[next++]!;
      const r = await client.transact(
        chunk.map(([k, v]) => op.put(k, v)),
        { retries: 20, timeoutMs: 30_000 },
      );
      if (r.outcome !== 'COMMITTED') throw new Error(`setup transaction aborted: ${r.reason}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, chunks.length) }, worker));
}
