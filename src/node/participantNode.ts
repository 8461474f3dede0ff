import type { RetentionRule } from '../protocol/retention.js';
import type { Logger } from 'pino';
import type { ParticipantConfig } from '../protocol/participantCore.js';
import { dtxV1, SERVICE_NAMES } from '../rpc/protos.js';
import { ParticipantRuntime } from '../runtime/participantRuntime.js';
import { LockRuntime } from '../runtime/lockRuntime.js';
import { plantedParticipantFaults } from '../runtime/plantedBugs.js';
import { LockStore } from '../storage/lockStore.js';
import { ParticipantStore } from '../storage/participantStore.js';
import type { AlertOptions } from './inDoubtAlerts.js';
import { participantTxnAdmin } from './participantTxnAdmin.js';
import { NodeContext } from './nodeContext.js';
import { OPEN_NODE, type NodeSecurity } from './nodeSecurity.js';
import { locksService } from './services/locksService.js';
import { participantService } from './services/participantService.js';
import { shardHostService } from './services/shardHostService.js';
import { OtelTxnTracer } from './otelTxnTracer.js';
import { traceCounters } from '../rpc/traceHeaders.js';
import { ShardHost } from '../runtime/shardHost.js';
import { participantMetrics } from './roleMetrics.js';

export { DEFAULT_COMMIT_LINGER_MS } from '../runtime/participantRuntime.js';

export interface ParticipantNodeOptions {
  id: string;
  listen: string;
  dataDir: string;
  log: Logger;
  config?: Partial<ParticipantConfig>;
  alerts?: AlertOptions;
  /** How long a commit record may wait to share a sync with the next log write (0: never). */
  commitLingerMs?: number;
  /** TLS, tokens, the cluster secret and fault injection (default: a loopback node in open mode). */
  security?: NodeSecurity;
  /** Serve the operator HTTP server (Prometheus metrics, health) on host:port. */
  httpListen?: string;
  /** Outcome records older than this window are collected (retention.ts); null/absent: kept forever. */
  retention?: RetentionRule | null;
}

export interface RunningNode {
  id: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * The locks whose names hash here (coordinators route to them): the lease table shares this
 * shard's log, so a lock outlives any coordinator; it recovers before serving.
 */
function lockRuntimeOf(node: NodeContext, id: string): LockRuntime {
  return new LockRuntime({
    store: new LockStore(node.nodeStore),
    env: { ...node.env, log: node.log.child({ service: 'locks' }) },
    leaseIdPrefix: id,
    bug: node.bug,
  });
}

/** A participant process: its LevelDB shard and its runtime, served over gRPC. Wiring only. */
export async function startParticipant(opts: ParticipantNodeOptions): Promise<RunningNode> {
  const security = opts.security ?? OPEN_NODE;
  const node = await NodeContext.open({
    id: opts.id,
    role: 'participant',
    listen: opts.listen,
    dataDir: opts.dataDir,
    log: opts.log,
    security,
    streams: false,
    ...(opts.alerts ? { alerts: opts.alerts } : {}),
    httpListen: opts.httpListen,
  });
  const { log, bug, transport } = node;
  const store = await ParticipantStore.open(node.nodeStore, { faults: plantedParticipantFaults(bug, opts.dataDir) });
  const fenceKey = security.fenceKey;
  const runtime = new ParticipantRuntime({
    id: opts.id,
    store,
    transport,
    env: node.env,
    config: { ...opts.config, fenceCheck: fenceKey ? (f) => fenceKey.verify(f) : null },
    ...(opts.commitLingerMs !== undefined ? { commitLingerMs: opts.commitLingerMs } : {}),
    retention: opts.retention ?? null,
    // Retention's horizon: the map's members may ask this one about a transaction.
    peers: (): { id: string; addr: string }[] => shards.members(),
    bug,
    metrics: node.metrics?.participantSink(),
    tracer: new OtelTxnTracer(),
  });
  const locks = lockRuntimeOf(node, opts.id);
  // The shard map before recovery: a recovered prepare holds keys of shards served here.
  const shards = new ShardHost({
    id: opts.id,
    store,
    core: runtime.core,
    locks: { grantsOf: (names) => locks.core.grantsOf(names), highestToken: () => locks.core.highestToken, adopt: (g, t) => locks.adopt(g, t) },
    log: log.child({ service: 'shards' }),
    failpoint: (name) => node.env.failpoint(name),
    bug,
  });
  await shards.open();
  if (node.metrics) participantMetrics(node.metrics, { runtime, locks });
  const inDoubt = await runtime.start();
  if (inDoubt > 0) log.info({ count: inDoubt }, 'recovered prepared transactions');
  const inDelay = await locks.start();
  if (inDelay.locks > 0) log.info({ locks: inDelay.locks, lastToken: inDelay.lastToken }, 'locks in lock-delay after restart');

  const port = await node.serve(
    [
      { name: SERVICE_NAMES.participant, definition: dtxV1.Participant.service, handlers: participantService(runtime, opts.id, log) },
      { name: SERVICE_NAMES.locks, definition: dtxV1.Locks.service, handlers: locksService(locks, fenceKey, (name) => shards.lockRefusal(name)) },
      { name: SERVICE_NAMES.shardHost, definition: dtxV1.ShardHost.service, handlers: shardHostService(shards, opts.id) },
    ],
    () => ({
      peers: transport.dialled().coordinators.map((address) => ({ id: '', address, role: 'coordinator' })),
      inDoubt: runtime.core.inDoubt(),
      inDoubtOwners: runtime.core.inDoubtOwners(),
      counters: { ...runtime.counters(), ...locks.counters(), ...traceCounters },
    }),
    { ...participantTxnAdmin(runtime.core, node.nodeStore), locks: (prefix, limit) => locks.list(prefix, limit) },
  );
  return {
    id: opts.id,
    port,
    stop: () =>
      node.stop(() => {
        runtime.stop();
        locks.stop();
        shards.stop();
      }),
  };
}
