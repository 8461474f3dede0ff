import type { Logger } from 'pino';
import { AccessControl } from '../rpc/access.js';
import { serverCredentials } from '../rpc/credentials.js';
import { GrpcTransport } from '../rpc/grpcTransport.js';
import { NetworkFaults } from '../rpc/networkFaults.js';
import { dtxV1, SERVICE_NAMES } from '../rpc/protos.js';
import { markServing, serve, type RunningServer, type ServiceBinding } from '../rpc/serve.js';
import type { RuntimeEnv } from '../runtime/env.js';
import { PLANTED_BUGS, plantedBugFromEnv, type PlantedBug } from '../runtime/plantedBugs.js';
import { AuditLog } from '../storage/auditLog.js';
import { NodeStore } from '../storage/nodeStore.js';
import { adminHandlers, type NodeStatus } from './adminService.js';
import { NodeClock } from './clock.js';
import { Failpoints } from './failpoints.js';
import { nodeEnv } from './nodeEnv.js';
import { checkExposure, dialSecurity, type NodeSecurity } from './nodeSecurity.js';
import { DEFAULT_ALERT_AFTER_MS, InDoubtAlerts, type AlertOptions } from './inDoubtAlerts.js';
import { viewToWire, type TxnAdmin } from './txnAdmin.js';
import { NodeMetrics } from './nodeMetrics.js';
import { OpsHttp } from './opsHttp.js';
import { mountConsole } from '../console/mountConsole.js';
import { countingErrors } from '../rpc/rpcErrors.js';
import { StallWatch } from './stallWatch.js';

export interface NodeContextOptions {
  id: string;
  role: NodeStatus['role'];
  listen: string;
  dataDir: string;
  log: Logger;
  security: NodeSecurity;
  /** Prepares and decisions ride Exchange streams (a coordinator's default) or unary calls. */
  streams: boolean;
  /** When a stuck transaction raises an alert, and where it is POSTed (default: after 30 s, no webhook). */
  alerts?: AlertOptions;
  /** Where to serve the operator HTTP server (metrics, health, ...): host:port; none: no HTTP server and no metrics. */
  httpListen?: string;
}

/** What the node's own part adds to Admin.Status. */
export type StatusParts = Pick<NodeStatus, 'peers' | 'inDoubt' | 'inDoubtOwners' | 'counters'>;

/**
 * What every node process has, whatever its role: a logger, its clock, fault injection (only with
 * --allow-faults), its runtime environment, its transport to peers, its store, and the access
 * control in front of its port. The role's start function adds its runtime and services.
 */
export class NodeContext {
  readonly log: Logger;
  readonly clock = new NodeClock();
  readonly failpoints: Failpoints;
  readonly bug: PlantedBug | null;
  readonly network: NetworkFaults | null;
  readonly env: RuntimeEnv;
  readonly transport: GrpcTransport;
  readonly access: AccessControl;
  /** Prometheus metrics: taken only when the node serves HTTP (--http-listen). */
  readonly metrics: NodeMetrics | null;
  /** The operator HTTP server (--http-listen); more routes may be mounted on it (src/node/opsHttp.ts). */
  readonly http: OpsHttp | null;
  private serving = false;
  private readonly started = Date.now();
  private stopping = false;
  private server: RunningServer | null = null;
  private alerts: InDoubtAlerts | null = null;
  private stopConsole: (() => void) | null = null;
  private readonly stalls: StallWatch;

  private constructor(
    readonly o: NodeContextOptions,
    readonly nodeStore: NodeStore,
    readonly audit: AuditLog,
    log: Logger,
  ) {
    this.log = log;
    const { security } = o;
    this.failpoints = new Failpoints(process.env['DTX_FAILPOINTS'] ?? '', security.allowFaults);
    this.bug = plantedBugFromEnv(security.allowFaults);
    if (this.bug) log.warn({ bug: this.bug }, `PLANTED BUG ACTIVE: ${PLANTED_BUGS[this.bug]}`);
    this.network = security.allowFaults ? new NetworkFaults(o.id) : null;
    this.env = nodeEnv({ log, clock: this.clock, failpoints: this.failpoints, stopping: () => this.stopping });
    this.metrics = o.httpListen !== undefined ? new NodeMetrics(o.id, o.role) : null;
    const metrics = this.metrics;
    this.transport = new GrpcTransport({
      network: this.network,
      dial: dialSecurity(security),
      log,
      streams: o.streams,
      ...(metrics ? { onCallFailure: metrics.countPeerFailure } : {}),
    });
    this.access = new AccessControl({ tls: security.tls, tokens: security.tokens }, log);
    this.http = o.httpListen !== undefined ? new OpsHttp({ listen: o.httpListen, tls: security.tls, access: this.access, log }) : null;
    if (metrics) this.nodeMetrics(metrics);
    this.stalls = new StallWatch(log);
    this.stalls.start(nodeStore.writer);
  }

  /** What every node measures, whatever its role; the routes /metrics and /healthz. */
  private nodeMetrics(metrics: NodeMetrics): void {
    metrics.observeLog(this.nodeStore.writer);
    metrics.counterFrom('dtx_refused_calls_total', 'Calls (gRPC and HTTP) refused for want of an identity or a role', () => this.access.refused);
    this.http?.route({
      method: 'GET',
      path: '/metrics',
      handle: async (_req, res) => {
        const body = await metrics.text();
        res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
        res.end(body);
      },
    });
    // Public, as grpc.health.v1.Health is: it says whether the node serves, nothing about the data.
    this.http?.route({
      method: 'GET',
      path: '/healthz',
      roles: null,
      handle: (_req, res) => {
        res.writeHead(this.serving ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
        res.end(this.serving ? 'SERVING\n' : 'NOT_SERVING\n');
      },
    });
  }

  /** Checks the security set-up (before anything is opened), then opens the node's store. */
  static async open(o: NodeContextOptions): Promise<NodeContext> {
    const log = o.log.child({ node: o.id, role: o.role });
    checkExposure(o.listen, o.security, log);
    if (o.httpListen !== undefined) checkExposure(o.httpListen, o.security, log);
    const nodeStore = await NodeStore.openDir(o.dataDir, { id: o.id, role: o.role });
    try {
      return new NodeContext(o, nodeStore, await AuditLog.open(nodeStore, o.id), log);
    } catch (err) {
      await nodeStore.close();
      throw err;
    }
  }

  /** Serves the role's services, Admin, health and reflection behind access control; SERVING once up. */
  async serve(services: ServiceBinding[], status: () => StatusParts, txnAdmin: TxnAdmin): Promise<number> {
    const { o } = this;
    const txn = {
      nodeId: o.id,
      role: o.role,
      admin: txnAdmin,
      audit: this.audit,
      caller: (call: Parameters<AccessControl['describeCaller']>[0]) => this.access.describeCaller(call),
      now: () => this.clock.now(),
    };
    const alerts = this.startAlerts(txnAdmin);
    const faults = this.network ? { failpoints: this.failpoints, network: this.network, clock: this.clock } : null;
    const admin = adminHandlers(
      () => {
        const own = status();
        return {
          nodeId: o.id,
          role: o.role,
          address: o.listen,
          ...own,
          counters: {
            ...own.counters,
            ...(this.network?.counters ?? {}),
            clockOffsetMs: this.clock.offsetMs,
            refusedCalls: this.access.refused,
            ...alerts.counters,
            rssMb: Math.round(process.memoryUsage.rss() / 2 ** 20),
          },
          uptimeMs: Date.now() - this.started,
          dataDir: o.dataDir,
        };
      },
      faults,
      txn,
    );
    const metrics = this.metrics;
    if (o.role === 'coordinator' && this.http && metrics) this.stopConsole = this.console(this.http, metrics, txnAdmin, status);
    // Errors are counted outside access control, so that refusals count too.
    const all = [...services, { name: SERVICE_NAMES.admin, definition: dtxV1.Admin.service, handlers: admin }].map((b) => {
      const guarded = this.access.guard(b.definition, b.handlers);
      return { ...b, handlers: metrics ? countingErrors(b.definition, guarded, metrics.countRpcError) : guarded };
    });
    this.server = await serve(o.listen, all, { credentials: serverCredentials(o.security.tls), reflection: o.security.reflection === true });
    markServing(
      this.server,
      all.map((s) => s.name),
    );
    this.serving = true;
    const httpPort = this.http ? await this.http.start() : null;
    const mode = o.security.tls ? 'TLS' : 'plaintext';
    this.log.info(
      {
        port: this.server.port,
        ...(httpPort !== null ? { httpPort } : {}),
        dataDir: o.dataDir,
        mode,
        tokens: o.security.tokens?.size ?? 0,
        faults: o.security.allowFaults,
        open: this.access.open,
      },
      `${o.role} serving`,
    );
    return this.server.port;
  }

  /** A coordinator's web console (src/console), on its operator HTTP server. */
  private console(http: OpsHttp, metrics: NodeMetrics, txnAdmin: TxnAdmin, status: () => StatusParts): () => void {
    const { o } = this;
    const ports = {
      nodeId: o.id,
      address: o.listen.replace(/^(0\.0\.0\.0|\[::\]|::):/, '127.0.0.1:'),
      uptimeMs: () => Date.now() - this.started,
      inDoubt: () => status().inDoubt.length,
      admin: txnAdmin,
      audit: this.audit,
      now: () => this.clock.now(),
      dial: dialSecurity(o.security),
      open: this.access.open,
      log: this.log,
    };
    return mountConsole(http, ports, metrics.registry);
  }

  /** Stuck transactions of this node raise alerts (log, counters, webhook). */
  private startAlerts(txnAdmin: TxnAdmin): InDoubtAlerts {
    const { o } = this;
    const alerts = new InDoubtAlerts({
      nodeId: o.id,
      role: o.role,
      alerts: o.alerts ?? { afterMs: DEFAULT_ALERT_AFTER_MS, webhook: null },
      views: () => txnAdmin.views(),
      inspect: async (id) => viewToWire(o.id, o.role, id, await txnAdmin.inspect(id), this.clock.now()),
      log: this.log,
      now: () => this.clock.now(),
    });
    this.alerts = alerts;
    alerts.start();
    return alerts;
  }

  /** Stops serving and closes everything, after `stopRuntime` (the role's runtimes). */
  async stop(stopRuntime: () => void): Promise<void> {
    this.stopping = true;
    this.stalls.stop();
    this.alerts?.stop();
    this.stopConsole?.();
    this.serving = false;
    stopRuntime();
    await this.http?.stop();
    await this.server?.shutdown();
    this.transport.close();
    await this.nodeStore.close();
  }
}
