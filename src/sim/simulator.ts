/**
 * Deterministic simulation of a dtx cluster (FoundationDB / TigerBeetle VOPR style).
 *
 * The coordinators (one, or several: clients call any, each forwards to an id's owner) and N participants run the REAL runtimes (src/runtime: the protocol cores,
 * the effect driver, the lock service) over the REAL storage layer (group commit, lingering,
 * the value cache, the outcome filter, the record codec), on:
 *   - a simulated clock: one discrete event queue ordered by (time, sequence);
 *   - a simulated network (network.ts): every call's request and answer is a message with a
 *     random delay, maybe lost, maybe duplicated, dropped across partitions; gRPC call semantics;
 *   - simulated engines (simEngine.ts) beneath the storage layer: unsynced writes partly lost on
 *     a crash, reads that sometimes stall;
 *   - crashes with restarts (recovery from the engine as a node process does) and pauses;
 *   - a bank workload of closed-loop clients (transfers, audits) and a lock workload (leases,
 *     fenced writes, holders that stall past their lease).
 * Everything random comes from one seeded PRNG: a seed replays the same trace.
 */
import { graceFor, retentionRule } from '../protocol/retention.js';
import { PKEY } from '../storage/participantStore.js';
import { encodeStoredValue } from '../storage/recordCodec.js';
import { ownerOf } from '../protocol/routing.js';
import { initialMap, ownerOfKey } from '../protocol/shardMap.js';
import { SKEY } from '../runtime/shardHost.js';
import { SimShardMover } from './shardMoves.js';
import type { ProtocolName } from '../protocol/types.js';
import type { FailpointName } from '../runtime/env.js';
import { BankClients, ClientTxns, INITIAL_BALANCE } from './bankClients.js';
import { SimCheckers } from './checks.js';
import { LOCK_NAMES, LockClients, lockResource } from './lockClients.js';
import { SimNetwork } from './network.js';
import { describeError, SimNode, type ClusterSetup, type SimCluster } from './nodes.js';
import { FAULT_KINDS, PROTOCOL_MODES, type FaultKind, type FaultProfile, type ProtocolMode, type SimOptions, type SimResult } from './options.js';
import { Prng } from './prng.js';
import { Trace } from './trace.js';
import { SimFailure, SimWorld } from './world.js';

export * from './options.js';

/** What a scripted scenario may do to a simulated cluster (scenario.ts). */
export interface ScenarioControl {
  world: SimWorld;
  net: SimNetwork;
  txns: ClientTxns;
  accounts: readonly string[];
  participantIds: readonly string[];
  node(id: string): SimNode;
  checkers: SimCheckers;
  /**
   * Crashes a node now; it stays down `downMs` (default: until restarted). Its unsynced writes are
   * partly lost (as the seed draws), or all `lost`, or all `kept`.
   */
  crash(n: SimNode, downMs?: number, unsynced?: 'lost' | 'kept'): void;
  restart(n: SimNode): Promise<void>;
  /** The node crashes when it next reaches this place. */
  armFailpoint(n: SimNode, name: FailpointName): void;
  lockClients: LockClients;
  bank: BankClients;
}

const ACCOUNTS_PER_PARTICIPANT = 2;

/** The fault intensities of a seed; every intensity is drawn even for a kind left out, so a kind keeps its intensity whichever others are chosen. */
function drawProfile(r: Prng, faults: boolean, kinds: ReadonlySet<FaultKind>): FaultProfile {
  const none: FaultProfile = { loss: 0, dup: 0, longDelay: 0, crashPerSec: 0, pausePerSec: 0, partitionPerSec: 0, slowReads: 0 };
  if (!faults) return none;
  const drawn: FaultProfile = {
    loss: r.chance(0.3) ? 0 : r.float() * 0.08,
    dup: r.chance(0.3) ? 0 : r.float() * 0.1,
    longDelay: r.float() * 0.1,
    crashPerSec: r.chance(0.2) ? 0 : r.float() * 1.5,
    pausePerSec: r.chance(0.3) ? 0 : r.float() * 0.8,
    partitionPerSec: r.chance(0.3) ? 0 : r.float() * 0.8,
    slowReads: r.chance(0.5) ? 0 : r.float() * 0.2,
  };
  return {
    loss: kinds.has('loss') ? drawn.loss : 0,
    dup: kinds.has('dup') ? drawn.dup : 0,
    longDelay: kinds.has('delay') ? drawn.longDelay : 0,
    crashPerSec: kinds.has('crash') ? drawn.crashPerSec : 0,
    pausePerSec: kinds.has('pause') ? drawn.pausePerSec : 0,
    partitionPerSec: kinds.has('partition') ? drawn.partitionPerSec : 0,
    slowReads: kinds.has('delay') ? drawn.slowReads : 0,
  };
}

/** The cluster's configuration for a seed: timers short enough for seconds of simulated time, memory sizes drawn. */
function clusterSetup(rng: Prng, opts: SimOptions, hooks: Pick<ClusterSetup, 'onAnswer' | 'onDurable' | 'failpointHit'>): ClusterSetup {
  // Small memories on some seeds: duplicates and reads then go to the log, not to memory.
  const drawn = {
    recentOutcomes: rng.chance(0.3) ? rng.int(1, 4) : 10_000,
    coordinatorRecent: rng.chance(0.3) ? rng.int(1, 4) : 10_000,
    cacheKeys: rng.chance(0.4) ? rng.int(1, 4) : 10_000,
  };
  const memory = opts.memory ?? drawn;
  return {
    participantConfig: { inquireAfterMs: 300, inquireMaxBackoffMs: 2000, maxLockWaiters: 1000, recentOutcomes: memory.recentOutcomes, fenceCheck: null },
    coordinatorTuning: {
      precommitTimeoutMs: 400,
      maxLockWaitMs: 200,
      resendMinMs: 100,
      resendMaxMs: 2000,
      maxActiveTxns: 10_000,
      recentOutcomes: memory.coordinatorRecent,
    },
    leaseConfig: { minTtlMs: 50 },
    cacheKeys: memory.cacheKeys,
    commitLingerMs: rng.pick([0, 2, 5]),
    defaultTimeoutMs: 1000,
    bug: opts.bug ?? null,
    shardMaps: opts.reshard === true,
    retention: opts.retentionMs ? retentionRule(opts.retentionMs) : null,
    ...hooks,
  };
}

export class Simulation {
  readonly seed: number;
  readonly protocolMode: ProtocolMode;
  readonly profile: FaultProfile;
  private readonly w: SimWorld;
  private readonly net: SimNetwork;
  private readonly nodes = new Map<string, SimNode>();
  private readonly participantIds: string[];
  private readonly coordinator: SimNode;
  private readonly coordinators: SimNode[];
  private readonly txns: ClientTxns;
  private readonly bank: BankClients;
  private readonly locks: LockClients;
  private readonly checkers: SimCheckers;
  private readonly faultMs: number;
  private readonly livenessMs: number;
  private readonly partitionMs: { min: number; max: number };
  private readonly clients: number;
  private readonly lockClientCount: number;
  private readonly setup: ClusterSetup;
  /** The reshard nemesis (with `reshard`). */
  private readonly mover: SimShardMover | null;
  /** Armed failpoints: node id → place (scripted scenarios). */
  readonly failpoints = new Map<string, FailpointName>();
  private faultsOn: boolean;

  constructor(private readonly opts: SimOptions) {
    this.seed = opts.seed;
    const rng = new Prng(opts.seed);
    const trace = new Trace(opts.traceLines ?? 200);
    this.w = new SimWorld(rng, trace, (txn) => this.txns.txns.get(txn)?.protocol);
    this.protocolMode = opts.protocol ?? '2pc';
    if (!PROTOCOL_MODES.includes(this.protocolMode)) throw new Error(`unknown protocol ${String(this.protocolMode)}`);
    const kinds = new Set<FaultKind>(opts.nemesis ?? FAULT_KINDS);
    for (const k of kinds) if (!FAULT_KINDS.includes(k)) throw new Error(`unknown fault kind ${String(k)}`);
    this.faultMs = opts.faultMs ?? 4000;
    this.partitionMs = opts.partitionMs ?? { min: 100, max: 2000 };
    if (!(this.partitionMs.min >= 0 && this.partitionMs.max >= this.partitionMs.min)) throw new Error('partitionMs: need 0 <= min <= max');
    this.livenessMs = opts.livenessMs ?? 30_000;
    this.faultsOn = opts.faults ?? true;
    this.profile = drawProfile(rng, this.faultsOn, kinds);
    const n = opts.participants ?? 3;
    if (n < 1 || n > 16) throw new Error('participants must be 1..16');
    this.participantIds = Array.from({ length: n }, (_, i) => `p${i + 1}`);
    this.clients = opts.clients ?? rng.int(2, 5);
    this.lockClientCount = opts.lockClients ?? rng.int(0, 2);
    this.net = new SimNetwork(this.w, () => this.profile);
    this.net.faultsOn = this.faultsOn;
    this.setup = clusterSetup(rng, opts, {
      onAnswer: (node, method, req, res) => this.checkers.onAnswer(node, method, req, res),
      onDurable: (node, ops) => this.checkers.onDurable(node, ops),
      failpointHit: (node, name) => this.failpointHit(node, name),
    });
    const k = opts.coordinators ?? 1;
    if (k < 1 || k > 5) throw new Error('coordinators must be 1..5');
    const coordinatorIds = Array.from({ length: k }, (_, i) => `c${i + 1}`);
    const cluster: SimCluster = { participantIds: this.participantIds, coordinatorIds, node: (id) => this.nodes.get(id), profile: () => this.profile };
    cluster.newestMap = () => this.mover?.newestMap() ?? null;
    for (const id of this.participantIds) this.nodes.set(id, new SimNode(id, 'participant', this.w, this.net, cluster, this.setup));
    this.coordinators = coordinatorIds.map((id) => new SimNode(id, 'coordinator', this.w, this.net, cluster, this.setup));
    for (const c of this.coordinators) this.nodes.set(c.id, c);
    this.coordinator = this.coordinators[0]!;
    this.txns = new ClientTxns(this.w, this.net, {
      // Any coordinator serves a call (one coordinator draws nothing, so its seeds run as before).
      coordinator: () => (this.coordinators.length === 1 ? this.coordinator : this.w.rng.pick(this.coordinators)),
      participantIds: this.participantIds,
      ownerOfKey: (k) => this.ownerOfKey(k),
      onAnswer: (ct, r) => this.checkers.onClientAnswer(ct, r),
    });
    if (opts.retentionMs) this.txns.lateRetryAfterMs = opts.retentionMs + graceFor(opts.retentionMs) + 200;
    const protocolRng = new Prng((opts.seed ^ 0x5bd1e995) >>> 0);
    this.bank = new BankClients(this.w, this.txns, {
      participantIds: this.participantIds,
      protocolMode: this.protocolMode,
      protocolRng,
      untilMs: this.faultMs,
      perParticipant: ACCOUNTS_PER_PARTICIPANT,
    });
    this.locks = new LockClients(this.w, this.net, this.txns, {
      participants: this.participantIds.map((id) => this.nodes.get(id)!),
      untilMs: this.faultMs,
      protocol: (): ProtocolName => (this.protocolMode === 'mixed' ? protocolRng.pick(['2pc', '3pc', 'nb'] as const) : this.protocolMode),
    });
    this.checkers = new SimCheckers(this.w, {
      strict: opts.strictDurability ?? true,
      coordinatorIds: coordinatorIds,
      participantIds: this.participantIds,
      node: (id) => this.nodes.get(id)!,
      txns: this.txns,
      accounts: new Set(this.bank.accounts),
      ownerOfKey: (k) => this.ownerOfKey(k),
    });
    this.mover = opts.reshard ? this.shardMover() : null;
    this.openingBalances();
  }

  /** The reshard nemesis; promise chains then run between events, as in a process. */
  private shardMover(): SimShardMover {
    this.w.settleBetweenEvents = true;
    return new SimShardMover(this.w, {
      participants: () => this.participantIds.map((id) => this.nodes.get(id)!),
      coordinators: () => this.coordinators,
      accounts: this.bank.accounts,
      pinned: LOCK_NAMES.flatMap((l) => [l, lockResource(l)]),
      untilMs: this.faultMs,
    });
  }

  /** Where a key lives now: the newest shard map (moving shards), else the first one. */
  private ownerOfKey(key: string): string {
    const map = this.mover?.newestMap();
    return map ? ownerOfKey(map, key) : ownerOf(key, this.participantIds);
  }

  /** Accounts start with their opening balance on the participant that owns them (and, moving shards, the first map everywhere). */
  private openingBalances(): void {
    const map = initialMap(this.participantIds.map((id) => ({ id, addr: id })));
    for (const id of this.participantIds) {
      this.nodes
        .get(id)!
        .engine.preload([
          ...this.bank.accounts
            .filter((k) => ownerOf(k, this.participantIds) === id)
            .map((k) => ({ type: 'put' as const, key: PKEY.data(k), value: encodeStoredValue({ value: INITIAL_BALANCE.toString(), version: 1 }) })),
          ...(this.mover ? [{ type: 'put' as const, key: SKEY.map, value: JSON.stringify(map) }] : []),
        ]);
    }
  }

  /** A seed's run: the workloads under the nemesis, the heal, a power loss, the final checks. */
  async run(): Promise<SimResult> {
    return this.guarded(async () => {
      await this.start();
      const w = this.w;
      for (let i = 0; i < this.clients; i++) this.bank.start(i, w.rng.int(0, 50));
      for (let i = 0; i < this.lockClientCount; i++) this.locks.start(100 + i, w.rng.int(0, 50));
      if (this.faultsOn) this.nemesisTick();
      this.mover?.start();
      w.at(this.faultMs, () => this.heal());
      await w.drain(this.faultMs + this.livenessMs);
      await this.powerLossAndCheck();
    });
  }

  /**
   * A scripted run (scenario.ts): the script drives clients, faults and time through `control`;
   * then everything heals, a power loss follows, and the final checks run as after a seed.
   */
  async runScript(script: (control: ScenarioControl) => Promise<void>): Promise<SimResult> {
    return this.guarded(async () => {
      await this.start();
      await script(this.control());
      if (this.w.violation) return;
      await this.heal();
      await this.w.drain(this.w.now + this.livenessMs);
      await this.powerLossAndCheck();
    });
  }

  private async start(): Promise<void> {
    this.w.log(
      'sim',
      `seed ${this.seed} protocol=${this.protocolMode} participants=${this.participantIds.join(',')} accounts=${this.bank.accounts.join(',')} clients=${this.clients} lockClients=${this.lockClientCount}` +
        ` cacheKeys=${this.setup.cacheKeys} linger=${this.setup.commitLingerMs}` +
        ` faults=${JSON.stringify(this.profile, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v * 1000) / 1000 : v))}` +
        (this.opts.bug ? ` bug=${this.opts.bug}` : ''),
    );
    for (const n of this.nodes.values()) await n.start();
  }

  /** Every node crashes at once, losing whatever was not synced, and restarts: what was promised must come back from the logs alone. */
  private async powerLossAndCheck(): Promise<void> {
    const w = this.w;
    if (w.violation) return;
    // Liveness first: once healed, everything must have finished by itself — before a restart of
    // every node would give stuck transactions a second chance.
    const why = this.checkers.unfinished([...this.nodes.values()]);
    if (why.length > 0) w.fail('liveness', `${this.livenessMs}ms after the heal: ${why.join('; ')}`);
    w.log('nem', 'POWER LOSS: every node crashes, losing unsynced writes, and restarts');
    for (const n of this.nodes.values()) if (n.up) this.crash(n, false);
    await w.drain(w.now + this.livenessMs);
    if (!w.violation) this.finalChecks();
  }

  private async guarded(body: () => Promise<void>): Promise<SimResult> {
    const w = this.w;
    try {
      await body();
    } catch (err) {
      if (!(err instanceof SimFailure)) w.violation ??= { invariant: 'core-error', message: `simulator error: ${describeError(err)}`, atMs: w.now };
    }
    return this.result();
  }

  private control(): ScenarioControl {
    return {
      world: this.w,
      net: this.net,
      txns: this.txns,
      accounts: this.bank.accounts,
      participantIds: this.participantIds,
      node: (id) => {
        const n = this.nodes.get(id);
        if (!n) throw new Error(`no node ${id} (nodes: ${[...this.nodes.keys()].join(', ')})`);
        return n;
      },
      checkers: this.checkers,
      crash: (n, downMs, unsynced) => this.crash(n, true, downMs ?? Infinity, unsynced),
      restart: (n) => (n.up ? Promise.resolve() : n.start()),
      armFailpoint: (n, name) => this.failpoints.set(n.id, name),
      lockClients: this.locks,
      bank: this.bank,
    };
  }

  private result(): SimResult {
    const w = this.w;
    const s = w.stats;
    s.events = w.events;
    s.simTimeMs = w.now;
    s.lostUnsyncedBatches = [...this.nodes.values()].reduce((sum, n) => sum + n.engine.stats.lostOnCrash, 0);
    for (const n of this.nodes.values()) {
      const c = n.counters();
      s.terminations += c.get('terminatedHere') ?? 0;
      s.precommits += c.get('precommitted') ?? 0;
      s.readsFromMemory += c.get('readsFromMemory') ?? 0;
      s.readsFromLog += c.get('readsFromLog') ?? 0;
      s.readOnlyRestarts += c.get('readOnlyRestarts') ?? 0;
      s.wrongShardRefusals += c.get('wrongShard') ?? 0;
    }
    if (w.violation) w.log('sim', `VIOLATION ${w.violation.invariant}: ${w.violation.message}`);
    return {
      seed: this.seed,
      protocol: this.protocolMode,
      ok: w.violation === null,
      ...(w.violation ? { violation: w.violation } : {}),
      trace: w.trace.tail(),
      traceDigest: w.trace.digest,
      faults: this.profile,
      stats: s,
    };
  }

  // ---------------------------------------------------------------- faults

  private nemesisTick(): void {
    const tickMs = 50;
    const w = this.w;
    w.at(w.now + tickMs, () => {
      if (!this.faultsOn) return;
      const f = this.profile;
      const r = w.rng;
      const all = [...this.nodes.values()];
      if (r.chance((f.crashPerSec * tickMs) / 1000)) {
        const n = r.pick(all);
        if (n.up) this.crash(n);
      }
      if (r.chance((f.pausePerSec * tickMs) / 1000)) {
        const n = r.pick(all);
        if (n.up) {
          const ms = r.int(50, 1500);
          n.pausedUntil = Math.max(n.pausedUntil, w.now + ms);
          w.stats.pauses++;
          w.log('nem', `PAUSE ${n.id} for ${ms}ms`);
        }
      }
      if (r.chance((f.partitionPerSec * tickMs) / 1000)) this.partition(all.map((n) => n.id));
      this.nemesisTick();
    });
  }

  private partition(ids: string[]): void {
    const w = this.w;
    const r = w.rng;
    const pairs: [string, string][] = [];
    if (r.chance(0.5)) {
      const victim = r.pick(ids);
      for (const o of ids) if (o !== victim) pairs.push([victim, o]);
    } else {
      const a = r.pick(ids);
      let b = r.pick(ids);
      while (b === a) b = r.pick(ids);
      pairs.push([a, b]);
    }
    const keys = this.net.cut(pairs);
    w.stats.partitions++;
    const ms = r.int(this.partitionMs.min, this.partitionMs.max);
    w.log('nem', `PARTITION ${keys.join(' ')} for ${ms}ms`);
    w.at(w.now + ms, () => {
      this.net.heal(keys);
      w.log('nem', `HEAL ${keys.join(' ')}`);
    });
  }

  /** `fault`: counted as an injected fault (the final power loss is not). `unsynced`: lose or keep every unsynced write (else the seed draws). */
  private crash(n: SimNode, fault = true, downMs = this.w.rng.int(20, 800), unsynced?: 'lost' | 'kept'): void {
    const w = this.w;
    if (fault) w.stats.crashes++;
    const lostBefore = n.engine.stats.lostOnCrash;
    n.crash(unsynced === 'lost' ? (lo) => lo : unsynced === 'kept' ? (_lo, hi) => hi : (lo, hi) => w.rng.int(lo, hi));
    w.log(
      'nem',
      `CRASH ${n.id} (lost ${n.engine.stats.lostOnCrash - lostBefore} unsynced writes)${downMs === Infinity ? ', down until restarted' : `, down ${downMs}ms`}`,
    );
    if (downMs !== Infinity) w.at(w.now + downMs, () => (n.up ? undefined : n.start()));
  }

  private failpointHit(n: SimNode, name: FailpointName): boolean {
    if (this.failpoints.get(n.id) !== name) return false;
    this.failpoints.delete(n.id);
    this.w.log('nem', `FAILPOINT ${name} on ${n.id}`);
    this.crash(n, true, Infinity);
    return true;
  }

  private async heal(): Promise<void> {
    this.faultsOn = false;
    this.net.faultsOn = false;
    this.net.heal();
    this.net.releaseAll();
    this.w.log('nem', 'HEAL ALL: no more loss, duplication, partitions, crashes; every node up');
    for (const n of this.nodes.values()) if (!n.up) await n.start();
  }

  private finalChecks(): void {
    // Liveness: the faults healed at faultMs; by now everything must have finished.
    const why = this.checkers.unfinished([...this.nodes.values()]);
    const expected = this.checkers.checkTransactions(why.length === 0);
    if (why.length > 0) this.w.fail('liveness', `${this.livenessMs}ms after the heal: ${why.join('; ')}`);
    const balances = this.checkers.checkBalances(expected, this.bank.total);
    this.checkers.checkLocks(this.locks);
    const s = this.w.stats;
    this.w.log(
      'sim',
      `OK: ${s.committed} transfers committed, ${s.aborted} aborted, ${s.auditsChecked} audits checked, ${s.fencedWrites} fenced writes; balances ${balances.join(' ')}`,
    );
  }
}

/** Runs one seed; a failing seed is replayed once to extract the story of the txns involved. */
export async function simulate(opts: SimOptions): Promise<SimResult> {
  const r = await new Simulation(opts).run();
  if (!r.violation || opts.focus === false) return r;
  const ids = [...new Set(r.violation.message.match(/\b[tl][0-9]+\b/g) ?? [])];
  const full = await new Simulation({ ...opts, traceLines: 1_000_000 }).run();
  if (full.traceDigest !== r.traceDigest) throw new Error(`seed ${opts.seed} is not deterministic: ${full.traceDigest} vs ${r.traceDigest}`);
  const about = ids.length > 0 ? new RegExp(`\\b(${ids.join('|')})\\b`) : null;
  const focus = full.trace.filter((line) => (about !== null && about.test(line)) || / nem | sim /.test(line.slice(0, 14)));
  return { ...r, focus: focus.length > 400 ? focus.slice(-400) : focus };
}
