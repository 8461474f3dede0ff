import { externalReads, type WriteIndex } from './writeIndex.js';
import type { Anomaly, IsoTxn } from './types.js';

/**
 * Anomalies one read shows on its own (Adya's G1a and G1b): a committed transaction read a
 * value written by a transaction that did not commit (aborted read), or a value its writer
 * overwrote before it committed (intermediate read). Only committed readers count: the reads
 * of a transaction that may not have committed prove nothing.
 */
export function directAnomalies(txns: readonly IsoTxn[], index: WriteIndex): Anomaly[] {
  const out: Anomaly[] = [];
  for (const t of txns) {
    if (t.status !== 'ok') continue;
    for (const r of externalReads(t)) {
      if (r.value === null) continue;
      const w = index.writes.get(r.key)?.get(r.value);
      if (!w || w.txn.id === t.id) continue;
      if (w.txn.status === 'fail') {
        out.push({
          kind: 'G1a',
          name: 'G1a',
          txns: [w.txn.id, t.id],
          edges: [],
          detail: `${t.id} read ${r.key}=${r.value}, written by ${w.txn.id}, which aborted`,
        });
      } else if (!w.final) {
        out.push({
          kind: 'G1b',
          name: 'G1b',
          txns: [w.txn.id, t.id],
          edges: [],
          detail: `${t.id} read ${r.key}=${r.value}, an intermediate write of ${w.txn.id} (it wrote ${r.key} again before it ended)`,
        });
      }
    }
  }
  return out;
}
