import { randomBytes } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { incomingTrace, isValidTraceparent, newTraceparent, type IncomingTrace } from '../protocol/traceContext.js';

/** W3C Trace Context header names, as gRPC metadata keys (lowercase, as HTTP/2 sends them). */
export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';

/**
 * Traceparents that came broken (a field or metadata that is not a valid version-00 value): each
 * was ignored and a new trace started, as the spec asks; Admin.Status shows the count.
 */
export const traceCounters = { invalidTraceparents: 0 };

function firstString(metadata: grpc.Metadata | undefined, key: string): string | undefined {
  const v = metadata?.get(key)[0];
  return typeof v === 'string' ? v : undefined;
}

/**
 * The trace a client's request came with: its message fields (per request, so TransactStream
 * can carry one per transaction), else its call metadata. Null when there is none or it is
 * invalid (then counted): the caller starts a new trace, never refuses the request.
 */
export function traceOfRequest(fields: { traceparent?: string; tracestate?: string } | null, metadata?: grpc.Metadata): IncomingTrace | null {
  const fromFields = !!fields?.traceparent;
  const parent = fromFields ? fields.traceparent : firstString(metadata, TRACEPARENT);
  const state = fromFields ? fields.tracestate : firstString(metadata, TRACESTATE);
  const { trace, invalid } = incomingTrace(parent, state);
  if (invalid) traceCounters.invalidTraceparents++;
  return trace;
}

/** A traceparent from another node (a prepare's field): kept if valid, else dropped and counted. */
export function peerTraceparent(traceparent: string): string | undefined {
  if (traceparent === '') return undefined;
  if (isValidTraceparent(traceparent)) return traceparent;
  traceCounters.invalidTraceparents++;
  return undefined;
}

const POOL_TRACES = 256;
let pool = Buffer.alloc(0);
let poolAt = 0;

/**
 * A new trace (random ids, sampled) for a request that came without one, so that its log lines
 * still share a trace id. Random bytes are drawn 256 traces at a time: one syscall, not one each.
 */
export function freshTraceparent(): string {
  if (poolAt + 24 > pool.length) {
    pool = randomBytes(24 * POOL_TRACES);
    poolAt = 0;
  }
  const tp = newTraceparent(pool.toString('hex', poolAt, poolAt + 24));
  poolAt += 24;
  return tp;
}
