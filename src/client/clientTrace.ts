import { context, propagation } from '@opentelemetry/api';
import { incomingTrace, type IncomingTrace } from '../protocol/traceContext.js';
import { freshTraceparent, TRACEPARENT, TRACESTATE } from '../rpc/traceHeaders.js';

/** W3C Trace Context a caller may give one call (else the active OpenTelemetry context's, else a new one). */
export interface TraceOptions {
  /** `00-<trace id>-<parent span id>-<flags>`; an invalid one is ignored (a new trace starts) and counted, never an error. */
  traceparent?: string;
  /** Goes with traceparent; dropped alone when invalid. */
  tracestate?: string;
}

/**
 * Where a client call's trace comes from: the caller's options, else the active OpenTelemetry
 * context (when the application registered an SDK and a propagator, its current span), else a
 * new trace, so that the transaction's log lines on every node always share a trace id.
 */
export class ClientTrace {
  /** Traceparents given in options that were not valid (ignored). */
  invalid = 0;

  of(opts: TraceOptions): IncomingTrace {
    if (opts.traceparent !== undefined) {
      const { trace, invalid } = incomingTrace(opts.traceparent, opts.tracestate);
      if (trace) return trace;
      if (invalid) this.invalid++;
    }
    return activeTrace() ?? { traceparent: freshTraceparent() };
  }
}

/** The active context's trace, through the global propagator (a no-op one unless an SDK set it). */
function activeTrace(): IncomingTrace | null {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  const parent = carrier[TRACEPARENT];
  if (parent === undefined) return null;
  return incomingTrace(parent, carrier[TRACESTATE]).trace;
}

/** A trace as call metadata (GetTransaction, Read: one call each, so metadata carries it). */
export function traceHeaders(t: IncomingTrace): Record<string, string> {
  return t.tracestate ? { [TRACEPARENT]: t.traceparent, [TRACESTATE]: t.tracestate } : { [TRACEPARENT]: t.traceparent };
}
