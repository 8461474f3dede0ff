/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/), version 00: the `traceparent` a
 * transaction carries from its client through the coordinator to every participant, so that
 * its log lines and spans on every node share one trace id.
 *
 * The cores carry a traceparent as an opaque, already validated string; only the edges (the
 * client, the gRPC services, the record codec) parse one.
 */

/** A version-00 traceparent: `00-<32 hex trace id>-<16 hex parent span id>-<2 hex flags>`, lowercase. */
export interface TraceParent {
  traceId: string;
  spanId: string;
  /** Bit 0: sampled. Other bits are kept as they came. */
  flags: number;
}

/** The length of every version-00 traceparent. */
export const TRACEPARENT_LENGTH = 55;

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/**
 * A traceparent as the spec's version 00 defines it, or null: exactly 55 characters, lowercase
 * hex, a trace id and a parent id that are not all zeros. Other versions are refused too: the
 * caller then starts a new trace, as the spec asks of a receiver that cannot parse the header.
 */
export function parseTraceparent(s: string): TraceParent | null {
  if (s.length !== TRACEPARENT_LENGTH) return null;
  const m = TRACEPARENT.exec(s);
  if (!m) return null;
  const [, traceId, spanId, flags] = m as unknown as [string, string, string, string];
  if (traceId === ZERO_TRACE_ID || spanId === ZERO_SPAN_ID) return null;
  return { traceId, spanId, flags: parseInt(flags, 16) };
}

export function isValidTraceparent(s: string): boolean {
  return parseTraceparent(s) !== null;
}

export function formatTraceparent(t: TraceParent): string {
  return `00-${t.traceId}-${t.spanId}-${t.flags.toString(16).padStart(2, '0')}`;
}

/** The trace id of a traceparent that parseTraceparent accepted (what log lines carry as `trace`). */
export function traceIdOf(traceparent: string): string {
  return traceparent.slice(3, 35);
}

/**
 * A new trace from 48 random lowercase hex digits (32 for the trace id, 16 for the span id),
 * sampled (flags 01). The randomness is an input so that this stays pure; all-zero ids (chance
 * 2^-64) are nudged to 1.
 */
export function newTraceparent(randomHex: string): string {
  if (!/^[0-9a-f]{48}$/.test(randomHex)) throw new Error('newTraceparent needs 48 lowercase hex digits');
  let traceId = randomHex.slice(0, 32);
  let spanId = randomHex.slice(32, 48);
  if (traceId === ZERO_TRACE_ID) traceId = `${ZERO_TRACE_ID.slice(1)}1`;
  if (spanId === ZERO_SPAN_ID) spanId = `${ZERO_SPAN_ID.slice(1)}1`;
  return `00-${traceId}-${spanId}-01`;
}

/** Longest tracestate kept (the spec lets a receiver drop longer ones). */
export const MAX_TRACESTATE_CHARS = 512;
const MAX_TRACESTATE_MEMBERS = 32;
// key: lowercase letter or digit first, then [a-z0-9_\-*/], optionally tenant@system; value: printable ASCII but ',' and '=', no trailing space.
const TRACESTATE_MEMBER =
  /^(?:[a-z][a-z0-9_\-*/]{0,255}|[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13})=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/**
 * A tracestate as the spec defines it (at most 32 list members `key=value`, empty members
 * allowed between commas), or null. Only meaningful beside a valid traceparent.
 */
export function parseTracestate(s: string): string | null {
  if (s.length === 0 || s.length > MAX_TRACESTATE_CHARS) return null;
  // Optional white space around members is spaces and tabs only (no newlines).
  const members = s.split(',').map((m) => m.replace(/^[ \t]+|[ \t]+$/g, ''));
  const present = members.filter((m) => m !== '');
  if (present.length === 0 || present.length > MAX_TRACESTATE_MEMBERS) return null;
  const keys = new Set<string>();
  for (const m of present) {
    if (!TRACESTATE_MEMBER.test(m)) return null;
    const key = m.slice(0, m.indexOf('='));
    if (keys.has(key)) return null;
    keys.add(key);
  }
  return present.join(',');
}

/** The trace a request came with, checked: a valid traceparent and, if it came with one, its tracestate. */
export interface IncomingTrace {
  traceparent: string;
  tracestate?: string;
}

/**
 * What a receiver makes of the headers it got: the trace to continue, or null to start a new
 * one; `invalid` when a traceparent was there but broken (counted, never refused). A tracestate
 * that does not parse is dropped alone.
 */
export function incomingTrace(traceparent: string | undefined, tracestate: string | undefined): { trace: IncomingTrace | null; invalid: boolean } {
  if (!traceparent) return { trace: null, invalid: false };
  if (!isValidTraceparent(traceparent)) return { trace: null, invalid: true };
  const state = tracestate ? parseTracestate(tracestate) : null;
  return { trace: state ? { traceparent, tracestate: state } : { traceparent }, invalid: false };
}
