import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { AccessControl, Caller } from '../rpc/access.js';
import type { TlsMaterial } from '../rpc/credentials.js';
import type { Role } from '../rpc/roles.js';

/**
 * A node's HTTP server for operators (`--http-listen`): `GET /metrics` (Prometheus), `GET /healthz`,
 * and whatever else is mounted with route(). It follows the gRPC port's rules: over TLS with the
 * node's certificate when the node runs TLS (a client certificate with OU=admin is an admin), a
 * bearer token when the node checks tokens, and open when it does neither (a loopback dev cluster).
 */

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

/** Answers one request; `caller` is who the request proved to be (null on an open node or a public route). */
export type OpsHandler = (req: IncomingMessage, res: ServerResponse, caller: Caller | null) => void | Promise<void>;

export interface OpsRoute {
  method: HttpMethod;
  /** A path ("/metrics") or a prefix ending in "/" ("/api/"): the longest match wins. */
  path: string;
  /** Who may call it (default admin, as Admin.Status); null: anyone (it must say nothing about the data). */
  roles?: readonly Role[] | null;
  /**
   * Also takes a bearer token from this query parameter when no Authorization header comes: a page
   * a browser opens by its URL (the web console) cannot send a header on that first request.
   */
  tokenParam?: string;
  handle: OpsHandler;
}

export interface OpsHttpOptions {
  listen: string;
  tls: TlsMaterial | null;
  access: AccessControl;
  log: Logger;
}

/** Bounds on what one client can hold: a slow or idle client cannot keep sockets forever. */
const LIMITS = { requestTimeoutMs: 10_000, headersTimeoutMs: 5_000, keepAliveMs: 5_000, maxConnections: 256, maxHeaderBytes: 16 * 1024 };
const HTTP_CODE: Partial<Record<grpc.status, number>> = { [grpc.status.UNAUTHENTICATED]: 401, [grpc.status.PERMISSION_DENIED]: 403 };

function text(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(`${body}\n`);
}

function splitHostPort(listen: string): { host: string; port: number } {
  const m = /^\[(.*)\]:(\d+)$/.exec(listen) ?? /^(.*):(\d+)$/.exec(listen);
  if (!m) throw new Error(`--http-listen ${listen}: expected host:port`);
  return { host: m[1]!, port: Number(m[2]) };
}

export class OpsHttp {
  private readonly routes: OpsRoute[] = [];
  private server: Server | null = null;

  constructor(private readonly o: OpsHttpOptions) {}

  /** Mounts a route (before or after start). A route of the same method and path replaces the earlier one. */
  route(r: OpsRoute): void {
    if (!r.path.startsWith('/')) throw new Error(`route path ${r.path} must start with /`);
    const at = this.routes.findIndex((x) => x.method === r.method && x.path === r.path);
    if (at >= 0) this.routes.splice(at, 1);
    this.routes.push(r);
  }

  /** Serves on the listen address; resolves with the port bound. */
  async start(): Promise<number> {
    const { tls } = this.o;
    const handler = (req: IncomingMessage, res: ServerResponse) => this.serve(req, res);
    const server = tls
      ? // Asks for a client certificate without requiring one: a token may prove the caller instead (as on the gRPC port).
        createHttpsServer({ key: tls.key, cert: tls.cert, ca: tls.ca, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' }, handler)
      : createHttpServer({ maxHeaderSize: LIMITS.maxHeaderBytes }, handler);
    server.requestTimeout = LIMITS.requestTimeoutMs;
    server.headersTimeout = LIMITS.headersTimeoutMs;
    server.keepAliveTimeout = LIMITS.keepAliveMs;
    server.maxConnections = LIMITS.maxConnections;
    const { host, port } = splitHostPort(this.o.listen);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.o.log.error({ err }, 'operator HTTP server error'));
    this.server = server;
    const addr = server.address();
    return typeof addr === 'object' && addr ? addr.port : port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private match(method: string, path: string): { route: OpsRoute | null; allowed: string[] } {
    const hits = this.routes.filter((r) => r.path === path || (r.path.endsWith('/') && path.startsWith(r.path)));
    const longest = Math.max(-1, ...hits.map((r) => r.path.length));
    const best = hits.filter((r) => r.path.length === longest);
    return { route: best.find((r) => r.method === method || (method === 'HEAD' && r.method === 'GET')) ?? null, allowed: best.map((r) => r.method) };
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method ?? 'GET';
    let path: string;
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://node');
      path = url.pathname;
    } catch {
      return text(res, 400, 'malformed request path');
    }
    const { route, allowed } = this.match(method, path);
    if (!route) {
      if (allowed.length > 0) return text(res, 405, `${method} not allowed on ${path} (allowed: ${allowed.join(', ')})`, { allow: allowed.join(', ') });
      return text(res, 404, `no such path: ${path.slice(0, 200)}`);
    }
    const socket = req.socket as Partial<TLSSocket>;
    const peerCert = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined;
    const peer = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    const fromQuery = route.tokenParam ? url.searchParams.get(route.tokenParam) : null;
    const header = req.headers.authorization ?? (fromQuery ? `Bearer ${fromQuery}` : undefined);
    const v = this.o.access.decideHttp(`${method} ${path}`, route.roles === undefined ? ['admin'] : route.roles, header, peerCert, peer);
    if (!v.ok) return text(res, HTTP_CODE[v.code] ?? 403, v.details, v.code === grpc.status.UNAUTHENTICATED ? { 'www-authenticate': 'Bearer' } : {});
    const failed = (err: unknown): void => {
      this.o.log.warn({ err, path }, 'operator HTTP handler failed');
      if (!res.headersSent) text(res, 500, `internal error: ${err instanceof Error ? err.message.slice(0, 200) : 'unknown'}`);
      else res.destroy();
    };
    try {
      const done = route.handle(req, res, v.caller);
      if (done) done.catch(failed);
    } catch (err) {
      failed(err);
    }
  }
}
