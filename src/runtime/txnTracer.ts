import type { IncomingTrace } from '../protocol/traceContext.js';

export type SpanAttributes = Record<string, string | number | boolean | string[]>;

/** One span of a transaction's work on this node. */
export interface TxnSpan {
  /** What the next hop gets as traceparent: this span's own, or (when nothing records) the one it came with. */
  readonly traceparent: string;
  /** A span inside this one (a phase, a call to a peer). */
  child(name: string, attrs?: SpanAttributes): TxnSpan;
  /** Ends it; `error` marks it failed. A second end is ignored. */
  end(attrs?: SpanAttributes, error?: string): void;
}

/**
 * Spans of transactions. Nodes plug in OpenTelemetry (node/otelTxnTracer.ts: no-op until the
 * user registers an SDK); the simulator plugs in nothing. The runtime only starts and ends spans:
 * the trace itself travels as data with the transaction (traceContext.ts).
 */
export interface TxnTracer {
  /** A server span of one transaction's work here, child of the trace it came with. */
  start(name: string, parent: IncomingTrace, attrs: SpanAttributes): TxnSpan;
}
