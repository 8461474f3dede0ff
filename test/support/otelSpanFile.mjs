// An OpenTelemetry SDK for dtx node processes in tests: every ended span becomes one JSON line
// in <DTX_SPAN_DIR>/<node id>.jsonl. Loaded with DTX_NODE_FLAGS="--import <this file>"; the
// README's "Tracing" section shows the same set-up with a real exporter.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

const dir = process.env.DTX_SPAN_DIR;
if (!dir) throw new Error('otelSpanFile.mjs: set DTX_SPAN_DIR to the directory for the span files');
mkdirSync(dir, { recursive: true });
const at = process.argv.indexOf('--id');
const node = at >= 0 ? process.argv[at + 1] : `pid${process.pid}`;
const file = join(dir, `${node}.jsonl`);

const exporter = {
  export(spans, done) {
    for (const s of spans) {
      const sc = s.spanContext();
      const line = {
        node,
        name: s.name,
        traceId: sc.traceId,
        spanId: sc.spanId,
        parentSpanId: s.parentSpanContext?.spanId ?? null,
        kind: s.kind,
        attributes: s.attributes,
        status: s.status,
      };
      appendFileSync(file, `${JSON.stringify(line)}\n`);
    }
    done({ code: 0 });
  },
  shutdown: async () => undefined,
};

trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
