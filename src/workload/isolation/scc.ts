import type { DependencyGraph } from './dependencyGraph.js';
import type { EdgeType } from './types.js';

/**
 * Tarjan's strongly connected components of the graph restricted to some edge types,
 * iteratively (histories have thousands of transactions: no recursion). Only components that
 * can hold a cycle (two or more transactions; the graph has no self-loops) are returned.
 */
export function stronglyConnected(g: DependencyGraph, types: ReadonlySet<EdgeType>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  let counter = 0;
  const succ = (n: string): string[] => (g.out.get(n) ?? []).filter((e) => types.has(e.type)).map((e) => e.to);
  for (const root of g.nodes) {
    if (index.has(root)) continue;
    const frames: { node: string; next: string[]; i: number }[] = [];
    const open = (n: string): void => {
      index.set(n, counter);
      low.set(n, counter);
      counter++;
      stack.push(n);
      onStack.add(n);
      frames.push({ node: n, next: succ(n), i: 0 });
    };
    open(root);
    while (frames.length > 0) {
      const f = frames[frames.length - 1]!;
      if (f.i < f.next.length) {
        const w = f.next[f.i++]!;
        if (!index.has(w)) open(w);
        else if (onStack.has(w)) low.set(f.node, Math.min(low.get(f.node)!, index.get(w)!));
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(f.node)!));
      if (low.get(f.node) === index.get(f.node)) {
        const component: string[] = [];
        for (;;) {
          const w = stack.pop()!;
          onStack.delete(w);
          component.push(w);
          if (w === f.node) break;
        }
        if (component.length > 1) out.push(component);
      }
    }
  }
  return out;
}
