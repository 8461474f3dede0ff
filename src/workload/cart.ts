import { op, type DtxClient } from '../client/dtxClient.js';
import { recordTxn, type ChaosWorkload, type CheckResult } from './checks.js';
import type { History } from './history.js';

export interface CartOptions {
  skus: number;
  users: number;
  stock: bigint;
  wallet: bigint;
}

const stockKey = (i: number) => `stock:sku${i}`;
const walletKey = (i: number) => `wallet:u${i}`;
const orderKey = (id: string) => `order:${id}`;
const priceOf = (sku: number) => BigInt(10 + 5 * sku);

interface Checkout {
  sku: number;
  user: number;
  qty: number;
}

/**
 * The shopping-cart checkout: one transaction reserves stock, charges a wallet and writes
 * an order. Checks: stock and wallets never negative; an order exists iff its checkout
 * committed; final stock and wallets equal the opening ones minus exactly the orders.
 */
export function cartWorkload(o: CartOptions): ChaosWorkload {
  const stocks = Array.from({ length: o.skus }, (_, i) => stockKey(i));
  const wallets = Array.from({ length: o.users }, (_, i) => walletKey(i));
  let seq = 0;
  return {
    name: 'cart',
    async setup(client) {
      const r = await client.transact([...stocks.map((k) => op.put(k, o.stock.toString())), ...wallets.map((k) => op.put(k, o.wallet.toString()))], {
        retries: 10,
      });
      if (r.outcome !== 'COMMITTED') throw new Error(`cannot stock the shop: ${r.reason}`);
    },
    async step(client, process, random, history) {
      if (random() < 0.2) {
        history.add({ process, type: 'invoke', f: 'read' });
        try {
          const rs = await client.read([...stocks, ...wallets], 3000);
          history.add({ process, type: 'ok', f: 'read', value: Object.fromEntries(rs.map((r) => [r.key, r.value])) });
        } catch (err) {
          history.add({ process, type: 'fail', f: 'read', error: (err as Error).message });
        }
        return;
      }
      const c: Checkout = { sku: Math.floor(random() * o.skus), user: Math.floor(random() * o.users), qty: 1 + Math.floor(random() * 3) };
      const txnId = `cart-${process}-${seq++}`;
      const cost = priceOf(c.sku) * BigInt(c.qty);
      await recordTxn(history, process, 'checkout', txnId, c, () =>
        client.transact(
          [
            op.add(stockKey(c.sku), -c.qty, { min: 0 }),
            op.add(walletKey(c.user), -cost, { min: 0 }),
            op.check(orderKey(txnId), { kind: 'exists', exists: false }),
            op.put(orderKey(txnId), JSON.stringify({ ...c, cost: cost.toString() })),
          ],
          { txnId, timeoutMs: 3000 },
        ),
      );
    },
    keysOf(e) {
      if (e.f !== 'checkout' || !e.txnId) return null;
      const c = e.value as Checkout;
      return [stockKey(c.sku), walletKey(c.user), orderKey(e.txnId)];
    },
    check(client, history, committed) {
      return checkCart(o, stocks, wallets, client, history, committed);
    },
  };
}

/**
 * The cart checks over the history and the healed cluster: nothing negative, an order for
 * exactly the committed checkouts, final stock and wallets = opening - orders.
 */
async function checkCart(
  o: CartOptions,
  stocks: string[],
  wallets: string[],
  client: DtxClient,
  history: History,
  committed: ReadonlySet<string>,
): Promise<CheckResult[]> {
  let negativeReads = 0;
  for (const e of history.entries) {
    if (e.f === 'read' && e.type === 'ok' && Object.values(e.value as Record<string, string>).some((v) => BigInt(v || '0') < 0n)) {
      negativeReads++;
    }
  }
  const checkouts = history.entries.filter((e) => e.f === 'checkout' && e.type === 'invoke');
  const orderIds = checkouts.map((e) => e.txnId!);
  const orders = new Map<string, boolean>();
  for (let i = 0; i < orderIds.length; i += 500) {
    const chunk = orderIds.slice(i, i + 500);
    const rs = await client.read(chunk.map(orderKey), 10_000);
    rs.forEach((r, j) => orders.set(chunk[j]!, r.found || r.value !== ''));
  }
  const mismatched = orderIds.filter((id) => orders.get(id) !== committed.has(id));
  const stock = new Map(stocks.map((k) => [k, o.stock]));
  const wallet = new Map(wallets.map((k) => [k, o.wallet]));
  for (const e of checkouts) {
    if (!orders.get(e.txnId!)) continue;
    const c = e.value as Checkout;
    stock.set(stockKey(c.sku), stock.get(stockKey(c.sku))! - BigInt(c.qty));
    wallet.set(walletKey(c.user), wallet.get(walletKey(c.user))! - priceOf(c.sku) * BigInt(c.qty));
  }
  const final = await client.read([...stocks, ...wallets], 10_000);
  const wrong = final.filter((r) => BigInt(r.value || '0') !== (stock.get(r.key) ?? wallet.get(r.key)));
  const negativeFinal = final.filter((r) => BigInt(r.value || '0') < 0n).length;
  return [
    {
      // Always measured: the final stock and wallets are read whatever the run did.
      id: 'cart-non-negative',
      name: 'cart: stock and wallets never below 0',
      ok: negativeReads === 0 && negativeFinal === 0,
      detail: `${negativeReads} reads, ${negativeFinal} final values negative`,
    },
    {
      id: 'cart-order-iff-committed',
      name: 'cart: an order exists iff its checkout committed',
      ok: mismatched.length === 0,
      measured: orderIds.length > 0,
      detail: `${orderIds.length} checkouts, ${[...orders.values()].filter(Boolean).length} orders, ${mismatched.length} mismatched ${mismatched.slice(0, 3).join(' ')}`,
    },
    {
      id: 'cart-final',
      name: 'cart: stock and wallets = opening - orders',
      ok: wrong.length === 0,
      measured: [...orders.values()].some(Boolean),
      detail: `${wrong.length} keys differ ${wrong
        .slice(0, 3)
        .map((r) => `${r.key}=${r.value}`)
        .join(' ')}`,
    },
  ];
}
