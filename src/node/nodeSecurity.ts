import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { TlsMaterial } from '../rpc/credentials.js';
import type { DialSecurity } from '../rpc/dial.js';
import type { FenceKey } from '../rpc/fenceProof.js';
import type { TokenTable } from '../rpc/tokens.js';

/** Everything a node trusts and presents (src/cli/securityOptions.ts reads it from flags and env). */
export interface NodeSecurity {
  /** The cluster CA and this node's certificate: TLS on its port and on every channel it opens. */
  tls: TlsMaterial | null;
  /** Bearer tokens this node accepts, with their roles. */
  tokens: TokenTable | null;
  /** The token this node presents to its peers (when they require tokens and it has no certificate). */
  token: string | null;
  /** Signs (lock service) and checks (participants) fencing tokens; null: fences are not checked. */
  fenceKey: FenceKey | null;
  /** Plaintext on a non-loopback address was asked for explicitly. */
  insecure: boolean;
  /** Failpoints, network faults, clock offsets and planted bugs may be used (tests, chaos, the launcher). */
  allowFaults: boolean;
  /** Serve gRPC server reflection (off unless asked: see src/rpc/serve.ts). */
  reflection?: boolean;
}

/** A loopback node in open mode: no TLS, no tokens, no fence checks, no fault injection. */
export const OPEN_NODE: NodeSecurity = { tls: null, tokens: null, token: null, fenceKey: null, insecure: false, allowFaults: false };

export function dialSecurity(s: NodeSecurity): DialSecurity {
  return { tls: s.tls, token: s.token };
}

function hostOf(listen: string): string {
  const m = /^\[(.*)\]:\d+$/.exec(listen) ?? /^(.*):\d+$/.exec(listen);
  return m ? m[1]! : listen;
}

/** 127.0.0.0/8, ::1 and localhost: only this machine can connect. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '0:0:0:0:0:0:0:1';
}

/**
 * Refuses a plaintext listener that other machines can reach unless --insecure says so, and warns
 * about what stays open. Throws a one-line reason (the CLI prints it and exits 2).
 */
export function checkExposure(listen: string, s: NodeSecurity, log: Logger): void {
  const host = hostOf(listen);
  if (isLoopback(host)) return;
  if (s.tls === null && !s.insecure) {
    throw new Error(
      `refusing to serve plaintext on ${listen}: other machines can reach it. Give --tls-ca, --tls-cert and --tls-key ` +
        `(make them with dtx certs), or pass --insecure on a network you trust`,
    );
  }
  if (s.tls === null) log.warn({ listen }, 'serving PLAINTEXT beyond loopback (--insecure): traffic and tokens can be read on the network');
  if (s.tls === null && s.tokens === null) log.warn({ listen }, 'no TLS and no --tokens: any caller that reaches this port may use every service');
  if (s.allowFaults) log.warn({ listen }, 'fault injection is ON (--allow-faults) on a node other machines can reach');
}
