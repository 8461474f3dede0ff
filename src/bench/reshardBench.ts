import { watchLoopStalls } from '../runtime/loopStalls.js';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { DtxClient, DtxError, op, type TxnResult } from '../client/dtxClient.js';
import type { ShardProgress } from '../client/shardsAdmin.js';
import { LocalCluster } from '../cluster/localCluster.js';
import { DEFAULT_MOVE_OPTIONS } from '../node/shardMover.js';
import { LIMITS } from '../protocol/limits.js';
import { rulesOf } from '../protocol/protocols/index.js';
import { ownerOf } from '../protocol/routing.js';
import { DEFAULT_SHARD_COUNT, loadOf, shardOf } from '../protocol/shardMap.js';
import type { ProtocolName } from '../protocol/types.js';
import { prng } from '../workload/bank.js';
import { LatencyHistogram, round3, type LatencySummary } from './histogram.js';
import { sampleCpu } from './procCpu.js';
import { channelTargets, machineReport, type BenchReport } from './runBench.js';
import { median, RateSeries } from './window.js';
import { BIG, makeWorkload, type BenchWorkload } from './workloads.js';

/** One membership change of a resharding run: add the next participant, or remove the last one. */
export type ReshardMove = 'add' | 'remove';

export interface ReshardOptions {
  /** Bank accounts loaded before the run (each opens at BIG). */
  accounts: number;
  /** Participants the cluster starts with. */
  participants: number;
  concurrency: number;
  protocol: ProtocolName;
  moves: ReshardMove[];
  /** JIT warmup before the first steady period (not counted): at least this long... */
  warmupMs: number;
  /** ...and until this many transfers committed (at most 60 s more). */
  warmupTxns: number;
  /** Each steady period: before the first move (its 1 s windows are the baseline), between moves, after the last. */
  steadyMs: number;
  /** Shards per move step (the coordinator's default when omitted). */
  shardsPerStep?: number;
  /** Copy rate limit of a move, keys/s (none when omitted). */
  maxKeysPerSecond?: number;
  /** Moves copy without giving way to the load (the coordinator's pacer off). */
  fullSpeed?: boolean;
  loopsPerClient?: number;
  stream?: boolean;
  txnTimeoutMs?: number;
  seed?: number;
  /** Puts per loading transaction (default and at most LIMITS.maxOpsPerTxn). */
  loadOpsPerTxn?: number;
  /** Loading transactions in flight (default 2 per participant). */
  loadWorkers?: number;
  /** What one loading transaction writes: the keys of one shard (default) or of one participant. */
  loadBy?: 'shard' | 'participant';
  /** The cluster's data dir, kept afterwards (node logs in <dir>/logs); a temp dir removed at the end when omitted. */
  dataDir?: string;
  tls?: boolean;
}

export interface ReshardProgress {
  phase: 'setup' | 'load' | 'warmup' | 'steady' | 'move' | 'drain' | 'audit';
  /** Since the client loops started (0 before). */
  elapsedMs: number;
  /** What the phase is doing, e.g. "loaded 300000/1000000 accounts". */
  detail: string;
  /** Transfers committed in the last whole second. */
  committedLastSecond: number;
  committed: number;
  errors: number;
  move?: ShardProgress & { kind: ReshardMove; participant: string };
}

/** What the client loops saw over one phase of the run. */
export interface PhaseReport {
  name: string;
  /** Since the end of the warmup. */
  startMs: number;
  durationMs: number;
  committed: number;
  committedPerSec: number;
  aborted: number;
  abortsByCode: Record<string, number>;
  errors: Record<string, number>;
  /** Committed transfers, end to end (conflict retries included), ms. */
  latencyMs: LatencySummary;
  /**
   * Client loops waiting over 1 s on one call, sampled every 100 ms: in a closed loop, a loop
   * whose transfer is held (its shard is moving) commits nothing until the hold ends.
   */
  loopsStalled: { mean: number; max: number };
  /** Cores each node kept busy over the phase (CPU seconds / phase seconds). */
  nodeCoresBusy: Record<string, number | null>;
  clientCoresBusy: number;
  /**
   * The bench process's own event loop running ≥100 ms late (its GC, or the machine too busy to
   * schedule it): every loop's clock stops with it, so a dip that lines up with one is the
   * client's, not the cluster's.
   */
  clientStalls: { count: number; totalMs: number; maxMs: number };
}

export interface MoveReport extends PhaseReport {
  kind: ReshardMove;
  participant: string;
  /** Median 1 s window of the steady period just before this move. */
  beforePerSec: number;
  /** The worst 1 s window (sliding on a 100 ms grid) inside the move. */
  minWindowPerSec: number;
  /** Where that window starts, after the move's start. */
  minWindowAtMs: number;
  /** minWindowPerSec / the run's baseline (results.beforePerSec). */
  dip: number;
  /** minWindowPerSec / beforePerSec. */
  dipVsBefore: number;
  shardsMoved: number;
  keysMoved: number;
  /** From the coordinator's first "moving" report to done (durationMs also counts starting or stopping the process). */
  movingMs: number;
  keysPerSecond: number;
  /** Move steps (one freeze, copy and new epoch each) and how long they took. */
  steps: number;
  stepMs: { p50: number; max: number };
  epochAfter: number;
  /** Shards per participant once the move is done (or failed). */
  shardsAfter: Record<string, number>;
  /** Why the move failed (the moves after it are not run); null when it finished. */
  error: string | null;
}

export interface ReshardReport {
  tool: string;
  startedAt: string;
  machine: BenchReport['machine'];
  config: {
    workload: 'bank';
    protocol: string;
    participants: number;
    concurrency: number;
    accounts: number;
    moves: ReshardMove[];
    /** The warmup as run (at least the asked time, longer while fewer than warmupTxns had committed). */
    warmupMs: number;
    warmupTxns: number;
    steadyMs: number;
    shardsPerStep: number;
    /** 0: no limit. */
    maxKeysPerSecond: number;
    fullSpeed: boolean;
    clients: number;
    clientApi: 'unary' | 'stream';
    tls: boolean;
    loopsPerClient: number;
    txnTimeoutMs: number;
    maxRetries: number;
    seed: number;
    workloadShape: Record<string, string | number>;
    dataDir: string | null;
  };
  durability: string;
  load: { accounts: number; ms: number; accountsPerSec: number; transactions: number; opsPerTxn: number; workers: number; by: 'shard' | 'participant' };
  results: {
    /** Median 1 s window of the steady period before the first move. */
    beforePerSec: number;
    beforeWindows: number[];
    /** The worst sliding 1 s window of that steady period: the noise floor of a dip. */
    beforeMinWindowPerSec: number;
    moves: MoveReport[];
    /** The lowest dip of all moves (1 = no dip). */
    worstDip: number;
    /** Every move kept its worst second at half the baseline or more. */
    heldHalf: boolean;
    /** The steady periods (before, between and after the moves). */
    steady: PhaseReport[];
    /** Committed per back-to-back 1 s window from the end of the warmup; marks say where each move started and ended. */
    /** `startedAtEpochMs`: wall-clock time of the first window (to match node log lines against it). */
    timeline: { windowMs: number; startedAtEpochMs: number; committedPerSec: number[]; marks: { atMs: number; what: string }[] };
    /** The bank total read back after the load stopped: it must equal the opening total. */
    total: { accounts: number; expected: string; found: string; held: boolean; missing: number; negative: number; readMs: number };
    unfinishedLoops: number;
  };
}

const MAX_RETRIES = 20;
/** A loop whose call has lasted this long counts as stalled (a transfer takes ~20-100 ms here). */
const STALLED_MS = 1000;
const MAX_EXTRA_WARMUP_MS = 60_000;
/** After a new participant's process starts: wait until the load is back to this share of its level, at most SETTLE_MAX_MS. */
const SETTLE_SHARE = 0.9;
const SETTLE_MAX_MS = 10_000;

/** A stall of the bench process's own event loop this long is counted (PhaseReport.clientStalls). */
const CLIENT_STALL_MS = 100;

class PhaseStats {
  committed = 0;
  aborted = 0;
  /** Samples of how many loops had been waiting on one call for over STALLED_MS. */
  stalledSum = 0;
  stalledSamples = 0;
  stalledMax = 0;
  readonly abortsByCode: Record<string, number> = {};
  readonly errorsByCode: Record<string, number> = {};
  readonly latency = new LatencyHistogram();
  to = NaN;
  constructor(
    readonly name: string,
    readonly from: number,
    readonly cpuFrom: Map<string, number | undefined>,
    readonly clientFrom: NodeJS.CpuUsage,
  ) {}
}

const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);

/**
 * `dtx bench --reshard add,remove`: a 3-participant cluster with `accounts` bank accounts runs
 * transfers in a closed loop while participants are added and removed (shards moved online); the
 * report gives throughput before, the worst second of each move against it, each move's keys per
 * second, and the bank total read back at the end.
 */
export function runReshardBench(o: ReshardOptions, onProgress: (p: ReshardProgress) => void = () => undefined): Promise<ReshardReport> {
  return new ReshardRun(o, onProgress).run();
}

class ReshardRun {
  private cluster: LocalCluster | null = null;
  private readonly clients: DtxClient[] = [];
  private workload!: BenchWorkload;
  private series!: RateSeries;
  private phase: PhaseStats | null = null;
  private readonly phases: PhaseStats[] = [];
  private stopped = false;
  private committedEver = 0;
  private errorsEver = 0;
  private measuredFrom = NaN;
  private loadReport!: ReshardReport['load'];
  private readonly moveReports: MoveReport[] = [];
  private readonly marks: { atMs: number; what: string }[] = [];
  private readonly clientStalls: { at: number; ms: number }[] = [];
  private moveNow: ReshardProgress['move'] | undefined;
  private phaseName: ReshardProgress['phase'] = 'setup';
  private detail = '';
  private readonly loopsPerClient: number;
  /** When each loop's call in flight started (NaN: none). */
  private readonly callStart: number[] = [];
  private readonly txnTimeoutMs: number;
  private readonly loadBy: 'shard' | 'participant';

  constructor(
    private readonly o: ReshardOptions,
    private readonly onProgress: (p: ReshardProgress) => void,
  ) {
    this.loopsPerClient = o.loopsPerClient ?? 32;
    this.txnTimeoutMs = o.txnTimeoutMs ?? 5000;
    this.loadBy = o.loadBy ?? 'shard';
  }

  async run(): Promise<ReshardReport> {
    const stopWatch = watchLoopStalls(CLIENT_STALL_MS, (ms, at) => this.clientStalls.push({ at, ms }));
    try {
      return await this.runCluster();
    } finally {
      stopWatch();
    }
  }

  private async runCluster(): Promise<ReshardReport> {
    const startedAt = new Date().toISOString();
    const loadAvgAtStart = loadavg();
    this.say('setup', `starting ${this.o.participants} participants and a coordinator`);
    this.cluster = await LocalCluster.start({
      participants: this.o.participants,
      tls: this.o.tls ?? false,
      ...(this.o.dataDir ? { dataDir: this.o.dataDir } : {}),
    });
    const ticker = setInterval(() => this.tick(), 1000);
    try {
      const runId = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
      const participants = this.cluster.participantNames;
      this.workload = makeWorkload({ name: 'bank', participants, contention: 'low', accounts: this.o.accounts, runId });
      const nClients = Math.max(1, Math.ceil(this.o.concurrency / this.loopsPerClient));
      for (const t of channelTargets(this.cluster.coordinatorAddress, nClients)) {
        this.clients.push(
          new DtxClient(t, { timeoutMs: this.txnTimeoutMs, stream: this.o.stream ?? false, protocol: this.o.protocol, security: this.cluster.dial }),
        );
      }
      await this.load(participants);
      const unfinishedLoops = await this.measure();
      const total = await this.audit();
      return this.report(startedAt, loadAvgAtStart, total, unfinishedLoops);
    } finally {
      clearInterval(ticker);
      this.stopped = true;
      for (const c of this.clients) c.close();
      // Graceful first: nodes close their logs (and write a DTX_CPU_PROFILE if asked); a --data dir stays.
      await this.cluster.stop();
      await this.cluster.destroy();
    }
  }

  /** Warmup, steady periods and moves while the client loops run; then the loops stop. Resolves with the loops left in a call. */
  private async measure(): Promise<number> {
    this.series = new RateSeries(performance.now());
    const t0 = performance.now();
    const loops = Array.from({ length: this.o.concurrency }, (_, i) => this.loop(i));
    const sampler = setInterval(() => this.sampleStalled(), 100);
    this.say('warmup', `until ${this.o.warmupMs} ms and ${this.o.warmupTxns} transfers committed`);
    await sleep(this.o.warmupMs);
    for (let i = 0; this.committedEver < this.o.warmupTxns && i < MAX_EXTRA_WARMUP_MS / 100; i++) await sleep(100);
    this.measuredFrom = performance.now();
    this.warmupMs = Math.round(this.measuredFrom - t0);
    await this.steady('before');
    for (const [i, kind] of this.o.moves.entries()) {
      const ok = await this.move(kind);
      // A failed move ends the moves; the load and the audit still run, and the report says what failed.
      await this.steady(!ok || i === this.o.moves.length - 1 ? 'after' : `after ${kind}`);
      if (!ok) break;
    }
    this.stopped = true;
    clearInterval(sampler);
    this.say('drain', 'waiting for the client loops to finish their calls');
    let finished = 0;
    const tracked = loops.map((l) => l.then(() => void finished++));
    await Promise.race([Promise.all(tracked), sleep(this.txnTimeoutMs + 7000, undefined, { ref: false })]);
    return this.o.concurrency - finished;
  }

  private warmupMs = 0;

  private sampleStalled(): void {
    const p = this.phase;
    if (!p) return;
    const now = performance.now();
    let n = 0;
    for (const t of this.callStart) if (now - t > STALLED_MS) n++;
    p.stalledSum += n;
    p.stalledSamples++;
    p.stalledMax = Math.max(p.stalledMax, n);
  }

  private async steady(name: string): Promise<void> {
    this.say('steady', name);
    const p = this.begin(`steady ${name}`);
    await sleep(this.o.steadyMs);
    this.end(p);
  }

  /** Runs one membership change under the load; false if it failed (its report carries the error). */
  private async move(kind: ReshardMove): Promise<boolean> {
    const cluster = this.cluster!;
    const limits = {
      ...(this.o.shardsPerStep !== undefined ? { shardsPerStep: this.o.shardsPerStep } : {}),
      ...(this.o.maxKeysPerSecond !== undefined ? { maxKeysPerSecond: this.o.maxKeysPerSecond } : {}),
      ...(this.o.fullSpeed ? { fullSpeed: true } : {}),
    };
    // A new participant's process starts before the change is measured, as on its own machine
    // (here it shares the 2 cores: its start-up would count against the move).
    const participant = kind === 'remove' ? cluster.participantNames.at(-1)! : await cluster.startParticipant();
    if (kind === 'add') {
      this.mark(`${participant} process started`);
      this.mark(`${participant} settled after ${await this.settle()} ms`);
    }
    const p = this.begin(`${kind} ${participant}`);
    this.mark(`${kind} ${participant} started`);
    const events: { t: number; p: ShardProgress }[] = [];
    const seen = (sp: ShardProgress) => {
      events.push({ t: performance.now(), p: sp });
      this.moveNow = { ...sp, kind, participant };
      this.say('move', `${kind} ${participant}: ${sp.step}`);
    };
    let error: string | null = null;
    try {
      if (kind === 'add') await cluster.joinParticipant(participant, limits, seen);
      else await cluster.removeParticipant(participant, limits, seen);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
      this.say('move', `${kind} ${participant} FAILED: ${error}`);
    }
    this.end(p);
    this.moveNow = undefined;
    this.mark(`${kind} ${participant} ${error ? 'failed' : 'done'}`);
    const overview = await cluster.shards();
    this.moveReports.push({
      ...this.moveReport(kind, participant, p, events, overview.map.epoch, Object.fromEntries(loadOf(overview.map))),
      error,
    });
    return error === null;
  }

  private moveReport(
    kind: ReshardMove,
    participant: string,
    p: PhaseStats,
    events: { t: number; p: ShardProgress }[],
    epochAfter: number,
    shardsAfter: Record<string, number>,
  ): Omit<MoveReport, 'error'> {
    // The balancing part's last report ("done"); a removal then reports the member leaving the map.
    const last = (events.find((e) => e.p.step === 'done') ?? events.at(-1))?.p;
    // Steps: the coordinator reports "moving N shard(s)", then one "moved ..." per step.
    const movingAt = events.find((e) => e.p.step.startsWith('moving') || e.p.step.startsWith('already'))?.t ?? p.from;
    const stepTimes = events.filter((e) => e.p.step.startsWith('moved ')).map((e) => e.t);
    const stepMs = stepTimes.map((t, i) => t - (i === 0 ? movingAt : stepTimes[i - 1]!));
    const doneAt = events.find((e) => e.p.done)?.t ?? p.to;
    const movingMs = Math.max(0, doneAt - movingAt);
    const windows = this.series.slidingWindows(p.from, p.to);
    const worst = windows.reduce((a, b) => (b.perSec < a.perSec ? b : a));
    const before = this.moveReports.length === 0 ? this.baseline() : median(this.windowsOf(this.phases[this.phases.indexOf(p) - 1]!));
    const keysMoved = last?.keysMoved ?? 0;
    return {
      kind,
      participant,
      ...this.phaseReport(p),
      beforePerSec: before,
      minWindowPerSec: worst.perSec,
      minWindowAtMs: worst.offsetMs,
      dip: ratio(worst.perSec, this.baseline()),
      dipVsBefore: ratio(worst.perSec, before),
      shardsMoved: last?.shardsMoved ?? 0,
      keysMoved,
      movingMs: Math.round(movingMs),
      keysPerSecond: movingMs > 0 ? Math.round((keysMoved * 1000) / movingMs) : 0,
      steps: stepMs.length,
      stepMs: { p50: Math.round(median(stepMs)), max: Math.round(Math.max(0, ...stepMs)) },
      epochAfter,
      shardsAfter,
    };
  }

  /**
   * Waits (bounded) until the last second's commits are back to SETTLE_SHARE of the steady period
   * before: a new process competes for these 2 cores while it starts (loading and compiling its
   * code), which on its own machine it would not. Resolves with how long it waited.
   */
  private async settle(): Promise<number> {
    const level = median(this.windowsOf(this.phases.at(-1)!));
    const from = performance.now();
    while (performance.now() - from < SETTLE_MAX_MS) {
      await sleep(100);
      const now = performance.now();
      if (now - from >= 1000 && (this.series.slidingWindows(now - 1100, now).at(-1)?.perSec ?? 0) >= SETTLE_SHARE * level) break;
    }
    return Math.round(performance.now() - from);
  }

  /** The phase's back-to-back 1 s windows; a phase too short for one whole window gives its mean rate. */
  private windowsOf(p: PhaseStats): number[] {
    const w = this.series.alignedWindows(p.from, p.to);
    return w.length > 0 ? w : [Math.round((p.committed * 1000) / Math.max(1, p.to - p.from))];
  }

  private baseline(): number {
    return median(this.windowsOf(this.phases[0]!));
  }

  /** One closed-loop client: a transfer, its answer, the next. CONFLICT aborts are retried with the first attempt's age. */
  private async loop(i: number): Promise<void> {
    const client = this.clients[Math.floor(i / this.loopsPerClient)]!;
    const random = prng((this.o.seed ?? 1) * 1_000_003 + i);
    while (!this.stopped) {
      const txn = this.workload.next(random, i);
      const start = performance.now();
      const firstAttemptMs = Date.now();
      for (let attempt = 0; ; attempt++) {
        let r: TxnResult;
        try {
          this.callStart[i] = performance.now();
          r = await client.transact(txn.ops, { timeoutMs: this.txnTimeoutMs, firstAttemptMs });
        } catch (err) {
          this.callStart[i] = NaN;
          this.errorsEver++;
          if (this.phase) bump(this.phase.errorsByCode, err instanceof DtxError ? err.code : 'UNKNOWN');
          await sleep(20); // a broken call: do not spin on a sick cluster
          break;
        }
        const now = performance.now();
        this.callStart[i] = NaN;
        if (r.outcome === 'COMMITTED') {
          this.committedEver++;
          this.series.record(now);
          if (this.phase) {
            this.phase.committed++;
            this.phase.latency.recordMs(now - start);
          }
          break;
        }
        const code = r.outcome === 'PENDING' ? 'PENDING' : (r.abortCode ?? 'UNKNOWN');
        if (this.phase) {
          this.phase.aborted++;
          bump(this.phase.abortsByCode, code);
        }
        if (code !== 'CONFLICT' || attempt >= MAX_RETRIES || this.stopped) break;
        await sleep(Math.min(2 ** (attempt + 1), 100) * (0.5 + Math.random()));
      }
    }
  }

  /**
   * Writes the accounts in transactions of up to LIMITS.maxOpsPerTxn puts, several in flight.
   * By shard (default): each transaction writes the keys of one shard (1,000,000 accounts are
   * ~977 a shard), so its outcome record, which a move copies along with any shard it touches,
   * goes with that one shard. By participant: up to 1,000 keys of one participant, spread over
   * all its shards, so every move step copies every such record.
   */
  private async load(participants: string[]): Promise<void> {
    const accounts = this.workload.accounts!();
    const opsPerTxn = Math.min(this.o.loadOpsPerTxn ?? LIMITS.maxOpsPerTxn, LIMITS.maxOpsPerTxn);
    const workers = this.o.loadWorkers ?? 2 * participants.length;
    const groups = new Map<string | number, string[]>();
    for (const k of accounts) {
      const g = this.loadBy === 'shard' ? shardOf(k, DEFAULT_SHARD_COUNT) : ownerOf(k, participants);
      const keys = groups.get(g);
      if (keys) keys.push(k);
      else groups.set(g, [k]);
    }
    // Chunks interleaved over the groups (shard s of the first map is on participant s mod n), so that all participants write at once.
    const queues = [...groups.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, keys]) => Array.from({ length: Math.ceil(keys.length / opsPerTxn) }, (_, i) => keys.slice(i * opsPerTxn, (i + 1) * opsPerTxn)));
    const chunks: string[][] = [];
    for (let i = 0; queues.some((q) => i < q.length); i++) for (const q of queues) if (i < q.length) chunks.push(q[i]!);
    const value = BIG.toString();
    const t0 = performance.now();
    let next = 0;
    let loaded = 0;
    this.say('load', `0/${accounts.length} accounts`);
    const worker = async (w: number) => {
      const client = this.clients[w % this.clients.length]!;
      while (next < chunks.length) {
        const chunk = chunks[next++]!;
        const r = await client.transact(
          chunk.map((k) => op.put(k, value)),
          { retries: 20, timeoutMs: 60_000 },
        );
        if (r.outcome !== 'COMMITTED') throw new Error(`loading accounts: a transaction aborted: ${r.reason}`);
        loaded += chunk.length;
        this.detail = `${loaded}/${accounts.length} accounts`;
      }
    };
    await Promise.all(Array.from({ length: Math.min(workers, chunks.length) }, (_, w) => worker(w)));
    const ms = performance.now() - t0;
    this.loadReport = {
      accounts: accounts.length,
      ms: Math.round(ms),
      accountsPerSec: Math.round((accounts.length * 1000) / ms),
      transactions: chunks.length,
      opsPerTxn,
      workers,
      by: this.loadBy,
    };
  }

  /** Reads every account back (consistent reads of up to LIMITS.maxReadKeys keys) and sums them. */
  private async audit(): Promise<ReshardReport['results']['total']> {
    const accounts = this.workload.accounts!();
    this.say('audit', `reading ${accounts.length} accounts back`);
    const t0 = performance.now();
    const page = LIMITS.maxReadKeys;
    let next = 0;
    let sum = 0n;
    let missing = 0;
    let negative = 0;
    const reader = async (w: number) => {
      const client = this.clients[w % this.clients.length]!;
      while (next < accounts.length) {
        const from = next;
        next += page;
        const results = await client.read(accounts.slice(from, from + page), 30_000);
        for (const r of results) {
          if (!r.found) {
            missing++;
            continue;
          }
          const v = BigInt(r.value);
          if (v < 0n) negative++;
          sum += v;
        }
        this.detail = `read ${Math.min(next, accounts.length)}/${accounts.length} accounts`;
      }
    };
    await Promise.all(Array.from({ length: 4 }, (_, w) => reader(w)));
    const expected = BIG * BigInt(accounts.length);
    return {
      accounts: accounts.length,
      expected: expected.toString(),
      found: sum.toString(),
      held: sum === expected && missing === 0 && negative === 0,
      missing,
      negative,
      readMs: Math.round(performance.now() - t0),
    };
  }

  private clientStallsIn(from: number, to: number): PhaseReport['clientStalls'] {
    const inside = this.clientStalls.filter((s) => s.at >= from && s.at <= to).map((s) => s.ms);
    return { count: inside.length, totalMs: Math.round(inside.reduce((a, b) => a + b, 0)), maxMs: Math.round(Math.max(0, ...inside)) };
  }

  private begin(name: string): PhaseStats {
    const p = new PhaseStats(name, performance.now(), sampleCpu(this.pids()), process.cpuUsage());
    this.phase = p;
    this.phases.push(p);
    return p;
  }

  private end(p: PhaseStats): void {
    p.to = performance.now();
    if (this.phase === p) this.phase = null;
    this.cpuAt.set(p, { cpu: sampleCpu(this.pids()), client: process.cpuUsage(p.clientFrom) });
  }

  private readonly cpuAt = new Map<PhaseStats, { cpu: Map<string, number | undefined>; client: NodeJS.CpuUsage }>();

  private pids(): Map<string, number> {
    const m = new Map<string, number>();
    for (const [name, n] of this.cluster!.nodes) if (n.pid) m.set(name, n.pid);
    return m;
  }

  private phaseReport(p: PhaseStats): PhaseReport {
    const seconds = (p.to - p.from) / 1000;
    const end = this.cpuAt.get(p)!;
    const nodeCoresBusy: Record<string, number | null> = {};
    for (const name of new Set([...p.cpuFrom.keys(), ...end.cpu.keys()])) {
      const a = end.cpu.get(name);
      // A node started during the phase counts from 0; one stopped during it is unknown.
      const b = p.cpuFrom.has(name) ? p.cpuFrom.get(name) : 0;
      nodeCoresBusy[name] = a === undefined || b === undefined ? null : round3((a - b) / seconds);
    }
    return {
      name: p.name,
      startMs: Math.round(p.from - this.measuredFrom),
      durationMs: Math.round(p.to - p.from),
      committed: p.committed,
      committedPerSec: Math.round((p.committed / seconds) * 10) / 10,
      aborted: p.aborted,
      abortsByCode: p.abortsByCode,
      errors: p.errorsByCode,
      latencyMs: p.latency.summary(),
      loopsStalled: { mean: p.stalledSamples > 0 ? Math.round((p.stalledSum / p.stalledSamples) * 10) / 10 : 0, max: p.stalledMax },
      nodeCoresBusy,
      clientCoresBusy: round3((end.client.user + end.client.system) / 1e6 / seconds),
      clientStalls: this.clientStallsIn(p.from, p.to),
    };
  }

  private report(startedAt: string, loadAvgAtStart: number[], total: ReshardReport['results']['total'], unfinishedLoops: number): ReshardReport {
    const first = this.phases[0]!;
    const last = this.phases.at(-1)!;
    const beforeWindows = this.windowsOf(first);
    const worstDip = this.moveReports.length > 0 ? Math.min(...this.moveReports.map((m) => m.dip)) : 1;
    return {
      tool: 'dtx bench --reshard',
      startedAt,
      machine: machineReport(loadAvgAtStart),
      config: {
        workload: 'bank',
        protocol: this.o.protocol,
        participants: this.o.participants,
        concurrency: this.o.concurrency,
        accounts: this.o.accounts,
        moves: this.o.moves,
        warmupMs: this.warmupMs,
        warmupTxns: this.o.warmupTxns,
        steadyMs: this.o.steadyMs,
        shardsPerStep: this.o.shardsPerStep ?? DEFAULT_MOVE_OPTIONS.shardsPerStep,
        maxKeysPerSecond: this.o.maxKeysPerSecond ?? 0,
        fullSpeed: this.o.fullSpeed ?? false,
        clients: this.clients.length,
        clientApi: this.o.stream ? 'stream' : 'unary',
        tls: this.o.tls ?? false,
        loopsPerClient: this.loopsPerClient,
        txnTimeoutMs: this.txnTimeoutMs,
        maxRetries: MAX_RETRIES,
        seed: this.o.seed ?? 1,
        workloadShape: this.workload.shape,
        dataDir: this.o.dataDir ?? null,
      },
      durability: rulesOf(this.o.protocol).durability,
      load: this.loadReport,
      results: {
        beforePerSec: this.baseline(),
        beforeWindows,
        beforeMinWindowPerSec: Math.min(...this.series.slidingWindows(first.from, first.to).map((w) => w.perSec)),
        moves: this.moveReports,
        worstDip,
        heldHalf: worstDip >= 0.5,
        steady: this.phases.filter((p) => p.name.startsWith('steady')).map((p) => this.phaseReport(p)),
        timeline: {
          windowMs: 1000,
          startedAtEpochMs: Math.round(performance.timeOrigin + this.measuredFrom),
          committedPerSec: this.series.alignedWindows(this.measuredFrom, last.to),
          marks: this.marks,
        },
        total,
        unfinishedLoops,
      },
    };
  }

  private mark(what: string): void {
    this.marks.push({ atMs: Math.round(performance.now() - this.measuredFrom), what });
  }

  private say(phase: ReshardProgress['phase'], detail: string): void {
    this.phaseName = phase;
    this.detail = detail;
    this.tick();
  }

  private tick(): void {
    const now = performance.now();
    const lastSecond = this.series ? (this.series.alignedWindows(now - 1100, now).at(-1) ?? 0) : 0;
    this.onProgress({
      phase: this.phaseName,
      elapsedMs: this.series ? Math.round(now - this.series.t0) : 0,
      detail: this.detail,
      committedLastSecond: lastSecond,
      committed: this.committedEver,
      errors: this.errorsEver,
      ...(this.moveNow ? { move: this.moveNow } : {}),
    });
  }
}

function ratio(a: number, b: number): number {
  return b > 0 ? round3(a / b) : 0;
}
