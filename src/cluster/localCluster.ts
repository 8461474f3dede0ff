import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { DialSecurity } from '../rpc/dial.js';
import type { LinkFault } from '../rpc/networkFaults.js';
import { prepareClusterSecurity } from './clusterSecurity.js';
import { sendClockOffset, sendNetworkFaults } from './faultControl.js';
import { NodeProcess, type NodeRole } from './nodeProcess.js';
import { PowerDisks } from './powerDisks.js';
import type { DropResult } from './powerFs.js';

/** What one node's power cut did: whether it froze its disk at an fsync, and what it dropped. */
export interface PowerCut extends DropResult {
  atFsync: boolean;
  waitedMs: number;
}
import { ShardsAdmin, type MoveLimits, type ShardProgress } from '../client/shardsAdmin.js';
import { freePorts } from './ports.js';

export interface ClusterOptions {
  participants?: number;
  /** Coordinators c1..cN (default 1), each told of the others (--coordinators) so that it can forward to an owner. */
  coordinators?: number;
  /** Base data dir; a fresh temp dir (removed by destroy()) when omitted. */
  dataDir?: string;
  /** First port: coordinators from basePort, participants on the next ones. Free ports when omitted. */
  basePort?: number;
  host?: string;
  coordinatorArgs?: string[];
  participantArgs?: string[];
  /** Extra environment per node name, e.g. { p1: { DTX_PLANTED_BUG: '...' } }. */
  nodeEnv?: Record<string, Record<string, string>>;
  healthTimeoutMs?: number;
  /** Serve fault injection (failpoints, network faults, clock offsets, planted bugs); default true: tests and chaos need it. */
  allowFaults?: boolean;
  /** TLS with node certificates from a fresh development CA (under <dataDir>/certs); the launcher calls as an operator. Default false. */
  tls?: boolean;
  /** Serve gRPC server reflection on every node (default false; `dtx cluster up` turns it on). */
  reflection?: boolean;
  /**
   * Give every node an operator HTTP server (Prometheus metrics, health: --http-listen), default
   * true: on free ports, or HTTP_PORT_OFFSET above each node's gRPC port when basePort is given.
   */
  http?: boolean;
  /**
   * Nodes whose data dir lies on powerfs, a FUSE file system that forgets unsynced writes at a
   * power cut (powerCut()): true for every node (those added later too), or a list. Default none.
   */
  powerFs?: boolean | string[];
}

/** With a base port, a node's HTTP port is its gRPC port plus this (c1 on 7700 serves metrics on 8700). */
export const HTTP_PORT_OFFSET = 1000;

/**
 * A topology of real node processes on loopback: coordinators c1..cK and N
 * participants (p1..pN), each with its own data dir, that can be killed, paused,
 * restarted and stopped. Tests, `dtx cluster up` and the chaos tools all use it.
 */
export class LocalCluster {
  readonly nodes = new Map<string, NodeProcess>();
  /** The network faults in force; re-sent to a node when it restarts (its table lives in memory). */
  private faults: LinkFault[] = [];
  private readonly clockOffsets = new Map<string, number>();
  private constructor(
    readonly dataDir: string,
    private readonly ownsDataDir: boolean,
    private readonly healthTimeoutMs: number,
    /** How the launcher calls its nodes (an operator certificate on a TLS cluster). */
    readonly dial: DialSecurity,
    /** The CA, node and operator certificates of a TLS cluster; null otherwise. */
    readonly certDir: string | null,
    private readonly host: string,
    /** Flags and certificate of a participant added later. */
    private readonly argsForNewNode: (name: string) => Promise<string[]>,
    private readonly nodeEnv: Record<string, Record<string, string>>,
    private readonly participantArgs: string[],
    private readonly http: boolean,
    /** The powerfs disks of the nodes that run on one (null: none does). */
    readonly powerDisks: PowerDisks | null = null,
  ) {}

  static async create(opts: ClusterOptions = {}): Promise<LocalCluster> {
    const n = opts.participants ?? 3;
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`participants must be 1..64, got ${n}`);
    const k = opts.coordinators ?? 1;
    if (!Number.isInteger(k) || k < 1 || k > 9) throw new Error(`coordinators must be 1..9, got ${k}`);
    const host = opts.host ?? '127.0.0.1';
    const ownsDataDir = opts.dataDir === undefined;
    const dataDir = resolve(opts.dataDir ?? mkdtempSync(join(tmpdir(), 'dtx-cluster-')));
    const http = opts.http ?? true;
    if (http && opts.basePort !== undefined && opts.basePort + n + k - 1 + HTTP_PORT_OFFSET > 65_535) {
      throw new Error(`base port ${opts.basePort}: the metrics ports (${HTTP_PORT_OFFSET} above) would pass 65535; pick a lower one or turn HTTP off`);
    }
    const free = opts.basePort === undefined ? await freePorts(http ? 2 * (n + k) : n + k) : [];
    const ports = opts.basePort !== undefined ? Array.from({ length: n + k }, (_, i) => opts.basePort! + i) : free.slice(0, n + k);
    const httpPorts = !http ? [] : opts.basePort !== undefined ? ports.map((p) => p + HTTP_PORT_OFFSET) : free.slice(n + k);
    const participantIds = Array.from({ length: n }, (_, i) => `p${i + 1}`);
    const coordinatorIds = Array.from({ length: k }, (_, i) => `c${i + 1}`);
    const security = await prepareClusterSecurity(dataDir, [...coordinatorIds, ...participantIds], {
      tls: opts.tls ?? false,
      allowFaults: opts.allowFaults ?? true,
      reflection: opts.reflection ?? false,
    });
    const cluster = new LocalCluster(
      dataDir,
      ownsDataDir,
      opts.healthTimeoutMs ?? 20_000,
      security.dial,
      security.certDir,
      host,
      security.argsForNewNode,
      opts.nodeEnv ?? {},
      opts.participantArgs ?? [],
      http,
      opts.powerFs === true || (Array.isArray(opts.powerFs) && opts.powerFs.length > 0) ? new PowerDisks(dataDir, opts.powerFs) : null,
    );
    const peers = participantIds.map((id, i) => `${id}=${host}:${ports[i + k]}`).join(',');
    const add = (name: string, role: NodeRole, at: number, args: string[]) =>
      cluster.addNode(name, role, ports[at]!, [...(security.nodeArgs.get(name) ?? []), ...args], httpPorts[at]);
    coordinatorIds.forEach((id, i) => {
      const others = coordinatorIds.flatMap((o, j) => (o === id ? [] : [`${o}=${host}:${ports[j]}`])).join(',');
      add(id, 'coordinator', i, ['--participants', peers, ...(others ? ['--coordinators', others] : []), ...(opts.coordinatorArgs ?? [])]);
    });
    participantIds.forEach((id, i) => add(id, 'participant', i + k, opts.participantArgs ?? []));
    return cluster;
  }

  private addNode(name: string, role: NodeRole, port: number, args: string[], httpPort?: number): NodeProcess {
    const n = new NodeProcess({
      name,
      role,
      host: this.host,
      port,
      ...(httpPort !== undefined ? { httpPort } : {}),
      dataDir: join(this.dataDir, name),
      logFile: join(this.dataDir, 'logs', `${name}.log`),
      args,
      dial: this.dial,
      ...(this.nodeEnv[name] ? { env: this.nodeEnv[name] } : {}),
    });
    this.nodes.set(name, n);
    return n;
  }

  /**
   * Starts a new, empty participant (the next pN on a free port) and has a coordinator add it to
   * the shard map and move shards to it; the coordinators' --participants then name it, so a
   * restarted coordinator agrees with the map. Returns its name.
   */
  async addParticipant(limits: MoveLimits = {}, onProgress: (p: ShardProgress) => void = () => undefined): Promise<string> {
    const name = await this.startParticipant();
    await this.joinParticipant(name, limits, onProgress);
    return name;
  }

  /** Starts the next participant's process, healthy but in no map yet (what an operator does on a new machine before add-participant). */
  async startParticipant(): Promise<string> {
    let i = this.participantNames.length + 1;
    while (this.nodes.has(`p${i}`)) i++;
    const name = `p${i}`;
    const [port, httpPort] = await freePorts(this.http ? 2 : 1);
    const n = this.addNode(name, 'participant', port!, [...(await this.argsForNewNode(name)), ...this.participantArgs], httpPort);
    await this.powerDisks?.attach(name);
    n.start();
    await n.waitHealthy(this.healthTimeoutMs);
    return name;
  }

  /** Has a coordinator add a started participant to the map and move shards to it until even. */
  async joinParticipant(name: string, limits: MoveLimits = {}, onProgress: (p: ShardProgress) => void = () => undefined): Promise<void> {
    await this.membership({ kind: 'add', id: name, address: this.node(name).address }, limits, onProgress);
    this.setCoordinatorParticipants();
  }

  /** Has a coordinator drain a participant and take it out of the map, then stops its process (its data stays). */
  async removeParticipant(name: string, limits: MoveLimits = {}, onProgress: (p: ShardProgress) => void = () => undefined): Promise<void> {
    this.node(name);
    await this.membership({ kind: 'remove', id: name }, limits, onProgress);
    await this.node(name).signal('SIGTERM', 5000);
    this.nodes.delete(name);
    this.setCoordinatorParticipants();
  }

  /** Moves shards to a participant (see `dtx shards move`). */
  async moveShards(shards: number[], to: string, limits: MoveLimits = {}, onProgress: (p: ShardProgress) => void = () => undefined): Promise<ShardProgress> {
    return this.membership({ kind: 'move', shards, to }, limits, onProgress);
  }

  /** The coordinators' view of the shard map and every participant's. */
  async shards(): Promise<Awaited<ReturnType<ShardsAdmin['list']>>> {
    const admin = new ShardsAdmin(this.coordinatorAddresses, this.dial);
    try {
      return await admin.list();
    } finally {
      admin.close();
    }
  }

  private async membership(change: Parameters<ShardsAdmin['change']>[0], limits: MoveLimits, onProgress: (p: ShardProgress) => void): Promise<ShardProgress> {
    const admin = new ShardsAdmin(this.coordinatorAddresses, this.dial);
    try {
      return await admin.change(change, limits, onProgress);
    } finally {
      admin.close();
    }
  }

  /** Rewrites every coordinator's --participants to the participants this cluster runs (used at their next start). */
  private setCoordinatorParticipants(): void {
    const list = this.participantNames.map((p) => `${p}=${this.node(p).address}`).join(',');
    for (const c of this.coordinatorNames) {
      const args = this.node(c).spec.args;
      const at = args.indexOf('--participants');
      if (at >= 0) args[at + 1] = list;
    }
  }

  /** Creates and starts a cluster, waiting until every node serves. Cleans up if that fails. */
  static async start(opts: ClusterOptions = {}): Promise<LocalCluster> {
    const cluster = await LocalCluster.create(opts);
    try {
      await cluster.startAll();
    } catch (err) {
      await cluster.destroy();
      throw err;
    }
    return cluster;
  }

  /** The first coordinator's address (c1). */
  get coordinatorAddress(): string {
    return this.node('c1').address;
  }

  get coordinatorNames(): string[] {
    return [...this.nodes.values()].filter((n) => n.spec.role === 'coordinator').map((n) => n.spec.name);
  }

  /** Every coordinator's address, c1 first: what a failing-over client is given. */
  get coordinatorAddresses(): string[] {
    return this.coordinatorNames.map((name) => this.node(name).address);
  }

  get participantNames(): string[] {
    return [...this.nodes.values()].filter((n) => n.spec.role === 'participant').map((n) => n.spec.name);
  }

  node(name: string): NodeProcess {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`unknown node ${name} (nodes: ${[...this.nodes.keys()].join(', ')})`);
    return n;
  }

  async startAll(): Promise<void> {
    // Participants first, so the coordinator's re-driven commits find them.
    const order = [...this.participantNames, ...this.coordinatorNames];
    for (const name of order) await this.powerDisks?.attach(name);
    for (const name of order) this.node(name).start();
    await Promise.all(order.map((name) => this.node(name).waitHealthy(this.healthTimeoutMs)));
  }

  async kill(name: string): Promise<void> {
    await this.node(name).signal('SIGKILL');
  }

  async restart(name: string): Promise<void> {
    const n = this.node(name);
    if (n.state !== 'stopped') await n.signal('SIGKILL');
    await this.powerDisks?.attach(name);
    n.start();
    await n.waitHealthy(this.healthTimeoutMs);
    if (this.faults.length > 0) await sendNetworkFaults(n.address, this.faults, this.dial);
    const offset = this.clockOffsets.get(name);
    if (offset) await sendClockOffset(n.address, offset, this.dial);
  }

  /**
   * Replaces the network faults on every node (an empty list heals the network). Nodes
   * that are down or paused get the table when they come back (restart) or at the next
   * call; the result lists the nodes that could not be told now.
   */
  async setNetworkFaults(links: LinkFault[]): Promise<string[]> {
    this.faults = links;
    const missed: string[] = [];
    await Promise.all(
      [...this.nodes.values()].map(async (n) => {
        if (n.state !== 'running') {
          missed.push(n.spec.name);
          return;
        }
        try {
          await sendNetworkFaults(n.address, links, this.dial);
        } catch {
          missed.push(n.spec.name);
        }
      }),
    );
    return missed;
  }

  get networkFaults(): LinkFault[] {
    return this.faults;
  }

  async setClockOffset(name: string, offsetMs: number): Promise<void> {
    this.clockOffsets.set(name, offsetMs);
    const n = this.node(name);
    if (n.state === 'running') await sendClockOffset(n.address, offsetMs, this.dial);
  }

  async pause(name: string): Promise<void> {
    await this.node(name).signal('SIGSTOP');
  }

  async resume(name: string): Promise<void> {
    const n = this.node(name);
    await n.signal('SIGCONT');
    // A node paused while the fault table changed missed it.
    await sendNetworkFaults(n.address, this.faults, this.dial).catch(() => undefined);
  }

  /**
   * Cuts the power of these nodes: their disks freeze (at once, or each at its node's next fsync
   * within `atFsyncWithinMs`), the processes get kill -9, then each disk forgets what it held
   * unsynced (with `tear`, the first unsynced page of each file reaches the disk in part). They
   * stay down until restart(). Only for nodes on powerfs (ClusterOptions.powerFs).
   */
  async powerCut(names: string[], o: { tear?: boolean; atFsyncWithinMs?: number } = {}): Promise<Map<string, PowerCut>> {
    const disks = this.powerDisks;
    const off = names.filter((name) => !disks?.covers(this.node(name).spec.name));
    if (!disks || off.length > 0) throw new Error(`not on powerfs: ${off.join(', ') || names.join(', ')} (start the cluster with powerFs)`);
    const frozen = new Map<string, { atFsync: boolean; waitedMs: number }>();
    const killed: Promise<void>[] = [];
    const cuts = new Map<string, PowerCut>();
    try {
      await Promise.all(
        names.map(async (name) => {
          frozen.set(name, await disks.freeze(name, this.node(name).state === 'stopped' ? 0 : (o.atFsyncWithinMs ?? 0)));
          // A process stuck in a frozen fsync exits only once the drop fails that call.
          killed.push(this.node(name).signal('SIGKILL'));
        }),
      );
    } finally {
      // A frozen disk blocks its node for good: end every freeze, whatever failed.
      for (const name of names) cuts.set(name, { atFsync: false, waitedMs: 0, ...frozen.get(name), ...(await disks.drop(name, o.tear ?? false)) });
      await Promise.all(killed);
      for (const name of names) await disks.powerOn(name);
    }
    return cuts;
  }

  /** Graceful stop of every node (SIGTERM, SIGKILL after a bound); powerfs disks are then unmounted (written back). */
  async stop(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => n.signal('SIGTERM', 5000)));
    await this.powerDisks?.detachAll();
  }

  /** Stops everything and removes the data dir if this cluster created it. */
  async destroy(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => n.signal('SIGKILL', 5000)));
    await this.powerDisks?.detachAll();
    if (this.ownsDataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}
