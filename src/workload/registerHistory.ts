import type { OpResult, TxnOp } from '../protocol/types.js';
import type { HistoryEntry } from './history.js';
import type { IsoTxn, Mop, TxnStatus } from './isolation/types.js';

/** One planned micro-op of a register transaction: read a key, or write it a value unique in the history. */
export type PlannedMop = { f: 'r'; key: string } | { f: 'w'; key: string; value: string };

/** What the history holds for a register transaction: its plan (invoke), and its results in request order (ok). */
export interface RegisterValue {
  mops: PlannedMop[];
  /** The store's answer per op (ok only; absent when the coordinator could not give every op's result). */
  results?: { value: string | null; version: number }[];
}

/** The dtx ops of a plan: a get per read, a put per write, in order (a later op sees an earlier one). */
export function planOps(mops: readonly PlannedMop[]): TxnOp[] {
  return mops.map((m) => (m.f === 'r' ? { type: 'get', key: m.key } : { type: 'put', key: m.key, value: m.value }));
}

/** Results as the history keeps them: null for a key never written (a get of nothing returns found=false). */
export function resultsOf(rs: readonly OpResult[], count: number): RegisterValue['results'] {
  if (rs.length !== count) return undefined;
  return rs.map((r) => ({ value: r.found ? r.value : null, version: r.version }));
}

/** Micro-ops with what the store said: reads only when their results came back; writes always (their version when known). */
export function observedMops(plan: readonly PlannedMop[], results: RegisterValue['results']): Mop[] {
  const out: Mop[] = [];
  plan.forEach((m, i) => {
    const res = results?.[i];
    if (m.f === 'w') out.push({ f: 'w', key: m.key, value: m.value, version: res?.version ?? null });
    else if (res) out.push({ f: 'r', key: m.key, value: res.value, version: res.version });
  });
  return out;
}

/**
 * The register transactions of a history, as the isolation checker sees them. An unknown
 * outcome (info) becomes what was learnt afterwards: `resolved` gives, per txn id, the outcome
 * and — when the coordinator had them — the results.
 */
export function registerTxns(
  entries: readonly HistoryEntry[],
  f: string,
  resolved: ReadonlyMap<string, { status: TxnStatus; results?: RegisterValue['results'] }>,
): IsoTxn[] {
  const invokes = new Map<string, HistoryEntry>();
  const out: IsoTxn[] = [];
  for (const e of entries) {
    if (e.f !== f || !e.txnId) continue;
    if (e.type === 'invoke') {
      invokes.set(e.txnId, e);
      continue;
    }
    const inv = invokes.get(e.txnId);
    if (!inv) continue;
    const plan = (inv.value as RegisterValue).mops;
    const late = e.type === 'info' ? resolved.get(e.txnId) : undefined;
    const status: TxnStatus = late?.status ?? e.type;
    const results = e.type === 'ok' ? (e.value as RegisterValue).results : late?.results;
    out.push({
      id: e.txnId,
      process: e.process,
      status,
      invokedAt: inv.time,
      completedAt: e.type === 'ok' ? e.time : null,
      mops: observedMops(plan, results),
    });
  }
  return out;
}
