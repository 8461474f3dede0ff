import { cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { DtxClient, DtxError, type TxnResult } from '../client/dtxClient.js';
import { LocalCluster } from '../cluster/localCluster.js';
import { PLAINTEXT, type DialSecurity } from '../rpc/dial.js';
import { rulesOf } from '../protocol/protocols/index.js';
import type { ProtocolName } from '../protocol/types.js';
import { prng } from '../workload/bank.js';
import { measureFloor, type FloorOptions, type FloorReport } from './floor.js';
import { LatencyHistogram, round3, type LatencySummary } from './histogram.js';
import { diskReport, DiskSampler, type DiskReport } from './diskUsage.js';
import { cpuReport, MeasureWindow, runWindow } from './window.js';
import { makeWorkload, type Contention, type WorkloadName } from './workloads.js';

export interface BenchOptions {
  workload: WorkloadName;
  participants: number;
  concurrency: number;
  durationMs: number;
  warmupMs: number;
  /**
   * The warmup also lasts until this many transactions committed (default 0): the nodes'
   * JavaScript runs unoptimized until V8 has seen enough calls, which at low concurrency
   * takes longer than a couple of seconds.
   */
  warmupTxns?: number;
  protocol: ProtocolName;
  contention: Contention;
  accounts?: number;
  /** A running cluster's coordinator; without it a LocalCluster is started (and destroyed). */
  target?: string;
  /** Client loops that share one DtxClient (one channel, one HTTP/2 connection). */
  loopsPerClient?: number;
  /** Server-side timeout of each transaction; its call is bounded by this + 5 s. */
  txnTimeoutMs?: number;
  /** CONFLICT aborts are retried (keeping the first attempt's age) at most this many times. */
  maxRetries?: number;
  seed?: number;
  readRatio?: number;
  /** Measure the physical floor in the same run (default: for bank at concurrency 1). */
  floor?: boolean;
  floorOptions?: FloorOptions;
  /** Pipeline each client's transactions over one TransactStream instead of one unary Transact each. */
  stream?: boolean;
  /** Extra processes to count CPU of, e.g. a --target cluster's nodes when Status cannot tell. */
  extraPids?: Map<string, number>;
  /** Start the cluster with TLS (node certificates from a development CA; the clients present an operator certificate). */
  tls?: boolean;
  /** How to call a --target cluster (TLS material, token). */
  security?: DialSecurity;
  /** Coordinators of the cluster started for the run (default 1); the client channels are spread over them. */
  coordinators?: number;
  /** Every attempt carries an id of the client's choosing (an idempotency key) instead of a server-made one. */
  clientIds?: boolean;
  /** The nodes' --retention (e.g. "1m"); with it the report samples bytes on disk per node (a started cluster only). */
  retention?: string;
  /** End the measured window once this many transactions committed in it (the duration stays the upper bound). */
  stopAfterCommitted?: number;
}

export interface Progress {
  phase: 'setup' | 'floor' | 'warmup' | 'measure' | 'drain';
  elapsedMs: number;
  totalMs: number;
  committed: number;
  aborted: number;
  errors: number;
}

export interface CpuReport {
  clockTick: number;
  /** CPU seconds (utime + stime from /proc/<pid>/stat) each node used during the measured window. */
  nodes: Record<string, number | null>;
  pids: Record<string, number>;
  totalSeconds: number | null;
  /** Node CPU seconds per committed transaction, all nodes summed. */
  secondsPerCommitted: number | null;
  /** Cores the nodes kept busy on average (total CPU seconds / window seconds). */
  nodeCoresBusy: number | null;
  /** This (client) process: if it nears 1.0 the client, not the cluster, is the limit. */
  clientSeconds: number;
  clientCoresBusy: number;
}

/** The machine a report was measured on; the load average now is its end. */
export function machineReport(loadAvgAtStart: number[]): BenchReport['machine'] {
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', kernel: release(), node: process.version, loadAvgAtStart, loadAvgAtEnd: loadavg() };
}

export interface BenchReport {
  tool: string;
  startedAt: string;
  machine: { cpus: number; cpuModel: string; kernel: string; node: string; loadAvgAtStart: number[]; loadAvgAtEnd: number[] };
  config: {
    workload: WorkloadName;
    protocol: string;
    participants: number;
    concurrency: number;
    durationMs: number;
    /** The warmup as run: at least the asked time, longer while fewer than warmupTxns had committed. */
    warmupMs: number;
    warmupTxns: number;
    contention: Contention;
    target: string | null;
    clients: number;
    /** How the client calls the coordinator: unary Transact or TransactStream. */
    clientApi: 'unary' | 'stream';
    /** Coordinators the client channels were spread over (1 for etcd). */
    coordinators?: number;
    /** Who made the transaction ids. */
    txnIds?: 'client' | 'server';
    /** TLS between every pair (client, coordinator, participants). */
    tls: boolean;
    loopsPerClient: number;
    txnTimeoutMs: number;
    maxRetries: number;
    seed: number;
    workloadShape: Record<string, string | number>;
  };
  durability: string;
  results: {
    windowMs: number;
    committed: number;
    committedPerSec: number;
    committedByKind: Record<string, number>;
    /** Transaction attempts that got an answer (a retried conflict counts once per attempt). */
    attempts: number;
    aborted: number;
    /** Aborted attempts / attempts. */
    abortRate: number;
    abortsByCode: Record<string, number>;
    abortRateByCode: Record<string, number>;
    /** Units of work given up (aborted with no retry left or a non-retryable code). */
    gaveUp: number;
    /** Calls that failed (status code → count): deadline, unavailable, ... */
    errors: Record<string, number>;
    /** Committed transactions, end to end (retries of conflicts included), ms. */
    latencyMs: LatencySummary;
    /** Every answered attempt (committed or aborted), ms. */
    attemptLatencyMs: LatencySummary;
    cpu: CpuReport;
    /** Admin.Status counters that moved during the window, per node. */
    counters: Record<string, Record<string, number>>;
    forcedWritesPerCommitted: number | null;
    /** Loops still in a call when the drain bound passed. */
    unfinishedLoops: number;
    /** With --retention: bytes on disk per node over the window (see DiskSampler). */
    disk?: DiskReport;
  };
  floor?: FloorReport;
  /** latency p50 / the 2PC commit-path floor measured in this run. */
  floorRatio?: { p50: number; floorMs: number; ratio: number };
}

/**
 * Distinct channel targets for one loopback IPv4 address. grpc-js shares one connection
 * among all channels whose target string is the same (its global subchannel pool is keyed
 * by target), and DtxClient takes no channel options; an `ipv4:` target listing the same
 * address k times is a different key that still connects to that one address. Anything
 * else (a DNS name, IPv6) gets the plain address: its clients share a connection.
 */
export function channelTargets(address: string, n: number): string[] {
  if (!/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(address)) return Array.from({ length: n }, () => address);
  return Array.from({ length: n }, (_, i) => (i === 0 ? address : `ipv4:${Array.from({ length: i }, () => address).join(',')}`));
}

/** How often a run with --retention reads every node's bytes on disk. */
const DISK_SAMPLE_MS = 10_000;

interface Counts {
  committed: number;
  attempts: number;
  aborted: number;
  gaveUp: number;
  errors: number;
  byKind: Record<string, number>;
  abortsByCode: Record<string, number>;
  errorsByCode: Record<string, number>;
}

const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);

type NodeInfo = { pid: number; address: string; role: string; counters: Record<string, number> };

/** Admin.Status of the coordinator and of every participant it knows: pids, counters, and the participant ids it routes to. */
async function nodeStatuses(address: string, security: DialSecurity): Promise<{ nodes: Map<string, NodeInfo>; participantIds: string[] }> {
  const nodes = new Map<string, NodeInfo>();
  const ask = async (addr: string) => {
    const c = new DtxClient(addr, { timeoutMs: 3000, security });
    try {
      const s = await c.status();
      nodes.set(s.nodeId, { pid: s.pid, address: addr, role: s.role, counters: Object.fromEntries(s.counters.map((x) => [x.name, Number(x.value)])) });
      return s;
    } finally {
      c.close();
    }
  };
  const coord = await ask(address);
  // The other coordinators too: their commits and CPU are the run's.
  await Promise.all(coord.peers.map((p) => ask(p.address).catch(() => undefined)));
  return { nodes, participantIds: coord.peers.filter((p) => p.role !== 'coordinator').map((p) => p.id) };
}

/**
 * Synced LevelDB batches on every node per transaction the coordinator committed, over the
 * same window: the forced writes per commit as measured (group commit lowers it under load).
 */
function forcedWritesPerCommitted(before: Map<string, NodeInfo>, after: Map<string, NodeInfo>): number | null {
  let committed = 0;
  let syncs = 0;
  for (const [id, a] of after) {
    const b = before.get(id)?.counters ?? {};
    syncs += (a.counters['logSyncs'] ?? 0) - (b['logSyncs'] ?? 0);
    if (a.role === 'coordinator') committed += (a.counters['committed'] ?? 0) - (b['committed'] ?? 0);
  }
  return committed > 0 ? Math.round((syncs / committed) * 100) / 100 : null;
}

function counterDelta(before: Map<string, { counters: Record<string, number> }>, after: Map<string, { counters: Record<string, number> }>) {
  const out: Record<string, Record<string, number>> = {};
  for (const [node, a] of after) {
    const b = before.get(node)?.counters ?? {};
    const moved: Record<string, number> = {};
    for (const [k, v] of Object.entries(a.counters)) if (v !== (b[k] ?? 0)) moved[k] = v - (b[k] ?? 0);
    out[node] = moved;
  }
  return out;
}

/** Runs one benchmark: cluster (or target), workload setup, optional floor, warmup, measured window, drain. */
// Over 70 lines: the phases of a run (setup, floor, warmup, window, drain, report) share the counters,
// histograms, measure window and stop flag that the client loops update on the hot path. To split it,
// first gather that state in one object (and runEtcdBank's with it).
// eslint-disable-next-line max-lines-per-function -- phases share the client loops' state (see above)
export async function runBench(o: BenchOptions, onProgress: (p: Progress) => void = () => undefined): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  // Other load on the machine skews every number: the report says how busy it was.
  const loadAvgAtStart = loadavg();
  const loopsPerClient = o.loopsPerClient ?? 32;
  const txnTimeoutMs = o.txnTimeoutMs ?? 5000;
  const maxRetries = o.maxRetries ?? 20;
  const seed = o.seed ?? 1;
  const totalMs = o.warmupMs + o.durationMs;
  const counts: Counts = { committed: 0, attempts: 0, aborted: 0, gaveUp: 0, errors: 0, byKind: {}, abortsByCode: {}, errorsByCode: {} };
  const progress = (phase: Progress['phase'], elapsedMs: number) =>
    onProgress({ phase, elapsedMs, totalMs, committed: counts.committed, aborted: counts.aborted, errors: counts.errors });

  progress('setup', 0);
  if (o.retention && o.target) throw new Error('--retention is given to the nodes the bench starts: it cannot be used with --target');
  const retentionArgs = o.retention ? ['--retention', o.retention] : [];
  const cluster = o.target
    ? null
    : await LocalCluster.start({
        participants: o.participants,
        coordinators: o.coordinators ?? 1,
        tls: o.tls ?? false,
        coordinatorArgs: retentionArgs,
        participantArgs: retentionArgs,
      });
  const address = o.target ?? cluster!.coordinatorAddress;
  const coordinatorAddrs = cluster ? cluster.coordinatorAddresses : [address];
  const security = cluster ? cluster.dial : (o.security ?? PLAINTEXT);
  const clients: DtxClient[] = [];
  try {
    // The coordinator's own list of participants is what it routes keys by.
    const { nodes: statusBefore0, participantIds } = await nodeStatuses(address, security);
    // Node pids: the launcher's children, or what each node's Status reports (a --target on this machine).
    const pids = new Map<string, number>();
    if (cluster) {
      for (const [name, n] of cluster.nodes) if (n.pid) pids.set(name, n.pid);
    } else {
      for (const [name, s] of statusBefore0) if (s.pid) pids.set(name, s.pid);
    }
    for (const [name, pid] of o.extraPids ?? []) pids.set(name, pid);

    const runId = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
    const workload = makeWorkload({
      name: o.workload,
      participants: participantIds.length > 0 ? participantIds : Array.from({ length: o.participants }, (_, i) => `p${i + 1}`),
      contention: o.contention,
      ...(o.accounts !== undefined ? { accounts: o.accounts } : {}),
      ...(o.readRatio !== undefined ? { readRatio: o.readRatio } : {}),
      runId,
    });
    const nClients = Math.max(1, Math.ceil(o.concurrency / loopsPerClient));
    // Round-robin over the coordinators; each one's channels are distinct connections.
    const perCoordinator = coordinatorAddrs.map((a, k) => channelTargets(a, Math.ceil((nClients - k) / coordinatorAddrs.length)));
    for (let i = 0; i < nClients; i++) {
      const t = perCoordinator[i % coordinatorAddrs.length]![Math.floor(i / coordinatorAddrs.length)]!;
      clients.push(new DtxClient(t, { timeoutMs: txnTimeoutMs, stream: o.stream ?? false, protocol: o.protocol, security }));
    }
    await workload.setup(clients[0]!);

    const wantFloor = o.floor ?? (o.workload === 'bank' && o.concurrency === 1);
    let floor: FloorReport | undefined;
    if (wantFloor) {
      progress('floor', 0);
      floor = await measureFloor(o.floorOptions);
    }

    const hist = new LatencyHistogram();
    const attemptHist = new LatencyHistogram();
    const t0 = performance.now();
    const window = new MeasureWindow();
    let stopped = false;
    const inWindow = (t: number) => window.contains(t);
    const warmupTxns = o.warmupTxns ?? 0;

    const loop = async (i: number) => {
      const client = clients[Math.floor(i / loopsPerClient)]!;
      const random = prng(seed * 1_000_003 + i);
      let sent = 0;
      while (!stopped) {
        const txn = workload.next(random, i);
        const start = performance.now();
        const firstAttemptMs = Date.now();
        for (let attempt = 0; ; attempt++) {
          const a0 = performance.now();
          let r: TxnResult;
          try {
            // A client-chosen id names one attempt: a retry after an abort is a new id.
            const txnId = o.clientIds ? `${runId}-${i}-${sent++}` : undefined;
            r = await client.transact(txn.ops, { timeoutMs: txnTimeoutMs, firstAttemptMs, ...(txnId ? { txnId } : {}) });
          } catch (err) {
            const now = performance.now();
            if (inWindow(now)) {
              counts.errors++;
              bump(counts.errorsByCode, err instanceof DtxError ? err.code : 'UNKNOWN');
            }
            await sleep(20); // a broken call: do not spin on a sick cluster
            break;
          }
          const now = performance.now();
          const counted = inWindow(now);
          if (counted) {
            counts.attempts++;
            attemptHist.recordMs(now - a0);
          }
          if (r.outcome === 'COMMITTED') {
            window.committedEver++;
            if (counted) {
              counts.committed++;
              bump(counts.byKind, txn.kind);
              hist.recordMs(now - start);
            }
            break;
          }
          const code = r.outcome === 'PENDING' ? 'PENDING' : (r.abortCode ?? 'UNKNOWN');
          if (counted) {
            counts.aborted++;
            bump(counts.abortsByCode, code);
          }
          if (code !== 'CONFLICT' || attempt >= maxRetries || stopped) {
            if (counted) counts.gaveUp++;
            break;
          }
          await sleep(Math.min(2 ** (attempt + 1), 100) * (0.5 + Math.random()));
        }
      }
    };

    const ticker = setInterval(() => progress(window.started ? 'measure' : 'warmup', performance.now() - t0), 250);
    const loops = Array.from({ length: o.concurrency }, (_, i) => loop(i));
    let statusBefore = statusBefore0;
    const disk =
      cluster && o.retention ? new DiskSampler(new Map([...cluster.nodes.keys()].map((n) => [n, join(cluster.dataDir, n)])), () => counts.committed) : null;
    const cpu = await runWindow(
      {
        warmupMs: o.warmupMs,
        durationMs: o.durationMs,
        pids,
        warmupTxns,
        beforeMeasure: async () => {
          statusBefore = await nodeStatuses(address, security).then(
            (s) => s.nodes,
            () => statusBefore0,
          );
          disk?.start(DISK_SAMPLE_MS);
        },
        ...(o.stopAfterCommitted ? { until: () => counts.committed >= o.stopAfterCommitted! } : {}),
      },
      window,
      () => (stopped = true),
    );
    disk?.stop();
    clearInterval(ticker);
    progress('drain', totalMs);
    // Every loop is bounded: its call has a deadline of txnTimeoutMs + 5 s, then it sees `stopped`.
    let finished = 0;
    const tracked = loops.map((l) => l.then(() => void finished++));
    await Promise.race([Promise.all(tracked), sleep(txnTimeoutMs + 7000, undefined, { ref: false })]);
    const statusAfter = await nodeStatuses(address, security).then(
      (s) => s.nodes,
      () => statusBefore,
    );

    const windowS = window.seconds;
    const rate = (n: number) => (counts.attempts > 0 ? Math.round((n / counts.attempts) * 1e4) / 1e4 : 0);
    const latencyMs = hist.summary();
    const report: BenchReport = {
      tool: 'dtx bench',
      startedAt,
      machine: machineReport(loadAvgAtStart),
      config: {
        workload: o.workload,
        protocol: o.protocol,
        participants: participantIds.length || o.participants,
        concurrency: o.concurrency,
        durationMs: o.durationMs,
        warmupMs: cpu.warmupMs,
        warmupTxns,
        contention: o.contention,
        target: o.target ?? null,
        clients: clients.length,
        clientApi: o.stream ? 'stream' : 'unary',
        coordinators: coordinatorAddrs.length,
        txnIds: o.clientIds ? 'client' : 'server',
        tls: cluster ? (o.tls ?? false) : security.tls !== null,
        loopsPerClient,
        txnTimeoutMs,
        maxRetries,
        seed,
        workloadShape: workload.shape,
      },
      durability: rulesOf(o.protocol).durability,
      results: {
        windowMs: Math.round(windowS * 1000),
        committed: counts.committed,
        committedPerSec: Math.round((counts.committed / windowS) * 10) / 10,
        committedByKind: counts.byKind,
        attempts: counts.attempts,
        aborted: counts.aborted,
        abortRate: rate(counts.aborted),
        abortsByCode: counts.abortsByCode,
        abortRateByCode: Object.fromEntries(Object.entries(counts.abortsByCode).map(([k, v]) => [k, rate(v)])),
        gaveUp: counts.gaveUp,
        errors: counts.errorsByCode,
        latencyMs,
        attemptLatencyMs: attemptHist.summary(),
        cpu: cpuReport(cpu, pids, counts.committed, windowS),
        counters: counterDelta(statusBefore, statusAfter),
        forcedWritesPerCommitted: forcedWritesPerCommitted(statusBefore, statusAfter),
        unfinishedLoops: o.concurrency - finished,
        ...(disk ? { disk: diskReport(o.retention!, DISK_SAMPLE_MS, disk.samples) } : {}),
      },
    };
    if (floor) {
      report.floor = floor;
      const floorMs = floor.commitPathFloorMs[o.protocol]!.ms;
      report.floorRatio = { p50: latencyMs.p50, floorMs, ratio: floorMs > 0 ? round3(latencyMs.p50 / floorMs) : 0 };
    }
    return report;
  } finally {
    for (const c of clients) c.close();
    // Graceful first: nodes close their logs and write a DTX_CPU_PROFILE if asked.
    await cluster?.stop();
    await cluster?.destroy();
  }
}
