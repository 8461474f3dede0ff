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
  /**
   * Serve gRPC server reflection (grpcurl without the .proto files). Off by default: the library
   * leaves a stream without a status on some malformed input (found by the wire fuzz), so nodes
   * that face a network do not serve it; `dtx cluster up` turns it on.
   */
  reflection?: boolean;
}

/** Concurrent calls one connection may have open; more wait in the client (HTTP/2 flow control). */
export const MAX_STREAMS_PER_CONNECTION = 1024;

/** Longest service name Health answers about (ours are ~20 characters). */
const MAX_HEALTH_SERVICE_NAME = 256;

type LibraryCall = { request?: { service?: unknown }; on(event: 'error', fn: () => void): unknown; emit(event: 'error', err: unknown): boolean };

/**
 * The call as a library's stream handler sees it, except that a 'data' listener that throws (the
 * reflection library does on some odd requests) ends the call with INVALID_ARGUMENT instead of
 * breaking the stream's machinery and leaving the caller without a status.
 */
function withGuardedData(call: LibraryCall): LibraryCall {
  const guardedOn = (event: string, fn: (...args: unknown[]) => void): unknown =>
    (call as unknown as NodeJS.EventEmitter).on(event, (...args: unknown[]) => {
      if (event !== 'data') return fn(...args);
      try {
        fn(...args);
      } catch (err) {
        call.emit('error', {
          code: grpc.status.INVALID_ARGUMENT,
          details: `cannot answer this request: ${String(err).slice(0, 200)}`,
          metadata: new grpc.Metadata(),
        });
      }
    });
  return new Proxy(call, {
    get(target, prop) {
      if (prop === 'on' || prop === 'addListener') return guardedOn;
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/**
 * What the health and reflection libraries add goes through here: a stream handler gets an
 * 'error' listener (without one a frame that does not decode leaves the stream without a status),
 * and a Health request naming a service longer than any we serve is refused at once (the library
 * would echo it into a status larger than the caller's header limit, wedging the connection).
 */
function hardenedServer(server: grpc.Server): grpc.Server {
  const tooLong = (call: LibraryCall): grpc.StatusObject | null => {
    const name = call.request?.service;
    if (typeof name !== 'string' || name.length <= MAX_HEALTH_SERVICE_NAME) return null;
    return { code: grpc.status.INVALID_ARGUMENT, details: `service name longer than ${MAX_HEALTH_SERVICE_NAME} characters`, metadata: new grpc.Metadata() };
  };
  const addService = (definition: grpc.ServiceDefinition, impl: grpc.UntypedServiceImplementation): void => {
    const out: grpc.UntypedServiceImplementation = {};
    for (const [name, handler] of Object.entries(impl)) {
      if (definition[name]?.responseStream) {
        const h = handler as (call: LibraryCall) => void;
        out[name] = ((call: LibraryCall) => {
          call.on('error', () => undefined);
          const refused = tooLong(call);
          if (refused) return void call.emit('error', refused);
          h(withGuardedData(call));
        }) as grpc.UntypedHandleCall;
      } else {
        const h = handler as (call: LibraryCall, cb: (err: grpc.StatusObject | null) => void) => void;
        out[name] = ((call: LibraryCall, cb: (err: grpc.StatusObject | null) => void) => {
          const refused = tooLong(call);
          if (refused) return cb(refused);
          h(call, cb);
        }) as grpc.UntypedHandleCall;
      }
    }
    server.addService(definition, out);
  };
  return { addService } as unknown as grpc.Server;
}

/** Every dtx node serves its services plus grpc.health.v1.Health (and, when asked, server reflection). */
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
  const hardened = hardenedServer(server);
  health.addToServer(hardened);
  // Reflection lists what this node really serves, not every service in the package.
  if (opts.reflection === true) {
    new ReflectionService(reflectedDefinition, { services: [...services.map((s) => s.name), HEALTH_SERVICE] }).addToServer(hardened);
  }
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
