import type { DependencyGraph } from './dependencyGraph.js';
import { stronglyConnected } from './scc.js';
import type { Anomaly, AnomalyKind, Edge, EdgeType } from './types.js';

/**
 * One class of cycle, searched Elle's way: in each strongly connected component of the graph
 * restricted to `graph` edges, take an edge of type `first` and look (breadth first, so the
 * cycle is short) for a way back from its target to its source over `rest` edges — with at least
 * one more `first` edge when `more` is set.
 */
interface CycleClass {
  kind: Extract<AnomalyKind, 'G0' | 'G1c' | 'G-single' | 'G2-item' | 'realtime'>;
  graph: ReadonlySet<EdgeType>;
  first: EdgeType;
  rest: ReadonlySet<EdgeType>;
  more: boolean;
}

const ALL: ReadonlySet<EdgeType> = new Set(['ww', 'wr', 'rw', 'rt']);
const DATA: ReadonlySet<EdgeType> = new Set(['ww', 'wr', 'rw']);

/** G0 only writes; G1c writes and reads, no anti-dependency; G-single exactly one anti-dependency; G2-item several; realtime needs real-time order. */
export const CYCLE_CLASSES: readonly CycleClass[] = [
  { kind: 'G0', graph: new Set(['ww']), first: 'ww', rest: new Set(['ww']), more: false },
  { kind: 'G1c', graph: new Set(['ww', 'wr']), first: 'wr', rest: new Set(['ww', 'wr']), more: false },
  { kind: 'G-single', graph: DATA, first: 'rw', rest: new Set(['ww', 'wr']), more: false },
  { kind: 'G2-item', graph: DATA, first: 'rw', rest: DATA, more: true },
  { kind: 'realtime', graph: ALL, first: 'rt', rest: ALL, more: false },
];

export interface SearchLimits {
  /** Cycles reported per class at most (one per component). */
  maxCycles: number;
  /** Nodes visited per class at most, over all its searches: a bound on the work. */
  maxVisits: number;
}

export const DEFAULT_SEARCH_LIMITS: SearchLimits = { maxCycles: 20, maxVisits: 5_000_000 };

/** The name of a cycle: its class, or for a real-time one, the class of its data edges plus "-realtime". */
export function cycleName(kind: CycleClass['kind'], edges: readonly Edge[]): string {
  if (kind !== 'realtime') return kind;
  const rw = edges.filter((e) => e.type === 'rw').length;
  const base = rw > 1 ? 'G2-item' : rw === 1 ? 'G-single' : edges.some((e) => e.type === 'wr') ? 'G1c' : 'G0';
  return `${base}-realtime`;
}

export function describeCycle(edges: readonly Edge[]): string {
  return edges.map((e) => `${e.from} -${e.type}(${e.why})->`).join(' ') + ` ${edges[0]?.from ?? ''}`;
}

/** A path from `start` to `goal` inside `within` over `types` (with one more `first` edge if `more`), or null. */
function pathBack(g: DependencyGraph, c: CycleClass, start: string, goal: string, within: ReadonlySet<string>, budget: { visits: number }): Edge[] | null {
  const need = c.more ? 1 : 0;
  const key = (n: string, got: number) => `${got}|${n}`;
  const parent = new Map<string, { edge: Edge; prev: string } | null>([[key(start, 0), null]]);
  let frontier: { node: string; got: number }[] = [{ node: start, got: 0 }];
  while (frontier.length > 0 && budget.visits > 0) {
    const next: { node: string; got: number }[] = [];
    for (const s of frontier) {
      budget.visits--;
      for (const e of g.out.get(s.node) ?? []) {
        // Never back through the start: the cycle must be simple (a walk round a G-single twice is no G2-item).
        if (!c.rest.has(e.type) || !within.has(e.to) || e.to === start) continue;
        const got = Math.min(need, s.got + (e.type === c.first ? 1 : 0));
        const k = key(e.to, got);
        if (parent.has(k)) continue;
        parent.set(k, { edge: e, prev: key(s.node, s.got) });
        if (e.to === goal && got === need) {
          const path: Edge[] = [];
          for (let p = parent.get(k); p; p = parent.get(p.prev)) path.unshift(p.edge);
          return path;
        }
        next.push({ node: e.to, got });
      }
    }
    frontier = next;
  }
  return null;
}

/** Cycles of one class: at most one per component, within the limits. */
export function findCycles(g: DependencyGraph, c: CycleClass, limits: SearchLimits = DEFAULT_SEARCH_LIMITS): { cycles: Anomaly[]; truncated: boolean } {
  const cycles: Anomaly[] = [];
  const budget = { visits: limits.maxVisits };
  for (const component of stronglyConnected(g, c.graph)) {
    const within = new Set(component);
    for (const n of component) {
      const found = (g.out.get(n) ?? []).some((e) => {
        if (e.type !== c.first || !within.has(e.to) || budget.visits <= 0) return false;
        const back = pathBack(g, c, e.to, e.from, within, budget);
        if (!back) return false;
        const edges = [e, ...back];
        if (new Set(edges.map((x) => x.from)).size < edges.length) return false;
        cycles.push({ kind: c.kind, name: cycleName(c.kind, edges), txns: edges.map((x) => x.from), edges, detail: describeCycle(edges) });
        return true;
      });
      if (found || budget.visits <= 0) break;
    }
    if (cycles.length >= limits.maxCycles || budget.visits <= 0) return { cycles, truncated: true };
  }
  return { cycles, truncated: false };
}
