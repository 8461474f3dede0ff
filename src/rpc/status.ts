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

/**
 * Longest status message sent. Messages quote inputs; a status travels in HTTP/2 trailers, and
 * one larger than the peer's header limit wedges the connection instead of reaching the caller.
 */
export const MAX_DETAILS_CHARS = 1024;

function clip(message: string): string {
  return message.length <= MAX_DETAILS_CHARS ? message : `${message.slice(0, MAX_DETAILS_CHARS)}… (${message.length - MAX_DETAILS_CHARS} more characters)`;
}

function codeOf(err: unknown): grpc.status {
  if (err instanceof RpcError) return err.code;
  if (err instanceof RequestError) return grpc.status[err.code];
  if (err instanceof InvalidRequest) return grpc.status.INVALID_ARGUMENT;
  if (err instanceof MisroutedPrepare) return grpc.status.FAILED_PRECONDITION;
  return grpc.status.INTERNAL;
}

/** The one mapping of errors to gRPC statuses, with the message cut to MAX_DETAILS_CHARS. */
export function toServiceError(err: unknown): Partial<grpc.ServiceError> {
  return { code: codeOf(err), details: clip(err instanceof Error ? err.message : String(err)) };
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
