import { CYCLE_CLASSES, DEFAULT_SEARCH_LIMITS, findCycles, type SearchLimits } from './cycleSearch.js';
import { addRealtimeEdges, dependencyGraph } from './dependencyGraph.js';
import { directAnomalies } from './directAnomalies.js';
import { ANOMALY_KINDS, type Anomaly, type AnomalyKind, type IsoTxn } from './types.js';
import { buildWriteIndex, externalReads } from './writeIndex.js';

export interface IsolationReport {
  /** Transactions by status, and what the graph was built from. */
  txns: { ok: number; fail: number; info: number };
  reads: number;
  writes: number;
  edges: { ww: number; wr: number; rw: number; rt: number };
  /** Anomalies by kind (each list capped; `truncated` names the kinds whose search stopped at a limit). */
  anomalies: Record<AnomalyKind, Anomaly[]>;
  truncated: AnomalyKind[];
}

function countEdges(g: ReturnType<typeof dependencyGraph>): IsolationReport['edges'] {
  const n = { ww: 0, wr: 0, rw: 0, rt: 0 };
  for (const list of g.out.values()) for (const e of list) n[e.type]++;
  return n;
}

/**
 * Elle's method over a read-write register history: index the writes by their unique values,
 * take each key's version order from the store's versions, build the dependency graph (ww, wr,
 * rw, and real-time order), and report Adya's anomalies — G1a and G1b from single reads, G0,
 * G1c, G-single and G2-item from cycles, cycles that need real-time order (strict
 * serializability) — plus contradictions in the history itself.
 */
export function checkIsolation(txns: readonly IsoTxn[], limits: SearchLimits = DEFAULT_SEARCH_LIMITS): IsolationReport {
  const index = buildWriteIndex(txns);
  const graph = dependencyGraph(txns, index);
  addRealtimeEdges(graph, txns);
  const anomalies = Object.fromEntries(ANOMALY_KINDS.map((k) => [k, [] as Anomaly[]])) as Record<AnomalyKind, Anomaly[]>;
  for (const a of [...index.inconsistent, ...directAnomalies(txns, index)]) anomalies[a.kind].push(a);
  const truncated: AnomalyKind[] = [];
  for (const c of CYCLE_CLASSES) {
    const r = findCycles(graph, c, limits);
    anomalies[c.kind].push(...r.cycles);
    if (r.truncated) truncated.push(c.kind);
  }
  const committedOrMaybe = txns.filter((t) => t.status !== 'fail');
  return {
    txns: {
      ok: txns.filter((t) => t.status === 'ok').length,
      fail: txns.filter((t) => t.status === 'fail').length,
      info: txns.filter((t) => t.status === 'info').length,
    },
    reads: committedOrMaybe.reduce((n, t) => n + externalReads(t).length, 0),
    writes: committedOrMaybe.reduce((n, t) => n + t.mops.filter((m) => m.f === 'w').length, 0),
    edges: countEdges(graph),
    anomalies,
    truncated,
  };
}
