import type { Logger } from 'pino';
import type { ParticipantConfig } from '../protocol/participantCore.js';
import { dtxV1, SERVICE_NAMES } from '../rpc/protos.js';
import { GrpcTransport } from '../rpc/grpcTransport.js';
import { NetworkFaults } from '../rpc/networkFaults.js';
import { markServing, serve } from '../rpc/serve.js';
import { ParticipantRuntime } from '../runtime/participantRuntime.js';
import { PLANTED_BUGS, plantedBugFromEnv } from '../runtime/plantedBugs.js';
import { NodeStore } from '../storage/nodeStore.js';
import { ParticipantStore } from '../storage/participantStore.js';
import { adminHandlers } from './adminService.js';
import { NodeClock } from './clock.js';
import { Failpoints } from './failpoints.js';
import { nodeEnv } from './nodeEnv.js';
import { participantService } from './services/participantService.js';

export { DEFAULT_COMMIT_LINGER_MS } from '../runtime/participantRuntime.js';

export interface ParticipantNodeOptions {
  id: string;
  listen: string;
  dataDir: string;
  log: Logger;
  config?: Partial<ParticipantConfig>;
  /** How long a commit record may wait to share a sync with the next log write (0: never). */
  commitLingerMs?: number;
}

export interface RunningNode {
  id: string;
  port: number;
  stop(): Promise<void>;
}

/** A participant process: its LevelDB shard and its runtime, served over gRPC. Wiring only. */
export async function startParticipant(opts: ParticipantNodeOptions): Promise<RunningNode> {
  const log = opts.log.child({ node: opts.id, role: 'participant' });
  const started = Date.now();
  const clock = new NodeClock();
  const failpoints = new Failpoints();
  const bug = plantedBugFromEnv();
  if (bug) log.warn({ bug }, `PLANTED BUG ACTIVE: ${PLANTED_BUGS[bug]}`);
  let stopping = false;
  const env = nodeEnv({ log, clock, failpoints, stopping: () => stopping });
  const network = new NetworkFaults(opts.id);
  const transport = new GrpcTransport({ network, log, streams: false });
  const nodeStore = await NodeStore.openDir(opts.dataDir, { id: opts.id, role: 'participant' });
  const store = await ParticipantStore.open(nodeStore, { faults: { cacheOvertakenReads: bug === 'storage.cacheOvertakenReads' } });
  const runtime = new ParticipantRuntime({
    id: opts.id,
    store,
    transport,
    env,
    ...(opts.config ? { config: opts.config } : {}),
    ...(opts.commitLingerMs !== undefined ? { commitLingerMs: opts.commitLingerMs } : {}),
    bug,
  });
  const inDoubt = await runtime.start();
  if (inDoubt > 0) log.info({ count: inDoubt }, 'recovered prepared transactions');

  const server = await serve(opts.listen, [
    { name: SERVICE_NAMES.participant, definition: dtxV1.Participant.service, handlers: participantService(runtime, opts.id, log) },
    {
      name: SERVICE_NAMES.admin,
      definition: dtxV1.Admin.service,
      handlers: adminHandlers(
        () => ({
          nodeId: opts.id,
          role: 'participant',
          address: opts.listen,
          peers: transport.dialled().coordinators.map((address) => ({ id: '', address, role: 'coordinator' })),
          inDoubt: runtime.core.inDoubt(),
          counters: { ...runtime.counters(), ...network.counters, clockOffsetMs: clock.offsetMs },
          uptimeMs: Date.now() - started,
          dataDir: opts.dataDir,
        }),
        { failpoints, network, clock },
      ),
    },
  ]);
  markServing(server, [SERVICE_NAMES.participant, SERVICE_NAMES.admin]);
  log.info({ port: server.port, dataDir: opts.dataDir, inDoubt }, 'participant serving');

  return {
    id: opts.id,
    port: server.port,
    async stop() {
      stopping = true;
      runtime.stop();
      await server.shutdown();
      transport.close();
      await nodeStore.close();
    },
  };
}
