import * as grpc from '@grpc/grpc-js';
import { InvalidRequest } from '../protocol/ops.js';
import { RequestError } from '../runtime/requestError.js';
import { MisroutedPrepare } from './peerWire.js';

/** An error that carries the gRPC status a handler should answer with. */
export class RpcError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

/** The one mapping of errors to gRPC statuses. */
export function toServiceError(err: unknown): Partial<grpc.ServiceError> {
  if (err instanceof RpcError) return { code: err.code, details: err.message };
  if (err instanceof RequestError) return { code: grpc.status[err.code], details: err.message };
  if (err instanceof InvalidRequest) return { code: grpc.status.INVALID_ARGUMENT, details: err.message };
  if (err instanceof MisroutedPrepare) return { code: grpc.status.FAILED_PRECONDITION, details: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: grpc.status.INTERNAL, details: message };
}

/**
 * Wraps an async unary handler: a thrown error becomes its gRPC status, and a
 * non-error result is sent back. Keeps every handler free of callback plumbing.
 */
export function unary<Req, Res>(fn: (req: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    fn(call.request, call).then(
      (res) => callback(null, res),
      (err: unknown) => callback(toServiceError(err) as grpc.ServiceError),
    );
  };
}

export function statusName(code: number): string {
  return grpc.status[code] ?? String(code);
}

/** A runtime call's answer as a promise: a RequestError rejects it (and becomes the call's status). */
export function answer<T>(ask: (respond: (r: T | RequestError) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => ask((r) => (r instanceof RequestError ? reject(r) : resolve(r))));
}
