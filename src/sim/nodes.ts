import type { RetentionRule } from '../protocol/retention.js';
import { InvariantViolation } from '../protocol/invariant.js';
import type { ParticipantConfig } from '../protocol/participantCore.js';
import type { DEFAULT_COORDINATOR_TUNING } from '../protocol/coordinatorCore.js';
import type { LeaseConfig } from '../protocol/leaseTable.js';
import { CoordinatorRuntime } from '../runtime/coordinatorRuntime.js';
import type { FailpointName, RuntimeEnv, RuntimeLog } from '../runtime/env.js';
import { LockRuntime } from '../runtime/lockRuntime.js';
import { ShardHost } from '../runtime/shardHost.js';
import type { ShardMap } from '../protocol/shardMap.js';
import { ParticipantRuntime } from '../runtime/participantRuntime.js';
import type { PlantedBug } from '../runtime/plantedBugs.js';
import { RequestError } from '../runtime/requestError.js';
import type { CallResult, NodeRef, PeerCalls, PeerMethod, Transport } from '../runtime/transport.js';
import { CoordinatorStore } from '../storage/coordinatorStore.js';
import type { BatchOp } from '../storage/kvEngine.js';
import { LockStore } from '../storage/lockStore.js';
import { NodeStore } from '../storage/nodeStore.js';
import { ParticipantStore } from '../storage/participantStore.js';
import { describeCEffect, describeCEvent, describePEffect, describePEvent, describeRequest } from './describe.js';
import type { SimNetwork } from './network.js';
import { SimEngine } from './simEngine.js';
import { NodeCrashed, SimFailure, type Endpoint, type SimWorld } from './world.js';

/** What a simulated cluster is configured with (drawn from the seed). */
export interface ClusterSetup {
  participantConfig: ParticipantConfig;
  coordinatorTuning: Partial<typeof DEFAULT_COORDINATOR_TUNING>;
  leaseConfig: Partial<LeaseConfig>;
  cacheKeys: number;
  commitLingerMs: number;
  defaultTimeoutMs: number;
  bug: PlantedBug | null;
  /** Checks made at the moment a node answers (persist-before-send), by the checkers. */
  onAnswer: (node: SimNode, method: PeerMethod, req: unknown, res: unknown) => void;
  onDurable: (node: SimNode, ops: readonly BatchOp[]) => void;
  /** An armed failpoint: the node crashes right there (scripted scenarios). */
  failpointHit: (node: SimNode, name: FailpointName) => boolean;
  /** Participants keep a shard map and serve only their shards (the reshard nemesis moves them). */
  shardMaps: boolean;
  /** Records older than this are collected (retention.ts); null: kept forever. */
  retention: RetentionRule | null;
}

/** Sweeps often and in small pages: a seed's few hundred records pass through many collections. */
const SIM_RETENTION_TUNING = { pageSize: 16, pageGapMs: 20, passGapMs: 150, compactAfter: 50 };

const retentionOf = (setup: ClusterSetup) => ({ retention: setup.retention, retentionTuning: SIM_RETENTION_TUNING });

const participantTuning = (setup: ClusterSetup, peers: () => { id: string; addr: string }[]) => ({
  config: setup.participantConfig,
  commitLingerMs: setup.commitLingerMs,
  ...retentionOf(setup),
  peers,
});

/**
 * One simulated node: its engine outlives its crashes; each incarnation gets a fresh runtime
 * (the real ParticipantRuntime or CoordinatorRuntime, and the coordinator's LockRuntime) over the
 * real storage layer on that engine, a simulated transport and simulated time.
 */
export class SimNode implements Endpoint {
  up = false;
  inc = 0;
  pausedUntil = 0;
  readonly inbound = new Map<number, () => void>();
  readonly engine: SimEngine;
  participant: ParticipantRuntime | null = null;
  coordinator: CoordinatorRuntime | null = null;
  locks: LockRuntime | null = null;
  store: ParticipantStore | null = null;
  /** A participant's shard map and moves (with shardMaps). */
  shards: ShardHost | null = null;
  /** Counters of earlier incarnations (a crash drops the runtime). */
  readonly pastCounters = new Map<string, number>();
  /** Added to every write's latency (scripted scenarios: a slow disk keeps writes in flight). */
  writeDelayMs = 0;

  constructor(
    readonly id: string,
    readonly kind: 'participant' | 'coordinator',
    private readonly w: SimWorld,
    private readonly net: SimNetwork,
    private readonly cluster: SimCluster,
    private readonly setup: ClusterSetup,
  ) {
    this.engine = new SimEngine({
      later: (delay, fn) => w.onNode(this, this.inc, delay, fn),
      writeLatency: (sync) => (sync ? w.rng.int(1, 12) : w.rng.int(0, 1)) + this.writeDelayMs,
      readLatency: () => (w.rng.chance(cluster.profile().slowReads) ? w.rng.int(20, 150) : w.rng.int(0, 2)),
      onDurable: (ops) => setup.onDurable(this, ops),
    });
  }

  /** Starts a new incarnation: recovery from the engine's durable state, as a node process does. */
  async start(): Promise<void> {
    this.up = true;
    const inc = this.inc;
    const env = this.env(inc);
    const nodeStore = await NodeStore.open(this.engine, { id: this.id, role: this.kind }, env.clock);
    const transport = new SimTransport(this, inc, this.w, this.net, this.cluster);
    if (this.kind === 'participant') {
      this.store = await ParticipantStore.open(nodeStore, {
        cacheKeys: this.setup.cacheKeys,
        // Small: a seed's few hundred outcomes then grow the filter through its stages.
        filterCapacity: 64,
        faults: { cacheOvertakenReads: this.setup.bug === 'storage.cacheOvertakenReads' },
      });
      const rt = new ParticipantRuntime({
        id: this.id,
        store: this.store,
        transport,
        env,
        ...participantTuning(this.setup, () => this.peers()),
        bug: this.setup.bug,
        observe: (ev, effs) => this.trace(describePEvent(ev), effs.map(describePEffect)),
      });
      this.participant = rt;
      // The locks whose names hash here, as on a participant process.
      const locks = new LockRuntime({ store: new LockStore(nodeStore), env, config: this.setup.leaseConfig, leaseIdPrefix: this.id });
      this.locks = locks;
      if (this.setup.shardMaps) {
        this.shards = new ShardHost({
          id: this.id,
          store: this.store,
          core: rt.core,
          locks: { grantsOf: (names) => locks.core.grantsOf(names), highestToken: () => locks.core.highestToken, adopt: (g, t) => locks.adopt(g, t) },
          log: env.log,
          failpoint: (name) => env.failpoint(name),
          clock: env.clock,
          bug: this.setup.bug,
        });
        await this.shards.open();
      }
      const n = await rt.start();
      const l = await locks.start();
      this.w.log(this.id, `start #${inc}: recovered ${n} prepared; ${l.locks} locks in lock-delay, last token ${l.lastToken}`);
      return;
    }
    const map = this.setup.shardMaps ? (this.cluster.newestMap?.() ?? null) : null;
    const rt: CoordinatorRuntime = new CoordinatorRuntime({
      id: this.id,
      participants: new Map(this.cluster.participantIds.map((p) => [p, p])),
      coordinators: new Map(this.cluster.coordinatorIds.filter((c) => c !== this.id).map((c) => [c, c])),
      selfAddr: this.id,
      store: await CoordinatorStore.open(nodeStore, { filterCapacity: 64 }),
      transport,
      env,
      defaultTimeoutMs: this.setup.defaultTimeoutMs,
      tuning: this.setup.coordinatorTuning,
      ...retentionOf(this.setup),
      bug: this.setup.bug,
      observe: (ev, effs) => this.trace(describeCEvent(ev), effs.map(describeCEffect)),
      ...(map ? { shardMap: map } : {}),
      ...(this.setup.shardMaps
        ? {
            refreshShardMap: async () => {
              const newest = this.cluster.newestMap?.();
              if (newest) rt.setShardMap(newest);
            },
          }
        : {}),
    });
    this.coordinator = rt;
    const n = await rt.start();
    this.w.log(this.id, `start #${inc}: re-driving ${n} decided`);
  }

  /** Power loss of this node: its runtime is gone, unsynced writes partly lost; it restarts later. */
  crash(rand: (lo: number, hi: number) => number): void {
    this.keepCounters();
    this.participant?.stop();
    this.coordinator?.stop();
    this.locks?.stop();
    this.shards?.stop();
    this.participant = this.coordinator = this.locks = null;
    this.store = null;
    this.shards = null;
    this.up = false;
    this.inc++;
    this.pausedUntil = 0;
    for (const onCrash of this.inbound.values()) onCrash();
    this.inbound.clear();
    this.engine.crash(rand);
  }

  /** Retention's horizon: the map's members when the sim keeps maps, else every participant. */
  private peers(): { id: string; addr: string }[] {
    return this.shards?.members() ?? this.cluster.participantIds.map((p) => ({ id: p, addr: p }));
  }

  /** Serves one call from another node (or a client) with this incarnation's runtime. */
  serve<M extends PeerMethod>(method: M, req: PeerCalls[M]['req'], respond: (r: PeerCalls[M]['res'] | RequestError) => void): void {
    const answer = (r: PeerCalls[M]['res'] | RequestError): void => {
      if (!(r instanceof RequestError)) this.setup.onAnswer(this, method, req, r);
      respond(r);
    };
    const toCoordinator = method === 'outcome' || method === 'transact';
    if (this.participant && !toCoordinator) {
      const handler = this.participant.serve[method as Exclude<PeerMethod, 'outcome' | 'transact'>] as (req: unknown, respond: (r: unknown) => void) => void;
      return handler(req, answer as (r: unknown) => void);
    }
    if (this.coordinator && toCoordinator) {
      const handler = this.coordinator.serve[method as 'outcome' | 'transact'] as (req: unknown, respond: (r: unknown) => void) => void;
      return handler(req, answer as (r: unknown) => void);
    }
    this.w.fail('client-protocol', `${this.id} (${this.kind}) was called with ${method}`);
  }

  counters(): Map<string, number> {
    const out = new Map(this.pastCounters);
    for (const [k, v] of Object.entries(this.liveCounters())) out.set(k, (out.get(k) ?? 0) + v);
    return out;
  }

  private liveCounters(): Record<string, number> {
    return {
      ...(this.participant?.counters() ?? {}),
      ...(this.coordinator?.counters() ?? {}),
      ...(this.locks?.counters() ?? {}),
      ...(this.store ? { readsFromMemory: this.store.cacheStats.readsFromMemory, readsFromLog: this.store.cacheStats.readsFromLog } : {}),
    };
  }

  private keepCounters(): void {
    for (const [k, v] of Object.entries(this.liveCounters())) this.pastCounters.set(k, (this.pastCounters.get(k) ?? 0) + v);
  }

  private trace(event: string, effects: string[]): void {
    const shown = effects.filter(Boolean);
    this.w.log(this.id, `${event}${shown.length ? ` => ${shown.join('; ')}` : ''}`);
  }

  /** The world of one incarnation: simulated time, its crash as the failure, ids and chance from the seed. */
  private env(inc: number): RuntimeEnv {
    const w = this.w;
    const clock = {
      now: () => w.now,
      after: (ms: number, fn: () => void) => {
        let live = true;
        w.onNode(this, inc, ms, () => {
          if (live) fn();
        });
        return () => {
          live = false;
        };
      },
    };
    const log =
      (level: string): ((obj: object, msg: string) => void) =>
      (obj, msg) => {
        if (level !== 'debug') w.log(this.id, `${level}: ${msg}${'txn' in obj ? ` (${String((obj as { txn: unknown }).txn)})` : ''}`);
      };
    const traceLog: RuntimeLog = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
    return {
      clock,
      monotonic: clock,
      defer: (fn) => w.onNode(this, inc, 0, fn),
      fatal: (err, what) => this.fatal(err, what),
      newId: () => w.nextId(this.id),
      random: () => w.rng.float(),
      // Simulated peers run this very code: a contradiction between them is a protocol bug.
      alarm: (txn, what) =>
        w.fail(/ told (COMMITTED|ABORTED) (after it ended|while|before) /.test(what) ? 'atomicity' : 'contradiction', `${this.id} refused: ${what} (${txn})`),
      failpoint: (name) => {
        if (this.setup.failpointHit(this, name)) throw new NodeCrashed(this.id, name);
      },
      log: traceLog,
    };
  }

  private fatal(err: unknown, what: string): never {
    if (err instanceof SimFailure || err instanceof NodeCrashed) throw err;
    if (err instanceof InvariantViolation) {
      // A participant told one outcome after it took (or began to take) the other: two decisions
      // exist for one transaction. The core caught the atomicity violation before a checker could.
      if (/ told (COMMITTED|ABORTED) (after it ended|while) /.test(err.message)) {
        this.w.fail('atomicity', `${this.id} on ${what}: ${err.message} (two decisions for one transaction, caught by the core)`);
      }
      this.w.fail('core-invariant', `${this.id} on ${what}: ${err.message}`);
    }
    this.w.fail('core-error', `${this.id} on ${what}: ${describeError(err)}`);
  }
}

/** What nodes need of the cluster around them. */
export interface SimCluster {
  participantIds: string[];
  coordinatorIds: string[];
  /** With shard maps: the newest map a running participant holds (what a coordinator reads). */
  newestMap?: () => ShardMap | null;
  node(id: string): SimNode | undefined;
  profile(): { slowReads: number };
}

/**
 * A node's transport in the simulator: each call goes through the simulated network to the other
 * node's runtime. Addresses are node ids; a call to an address that is not the id is a bug of the
 * runtime (the real one would dial the wrong node).
 */
export class SimTransport implements Transport {
  constructor(
    private readonly self: SimNode,
    private readonly inc: number,
    private readonly w: SimWorld,
    private readonly net: SimNetwork,
    private readonly cluster: SimCluster,
  ) {}

  call<M extends PeerMethod>(
    to: NodeRef,
    method: M,
    req: PeerCalls[M]['req'],
    opts: { deadlineMs: number; waitForReady: boolean },
    done: (r: CallResult<PeerCalls[M]['res']>) => void,
  ): void {
    if (!this.self.up || this.self.inc !== this.inc) return;
    const target = this.cluster.node(to.id);
    if (!target || to.id === this.self.id) this.w.fail('client-protocol', `${this.self.id} calls unknown or self node ${to.id}`);
    if (to.addr !== to.id) this.w.fail('client-protocol', `${this.self.id} calls ${to.id} at address '${to.addr}', which is not its address`);
    // No object is shared between nodes: what crosses the network is a copy, made once per
    // message (its deliveries share it: the sender keeps none of it; the calls that carry only
    // a txn id hold nothing a node could change).
    const copy = method === 'prepare' || method === 'txnState' ? <T>(x: T): T => structuredClone(x) : <T>(x: T): T => x;
    const sent = copy(req);
    this.net.rpc<PeerCalls[M]['res'] | RequestError>({
      from: this.self,
      to: target,
      deadlineMs: opts.deadlineMs,
      waitForReady: opts.waitForReady,
      what: describeRequest(method, sent),
      serve: (respond) => target.serve(method, sent, respond),
      onReply: (r) =>
        done(
          r instanceof RequestError
            ? { ok: false, failure: r.code === 'INVALID_ARGUMENT' ? 'INVALID_ARGUMENT' : 'REFUSED', message: r.message }
            : { ok: true, value: copy(r) },
        ),
      onError: (failure, why) => done({ ok: false, failure, message: why }),
    });
  }

  close(): void {}
}

/**
 * An unexpected error with its stack, cut below the simulation's own run loop: the frames of
 * whoever called simulate() differ between a run and its replay, and the message is traced.
 */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const lines = (err.stack ?? err.message).split('\n');
  const cut = lines.findIndex((l) => /SimWorld\.drain\b/.test(l));
  return (cut >= 0 ? lines.slice(0, cut + 1) : lines).join('\n');
}
