import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatTraceparent,
  incomingTrace,
  isValidTraceparent,
  newTraceparent,
  parseTraceparent,
  parseTracestate,
  traceIdOf,
} from '../../src/protocol/traceContext.js';
import { decodeDecision, decodePrepare, encodeDecision, encodePrepare } from '../../src/storage/recordCodec.js';
import { freshTraceparent, peerTraceparent, traceCounters, traceOfRequest } from '../../src/rpc/traceHeaders.js';
import { ClientTrace } from '../../src/client/clientTrace.js';
import * as grpc from '@grpc/grpc-js';

const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
const nonZero = (n: number) => hex(n).filter((s) => /[^0]/.test(s));
const valid = fc.record({ traceId: nonZero(32), spanId: nonZero(16), flags: fc.integer({ min: 0, max: 255 }) });

// Examples from the W3C Trace Context spec (https://www.w3.org/TR/trace-context/#examples-of-http-traceparent-headers).
const SPEC_EXAMPLE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('traceparent (W3C Trace Context, version 00)', () => {
  it("parses the spec's example", () => {
    expect(parseTraceparent(SPEC_EXAMPLE)).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', flags: 1 });
    expect(traceIdOf(SPEC_EXAMPLE)).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('format and parse are inverse on every valid value', () => {
    fc.assert(
      fc.property(valid, (t) => {
        const s = formatTraceparent(t);
        expect(s).toHaveLength(55);
        expect(parseTraceparent(s)).toEqual(t);
        expect(traceIdOf(s)).toBe(t.traceId);
      }),
    );
  });

  it('refuses what the spec refuses: zero ids, uppercase, other versions, wrong lengths and separators', () => {
    const bad = [
      '',
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01', // zero trace id
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', // zero parent id
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01', // uppercase
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', // forbidden version
      '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', // a version this code does not parse
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra',
      '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01', // 31 digits
      '00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1',
      ' 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bg-01', // not hex
    ];
    for (const s of bad) expect(isValidTraceparent(s), s).toBe(false);
  });

  it('never throws on arbitrary input, and accepts only 55-character lowercase version-00 values', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        const p = parseTraceparent(s);
        if (p !== null) {
          expect(s).toHaveLength(55);
          expect(s.startsWith('00-')).toBe(true);
          expect(formatTraceparent(p)).toBe(s);
        }
      }),
    );
  });

  it('a one-character change to a valid value is either refused or still parses to what it says', () => {
    fc.assert(
      fc.property(valid, fc.integer({ min: 0, max: 54 }), fc.string({ minLength: 1, maxLength: 1 }), (t, at, c) => {
        const s = formatTraceparent(t);
        const changed = s.slice(0, at) + c + s.slice(at + 1);
        const p = parseTraceparent(changed);
        if (p) expect(formatTraceparent(p)).toBe(changed);
      }),
    );
  });

  it('new traces are valid, sampled, and made from the random digits given', () => {
    fc.assert(
      fc.property(hex(48), (digits) => {
        const s = newTraceparent(digits);
        expect(isValidTraceparent(s)).toBe(true);
        expect(s.endsWith('-01')).toBe(true);
        if (/[^0]/.test(digits.slice(0, 32))) expect(traceIdOf(s)).toBe(digits.slice(0, 32));
      }),
    );
    expect(isValidTraceparent(newTraceparent('0'.repeat(48)))).toBe(true);
    expect(() => newTraceparent('xyz')).toThrow(/48 lowercase hex/);
    const seen = new Set(Array.from({ length: 1000 }, () => traceIdOf(freshTraceparent())));
    expect(seen.size).toBe(1000);
  });
});

describe('tracestate', () => {
  it('keeps well-formed lists and drops broken ones', () => {
    expect(parseTracestate('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7')).toBe('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7');
    expect(parseTracestate('a=1 , ,b@sys=2')).toBe('a=1,b@sys=2');
    for (const bad of [
      '',
      'noequals',
      'UPPER=1',
      'a=1,a=2',
      'a=',
      'a=x,',
      `${'k'.repeat(300)}=v`,
      'a=1\n',
      Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(','),
    ]) {
      expect(parseTracestate(bad), bad).toBe(bad === 'a=x,' ? 'a=x' : null);
    }
  });

  it('goes only with a valid traceparent; a broken one alone is dropped', () => {
    expect(incomingTrace(SPEC_EXAMPLE, 'rojo=1')).toEqual({ trace: { traceparent: SPEC_EXAMPLE, tracestate: 'rojo=1' }, invalid: false });
    expect(incomingTrace(SPEC_EXAMPLE, 'BAD')).toEqual({ trace: { traceparent: SPEC_EXAMPLE }, invalid: false });
    expect(incomingTrace('garbage', 'rojo=1')).toEqual({ trace: null, invalid: true });
    expect(incomingTrace(undefined, undefined)).toEqual({ trace: null, invalid: false });
  });
});

describe('traces at the edges', () => {
  it('a request: fields first, else metadata; an invalid one is counted and ignored, never refused', () => {
    const md = new grpc.Metadata();
    md.set('traceparent', SPEC_EXAMPLE);
    md.set('tracestate', 'rojo=1');
    const other = formatTraceparent({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), flags: 0 });
    expect(traceOfRequest({ traceparent: other, tracestate: '' }, md)).toEqual({ traceparent: other });
    expect(traceOfRequest({ traceparent: '', tracestate: '' }, md)).toEqual({ traceparent: SPEC_EXAMPLE, tracestate: 'rojo=1' });
    const before = traceCounters.invalidTraceparents;
    expect(traceOfRequest({ traceparent: 'nope', tracestate: '' })).toBeNull();
    expect(peerTraceparent('00-zz')).toBeUndefined();
    expect(peerTraceparent('')).toBeUndefined();
    expect(traceCounters.invalidTraceparents).toBe(before + 2);
  });

  it("a client: the caller's traceparent, else a new one per call; an invalid one is counted and replaced", () => {
    const c = new ClientTrace();
    expect(c.of({ traceparent: SPEC_EXAMPLE })).toEqual({ traceparent: SPEC_EXAMPLE });
    const fresh = c.of({ traceparent: 'not-a-traceparent' });
    expect(isValidTraceparent(fresh.traceparent)).toBe(true);
    expect(c.invalid).toBe(1);
    expect(traceIdOf(c.of({}).traceparent)).not.toBe(traceIdOf(c.of({}).traceparent));
  });

  it('records keep a traceparent and refuse a corrupt one', () => {
    const at = { node: 'participant p1', key: 'p!t1' };
    const prepare = {
      txn: 't1',
      coordinatorId: 'c1',
      coordinatorAddr: '127.0.0.1:1',
      participants: ['p1'],
      participantAddrs: ['127.0.0.1:2'],
      age: { ms: 1, id: 't1' },
      locks: [],
      writes: [],
      results: [],
      trace: SPEC_EXAMPLE,
    };
    expect(decodePrepare(encodePrepare(prepare), at).trace).toBe(SPEC_EXAMPLE);
    const { trace: _none, ...old } = prepare;
    expect(decodePrepare(encodePrepare(old), at).trace).toBeUndefined();
    expect(() => decodePrepare(encodePrepare({ ...prepare, trace: 'x' }), at)).toThrow(/field "trace" is "x", expected a W3C traceparent/);
    const decision = {
      txn: 't1',
      outcome: 'COMMITTED' as const,
      participants: ['p1'],
      results: [],
      reason: '',
      digest: 'd',
      decidedAtMs: 1,
      trace: SPEC_EXAMPLE,
    };
    expect(decodeDecision(encodeDecision(decision), { node: 'coordinator c1', key: 'd!t1' }).trace).toBe(SPEC_EXAMPLE);
  });
});

describe('a client inside an application that uses OpenTelemetry', () => {
  it("sends the active span's trace when the caller gives none", async () => {
    const { context, propagation, trace } = await import('@opentelemetry/api');
    const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
    const { W3CTraceContextPropagator } = await import('@opentelemetry/core');
    const { BasicTracerProvider } = await import('@opentelemetry/sdk-trace-base');
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(new BasicTracerProvider());
    try {
      const span = trace.getTracer('app').startSpan('checkout');
      const sc = span.spanContext();
      const c = new ClientTrace();
      const inside = context.with(trace.setSpan(context.active(), span), () => c.of({}));
      expect(inside).toEqual({ traceparent: `00-${sc.traceId}-${sc.spanId}-01` });
      // Outside any span: a new trace; and the caller's own option still wins.
      expect(traceIdOf(c.of({}).traceparent)).not.toBe(sc.traceId);
      expect(context.with(trace.setSpan(context.active(), span), () => c.of({ traceparent: SPEC_EXAMPLE }))).toEqual({ traceparent: SPEC_EXAMPLE });
      span.end();
    } finally {
      trace.disable();
      propagation.disable();
      context.disable();
    }
  });
});
