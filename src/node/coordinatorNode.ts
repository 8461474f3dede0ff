import type { RetentionRule } from '../protocol/retention.js';
import type { Logger } from 'pino';
import type { DEFAULT_COORDINATOR_TUNING } from '../protocol/coordinatorCore.js';
import type { ProtocolName } from '../protocol/types.js';
import { dtxV1, SERVICE_NAMES } from '../rpc/protos.js';
import { CoordinatorRuntime } from '../runtime/coordinatorRuntime.js';
import { CoordinatorStore } from '../storage/coordinatorStore.js';
import { coordinatorTxnAdmin } from './coordinatorTxnAdmin.js';
import type { AlertOptions } from './inDoubtAlerts.js';
import { NodeContext } from './nodeContext.js';
import { dialSecurity, OPEN_NODE, type NodeSecurity } from './nodeSecurity.js';
import type { RunningNode } from './participantNode.js';
import { coordinatorService } from './services/coordinatorService.js';
import { LockRouter } from './services/lockRouter.js';
import { transactStreamGauges } from './services/transactStreamServer.js';
import { ShardDirectory } from './shardDirectory.js';
import { startShardChanges } from './coordinatorShards.js';
import type { DialSecurity } from '../rpc/dial.js';
import { OtelTxnTracer } from './otelTxnTracer.js';
import { traceCounters } from '../rpc/traceHeaders.js';
import { initialMap, type ShardMap } from '../protocol/shardMap.js';
import { coordinatorMetrics } from './roleMetrics.js';

export interface CoordinatorNodeOptions {
  id: string;
  listen: string;
  /** The address participants use to reach this coordinator (defaults to listen). */
  advertise?: string;
  dataDir: string;
  participants: Map<string, string>;
  /** The other coordinators (id → address): owners to forward questions to. */
  coordinators?: Map<string, string>;
  defaultTimeoutMs: number;
  log: Logger;
  tuning?: Partial<typeof DEFAULT_COORDINATOR_TUNING>;
  /**
   * How prepares and decisions reach participants: batched over one Exchange stream per
   * participant (default), or one unary call each (for participants that implement only
   * Prepare/Commit/Abort).
   */
  transport?: 'stream' | 'unary';
  /** The commit protocol of a transaction that does not name one (default 2pc). */
  defaultProtocol?: ProtocolName;
  /** TLS, tokens, the cluster secret and fault injection (default: a loopback node in open mode). */
  security?: NodeSecurity;
  alerts?: AlertOptions;
  /** How long to wait at start for a participant to tell the shard map (default 10 s). */
  shardMapWaitMs?: number;
  /** Serve the operator HTTP server (Prometheus metrics, health) on host:port. */
  httpListen?: string;
  /** Decision records older than this window are collected (retention.ts); null/absent: kept forever. */
  retention?: RetentionRule | null;
}

/** A coordinator process: its decision log, its runtime and the lock service's router, served over gRPC. Wiring only. */
export async function startCoordinator(opts: CoordinatorNodeOptions): Promise<RunningNode> {
  if (opts.participants.size === 0) throw new Error('a coordinator needs at least one participant');
  const security = opts.security ?? OPEN_NODE;
  const streams = (opts.transport ?? 'stream') === 'stream';
  const { id, listen, dataDir, log: baseLog, httpListen, alerts } = opts;
  const node = await NodeContext.open({ id, role: 'coordinator', listen, dataDir, log: baseLog, security, streams, httpListen, ...(alerts ? { alerts } : {}) });
  const { log, env } = node;
  const dial = dialSecurity(security);
  // The shard map lives on the participants: read (or, for a new cluster, deal and install) it first.
  let runtime: CoordinatorRuntime | null = null;
  const { directory, loaded } = await loadShardMap(opts, node, dial, () => runtime);
  runtime = new CoordinatorRuntime({
    ...(loaded ? { shardMap: loaded } : {}),
    refreshShardMap: () => directory.refresh(),
    id: opts.id,
    participants: opts.participants,
    ...(opts.coordinators ? { coordinators: opts.coordinators } : {}),
    selfAddr: opts.advertise ?? opts.listen,
    store: await CoordinatorStore.open(node.nodeStore),
    transport: node.transport,
    env,
    defaultTimeoutMs: opts.defaultTimeoutMs,
    ...(opts.defaultProtocol ? { defaultProtocol: opts.defaultProtocol } : {}),
    ...(opts.tuning ? { tuning: opts.tuning } : {}),
    retention: opts.retention ?? null,
    bug: node.bug,
    metrics: node.metrics?.coordinatorSink(),
    tracer: new OtelTxnTracer(),
  });
  const redriving = await runtime.start();
  if (redriving > 0) log.info({ count: redriving }, 're-driving decided transactions');
  const rt = runtime;
  // Locks live on the participants; this coordinator passes each call on to the lock's one.
  const locks = new LockRouter({ map: () => rt.core.shardMap, dial, network: node.network, refresh: () => directory.refresh() });
  const shards = startShardChanges({ id: opts.id, runtime: rt, directory, locks, node, coordinators: opts.coordinators ?? new Map(), dial });
  if (node.metrics) coordinatorMetrics(node.metrics, { runtime: rt, locks, transport: node.transport, mover: shards.mover });

  const port = await node.serve(
    [
      { name: SERVICE_NAMES.coordinator, definition: dtxV1.Coordinator.service, handlers: coordinatorService(runtime) },
      { name: SERVICE_NAMES.locks, definition: dtxV1.Locks.service, handlers: locks.handlers() },
      { name: SERVICE_NAMES.shards, definition: dtxV1.Shards.service, handlers: shards.handlers },
    ],
    () => coordinatorStatus(opts.id, rt, directory, locks, opts.coordinators),
    coordinatorTxnAdmin(rt, node.nodeStore),
  );
  log.info({ participants: rt.participants, redriving, shardMapEpoch: rt.core.shardMap.epoch }, 'coordinator ready');
  return {
    id: opts.id,
    port,
    stop: () =>
      node.stop(() => {
        shards.close();
        rt.stop();
        locks.close();
        directory.close();
      }),
  };
}

/** What `dtx status` shows of a coordinator: its peers, what it holds in doubt, its counters. */
function coordinatorStatus(
  id: string,
  runtime: CoordinatorRuntime,
  directory: ShardDirectory,
  locks: LockRouter,
  coordinators: Map<string, string> | undefined,
) {
  return {
    peers: [
      ...[...directory.addresses()].map(([peer, address]) => ({ id: peer, address, role: 'participant' })),
      ...[...(coordinators ?? [])].map(([peer, address]) => ({ id: peer, address, role: 'coordinator' })),
    ],
    inDoubt: runtime.core.inDoubt(),
    inDoubtOwners: runtime.core.inDoubt().map((txnId) => ({ txnId, owner: id })),
    counters: {
      ...runtime.counters(),
      ...locks.counters,
      transactStreams: transactStreamGauges.streams,
      transactStreamHeld: transactStreamGauges.held,
      transactStreamsPaused: transactStreamGauges.paused,
      ...traceCounters,
    },
  };
}

/** Reads the cluster's shard map from the participants (a conflict with --participants stops the start). */
async function loadShardMap(
  opts: CoordinatorNodeOptions,
  node: NodeContext,
  dial: DialSecurity,
  runtime: () => CoordinatorRuntime | null,
): Promise<{ directory: ShardDirectory; loaded: ShardMap | null }> {
  const provisional = initialMap([...opts.participants].map(([id, addr]) => ({ id, addr })));
  const directory = new ShardDirectory({
    id: opts.id,
    flags: opts.participants,
    dial,
    network: node.network,
    log: node.log.child({ service: 'shards' }),
    current: () => runtime()?.core.shardMap ?? provisional,
    adopt: (map) => runtime()?.setShardMap(map),
  });
  try {
    return { directory, loaded: await directory.loadAtStart(opts.shardMapWaitMs ?? 10_000) };
  } catch (e) {
    directory.close();
    await node.stop(() => undefined);
    throw e;
  }
}
