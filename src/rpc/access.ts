import * as grpc from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';
import type { Logger } from 'pino';
import { CaVerifier, peerIdentity, type TlsMaterial } from './credentials.js';
import { AUTHORIZATION } from './dial.js';
import { rolesFor, type Role } from './roles.js';
import type { TokenTable } from './tokens.js';

/** grpc-js does not export its AuthContext type. */
type AuthContext = ReturnType<grpc.ServerInterceptingCallInterface['getAuthContext']>;

/** How a node decides who a caller is: the CA that signs client and node certificates, and the bearer tokens it knows. */
export interface AccessPolicy {
  tls: TlsMaterial | null;
  tokens: TokenTable | null;
}

export interface Caller {
  /** "node p1", "user alice", "token alice". */
  who: string;
  roles: readonly Role[];
}

export type Verdict = { ok: true; caller: Caller | null } | { ok: false; code: grpc.status; details: string };

/**
 * Decides each call from its method, its metadata and its TLS peer certificate. With neither TLS
 * nor tokens configured the node is in open mode (a loopback development cluster) and every call
 * is let through; otherwise every non-public call needs an identity with one of the method's roles.
 */
export class AccessControl {
  private readonly ca: CaVerifier | null;
  readonly open: boolean;
  /** Calls refused so far (Admin.Status shows it as refusedCalls). */
  refused = 0;
  private lastLogAt = 0;
  private unlogged = 0;

  constructor(
    private readonly policy: AccessPolicy,
    private readonly log: Logger,
  ) {
    this.ca = policy.tls ? new CaVerifier(policy.tls.ca) : null;
    this.open = policy.tls === null && policy.tokens === null;
  }

  private identify(header: unknown, peerCert: PeerCertificate | undefined): Caller | 'bad token' | null {
    if (header !== undefined) {
      const m = typeof header === 'string' ? /^Bearer (\S{1,512})$/.exec(header) : null;
      const holder = m && this.policy.tokens ? this.policy.tokens.lookup(m[1]!) : null;
      if (!holder) return 'bad token';
      return { who: `token ${holder.name}`, roles: holder.roles };
    }
    if (!this.ca) return null;
    const id = peerIdentity(peerCert, this.ca);
    if (!id) return null;
    if (id.kind === 'node') return { who: `node ${id.id}`, roles: ['node'] };
    return { who: `user ${id.name}`, roles: id.roles.filter((r): r is Role => r === 'client' || r === 'admin' || r === 'faults') };
  }

  /** Who made a call, in words, for the audit log (in open mode nobody is authenticated). */
  describeCaller(call: { metadata: grpc.Metadata; getAuthContext(): AuthContext; getPeer(): string }): string {
    if (this.open) return `unauthenticated (open mode) from ${call.getPeer()}`;
    const c = this.identify(call.metadata.get(AUTHORIZATION)[0], call.getAuthContext()?.sslPeerCertificate);
    return c && c !== 'bad token' ? c.who : `unidentified caller from ${call.getPeer()}`;
  }

  decide(path: string, metadata: grpc.Metadata, auth: AuthContext | null): Verdict {
    return this.judge(path, rolesFor(path), metadata.get(AUTHORIZATION)[0], auth?.sslPeerCertificate);
  }

  /**
   * The same judgement for a request to the node's operator HTTP server (src/node/opsHttp.ts):
   * `needed` the roles that may make it (null: anyone), its Authorization header and the client
   * certificate it presented over TLS. A refusal is counted and logged like a gRPC one.
   */
  decideHttp(what: string, needed: readonly Role[] | null, authorization: string | undefined, peerCert: PeerCertificate | undefined, peer: string): Verdict {
    const v = this.judge(what, needed, authorization, peerCert);
    if (!v.ok) this.noteRefusal(what, peer, v);
    return v;
  }

  private judge(path: string, needed: readonly Role[] | null, header: unknown, peerCert: PeerCertificate | undefined): Verdict {
    if (needed === null || this.open) return { ok: true, caller: null };
    const caller = this.identify(header, peerCert);
    if (caller === 'bad token') return { ok: false, code: grpc.status.UNAUTHENTICATED, details: `${path}: the bearer token is not one this node knows` };
    if (caller === null) {
      const how = [this.policy.tokens ? 'a bearer token (authorization: Bearer <token>)' : '', this.ca ? 'a client certificate signed by the cluster CA' : '']
        .filter(Boolean)
        .join(' or ');
      return { ok: false, code: grpc.status.UNAUTHENTICATED, details: `${path}: this node needs ${how}` };
    }
    if (!needed.some((r) => caller.roles.includes(r))) {
      return {
        ok: false,
        code: grpc.status.PERMISSION_DENIED,
        details: `${path}: ${caller.who} has role(s) ${caller.roles.join(',') || 'none'}; this call needs ${needed.join(' or ') || 'a role no one has'}`,
      };
    }
    return { ok: true, caller };
  }

  /** Logs a refusal, at most one line a second: a caller cannot flood the log by being refused. */
  private noteRefusal(path: string, peer: string, v: Verdict & { ok: false }): void {
    this.refused++;
    const now = Date.now();
    if (now - this.lastLogAt < 1000) {
      this.unlogged++;
      return;
    }
    this.log.warn({ path, peer, code: grpc.status[v.code], details: v.details, alsoRefusedSinceLastLine: this.unlogged }, 'call refused');
    this.lastLogAt = now;
    this.unlogged = 0;
  }

  /**
   * The service's handlers behind decide(): each call is judged once, when it starts (a stream's
   * later messages are not looked at again). Wrapping the handlers rather than installing a
   * grpc-js server interceptor keeps the per-message path free of interceptor plumbing.
   */
  guard(definition: grpc.ServiceDefinition, handlers: grpc.UntypedServiceImplementation): grpc.UntypedServiceImplementation {
    if (this.open) return handlers;
    const out: grpc.UntypedServiceImplementation = {};
    for (const [name, handler] of Object.entries(handlers)) {
      const method = definition[name];
      if (!method) throw new Error(`handler ${name} has no method in the service definition`);
      // A handler without a callback answers by writing to its stream: server and bidi streams.
      out[name] = this.guardOne(method.path, method.responseStream, handler);
    }
    return out;
  }

  private guardOne(path: string, streaming: boolean, handler: grpc.UntypedHandleCall): grpc.UntypedHandleCall {
    type Call = { metadata: grpc.Metadata; getAuthContext(): AuthContext; getPeer(): string; emit(event: 'error', err: unknown): boolean };
    type Callback = (err: Partial<grpc.ServiceError> | null) => void;
    const refuse = (call: Call, v: Verdict & { ok: false }): grpc.StatusObject => {
      this.noteRefusal(path, call.getPeer(), v);
      return { code: v.code, details: v.details, metadata: new grpc.Metadata() };
    };
    if (streaming) {
      const h = handler as (call: Call) => void;
      return ((call: Call) => {
        const v = this.decide(path, call.metadata, call.getAuthContext());
        if (v.ok) return h(call);
        call.emit('error', refuse(call, v));
      }) as grpc.UntypedHandleCall;
    }
    const h = handler as (call: Call, cb: Callback) => void;
    return ((call: Call, cb: Callback) => {
      const v = this.decide(path, call.metadata, call.getAuthContext());
      if (v.ok) return h(call, cb);
      cb(refuse(call, v));
    }) as grpc.UntypedHandleCall;
  }
}
