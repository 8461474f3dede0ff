import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import type { AdminClient } from './generated/dtx/v1/Admin.js';
import type { CoordinatorClient } from './generated/dtx/v1/Coordinator.js';
import type { LocksClient } from './generated/dtx/v1/Locks.js';
import { dialWith, PLAINTEXT, type DialSecurity } from './dial.js';
import type { ParticipantClient } from './generated/dtx/v1/Participant.js';
import type { ShardHostClient } from './generated/dtx/v1/ShardHost.js';
import type { ShardsClient } from './generated/dtx/v1/Shards.js';
import { dtxV1 } from './protos.js';

type DialOpts = { interceptors?: grpc.Interceptor[]; expectNodeId?: string; channel?: grpc.ChannelOptions };

function dial<C>(
  Ctor: new (address: string, creds: grpc.ChannelCredentials, options: grpc.ChannelOptions) => C,
  address: string,
  sec: DialSecurity,
  opts: DialOpts,
): C {
  const { credentials, options } = dialWith(sec, opts);
  return new Ctor(address, credentials, options);
}

/** `interceptors` carry the node's network faults on node-to-node channels; `expectNodeId` pins the server's node certificate. */
export function coordinatorClient(address: string, sec: DialSecurity = PLAINTEXT, opts: DialOpts = {}): CoordinatorClient {
  return dial(dtxV1.Coordinator, address, sec, opts);
}

export function participantClient(address: string, sec: DialSecurity = PLAINTEXT, opts: DialOpts = {}): ParticipantClient {
  return dial(dtxV1.Participant, address, sec, opts);
}

export function adminClient(address: string, sec: DialSecurity = PLAINTEXT): AdminClient {
  return dial(dtxV1.Admin, address, sec, {});
}

export function locksClient(address: string, sec: DialSecurity = PLAINTEXT, opts: DialOpts = {}): LocksClient {
  return dial(dtxV1.Locks, address, sec, opts);
}

export function shardHostClient(address: string, sec: DialSecurity = PLAINTEXT, opts: DialOpts = {}): ShardHostClient {
  return dial(dtxV1.ShardHost, address, sec, opts);
}

export function shardsClient(address: string, sec: DialSecurity = PLAINTEXT, opts: DialOpts = {}): ShardsClient {
  return dial(dtxV1.Shards, address, sec, opts);
}

interface HealthResponse {
  status: string;
}
type HealthClient = grpc.Client & {
  check(req: { service: string }, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: HealthResponse) => void): void;
};
const HealthClientCtor = grpc.makeClientConstructor(healthService as unknown as grpc.ServiceDefinition, 'grpc.health.v1.Health') as unknown as new (
  address: string,
  creds: grpc.ChannelCredentials,
  options: grpc.ChannelOptions,
) => HealthClient;

/** One Health.Check: true when the node reports SERVING. */
export async function checkHealth(address: string, timeoutMs = 1000, sec: DialSecurity = PLAINTEXT): Promise<boolean> {
  const { credentials, options } = dialWith(sec);
  const client = new HealthClientCtor(address, credentials, options);
  try {
    return await new Promise<boolean>((resolve) => {
      client.check({ service: '' }, { deadline: Date.now() + timeoutMs }, (err, res) => {
        resolve(!err && res?.status === 'SERVING');
      });
    });
  } finally {
    client.close();
  }
}

/** A generated client's unary method, in its (request, metadata, options, callback) form. */
export type UnaryMethod<Req, Res> = (
  req: Req,
  metadata: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res?: Res) => void,
) => unknown;

/**
 * Promise form of a unary call with a deadline. `waitForReady` makes the call wait
 * (until the deadline) for a peer that is restarting instead of failing at once:
 * right for node-to-node traffic, where the peer's return is what recovery waits for.
 */
export function call<Req, Res>(
  method: UnaryMethod<Req, Res>,
  req: Req,
  timeoutMs: number,
  waitForReady = false,
  /** Call metadata (e.g. traceparent). */
  headers?: Readonly<Record<string, string>>,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const metadata = new grpc.Metadata({ waitForReady });
    if (headers) for (const k in headers) metadata.set(k, headers[k]!);
    method(req, metadata, { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res as Res)));
  });
}

/** One client per address, made on first use (a node dials the peers its messages name). */
export class ClientsByAddress<C extends { close(): void }> {
  private readonly clients = new Map<string, C>();

  constructor(private readonly make: (addr: string, id: string) => C) {}

  at(id: string, addr: string): C {
    let c = this.clients.get(addr);
    if (!c) {
      c = this.make(addr, id);
      this.clients.set(addr, c);
    }
    return c;
  }

  addresses(): string[] {
    return [...this.clients.keys()];
  }

  closeAll(): void {
    for (const c of this.clients.values()) c.close();
  }
}
