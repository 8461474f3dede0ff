import * as grpc from '@grpc/grpc-js';
import { call, type UnaryMethod } from '../rpc/clients.js';

/** A failed call: the gRPC status name (INVALID_ARGUMENT, UNAVAILABLE, ...) and the server's message. */
export class DtxError extends Error {
  constructor(
    readonly code: string,
    readonly grpcCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'DtxError';
  }

  static from(err: unknown): DtxError {
    if (err instanceof DtxError) return err;
    const e = err as Partial<grpc.ServiceError>;
    if (typeof e.code === 'number') {
      return new DtxError(grpc.status[e.code] ?? String(e.code), e.code, e.details || e.message || 'call failed');
    }
    return new DtxError('UNKNOWN', grpc.status.UNKNOWN, err instanceof Error ? err.message : String(err));
  }
}

/** A unary call from a client: its failure surfaces as a DtxError. */
export async function clientCall<Req, Res>(
  method: UnaryMethod<Req, Res>,
  req: Req,
  timeoutMs: number,
  waitForReady = false,
  headers?: Readonly<Record<string, string>>,
): Promise<Res> {
  try {
    return await call(method, req, timeoutMs, waitForReady, headers);
  } catch (err) {
    throw DtxError.from(err);
  }
}
