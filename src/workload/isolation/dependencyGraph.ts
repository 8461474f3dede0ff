import { externalReads, type WriteIndex } from './writeIndex.js';
import type { Edge, IsoTxn } from './types.js';

/** Edges by source transaction. Nodes are the transactions that committed or may have. */
export interface DependencyGraph {
  nodes: string[];
  out: Map<string, Edge[]>;
  edgeCount: number;
}

export function emptyGraph(nodes: string[]): DependencyGraph {
  return { nodes, out: new Map(nodes.map((n) => [n, []])), edgeCount: 0 };
}

export function addEdge(g: DependencyGraph, e: Edge): void {
  if (e.from === e.to) return;
  const list = g.out.get(e.from);
  if (!list || !g.out.has(e.to)) return;
  // One edge of a type between two transactions is enough (the first says why).
  if (list.some((x) => x.to === e.to && x.type === e.type)) return;
  list.push(e);
  g.edgeCount++;
}

/** A key's known versions in order, each with its writer. */
function versionOrder(index: WriteIndex, key: string): { version: number; txn: string }[] {
  return [...(index.versions.get(key) ?? new Map<number, string>())].map(([version, txn]) => ({ version, txn })).sort((a, b) => a.version - b.version);
}

/** The first known version after `version`, or null (binary search). */
function nextVersion(order: { version: number; txn: string }[], version: number): { version: number; txn: string } | null {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (order[mid]!.version <= version) lo = mid + 1;
    else hi = mid;
  }
  return order[lo] ?? null;
}

/**
 * Adya's direct serialization graph from the history: ww between consecutive known versions of
 * a key, wr from a write to each read of it, rw from a read to the writer of the key's next
 * known version. A version nobody reported (written by a transaction whose answer was lost, and
 * never read) leaves a gap; an edge across the gap still holds, as the order is transitive.
 */
export function dependencyGraph(txns: readonly IsoTxn[], index: WriteIndex): DependencyGraph {
  const g = emptyGraph(txns.filter((t) => t.status !== 'fail').map((t) => t.id));
  const orders = new Map<string, { version: number; txn: string }[]>();
  for (const key of index.versions.keys()) orders.set(key, versionOrder(index, key));
  for (const [key, order] of orders) {
    for (let i = 1; i < order.length; i++) {
      const a = order[i - 1]!;
      const b = order[i]!;
      addEdge(g, { from: a.txn, to: b.txn, type: 'ww', why: `${key}: v${a.version} then v${b.version}` });
    }
  }
  for (const t of txns) {
    if (t.status === 'fail') continue;
    for (const r of externalReads(t)) {
      const w = r.value === null ? null : index.writes.get(r.key)?.get(r.value);
      if (w && w.final && w.txn.status !== 'fail') addEdge(g, { from: w.txn.id, to: t.id, type: 'wr', why: `${r.key}: read v${r.version}` });
      const next = nextVersion(orders.get(r.key) ?? [], r.version);
      if (next) addEdge(g, { from: t.id, to: next.txn, type: 'rw', why: `${r.key}: read v${r.version}, overwritten by v${next.version}` });
    }
  }
  return g;
}

/**
 * Real-time order (for strict serializability): T1 → T2 when T1 was seen committed before T2 was
 * invoked. Only a transitive reduction is added (Elle's way): at T2's invocation, edges from the
 * frontier of completed transactions no later completion supersedes; a transaction leaves the
 * frontier once one it precedes completes. A transaction whose answer never came has no end.
 */
export function addRealtimeEdges(g: DependencyGraph, txns: readonly IsoTxn[]): void {
  type Event = { at: number; kind: 0 | 1; t: IsoTxn };
  const events: Event[] = [];
  for (const t of txns) {
    if (t.status === 'fail') continue;
    events.push({ at: t.invokedAt, kind: 0, t });
    if (t.status === 'ok' && t.completedAt !== null) events.push({ at: t.completedAt, kind: 1, t });
  }
  // At one instant an invocation goes first: equal times order nothing.
  events.sort((a, b) => a.at - b.at || a.kind - b.kind);
  const frontier = new Set<string>();
  const before = new Map<string, string[]>();
  for (const e of events) {
    if (e.kind === 0) {
      before.set(e.t.id, [...frontier]);
      for (const f of frontier) addEdge(g, { from: f, to: e.t.id, type: 'rt', why: 'committed before it began' });
    } else {
      for (const p of before.get(e.t.id) ?? []) frontier.delete(p);
      frontier.add(e.t.id);
    }
  }
}
