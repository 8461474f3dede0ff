import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Caller } from '../rpc/access.js';
import type { DialSecurity } from '../rpc/dial.js';
import type { OpsHttp } from '../node/opsHttp.js';
import { RequestError } from '../runtime/requestError.js';
import { resolveAudited } from '../node/txnAdminService.js';
import type { TxnAdmin } from '../node/txnAdmin.js';
import type { AuditLog } from '../storage/auditLog.js';
import { clusterSource, localSource, type ConsoleSource, type LocalPorts } from './consoleSource.js';
import type { TxnSeries } from './txnSeries.js';

export interface ConsoleApiPorts extends LocalPorts {
  /** How this node dials its peers (TLS material); the caller's bearer token replaces the node's own. */
  dial: DialSecurity;
  /** Open mode: nobody is authenticated, every Admin call is let through. */
  open: boolean;
  admin: TxnAdmin;
  audit: AuditLog;
  series: TxnSeries | null;
  log: Logger;
}

const MAX_BODY = 16 * 1024;
/** Distinct callers' sources kept open (the least recently used is closed past this). */
const MAX_SOURCES = 8;
const AUDIT_SHOWN = 200;
const HTTP_OF: Partial<Record<RequestError['code'], number>> = { INVALID_ARGUMENT: 400, FAILED_PRECONDITION: 409, NOT_FOUND: 404, UNAVAILABLE: 503 };

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new RequestError('INVALID_ARGUMENT', `request body over ${MAX_BODY} bytes`);
    chunks.push(c);
  }
  try {
    const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new RequestError('INVALID_ARGUMENT', 'the body must be a JSON object');
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function bearerOf(req: IncomingMessage): string | null {
  const m = /^Bearer (\S{1,512})$/.exec(req.headers.authorization ?? '');
  return m ? m[1]! : null;
}

/**
 * With a token (or in open mode) the console asks every node as the caller; a client certificate
 * cannot be passed on, so its holder sees this coordinator alone. One source per token is kept
 * (its channels too) for the page's next refresh; only tokens that passed the admin check get here.
 */
function sourcesByCaller(p: ConsoleApiPorts): { sourceFor: (req: IncomingMessage) => ConsoleSource; close: () => void } {
  const sources = new Map<string, ConsoleSource>();
  const local = localSource(p);
  const sourceFor = (req: IncomingMessage): ConsoleSource => {
    const token = bearerOf(req);
    if (!p.open && !token) return local;
    const key = token ?? '';
    let source = sources.get(key);
    if (source) sources.delete(key);
    else source = clusterSource(p.address, { tls: p.dial.tls, token });
    sources.set(key, source);
    for (const [k, old] of sources) {
      if (sources.size <= MAX_SOURCES) break;
      sources.delete(k);
      old.close();
    }
    return source;
  };
  const close = (): void => {
    for (const source of sources.values()) source.close();
    sources.clear();
  };
  return { sourceFor, close };
}

/** `/api/console/...`: the JSON the page reads, and its one write (resolve), all admin-only. Returns a close for its channels. */
export function mountConsoleApi(http: OpsHttp, p: ConsoleApiPorts): () => void {
  const { sourceFor, close } = sourcesByCaller(p);
  const get = (path: string, answer: (source: ConsoleSource, url: URL) => Promise<object>) =>
    http.route({
      method: 'GET',
      path: `/api/console/${path}`,
      handle: async (req, res) => {
        const source = sourceFor(req);
        try {
          json(res, 200, { scope: source.scope, ...(await answer(source, new URL(req.url ?? '/', 'http://node'))) });
        } catch (err) {
          failed(res, err);
        }
      },
    });
  const failed = (res: ServerResponse, err: unknown): void => {
    const code = err instanceof RequestError ? (HTTP_OF[err.code] ?? 500) : 502;
    if (code >= 500) p.log.warn({ err }, 'console request failed');
    json(res, code, { error: err instanceof Error ? err.message : String(err) });
  };
  get('nodes', async (s) => ({ nodes: await s.nodes() }));
  get('transactions', async (s) => ({ answers: await s.transactions() }));
  get('inspect', async (s, url) => {
    const txn = url.searchParams.get('txn') ?? '';
    if (!txn) throw new RequestError('INVALID_ARGUMENT', 'txn is required (?txn=<id>)');
    return { txn, answers: await s.inspect(txn) };
  });
  get('audit', async (s) => ({ entries: await s.audit(AUDIT_SHOWN) }));
  get('locks', async (s) => ({ answers: await s.locks() }));
  get('series', async () => ({ points: p.series?.points() ?? [] }));
  http.route({
    method: 'POST',
    path: '/api/console/resolve',
    handle: async (req, res, caller) => {
      try {
        // JSON only: a cross-site HTML form cannot send it, so a browser holding a client certificate cannot be made to resolve.
        if (!/^application\/json\b/.test(req.headers['content-type'] ?? ''))
          throw new RequestError('INVALID_ARGUMENT', 'send the body as content-type: application/json');
        const b = await readJson(req);
        const asked = {
          txnId: str(b['txn']),
          outcome: str(b['outcome']),
          reason: str(b['reason']),
          heuristic: b['heuristic'] === true,
          operator: str(b['operator']),
        };
        // The page asks twice for a heuristic outcome; the second answer (the txn id typed again) must come with it.
        if (asked.heuristic && str(b['confirm']) !== asked.txnId)
          throw new RequestError('INVALID_ARGUMENT', 'a heuristic outcome needs confirm: the transaction id typed again');
        const r = await resolveAudited({ nodeId: p.nodeId, admin: p.admin, audit: p.audit }, asked, callerWords(caller, req));
        json(res, 200, r);
      } catch (err) {
        failed(res, err);
      }
    },
  });
  return close;
}

/** The HTTP caller in the audit log's words (as describeCaller for a gRPC call). */
function callerWords(caller: Caller | null, req: IncomingMessage): string {
  return caller ? `${caller.who} (web console)` : `unauthenticated (open mode) from ${req.socket.remoteAddress ?? '?'} (web console)`;
}
