import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import * as protoLoader from '@grpc/proto-loader';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import { LIMITS } from '../protocol/limits.js';
import { packageDefinition } from './protos.js';

const HEALTH_SERVICE = 'grpc.health.v1.Health';
/** dtx's contracts plus the health service, so reflection can describe both. */
const reflectedDefinition = { ...packageDefinition, ...protoLoader.loadSync(healthProtoPath) };

export interface RunningServer {
  server: grpc.Server;
  port: number;
  health: HealthImplementation;
  shutdown(): Promise<void>;
}

export interface ServiceBinding {
  name: string;
  definition: grpc.ServiceDefinition;
  handlers: grpc.UntypedServiceImplementation;
}

export interface ServeOptions {
  /** TLS or plaintext (src/rpc/credentials.ts serverCredentials); plaintext when omitted. */
  credentials?: grpc.ServerCredentials;
}

/** Concurrent calls one connection may have open; more wait in the client (HTTP/2 flow control). */
export const MAX_STREAMS_PER_CONNECTION = 1024;

/** Every dtx node serves its services plus grpc.health.v1.Health and server reflection. */
export async function serve(address: string, services: ServiceBinding[], opts: ServeOptions = {}): Promise<RunningServer> {
  const server = new grpc.Server({
    // A little above LIMITS.maxTxnBytes, so that a transaction over it is refused naming that limit.
    'grpc.max_receive_message_length': LIMITS.maxMessageBytes,
    'grpc.max_concurrent_streams': MAX_STREAMS_PER_CONNECTION,
    'grpc.keepalive_permit_without_calls': 1,
  });
  const statusMap: Record<string, 'SERVING' | 'NOT_SERVING'> = { '': 'NOT_SERVING' };
  for (const s of services) {
    server.addService(s.definition, s.handlers);
    statusMap[s.name] = 'NOT_SERVING';
  }
  const health = new HealthImplementation(statusMap);
  health.addToServer(server);
  // Reflection lists what this node really serves, not every service in the package.
  new ReflectionService(reflectedDefinition, { services: [...services.map((s) => s.name), HEALTH_SERVICE] }).addToServer(server);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, opts.credentials ?? grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  return {
    server,
    port,
    health,
    shutdown: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

/** Flip every service to SERVING: called once recovery is complete, never before. */
export function markServing(s: RunningServer, names: string[]): void {
  s.health.setStatus('', 'SERVING');
  for (const n of names) s.health.setStatus(n, 'SERVING');
}
