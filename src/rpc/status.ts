import * as grpc from '@grpc/grpc-js';
import { InvalidRequest } from '../protocol/ops.js';

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

export function toServiceError(err: unknown): Partial<grpc.ServiceError> {
  if (err instanceof RpcError) return { code: err.code, details: err.message };
  if (err instanceof InvalidRequest) return { code: grpc.status.INVALID_ARGUMENT, details: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: grpc.status.INTERNAL, details: message };
}

/**
 * Wraps an async unary handler: a thrown error becomes its gRPC status, and a
 * non-error result is sent back. Keeps every handler free of callback plumbing.
 */
export function unary<Req, Res>(
  fn: (req: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
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
