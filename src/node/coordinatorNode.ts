import type { Logger } from 'pino';
import type { DEFAULT_COORDINATOR_TUNING } from '../protocol/coordinatorCore.js';
import type { ProtocolName } from '../protocol/types.js';
import { GrpcTransport } from '../rpc/grpcTransport.js';
import { NetworkFaults } from '../rpc/networkFaults.js';
import { dtxV1, SERVICE_NAMES } from '../rpc/protos.js';
import { markServing, serve } from '../rpc/serve.js';
import { CoordinatorRuntime } from '../runtime/coordinatorRuntime.js';
import { LockRuntime } from '../runtime/lockRuntime.js';
import { PLANTED_BUGS, plantedBugFromEnv } from '../runtime/plantedBugs.js';
import { CoordinatorStore } from '../storage/coordinatorStore.js';
import { LockStore } from '../storage/lockStore.js';
import { NodeStore } from '../storage/nodeStore.js';
import { adminHandlers } from './adminService.js';
import { NodeClock } from './clock.js';
import { Failpoints } from './failpoints.js';
import { nodeEnv } from './nodeEnv.js';
import type { RunningNode } from './participantNode.js';
import { coordinatorService } from './services/coordinatorService.js';
import { locksService } from './services/locksService.js';

export interface CoordinatorNodeOptions {
  id: string;
  listen: string;
  /** The address participants use to reach this coordinator (defaults to listen). */
  advertise?: string;
  dataDir: string;
  participants: Map<string, string>;
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
}

/** A coordinator process: its decision log, its runtime and the lock service, served over gRPC. Wiring only. */
export async function startCoordinator(opts: CoordinatorNodeOptions): Promise<RunningNode> {
  const log = opts.log.child({ node: opts.id, role: 'coordinator' });
  if (opts.participants.size === 0) throw new Error('a coordinator needs at least one participant');
  const started = Date.now();
  const clock = new NodeClock();
  const failpoints = new Failpoints();
  const bug = plantedBugFromEnv();
  if (bug) log.warn({ bug }, `PLANTED BUG ACTIVE: ${PLANTED_BUGS[bug]}`);
  let stopping = false;
  const env = nodeEnv({ log, clock, failpoints, stopping: () => stopping });
  const network = new NetworkFaults(opts.id);
  const transport = new GrpcTransport({ network, log, streams: (opts.transport ?? 'stream') === 'stream' });
  const nodeStore = await NodeStore.openDir(opts.dataDir, { id: opts.id, role: 'coordinator' });
  const runtime = new CoordinatorRuntime({
    id: opts.id,
    participants: opts.participants,
    selfAddr: opts.advertise ?? opts.listen,
    store: new CoordinatorStore(nodeStore),
    transport,
    env,
    defaultTimeoutMs: opts.defaultTimeoutMs,
    ...(opts.defaultProtocol ? { defaultProtocol: opts.defaultProtocol } : {}),
    ...(opts.tuning ? { tuning: opts.tuning } : {}),
    bug,
  });
  const redriving = await runtime.start();
  if (redriving > 0) log.info({ count: redriving }, 're-driving decided transactions');
  // The lock service shares this process and its store; it recovers before serving.
  const locks = new LockRuntime({ store: new LockStore(nodeStore), env: { ...env, log: log.child({ service: 'locks' }) } });
  const inDelay = await locks.start();
  if (inDelay.locks > 0) log.info({ locks: inDelay.locks, lastToken: inDelay.lastToken }, 'locks in lock-delay after restart');

  const server = await serve(opts.listen, [
    { name: SERVICE_NAMES.coordinator, definition: dtxV1.Coordinator.service, handlers: coordinatorService(runtime) },
    { name: SERVICE_NAMES.locks, definition: dtxV1.Locks.service, handlers: locksService(locks) },
    {
      name: SERVICE_NAMES.admin,
      definition: dtxV1.Admin.service,
      handlers: adminHandlers(
        () => ({
          nodeId: opts.id,
          role: 'coordinator',
          address: opts.listen,
          peers: [...opts.participants].map(([id, address]) => ({ id, address, role: 'participant' })),
          inDoubt: runtime.core.inDoubt(),
          counters: { ...runtime.counters(), ...network.counters, clockOffsetMs: clock.offsetMs, ...locks.counters() },
          uptimeMs: Date.now() - started,
          dataDir: opts.dataDir,
        }),
        { failpoints, network, clock },
      ),
    },
  ]);
  markServing(server, [SERVICE_NAMES.coordinator, SERVICE_NAMES.admin, SERVICE_NAMES.locks]);
  log.info({ port: server.port, participants: runtime.participants, redriving }, 'coordinator serving');

  return {
    id: opts.id,
    port: server.port,
    async stop() {
      stopping = true;
      runtime.stop();
      locks.stop();
      await server.shutdown();
      transport.close();
      await nodeStore.close();
    },
  };
}
