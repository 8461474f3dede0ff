import { createTraceState, ProxyTracerProvider, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import { formatTraceparent, parseTraceparent, type IncomingTrace } from '../protocol/traceContext.js';
import type { SpanAttributes, TxnSpan, TxnTracer } from '../runtime/txnTracer.js';

/** The instrumentation scope every dtx span is reported under. */
export const TRACER_NAME = 'dtx';

/** What the API's proxy delegates to while no SDK is registered (the API keeps one such instance). */
const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();

/** No SDK registered: the global provider is still the API's proxy, delegating to the no-op one. */
function noSdk(): boolean {
  const p = trace.getTracerProvider();
  return p instanceof ProxyTracerProvider && p.getDelegate() === NOOP_PROVIDER;
}

/** Nothing records (no SDK, or not sampled): the next hop gets the traceparent this work came with. */
class PassThroughSpan implements TxnSpan {
  constructor(readonly traceparent: string) {}
  child(): TxnSpan {
    return this;
  }
  end(): void {}
}

class OtelSpan implements TxnSpan {
  private ended = false;
  private own: string | null = null;

  constructor(
    private readonly tracer: Tracer,
    private readonly span: Span,
  ) {}

  get traceparent(): string {
    if (this.own === null) {
      const sc = this.span.spanContext();
      this.own = formatTraceparent({ traceId: sc.traceId, spanId: sc.spanId, flags: sc.traceFlags });
    }
    return this.own;
  }

  child(name: string, attrs?: SpanAttributes): TxnSpan {
    const span = this.tracer.startSpan(name, { kind: SpanKind.INTERNAL, ...(attrs ? { attributes: attrs } : {}) }, trace.setSpan(ROOT_CONTEXT, this.span));
    return new OtelSpan(this.tracer, span);
  }

  end(attrs?: SpanAttributes, error?: string): void {
    if (this.ended) return;
    this.ended = true;
    if (attrs) this.span.setAttributes(attrs);
    if (error !== undefined) this.span.setStatus({ code: SpanStatusCode.ERROR, message: error });
    this.span.end();
  }
}

/**
 * Transaction spans through the OpenTelemetry API. Without an SDK registered (the default) each
 * span is a pass-through that costs two property reads; with one (`node --import` a setup module: README "Tracing"), spans are recorded
 * and the participants' spans become children of the coordinator's.
 */
export class OtelTxnTracer implements TxnTracer {
  private readonly tracer: Tracer;

  constructor(version = '0.1.0') {
    this.tracer = trace.getTracer(TRACER_NAME, version);
  }

  start(name: string, parent: IncomingTrace, attrs: SpanAttributes): TxnSpan {
    // The default: skip the parse and the API's no-op span (per transaction, on every node).
    if (noSdk()) return new PassThroughSpan(parent.traceparent);
    const p = parseTraceparent(parent.traceparent);
    // The cores carry only checked traceparents; a broken one here starts no span rather than a wrong one.
    if (!p) return new PassThroughSpan(parent.traceparent);
    const ctx = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: p.traceId,
      spanId: p.spanId,
      traceFlags: p.flags,
      isRemote: true,
      ...(parent.tracestate ? { traceState: createTraceState(parent.tracestate) } : {}),
    });
    const span = this.tracer.startSpan(name, { kind: SpanKind.SERVER, attributes: attrs }, ctx);
    if (!span.isRecording()) return new PassThroughSpan(parent.traceparent);
    return new OtelSpan(this.tracer, span);
  }
}
