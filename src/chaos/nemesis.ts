import type { LocalCluster } from '../cluster/localCluster.js';
import { link, partitionLinks } from '../cluster/faultControl.js';
import type { PowerCut } from '../cluster/localCluster.js';
import { ShardsAdmin, type MembershipChange, type MoveLimits, type ShardProgress } from '../client/shardsAdmin.js';
import type { ShardMap } from '../protocol/shardMap.js';
import { checkHealth, shardHostClient } from '../rpc/clients.js';
import { getMap } from '../rpc/shardHostCalls.js';
import { prng } from '../workload/bank.js';
import type { HedgeSwitch } from './hedge.js';

/**
 * kill: kill -9 any node (coordinator or participant), down 0.5–2.5 s like every fault.
 * kill-coordinator / kill-participant: kill -9 one node of that role and keep it down long enough for the
 * participants' termination to act: the coordinator 5–6.5 s, a participant 2–3.5 s. (In chaos
 * runs a YES voter asks the coordinator after 500 ms; that call fails at once on a dead
 * coordinator but may take its full 3 s deadline on one that is cut off or stalled, and
 * termination starts after it: at worst about 3.5 s after the fault.)
 * reshard: membership changes while the workload runs, beside the other faults (see ReshardNemesis).
 * power: a power cut of any node: kill -9, then its disk (powerfs) forgets every write not yet
 * fsync'd, half the time tearing the first unsynced page of each file; restarted on what was durable.
 * power-all: the power cut of every node at once. power-coordinator: the power cut of a coordinator
 * (the node whose decision records a COMMITTED reply rests on), at its next fsync like every power
 * cut. All three run every node on powerfs.
 * hedge: a client fault: each transaction is also sent, under its id, to another coordinator (see ClientHedge).
 */
export const NEMESES = [
  'kill',
  'kill-coordinator',
  'kill-participant',
  'pause',
  'partition',
  'delay',
  'skew',
  'reshard',
  'power',
  'power-all',
  'power-coordinator',
  'hedge',
] as const;
export type NemesisKind = (typeof NEMESES)[number];

/** The nemeses that cut power: the cluster's nodes then run on powerfs (FUSE), only then. */
export const POWER_NEMESES: readonly NemesisKind[] = ['power', 'power-all', 'power-coordinator'];

/** What `dtx chaos` injects when no --nemesis is given: every fault; membership changes (reshard), power cuts (they need FUSE) and hedged calls only when named. */
export const DEFAULT_NEMESES: NemesisKind[] = NEMESES.filter((k) => k !== 'reshard' && k !== 'hedge' && !POWER_NEMESES.includes(k));

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
  /** The node this step pauses or skews, if it acts on one. */
  target?: string;
  /** What it did, once applied, when that is news (a power cut: the unsynced writes it dropped). */
  outcome?: string;
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

/** How a fault schedule meets membership changes (the reshard nemesis runs beside it). */
export interface Membership {
  /** Before a coordinator restarts: its --participants must name the shard map's members. */
  beforeRestart(cluster: LocalCluster, name: string): Promise<void>;
}

/** xs[⌊u·|xs|⌋]: what `pick` makes of the draw u. */
const nth = <T>(xs: readonly T[], u: number): T => xs[Math.floor(u * xs.length)]!;

/** A PRNG's draws, recorded so that a step rebuilt when it applies draws what it drew in the schedule. */
function recording(random: () => number): { random: () => number; replay: () => () => number } {
  const draws: number[] = [];
  return {
    random: () => {
      const x = random();
      draws.push(x);
      return x;
    },
    replay: () => {
      let i = 0;
      return () => draws[i++] ?? 0;
    },
  };
}

function killStep(kind: NemesisKind, at: number, forMs: number, victim: string): NemesisStep {
  return {
    atMs: at,
    forMs,
    kind,
    what: `kill -9 ${victim}`,
    kills: victim,
    apply: (c) => c.kill(victim),
    heal: (c) => c.restart(victim),
  };
}

/**
 * How long a power step waits for its node's next fsync to cut the power there, the worst instant
 * (a write about to become durable, and whatever earlier writes were left unsynced); an idle node is cut at the bound.
 */
export const POWER_CUT_AT_FSYNC_WITHIN_MS = 1000;

/** What a power cut did, in words: `at an fsync, lost 12 KiB unsynced (2 files, 1 torn)`. */
function droppedWords(cuts: Map<string, PowerCut>): string {
  const all = [...cuts.values()];
  const sum = (f: (d: PowerCut) => number) => all.reduce((n, d) => n + f(d), 0);
  const where = all.length === 1 ? (all[0]!.atFsync ? `at an fsync after ${all[0]!.waitedMs} ms, ` : 'no fsync came, ') : '';
  return `${where}lost ${Math.round(sum((d) => d.bytes) / 1024)} KiB unsynced (${sum((d) => d.files)} files, ${sum((d) => d.torn)} torn)`;
}

function powerStep(at: number, forMs: number, victim: string, tear: boolean, kind: 'power' | 'power-coordinator' = 'power'): NemesisStep {
  const step: NemesisStep = {
    atMs: at,
    forMs,
    kind,
    what: `power cut ${victim}${tear ? ' (torn)' : ''}`,
    kills: victim,
    apply: async (c) => void (step.outcome = droppedWords(await c.powerCut([victim], { tear, atFsyncWithinMs: POWER_CUT_AT_FSYNC_WITHIN_MS }))),
    heal: (c) => c.restart(victim),
  };
  return step;
}

/** Every node's power cut at once; back up participants first, together (a coordinator's re-driven commits find them), then the coordinators. */
function powerAllStep(at: number, forMs: number, tear: boolean, m: Membership | undefined): NemesisStep {
  const step: NemesisStep = {
    atMs: at,
    forMs,
    kind: 'power-all',
    what: `power cut every node${tear ? ' (torn)' : ''}`,
    apply: async (c) => void (step.outcome = droppedWords(await c.powerCut([...c.nodes.keys()], { tear }))),
    heal: async (c) => {
      await Promise.all(c.participantNames.map((name) => c.restart(name)));
      if (m) await m.beforeRestart(c, c.coordinatorNames[0] ?? 'c1');
      await Promise.all(c.coordinatorNames.map((name) => c.restart(name)));
    },
  };
  return step;
}

/** A power step of the schedule: one node's (the kill's node draw), a coordinator's (drawn by the caller) or every node's. */
function powerScheduled(
  kind: 'power' | 'power-all' | 'power-coordinator',
  at: number,
  forMs: number,
  node: string,
  u: number,
  tear: boolean,
  m?: Membership,
): NemesisStep {
  if (kind === 'power-all') return powerAllStep(at, forMs, tear, m);
  const s = powerStep(at, forMs, node, tear, kind);
  // Coordinators stay what they are under membership changes; a participant is drawn among the current ones.
  const rebuild = (c: LocalCluster) => (kind === 'power-coordinator' ? s : powerStep(at, forMs, liveNode(c, false, u), tear));
  return m ? onCurrentNodes(s, m, rebuild) : s;
}

/** Clients copy each transaction to another coordinator, `delayMs` after sending it, for the step. */
function hedgeStep(at: number, forMs: number, delayMs: number, hedge: HedgeSwitch | undefined): NemesisStep {
  const on = async (d: number | null): Promise<void> => {
    if (!hedge) throw new Error('the hedge nemesis needs the chaos clients (runChaos)');
    hedge.hedgeFor(d);
  };
  return { atMs: at, forMs, kind: 'hedge', what: `hedge: every transaction sent twice, ${delayMs} ms apart`, apply: () => on(delayMs), heal: () => on(null) };
}

function pauseStep(at: number, forMs: number, node: string): NemesisStep {
  return { atMs: at, forMs, kind: 'pause', what: `SIGSTOP ${node}`, target: node, apply: (c) => c.pause(node), heal: (c) => c.resume(node) };
}

function skewStep(at: number, forMs: number, node: string, offsetMs: number): NemesisStep {
  return {
    atMs: at,
    forMs,
    kind: 'skew',
    what: `clock ${node} ${offsetMs > 0 ? '+' : ''}${offsetMs}ms`,
    target: node,
    apply: (c) => c.setClockOffset(node, offsetMs),
    heal: (c) => c.setClockOffset(node, 0),
  };
}

/** The node of the cluster as it is now for the draw u: a participant, or any node. */
function liveNode(c: LocalCluster, participantsOnly: boolean, u: number): string {
  return nth(participantsOnly ? c.participantNames : [...c.nodes.keys()], u);
}

/**
 * A step whose node is chosen when it applies (the cluster's members change under the reshard
 * nemesis): `build` makes it for the cluster as it is then. Its heal leaves alone a node that has
 * left the cluster meanwhile, and lines a coordinator's --participants up with the map before
 * restarting it.
 */
function onCurrentNodes(s: NemesisStep, m: Membership, build: (c: LocalCluster) => NemesisStep): NemesisStep {
  let built = s;
  const step: NemesisStep = {
    ...s,
    apply: async (c) => {
      built = build(c);
      step.what = built.what;
      if (built.kills !== undefined) step.kills = built.kills;
      if (built.target !== undefined) step.target = built.target;
      await built.apply(c);
      if (built.outcome !== undefined) step.outcome = built.outcome;
    },
    heal: async (c) => {
      const node = built.kills ?? built.target;
      if (node !== undefined && !c.nodes.has(node)) return;
      if (built.kills !== undefined && c.node(built.kills).spec.role === 'coordinator') await m.beforeRestart(c, built.kills);
      await built.heal(c);
    },
  };
  return step;
}

/**
 * A fault schedule, reproducible from the seed: faults of the enabled kinds, one at a
 * time, each held for 0.5–2.5 s (the role kills longer, see NEMESES), with 0.3–1.3 s of
 * calm between them. Partitions cut the coordinator from one participant, or split the
 * cluster in two, {c1, pX} | {the other participants}: the shape that lets 3pc's two sides
 * decide differently. Either may be one-way: then what {c1, pX} sends is lost (a vote still
 * reaches c1; its PreCommit, its answers and pX's do not reach the others). `hedge` needs the
 * clients' switch (runChaos gives it).
 *
 * `reshard` is not part of it (ReshardNemesis runs beside it). With membership `m` (the reshard
 * nemesis is on), each step picks its node among the cluster's nodes as they are when it applies
 * (the same draw: an added participant may be hit, a removed one never is).
 */
export function nemesisSchedule(seed: number, kinds: NemesisKind[], durationMs: number, nodes: string[], m?: Membership, hedge?: HedgeSwitch): NemesisStep[] {
  const random = prng(seed ^ 0x9e3779b9);
  const pick = <T>(xs: readonly T[]): T => nth(xs, random());
  const faults = kinds.filter((k) => k !== 'reshard');
  const steps: NemesisStep[] = [];
  const participants = nodes.filter((n) => n.startsWith('p'));
  const coordinators = nodes.filter((n) => n.startsWith('c'));
  // One coordinator draws nothing here, so its schedules stay what they were for a seed.
  const pickCoordinator = (): string => (coordinators.length > 1 ? pick(coordinators) : (coordinators[0] ?? 'c1'));
  let at = 500 + Math.floor(random() * 500);
  for (let i = 0; faults.length > 0 && i < 10_000; i++) {
    let forMs = 500 + Math.floor(random() * 2000);
    if (at + forMs > durationMs) break;
    const kind = pick(faults);
    const u = random();
    const node = nth(nodes, u);
    const live = (participantsOnly: boolean, draw: number) => (c: LocalCluster) => liveNode(c, participantsOnly, draw);
    switch (kind) {
      case 'kill':
      case 'kill-coordinator':
      case 'kill-participant': {
        // The role kills stretch the drawn 0.5–2.5 s, so that termination has time to act
        // while the node is down (the draws for the other kinds stay as they were).
        const uv = kind === 'kill' ? u : kind === 'kill-participant' ? random() : null;
        const victim = uv === null ? pickCoordinator() : kind === 'kill' ? node : nth(participants, uv);
        if (kind !== 'kill') {
          forMs = (kind === 'kill-coordinator' ? COORDINATOR_DOWN_MIN_MS : PARTICIPANT_DOWN_MIN_MS) + Math.floor(((forMs - 500) * 3) / 4);
          if (at + forMs > durationMs) return steps;
        }
        const s = killStep(kind, at, forMs, victim);
        const pickVictim = uv === null ? () => victim : live(kind === 'kill-participant', uv);
        steps.push(m ? onCurrentNodes(s, m, (c) => killStep(kind, at, forMs, pickVictim(c))) : s);
        break;
      }
      case 'power':
      case 'power-all':
      case 'power-coordinator':
        steps.push(powerScheduled(kind, at, forMs, kind === 'power-coordinator' ? pickCoordinator() : node, u, random() < 0.5, m));
        break;
      case 'hedge':
        steps.push(hedgeStep(at, forMs, Math.floor(random() * 150), hedge));
        break;
      case 'pause':
        steps.push(m ? onCurrentNodes(pauseStep(at, forMs, node), m, (c) => pauseStep(at, forMs, live(false, u)(c))) : pauseStep(at, forMs, node));
        break;
      case 'partition': {
        const co = pickCoordinator();
        const up = random();
        const rec = recording(random);
        const s = partitionStep(rec.random, co, coordinators, nth(participants, up), participants, at, forMs);
        const rebuild = (c: LocalCluster) => partitionStep(rec.replay(), co, coordinators, nth(c.participantNames, up), c.participantNames, at, forMs);
        steps.push(m ? onCurrentNodes(s, m, rebuild) : s);
        break;
      }
      case 'delay': {
        const rec = recording(random);
        const s = delayStep(rec.random, coordinators, participants, at, forMs);
        steps.push(m ? onCurrentNodes(s, m, (c) => delayStep(rec.replay(), coordinators, c.participantNames, at, forMs)) : s);
        break;
      }
      case 'skew': {
        const offsetMs = (random() < 0.5 ? -1 : 1) * (1000 + Math.floor(random() * 30_000));
        const s = skewStep(at, forMs, node, offsetMs);
        steps.push(m ? onCurrentNodes(s, m, (c) => skewStep(at, forMs, live(false, u)(c), offsetMs)) : s);
        break;
      }
    }
    at += forMs + 300 + Math.floor(random() * 1000);
  }
  return steps;
}

/** One membership change the reshard nemesis made or tried. */
export interface ReshardAction {
  /** When it started, ms from the start of the workload. */
  atMs: number;
  kind: 'add' | 'move' | 'remove';
  /** What was asked, in words: `add p4`, `move 12 shards → p2`, `remove p4`. */
  what: string;
  ok: boolean;
  /** How it ended: what moved and the map's epoch, or the error. */
  detail: string;
  ms: number;
  /** Shards moved before it ended (a failed change may have moved some). */
  shardsMoved: number;
}

export interface ReshardSummary {
  actions: ReshardAction[];
  /** Participants it started; those of them it took out again (their data dirs stay on disk). */
  added: string[];
  removed: string[];
  shardsMoved: number;
  /** Changes still running when their bound ran out. */
  hung: string[];
}

/** At most this many membership changes per run (retries count). */
export const RESHARD_MAX_ACTIONS = 16;
/** How long a change waits for every node to serve before it starts anyway (and may fail at once). */
const RESHARD_WAIT_UP_MS = 2000;
/** With less time left, the participant it added is removed rather than shards moved. */
const RESHARD_REMOVE_BY_MS = 8000;
/** With less time left, no participant is added (nor an add retried). */
const RESHARD_ADD_BY_MS = 4000;
/** A membership change not over after this long counts as hung (the run goes on without it). */
export const RESHARD_ACTION_BOUND_MS = 60_000;

const firstLine = (e: unknown): string => ((e as Error)?.message ?? String(e)).split('\n')[0]!;

/** The newest shard map any running participant holds (null: none answered with one). */
export async function newestParticipantMap(cluster: LocalCluster, timeoutMs = 2000): Promise<ShardMap | null> {
  const maps = await Promise.all(
    cluster.participantNames.map(async (name) => {
      const n = cluster.node(name);
      if (n.state !== 'running') return null;
      const c = shardHostClient(n.address, cluster.dial);
      try {
        return (await getMap(c, timeoutMs)).map;
      } catch {
        return null;
      } finally {
        c.close();
      }
    }),
  );
  let best: ShardMap | null = null;
  for (const m of maps) if (m && (!best || m.epoch > best.epoch)) best = m;
  return best;
}

/**
 * Sets every coordinator's --participants (used at its next start) to the members of the newest
 * map the participants hold. A coordinator whose list contradicts the map refuses to start; the
 * launcher rewrites the list only after a membership change it ran succeeded, so after one that a
 * kill cut short the list may name a participant the map no longer has, or lack one it has.
 */
export async function alignCoordinatorFlags(cluster: LocalCluster): Promise<void> {
  const map = await newestParticipantMap(cluster);
  if (!map) return;
  const list = map.members.map((m) => `${m.id}=${cluster.nodes.get(m.id)?.address ?? m.addr}`).join(',');
  for (const name of cluster.coordinatorNames) {
    const args = cluster.node(name).spec.args;
    const at = args.indexOf('--participants');
    if (at >= 0) args[at + 1] = list;
  }
}

/** A membership change through any coordinator (the launcher's own calls pick a new name for an add). */
async function changeMembership(
  cluster: LocalCluster,
  change: MembershipChange,
  limits: MoveLimits,
  progress: (p: ShardProgress) => void,
): Promise<ShardProgress> {
  const admin = new ShardsAdmin(cluster.coordinatorAddresses, cluster.dial);
  try {
    return await admin.change(change, limits, progress);
  } finally {
    admin.close();
  }
}

interface Planned {
  kind: ReshardAction['kind'];
  what: string;
  run(progress: (p: ShardProgress) => void): Promise<string>;
}

/** Every node (or every coordinator) runs and answers its health check. */
async function allServing(cluster: LocalCluster, coordinatorsOnly = false): Promise<boolean> {
  const nodes = [...cluster.nodes.values()].filter((n) => !coordinatorsOnly || n.spec.role === 'coordinator');
  if (nodes.some((n) => n.state !== 'running')) return false;
  return (await Promise.all(nodes.map((n) => checkHealth(n.address, 300, cluster.dial)))).every(Boolean);
}

/**
 * The reshard nemesis: membership changes while the workload runs, beside the fault schedule.
 * It adds a participant (LocalCluster.addParticipant: a new pN, shards moved to it until even),
 * moves 1–3 times a few random shards (1–24) to a random member, then removes the participant it
 * added (drained first; without the moves when the run is near its end), and again while time is left: at most RESHARD_MAX_ACTIONS changes, none
 * started in the run's last second, each bounded by RESHARD_ACTION_BOUND_MS, 0.3–1.3 s apart.
 * Each starts once the coordinators serve and every node does (a change needs its coordinator, the
 * mover's lock, its source and its target) or RESHARD_WAIT_UP_MS has passed: the faults then land
 * while it runs. Draws come from the chaos seed. A change
 * that fails (a node it needs was killed, a coordinator died under it) is reported, not thrown;
 * the next one retries: an add that failed is sent again for the same participant (it keeps the
 * steps already done), a removal again. The participants the run started with are never removed.
 */
export class ReshardNemesis {
  readonly summary: ReshardSummary = { actions: [], added: [], removed: [], shardsMoved: 0, hung: [] };
  private readonly random: () => number;
  private inFlight: string | null = null;
  /** The participant this nemesis started and has not removed; `joined` once an add finished for it. */
  private mine: { name: string; joined: boolean; movesLeft: number } | null = null;

  constructor(
    private readonly cluster: LocalCluster,
    seed: number,
    /** Each change as it starts (`ok` false, no detail yet) and as it ends. */
    private readonly onAction: (a: ReshardAction, phase: 'start' | 'end') => void = () => undefined,
    /** How long a change may run before it counts as hung (tests of a short run shorten it). */
    private readonly boundMs = RESHARD_ACTION_BOUND_MS,
  ) {
    this.random = prng((seed ^ 0x5a17c0de) >>> 0);
  }

  /** What runs now, in words ('none' between changes). */
  get current(): string {
    return this.inFlight ?? 'none';
  }

  /** Membership changes from `started` until `end` (epoch ms); resolves when the last one has ended. */
  async run(started: number, end: number): Promise<void> {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
    let at = 800 + Math.floor(this.random() * 700);
    for (let i = 0; i < RESHARD_MAX_ACTIONS; i++) {
      await sleep(started + at - Date.now());
      // A change runs on a coordinator: wait for them; then a little for the participants.
      while (Date.now() < end - 1000 && !(await allServing(this.cluster, true))) await sleep(100);
      const upBy = Math.min(end - 1000, Date.now() + RESHARD_WAIT_UP_MS);
      while (Date.now() < upBy && !(await allServing(this.cluster))) await sleep(100);
      if (Date.now() >= end - 1000) break;
      const next = this.plan(end);
      if (!next) break;
      await this.perform(started, next);
      at = Date.now() - started + 300 + Math.floor(this.random() * 1000);
    }
  }

  /**
   * The next change: add until our participant has joined, then its moves, then its removal (at
   * once when less than RESHARD_REMOVE_BY_MS is left); no add in the last RESHARD_ADD_BY_MS (null).
   * Every draw is made here.
   */
  private plan(end: number): Planned | null {
    const limits: MoveLimits = { shardsPerStep: nth([32, 64, 128], this.random()) };
    const moves = 1 + Math.floor(this.random() * 3);
    const uTo = this.random();
    const uShards = Array.from({ length: 1 + Math.floor(this.random() * 24) }, () => this.random());
    const mine = this.mine;
    const left = end - Date.now();
    if (!mine || !mine.joined) return left < RESHARD_ADD_BY_MS ? null : this.planAdd(mine, moves, limits);
    if (mine.movesLeft > 0 && left > RESHARD_REMOVE_BY_MS) {
      mine.movesLeft--;
      return {
        kind: 'move',
        what: `move ${uShards.length} shard(s)`,
        run: async (progress) => {
          const map = (await this.cluster.shards()).map;
          const to = nth(
            map.members.map((x) => x.id),
            uTo,
          );
          const shards = [...new Set(uShards.map((u) => Math.floor(u * map.owners.length)))].filter((s) => map.owners[s] !== to);
          if (shards.length === 0) return `nothing to move to ${to}`;
          const from = [...new Set(shards.map((s) => map.owners[s]!))];
          const p = await this.cluster.moveShards(shards, to, limits, progress);
          return `${shards.length} shard(s) ${from.join(',')} → ${to}, epoch ${p.epoch}`;
        },
      };
    }
    return {
      kind: 'remove',
      what: `remove ${mine.name}`,
      run: async (progress) => {
        let note = '';
        try {
          await this.cluster.removeParticipant(mine.name, limits, progress);
        } catch (e) {
          // The map may have let it go before the call broke (a coordinator died after the last
          // step): then it is out, and only its process is left to stop, as the launcher would.
          const map = await newestParticipantMap(this.cluster);
          if (!map || map.members.some((x) => x.id === mine.name) || !this.cluster.nodes.has(mine.name)) throw e;
          await this.cluster.node(mine.name).signal('SIGTERM', 5000);
          this.cluster.nodes.delete(mine.name);
          note = ` (the map let it go at epoch ${map.epoch}; the call itself failed: ${firstLine(e)})`;
        }
        this.summary.removed.push(mine.name);
        this.mine = null;
        return `${mine.name} left the map and stopped${note}`;
      },
    };
  }

  private planAdd(mine: ReshardNemesis['mine'], moves: number, limits: MoveLimits): Planned {
    if (mine) {
      // An add that failed: the same participant again (it joins, or just gets the rest of its share).
      return {
        kind: 'add',
        what: `add ${mine.name} (again)`,
        run: async (progress) => {
          const p = await changeMembership(this.cluster, { kind: 'add', id: mine.name, address: this.cluster.node(mine.name).address }, limits, progress);
          Object.assign(mine, { joined: true, movesLeft: moves });
          return `${mine.name} holds its share, epoch ${p.epoch}`;
        },
      };
    }
    return {
      kind: 'add',
      what: 'add a participant',
      run: async (progress) => {
        const before = new Set(this.cluster.nodes.keys());
        try {
          const name = await this.cluster.addParticipant(limits, progress);
          this.mine = { name, joined: true, movesLeft: moves };
          this.summary.added.push(name);
          return `${name} joined and holds its share, epoch ${(await newestParticipantMap(this.cluster))?.epoch ?? '?'}`;
        } catch (e) {
          const fresh = [...this.cluster.nodes.keys()].find((n) => !before.has(n));
          if (fresh) {
            this.mine = { name: fresh, joined: false, movesLeft: moves };
            this.summary.added.push(fresh);
          }
          throw e;
        }
      },
    };
  }

  private async perform(started: number, p: Planned): Promise<void> {
    const atMs = Date.now() - started;
    this.inFlight = `reshard: ${p.what}`;
    let moved = 0;
    let epoch = 0;
    const progress = (x: ShardProgress): void => {
      moved = Math.max(moved, x.shardsMoved);
      epoch = Math.max(epoch, x.epoch);
    };
    this.onAction({ atMs, kind: p.kind, what: p.what, ok: false, detail: '', ms: 0, shardsMoved: 0 }, 'start');
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<null>((r) => (timer = setTimeout(() => r(null), this.boundMs)));
    let ok = false;
    let detail: string;
    try {
      const running = p.run(progress);
      // Past its bound it runs on unwatched: its failure then must not become an unhandled rejection.
      running.catch(() => undefined);
      const r = await Promise.race([running, bound]);
      ok = r !== null;
      detail = r ?? `still running after ${this.boundMs / 1000} s (${moved} shard(s) moved, epoch ${epoch})`;
      if (r === null) this.summary.hung.push(p.what);
    } catch (e) {
      detail = `failed after ${moved} shard(s) moved${epoch ? ` (epoch ${epoch})` : ''}: ${firstLine(e)}`;
    } finally {
      clearTimeout(timer);
      this.inFlight = null;
    }
    const action: ReshardAction = { atMs, kind: p.kind, what: p.what, ok, detail, ms: Date.now() - started - atMs, shardsMoved: moved };
    this.summary.actions.push(action);
    this.summary.shardsMoved += moved;
    this.onAction(action, 'end');
  }
}
