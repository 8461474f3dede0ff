import type { Registry } from 'prom-client';
import type { TxnTotals } from './txnSeries.js';

interface ValueLine {
  metricName?: string;
  labels: Record<string, string | number | undefined>;
  value: number;
}

async function valuesOf(registry: Registry, name: string): Promise<ValueLine[]> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return [];
  return (await metric.get()).values as ValueLine[];
}

/** Reads a coordinator's transaction counters and latency histogram (all protocols) from its metrics registry. */
export async function readTxnTotals(registry: Registry, atMs: number): Promise<TxnTotals> {
  const txns = await valuesOf(registry, 'dtx_transactions_total');
  const sum = (outcome: string) => txns.filter((v) => v.labels['outcome'] === outcome).reduce((a, v) => a + v.value, 0);
  const byLe = new Map<number, number>();
  for (const v of await valuesOf(registry, 'dtx_transaction_seconds')) {
    if (v.metricName !== 'dtx_transaction_seconds_bucket') continue;
    const le = v.labels['le'] === '+Inf' ? Infinity : Number(v.labels['le']);
    byLe.set(le, (byLe.get(le) ?? 0) + v.value);
  }
  const buckets = [...byLe].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
  return { atMs, committed: sum('committed'), aborted: sum('aborted'), buckets };
}
