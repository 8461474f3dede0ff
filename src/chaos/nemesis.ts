import type { LocalCluster } from '../cluster/localCluster.js';
import { link, partitionLinks } from '../cluster/faultControl.js';
import { prng } from '../workload/bank.js';

export const NEMESES = ['kill', 'pause', 'partition', 'delay', 'skew'] as const;
export type NemesisKind = (typeof NEMESES)[number];

/** One fault: applied at `atMs` (from the start), healed `forMs` later. */
export interface NemesisStep {
  atMs: number;
  forMs: number;
  kind: NemesisKind;
  /** What is broken, in words (for progress and the history). */
  what: string;
  apply(cluster: LocalCluster): Promise<void>;
  heal(cluster: LocalCluster): Promise<void>;
}

/**
 * A fault schedule, reproducible from the seed: faults of the enabled kinds, one at a
 * time, each held for 0.5–2.5 s, with 0.3–1.3 s of calm between them.
 */
export function nemesisSchedule(seed: number, kinds: NemesisKind[], durationMs: number, nodes: string[]): NemesisStep[] {
  const random = prng(seed ^ 0x9e3779b9);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const steps: NemesisStep[] = [];
  const participants = nodes.filter((n) => n.startsWith('p'));
  let at = 500 + Math.floor(random() * 500);
  for (let i = 0; kinds.length > 0 && i < 10_000; i++) {
    const forMs = 500 + Math.floor(random() * 2000);
    if (at + forMs > durationMs) break;
    const kind = pick(kinds);
    const node = pick(nodes);
    switch (kind) {
      case 'kill':
        steps.push({
          atMs: at,
          forMs,
          kind,
          what: `kill -9 ${node}`,
          apply: (c) => c.kill(node),
          heal: (c) => c.restart(node),
        });
        break;
      case 'pause':
        steps.push({
          atMs: at,
          forMs,
          kind,
          what: `SIGSTOP ${node}`,
          apply: (c) => c.pause(node),
          heal: (c) => c.resume(node),
        });
        break;
      case 'partition': {
        const p = pick(participants);
        const oneWay = random() < 0.4;
        const [a, b] = random() < 0.5 ? ['c1', p] : [p, 'c1'];
        steps.push({
          atMs: at,
          forMs,
          kind,
          what: oneWay ? `partition ${a}→${b}` : `partition ${a}|${b}`,
          apply: async (c) => void (await c.setNetworkFaults(partitionLinks([a], [b], oneWay))),
          heal: async (c) => void (await c.setNetworkFaults([])),
        });
        break;
      }
      case 'delay': {
        const delayMs = 10 + Math.floor(random() * 150);
        const jitterMs = Math.floor(random() * 100);
        const dropRate = random() < 0.3 ? 0.05 : 0;
        const duplicateRate = random() < 0.3 ? 0.1 : 0;
        const links = participants.flatMap((p) => [
          link('c1', p, { delayMs, jitterMs, dropRate, duplicateRate }),
          link(p, 'c1', { delayMs, jitterMs, dropRate }),
        ]);
        steps.push({
          atMs: at,
          forMs,
          kind,
          what: `delay ${delayMs}±${jitterMs}ms drop ${dropRate} dup ${duplicateRate}`,
          apply: async (c) => void (await c.setNetworkFaults(links)),
          heal: async (c) => void (await c.setNetworkFaults([])),
        });
        break;
      }
      case 'skew': {
        const offsetMs = (random() < 0.5 ? -1 : 1) * (1000 + Math.floor(random() * 30_000));
        steps.push({
          atMs: at,
          forMs,
          kind,
          what: `clock ${node} ${offsetMs > 0 ? '+' : ''}${offsetMs}ms`,
          apply: (c) => c.setClockOffset(node, offsetMs),
          heal: (c) => c.setClockOffset(node, 0),
        });
        break;
      }
    }
    at += forMs + 300 + Math.floor(random() * 1000);
  }
  return steps;
}
