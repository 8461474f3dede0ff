import type { Logger } from 'pino';
import { describeMap, initialMap, loadOf, shardMapProblem, type ShardMap } from '../protocol/shardMap.js';
import type { NodeId } from '../protocol/types.js';
import { ClientsByAddress, shardHostClient } from '../rpc/clients.js';
import type { DialSecurity } from '../rpc/dial.js';
import type { ShardHostClient } from '../rpc/generated/dtx/v1/ShardHost.js';
import type { NetworkFaults } from '../rpc/networkFaults.js';
import { getMap, installMap } from '../rpc/shardHostCalls.js';
import type { ShardHostView } from '../runtime/shardHost.js';

/** The map on every participant contradicts this coordinator's --participants: it must not start. */
export class ShardMapConflict extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShardMapConflict';
  }
}

export type HostAnswer = { id: NodeId; ok: true; view: ShardHostView } | { id: NodeId; ok: false; error: string };

const GET_MAP_MS = 2000;
const REFRESH_MIN_GAP_MS = 50;

/**
 * A coordinator's copy of the cluster's shard map. The map itself lives on the participants
 * (each keeps it durably and serves by it); a coordinator reads the newest one at start — or,
 * for a new cluster, deals the first one from --participants and installs it everywhere — and
 * reads it again when a participant refuses a key whose shard moved.
 */
export class ShardDirectory {
  private readonly hosts: ClientsByAddress<ShardHostClient>;
  private refreshing: Promise<void> | null = null;
  private lastRefresh = 0;

  constructor(
    private readonly o: {
      id: NodeId;
      /** --participants: id → address. */
      flags: ReadonlyMap<NodeId, string>;
      dial: DialSecurity;
      network: NetworkFaults | null;
      log: Logger;
      /** The map in use (the runtime's). */
      current: () => ShardMap;
      /** A newer map was found. */
      adopt: (map: ShardMap) => void;
    },
  ) {
    // Own subchannels: polling a participant that is down must not put the connection the
    // coordinator's transactions and locks share with it into reconnect backoff.
    this.hosts = new ClientsByAddress((addr, id) =>
      shardHostClient(addr, o.dial, {
        expectNodeId: id,
        interceptors: o.network ? [o.network.interceptor(id)] : [],
        channel: { 'grpc.use_local_subchannel_pool': 1 },
      }),
    );
  }

  close(): void {
    this.hosts.closeAll();
  }

  host(id: NodeId, addr: string): ShardHostClient {
    return this.hosts.at(id, addr);
  }

  /** The map's participants with their addresses (--participants wins for a member it names: the operator moved it). */
  addresses(map: ShardMap = this.o.current()): Map<NodeId, string> {
    return new Map(map.members.map((m) => [m.id, this.o.flags.get(m.id) ?? m.addr]));
  }

  /** Each participant's own view of the map and its moves (failures as errors). */
  async views(targets: ReadonlyMap<NodeId, string> = this.addresses(), timeoutMs = GET_MAP_MS): Promise<HostAnswer[]> {
    return Promise.all(
      [...targets].map(async ([id, addr]): Promise<HostAnswer> => {
        try {
          const view = await getMap(this.host(id, addr), timeoutMs);
          if (view.map) {
            const problem = shardMapProblem(view.map);
            if (problem) return { id, ok: false, error: `its map is invalid: ${problem}` };
          }
          return { id, ok: true, view };
        } catch (e) {
          return { id, ok: false, error: (e as Error).message };
        }
      }),
    );
  }

  /**
   * At start: the newest map any participant holds, checked against --participants; a cluster
   * with no map yet gets the first one, dealt from --participants, once every participant
   * answers. Waits up to `waitMs` for participants to answer; if none does, keeps the dealt map
   * provisionally (participants check every key themselves, so a wrong guess is refused, not
   * applied) and keeps looking in the background.
   */
  async loadAtStart(waitMs: number): Promise<ShardMap | null> {
    const deadline = Date.now() + waitMs;
    for (let attempt = 0; ; attempt++) {
      const answers = await this.views(this.o.flags, Math.min(GET_MAP_MS, Math.max(200, deadline - Date.now())));
      const newest = newestMap(answers);
      if (newest) {
        this.checkFlags(newest);
        this.o.log.info({ map: describeMap(newest) }, 'shard map loaded');
        return newest;
      }
      const reached = answers.filter((a) => a.ok);
      if (reached.length === answers.length) {
        const first = initialMap([...this.o.flags].map(([id, addr]) => ({ id, addr })));
        await this.installEverywhere(first, 0);
        this.o.log.info({ map: describeMap(first) }, 'new cluster: first shard map installed on every participant');
        return first;
      }
      if (Date.now() >= deadline) {
        const down = answers.filter((a) => !a.ok).map((a) => a.id);
        this.o.log.warn({ unreachable: down }, 'no participant answered with a shard map yet: routing by the map --participants deals, until one does');
        return null;
      }
      await new Promise((r) => setTimeout(r, Math.min(500, 50 * 2 ** attempt)));
    }
  }

  /** Reads the newest map again (one refresh at a time, at most every 50 ms); adopts it if newer. */
  refresh(): Promise<void> {
    if (this.refreshing) return this.refreshing;
    const wait = Math.max(0, this.lastRefresh + REFRESH_MIN_GAP_MS - Date.now());
    this.refreshing = new Promise<void>((r) => setTimeout(r, wait))
      .then(async () => {
        const newest = newestMap(await this.views());
        if (newest && newest.epoch > this.o.current().epoch) {
          this.o.log.info({ map: describeMap(newest) }, 'shard map refreshed');
          this.o.adopt(newest);
        }
      })
      .finally(() => {
        this.lastRefresh = Date.now();
        this.refreshing = null;
      });
    return this.refreshing;
  }

  /**
   * Adopts a newer map if a participant holds one, and passes the newest to participants that
   * missed it (down or cut off while a move published it). Token 0: a map already held is only
   * passed on, never made here.
   */
  async syncLagging(): Promise<void> {
    const answers = await this.views();
    const newest = newestMap(answers);
    if (!newest) return;
    if (newest.epoch > this.o.current().epoch) this.o.adopt(newest);
    const addrs = this.addresses(newest);
    const lagging = new Map(
      answers.filter((a) => a.ok && (a.view.map?.epoch ?? 0) < newest.epoch && addrs.has(a.id)).map((a) => [a.id, addrs.get(a.id)!] as [NodeId, string]),
    );
    if (lagging.size === 0) return;
    const failed = await this.installEverywhere(newest, 0, lagging);
    this.o.log.info({ epoch: newest.epoch, told: [...lagging.keys()].filter((id) => !failed.has(id)) }, 'passed the shard map to participants that missed it');
  }

  /** Installs `map` on every member (and every flag-named participant); returns who failed and why. */
  async installEverywhere(map: ShardMap, token: number, targets: ReadonlyMap<NodeId, string> = this.addresses(map)): Promise<Map<NodeId, string>> {
    const failed = new Map<NodeId, string>();
    await Promise.all(
      [...targets].map(async ([id, addr]) => {
        try {
          await installMap(this.host(id, addr), map, token, GET_MAP_MS * 2);
        } catch (e) {
          failed.set(id, (e as Error).message);
        }
      }),
    );
    return failed;
  }

  /**
   * Nothing is re-routed silently: a --participants list that names a participant the map lacks,
   * or lacks one the map has, stops the coordinator with what differs and the command that
   * changes membership.
   */
  private checkFlags(map: ShardMap): void {
    const inMap = new Set(map.members.map((m) => m.id));
    const extra = [...this.o.flags.keys()].filter((id) => !inMap.has(id));
    const missing = map.members.filter((m) => !this.o.flags.has(m.id));
    const problems: string[] = [];
    const load = loadOf(map);
    if (extra.length > 0) {
      problems.push(
        `--participants names ${extra.join(', ')}, which the shard map (epoch ${map.epoch}) does not have: add a participant with \`dtx cluster add-participant ${extra[0]}=${this.o.flags.get(extra[0]!)}\` (it moves shards to it) rather than by listing it`,
      );
    }
    if (missing.length > 0) {
      problems.push(
        `the shard map (epoch ${map.epoch}) has ${missing.map((m) => `${m.id}=${m.addr} (${load.get(m.id) ?? 0} shards)`).join(', ')}, which --participants does not list: list it, or remove it with \`dtx cluster remove-participant ${missing[0]!.id}\` (it moves its shards off first)`,
      );
    }
    if (problems.length > 0) throw new ShardMapConflict(problems.join('; '));
  }
}

/** The newest valid map among the answers (null: none has one). */
export function newestMap(answers: readonly HostAnswer[]): ShardMap | null {
  let best: ShardMap | null = null;
  for (const a of answers) if (a.ok && a.view.map && (!best || a.view.map.epoch > best.epoch)) best = a.view.map;
  return best;
}
