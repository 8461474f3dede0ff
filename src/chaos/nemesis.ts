import type { LocalCluster } from '../cluster/localCluster.js';
import { link, partitionLinks } from '../cluster/faultControl.js';
import { prng } from '../workload/bank.js';

/**
 * kill: kill -9 any node (coordinator or participant), down 0.5–2.5 s like every fault.
 * kill-coordinator / kill-participant: kill -9 one node of that role and keep it down long enough for the
 * participants' termination to act: the coordinator 5–6.5 s, a participant 2–3.5 s. (In chaos
 * runs a YES voter asks the coordinator after 500 ms; that call fails at once on a dead
 * coordinator but may take its full 3 s deadline on one that is cut off or stalled, and
 * termination starts after it: at worst about 3.5 s after the fault.)
 */
export const NEMESES = ['kill', 'kill-coordinator', 'kill-participant', 'pause', 'partition', 'delay', 'skew'] as const;
export type NemesisKind = (typeof NEMESES)[number];

/** The shortest time the coordinator stays down under kill-coordinator. */
export const COORDINATOR_DOWN_MIN_MS = 5000;
/** The shortest time a participant stays down under kill-participant. */
export const PARTICIPANT_DOWN_MIN_MS = 2000;

/** One fault: applied at `atMs` (from the start), healed `forMs` later. */
export interface NemesisStep {
  atMs: number;
  forMs: number;
  kind: NemesisKind;
  /** What is broken, in words (for progress and the history). */
  what: string;
  /** The node this step kills (kill -9), if it kills one: it is down from apply to heal. */
  kills?: string;
  apply(cluster: LocalCluster): Promise<void>;
  heal(cluster: LocalCluster): Promise<void>;
}

/**
 * A partition around participant `p`, drawn from `random`: coordinator `co` from p, or {co, p} |
 * {the other participants}; either may be one-way. With several coordinators, sometimes one
 * coordinator from the others instead (each then forwards to owners it cannot reach).
 */
function partitionStep(random: () => number, co: string, coordinators: string[], p: string, participants: string[], at: number, forMs: number): NemesisStep {
  const kind = 'partition';
  if (coordinators.length > 1 && random() < 0.3) {
    const others = coordinators.filter((x) => x !== co);
    return {
      atMs: at,
      forMs,
      kind,
      what: `partition ${co}|${others.join(',')}`,
      apply: async (c) => void (await c.setNetworkFaults(partitionLinks([co], others, false))),
      heal: async (c) => void (await c.setNetworkFaults([])),
    };
  }
  const oneWay = random() < 0.4;
  const [a, b] = random() < 0.5 ? [co, p] : [p, co];
  if (random() < 0.4 && participants.length > 1) {
    const others = participants.filter((x) => x !== p);
    return {
      atMs: at,
      forMs,
      kind,
      what: `partition ${co},${p}${oneWay ? '→' : '|'}${others.join(',')}`,
      apply: async (c) => void (await c.setNetworkFaults(partitionLinks([co, p], others, oneWay))),
      heal: async (c) => void (await c.setNetworkFaults([])),
    };
  }
  return {
    atMs: at,
    forMs,
    kind,
    what: oneWay ? `partition ${a}→${b}` : `partition ${a}|${b}`,
    apply: async (c) => void (await c.setNetworkFaults(partitionLinks([a], [b], oneWay))),
    heal: async (c) => void (await c.setNetworkFaults([])),
  };
}

/** Delays (with jitter, maybe drops and duplicates) on every link between the coordinators and the participants, drawn from `random`. */
function delayStep(random: () => number, coordinators: string[], participants: string[], at: number, forMs: number): NemesisStep {
  const delayMs = 10 + Math.floor(random() * 150);
  const jitterMs = Math.floor(random() * 100);
  const dropRate = random() < 0.3 ? 0.05 : 0;
  const duplicateRate = random() < 0.3 ? 0.1 : 0;
  const links = coordinators.flatMap((co) =>
    participants.flatMap((p) => [link(co, p, { delayMs, jitterMs, dropRate, duplicateRate }), link(p, co, { delayMs, jitterMs, dropRate })]),
  );
  return {
    atMs: at,
    forMs,
    kind: 'delay',
    what: `delay ${delayMs}±${jitterMs}ms drop ${dropRate} dup ${duplicateRate}`,
    apply: async (c) => void (await c.setNetworkFaults(links)),
    heal: async (c) => void (await c.setNetworkFaults([])),
  };
}

/**
 * A fault schedule, reproducible from the seed: faults of the enabled kinds, one at a
 * time, each held for 0.5–2.5 s (the role kills longer, see NEMESES), with 0.3–1.3 s of
 * calm between them. Partitions cut the coordinator from one participant, or split the
 * cluster in two, {c1, pX} | {the other participants}: the shape that lets 3pc's two sides
 * decide differently. Either may be one-way: then what {c1, pX} sends is lost (a vote still
 * reaches c1; its PreCommit, its answers and pX's do not reach the others).
 */
export function nemesisSchedule(seed: number, kinds: NemesisKind[], durationMs: number, nodes: string[]): NemesisStep[] {
  const random = prng(seed ^ 0x9e3779b9);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const steps: NemesisStep[] = [];
  const participants = nodes.filter((n) => n.startsWith('p'));
  const coordinators = nodes.filter((n) => n.startsWith('c'));
  // One coordinator draws nothing here, so its schedules stay what they were for a seed.
  const pickCoordinator = (): string => (coordinators.length > 1 ? pick(coordinators) : (coordinators[0] ?? 'c1'));
  let at = 500 + Math.floor(random() * 500);
  for (let i = 0; kinds.length > 0 && i < 10_000; i++) {
    let forMs = 500 + Math.floor(random() * 2000);
    if (at + forMs > durationMs) break;
    const kind = pick(kinds);
    const node = pick(nodes);
    switch (kind) {
      case 'kill':
      case 'kill-coordinator':
      case 'kill-participant': {
        // The role kills stretch the drawn 0.5–2.5 s, so that termination has time to act
        // while the node is down (the draws for the other kinds stay as they were).
        const victim = kind === 'kill' ? node : kind === 'kill-coordinator' ? pickCoordinator() : pick(participants);
        if (kind !== 'kill') {
          forMs = (kind === 'kill-coordinator' ? COORDINATOR_DOWN_MIN_MS : PARTICIPANT_DOWN_MIN_MS) + Math.floor(((forMs - 500) * 3) / 4);
          if (at + forMs > durationMs) return steps;
        }
        steps.push({
          atMs: at,
          forMs,
          kind,
          what: `kill -9 ${victim}`,
          kills: victim,
          apply: (c) => c.kill(victim),
          heal: (c) => c.restart(victim),
        });
        break;
      }
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
      case 'partition':
        steps.push(partitionStep(random, pickCoordinator(), coordinators, pick(participants), participants, at, forMs));
        break;
      case 'delay':
        steps.push(delayStep(random, coordinators, participants, at, forMs));
        break;
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
