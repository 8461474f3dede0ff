import { COMMIT_PROTOCOLS } from '../protocol/protocols/index.js';
import { PROTOCOLS, type ProtocolName } from '../protocol/types.js';
import { InvalidArgumentError } from '@commander-js/extra-typings';
import { isValidTraceparent } from '../protocol/traceContext.js';
import { isHostPort, NODE_ID_PATTERN } from '../rpc/addresses.js';

/** host:port with a port in 0..65535 (0 = any free port, for listen addresses). */
export function parseAddress(value: string): string {
  if (!isHostPort(value)) throw new InvalidArgumentError(`expected host:port, got "${value}"`);
  return value;
}

export function parseNodeId(value: string): string {
  if (!NODE_ID_PATTERN.test(value)) {
    throw new InvalidArgumentError(`node ids start with a letter and use letters, digits, _ or - (max 32): "${value}"`);
  }
  return value;
}

/** "p1=127.0.0.1:7701,p2=127.0.0.1:7702" → ordered map of id → address. */
export function parsePeers(value: string): Map<string, string> {
  const peers = new Map<string, string>();
  for (const part of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`expected id=host:port, got "${part}"`);
    const id = parseNodeId(part.slice(0, eq));
    const addr = parseAddress(part.slice(eq + 1));
    if (peers.has(id)) throw new InvalidArgumentError(`participant ${id} is listed twice`);
    peers.set(id, addr);
  }
  if (peers.size === 0) throw new InvalidArgumentError('at least one participant is needed');
  return peers;
}

const DURATION = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)?$/;

/** "1500", "1500ms", "2s", "1.5m" → milliseconds. */
export function parseDurationMs(value: string): number {
  const m = DURATION.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`expected a duration like 500ms, 10s or 2m, got "${value}"`);
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  const ms = n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit]!;
  if (!Number.isFinite(ms) || ms > 24 * 3_600_000) throw new InvalidArgumentError(`duration "${value}" is too long`);
  return Math.round(ms);
}

export function parseIntIn(min: number, max: number) {
  return (value: string): number => {
    if (!/^-?[0-9]+$/.test(value)) throw new InvalidArgumentError(`expected an integer, got "${value}"`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`expected ${min}..${max}, got ${value}`);
    return n;
  };
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A signed 64-bit integer, refusing anything that would not survive the wire. */
export function parseInt64(value: string): bigint {
  if (!/^-?[0-9]+$/.test(value)) throw new InvalidArgumentError(`expected an integer, got "${value}"`);
  const n = BigInt(value);
  if (n < INT64_MIN || n > INT64_MAX) throw new InvalidArgumentError(`${value} is outside the signed 64-bit range`);
  return n;
}

export const PROTOCOL_HELP = `commit protocol: ${Object.values(COMMIT_PROTOCOLS)
  .map((p) => p.summary)
  .join(', ')}`;

export function parseProtocol(value: string): ProtocolName {
  const v = value.trim().toLowerCase();
  if ((PROTOCOLS as readonly string[]).includes(v)) return v as ProtocolName;
  throw new InvalidArgumentError(`expected one of ${PROTOCOLS.join(', ')}, got "${value}"`);
}

/** A W3C traceparent typed on the command line: refused when invalid (a library caller's is ignored instead). */
export function parseTraceparentOption(value: string): string {
  if (isValidTraceparent(value)) return value;
  throw new InvalidArgumentError(
    `expected a W3C traceparent like 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 (lowercase hex, non-zero ids), got "${value}"`,
  );
}

/** "off" or a duration of at least 1 s (a window shorter than a retry is a refusal of every retry). */
export function parseRetention(v: string): number {
  if (v === 'off') return 0;
  const ms = parseDurationMs(v);
  if (ms < 1000) throw new InvalidArgumentError('at least 1s (or "off")');
  return ms;
}
