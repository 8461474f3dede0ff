import * as grpc from '@grpc/grpc-js';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { PROTOCOLS, type AbortCode, type ProtocolName } from '../protocol/types.js';
import type { RpcErrorCount } from '../rpc/rpcErrors.js';
import type { CoordinatorMetricsSink, ParticipantMetricsSink, TxnEnd, TxnPhase } from '../runtime/metricsSink.js';
import type { CallFailure, PeerMethod } from '../runtime/transport.js';
import type { GroupCommitWriter } from '../storage/groupCommit.js';
import { CounterFamily, HistogramFamily, type CounterCell, type HistogramCell } from './metricCells.js';

/** Latency buckets (seconds) of transactions and their phases: 0.5 ms to 10 s. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Engine write (fsync) buckets (seconds): 0.1 ms to 1 s. */
const WRITE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
/** Batch size buckets: appends or ops per batch (a batch holds at most 4,096 ops). */
const SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096];

const PHASES: readonly TxnPhase[] = ['prepare', 'decision', 'commit'];
/** Every abort code (a record, so that a new code does not compile until it is listed here). */
const ABORT_CODES = Object.keys({
  CONFLICT: true,
  PRECONDITION_FAILED: true,
  UNAVAILABLE_PARTICIPANT: true,
  TIMED_OUT: true,
  PRESUMED: true,
  WRONG_SHARD: true,
} satisfies Record<AbortCode, true>) as AbortCode[];

type ByProtocol<T> = Record<ProtocolName, T>;
type TxnCells = { committed: CounterCell; unknown: CounterCell; refused: CounterCell; aborted: Record<AbortCode, CounterCell> };

function byProtocol<T>(make: (p: ProtocolName) => T): ByProtocol<T> {
  return Object.fromEntries(PROTOCOLS.map((p) => [p, make(p)])) as ByProtocol<T>;
}

/**
 * A node's Prometheus metrics (README "Metrics"): one registry per node, every series labelled
 * with the node's id and role, prom-client's process metrics, and what the runtimes, the log
 * writer and the gRPC layer report. Per-transaction observations go into cells bound once to
 * their labels (metricCells.ts); everything else is read from the runtimes when scraped.
 */
export class NodeMetrics {
  readonly registry = new Registry();
  private readonly rpcErrors: Counter<'method' | 'code'>;
  private readonly peerFailures: Counter<'method' | 'failure'>;

  constructor(
    readonly nodeId: string,
    readonly role: 'coordinator' | 'participant',
  ) {
    this.registry.setDefaultLabels({ node: nodeId, role });
    collectDefaultMetrics({ register: this.registry });
    this.rpcErrors = new Counter({
      name: 'dtx_rpc_errors_total',
      help: 'Calls this node answered with an error status, by method and gRPC status code',
      labelNames: ['method', 'code'],
      registers: [this.registry],
    });
    this.peerFailures = new Counter({
      name: 'dtx_peer_call_failures_total',
      help: 'Calls this node made to another node that brought no answer, by method and failure',
      labelNames: ['method', 'failure'],
      registers: [this.registry],
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  readonly countRpcError: RpcErrorCount = (path, code) => this.rpcErrors.labels(path.replace(/^\//, ''), grpc.status[code] ?? String(code)).inc();

  readonly countPeerFailure = (method: PeerMethod, failure: CallFailure): void => this.peerFailures.labels(method, failure).inc();

  /** A gauge read when scraped. */
  gauge(name: string, help: string, read: () => number): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  /** A gauge per label value, read when scraped. */
  gaugeBy(name: string, help: string, label: string, read: () => ReadonlyMap<string, number>): void {
    new Gauge({
      name,
      help,
      labelNames: [label],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [k, v] of read()) this.set({ [label]: k }, v);
      },
    });
  }

  /** A counter that mirrors a running total kept elsewhere (a runtime's counters), read when scraped. */
  counterFrom(name: string, help: string, read: () => number): void {
    this.countersFrom(name, help, '', () => new Map([['', read()]]));
  }

  /** Counters per label value that mirror running totals kept elsewhere, read when scraped. */
  countersFrom(name: string, help: string, label: string, read: () => ReadonlyMap<string, number>): void {
    new Counter({
      name,
      help,
      labelNames: label ? [label] : [],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [k, v] of read()) {
          if (label) this.inc({ [label]: k }, v);
          else this.inc(v);
        }
      },
    });
  }

  /** The log writer's batches: how many, their size in appends and ops, and how long each engine write (and fsync) took. */
  observeLog(writer: GroupCommitWriter): void {
    const stats = writer.stats;
    this.countersFrom(
      'dtx_log_batches_total',
      'Log batches written (one engine write each; sync="true": fsync-ed)',
      'sync',
      () =>
        new Map([
          ['true', stats.syncedBatches],
          ['false', stats.batches - stats.syncedBatches],
        ]),
    );
    this.counterFrom('dtx_log_records_total', 'Log appends written (each rode in one batch)', () => stats.records);
    const records = new HistogramFamily(
      this.registry,
      'dtx_log_batch_records',
      'Appends per log batch (group commit: records sharing one write)',
      SIZE_BUCKETS,
    );
    const ops = new HistogramFamily(this.registry, 'dtx_log_batch_ops', 'Key-value ops per log batch', SIZE_BUCKETS);
    const seconds = new HistogramFamily(this.registry, 'dtx_log_batch_seconds', 'Time of one log batch write, fsync included when sync="true"', WRITE_BUCKETS);
    const cells = { records: records.cell({}), ops: ops.cell({}), synced: seconds.cell({ sync: 'true' }), unsynced: seconds.cell({ sync: 'false' }) };
    writer.onBatch = (n, o, sync, s) => {
      cells.records.observe(n);
      cells.ops.observe(o);
      (sync ? cells.synced : cells.unsynced).observe(s);
    };
  }

  /** What a coordinator's runtime reports per transaction. */
  coordinatorSink(): CoordinatorMetricsSink {
    const txns = new CounterFamily(
      this.registry,
      'dtx_transactions_total',
      'Transactions (Transact and Read) this coordinator answered, by outcome, protocol and abort code',
    );
    const latency = new HistogramFamily(
      this.registry,
      'dtx_transaction_seconds',
      'Time from a transaction reaching the coordinator to its answer',
      LATENCY_BUCKETS,
    );
    const phases = new HistogramFamily(
      this.registry,
      'dtx_txn_phase_seconds',
      'Time of each commit phase at the coordinator (README "Metrics")',
      LATENCY_BUCKETS,
    );
    const cell = (end: TxnEnd, protocol: ProtocolName, code: string) => txns.cell({ outcome: end, protocol, abort_code: code });
    const counts: ByProtocol<TxnCells> = byProtocol((p) => ({
      committed: cell('committed', p, 'none'),
      unknown: cell('unknown', p, 'none'),
      refused: cell('refused', p, 'none'),
      aborted: Object.fromEntries(ABORT_CODES.map((c) => [c, cell('aborted', p, c)])) as Record<AbortCode, CounterCell>,
    }));
    const seconds = byProtocol((p) => latency.cell({ protocol: p }));
    const phase = Object.fromEntries(PHASES.map((ph) => [ph, byProtocol((p) => phases.cell({ phase: ph, protocol: p }))])) as Record<
      TxnPhase,
      ByProtocol<HistogramCell>
    >;
    return {
      transaction(end, protocol, code, s) {
        const c = counts[protocol];
        (end === 'aborted' ? c.aborted[code ?? 'PRESUMED'] : c[end]).inc();
        seconds[protocol].observe(s);
      },
      phase(ph, protocol, s) {
        phase[ph][protocol].observe(s);
      },
    };
  }

  /** What a participant's runtime reports per lock wait. */
  participantSink(): ParticipantMetricsSink {
    const waits = new HistogramFamily(
      this.registry,
      'dtx_lock_wait_seconds',
      'Time a prepare waited for key locks (granted, timed out or aborted)',
      LATENCY_BUCKETS,
    );
    const cell = waits.cell({});
    return { lockWait: (s) => cell.observe(s) };
  }
}
