import * as grpc from '@grpc/grpc-js';
import type { CoordinatorClient } from '../rpc/generated/dtx/v1/Coordinator.js';
import type { TransactRequest } from '../rpc/generated/dtx/v1/TransactRequest.js';
import type { TransactResponse__Output } from '../rpc/generated/dtx/v1/TransactResponse.js';

/** The failure of one request: the gRPC status and message, as Transact would have thrown. */
export interface StreamCallError {
  code: number;
  details: string;
}

/**
 * Pipelines transactions over one Coordinator.TransactStream: every request gets a
 * request_id, answers are matched back by it. A broken stream fails what was in flight
 * with UNAVAILABLE (outcome unknown: ask GetTransaction) and the next request reopens it.
 * A DtxClient with several coordinators keeps one per coordinator and re-sends each failed
 * request, under its txn id, on another one (failover.ts).
 */
export class TransactStreamChannel {
  private stream: grpc.ClientDuplexStream<TransactRequest, TransactResponse__Output> | null = null;
  private nextId = 1;
  private readonly pending = new Map<
    string,
    { resolve: (r: TransactResponse__Output) => void; reject: (e: StreamCallError) => void; timer: NodeJS.Timeout; on: object }
  >();

  constructor(private readonly client: CoordinatorClient) {}

  send(req: TransactRequest, timeoutMs: number): Promise<TransactResponse__Output> {
    const requestId = String(this.nextId++);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a gRPC status, as Transact would reject; the caller turns it into a DtxError
        reject({ code: grpc.status.DEADLINE_EXCEEDED, details: `no answer within ${timeoutMs} ms (outcome unknown)` });
      }, timeoutMs);
      const stream = this.open();
      this.pending.set(requestId, { resolve, reject, timer, on: stream });
      stream.write({ ...req, requestId });
    });
  }

  close(): void {
    this.stream?.end();
    this.stream = null;
  }

  private open(): grpc.ClientDuplexStream<TransactRequest, TransactResponse__Output> {
    if (this.stream) return this.stream;
    const stream = this.client.TransactStream();
    this.stream = stream;
    stream.on('data', (res: TransactResponse__Output) => {
      const p = this.pending.get(res.requestId);
      if (!p) return;
      this.pending.delete(res.requestId);
      clearTimeout(p.timer);
      if (res.errorCode) p.reject({ code: res.errorCode, details: res.errorMessage });
      else p.resolve(res);
    });
    const broken = (err: StreamCallError) => {
      if (this.stream === stream) this.stream = null;
      for (const [id, p] of this.pending) {
        if (p.on !== stream) continue; // sent on a newer stream: not lost with this one
        clearTimeout(p.timer);
        p.reject(err);
        this.pending.delete(id);
      }
    };
    stream.on('error', (err: grpc.ServiceError) => broken({ code: err.code ?? grpc.status.UNAVAILABLE, details: err.details || err.message }));
    stream.on('end', () => broken({ code: grpc.status.UNAVAILABLE, details: 'stream ended (outcome unknown)' }));
    return stream;
  }
}
