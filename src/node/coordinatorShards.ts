import type { NodeId } from '../protocol/types.js';
import { call, ClientsByAddress, shardsClient } from '../rpc/clients.js';
import type { DialSecurity } from '../rpc/dial.js';
import type { ShardsClient, ShardsHandlers } from '../rpc/generated/dtx/v1/Shards.js';
import { mapToWire } from '../rpc/shardWire.js';
import type { CoordinatorRuntime } from '../runtime/coordinatorRuntime.js';
import type { NodeContext } from './nodeContext.js';
import type { LockRouter } from './services/lockRouter.js';
import { shardsService } from './services/shardsService.js';
import type { ShardDirectory } from './shardDirectory.js';
import { CommitRate } from './commitRate.js';
import { DEFAULT_PACER, MovePacer } from './movePacer.js';
import { ShardMover, type CoordinatorPeers } from './shardMover.js';

/** The name of the lock whose fencing token orders shard movers. */
export const SHARD_MOVER_LOCK = 'dtx.shards';
/** How often a coordinator looks for participants that missed a map (and for a newer map). */
const MAP_SYNC_MS = 2000;

/**
 * A coordinator's part in changing the shard map: its mover (membership commands run here), the
 * Shards service, and a background pass that hands the newest map to participants that missed it.
 */
export function startShardChanges(o: {
  id: NodeId;
  runtime: CoordinatorRuntime;
  directory: ShardDirectory;
  locks: LockRouter;
  node: NodeContext;
  coordinators: ReadonlyMap<NodeId, string>;
  dial: DialSecurity;
}): { handlers: ShardsHandlers; mover: ShardMover; close(): void } {
  const { runtime: rt, directory, node } = o;
  const peers = coordinatorPeers(o.coordinators, (addr, id) =>
    shardsClient(addr, o.dial, {
      expectNodeId: id,
      interceptors: node.network ? [node.network.interceptor(id)] : [],
      channel: { 'grpc.use_local_subchannel_pool': 1 },
    }),
  );
  const log = node.log.child({ service: 'shards' });
  // The core's own counts of the transactions it committed (read-only ones are counted apart).
  const commits = new CommitRate(() => rt.core.counters.committed + rt.core.counters.readOnly);
  const mover = new ShardMover({
    id: o.id,
    directory,
    local: {
      hold: (moveId, shards, ttlMs) => rt.gate.hold(moveId, shards, ttlMs),
      release: (moveId) => rt.gate.release(moveId),
      undecidedOnShards: (shards) => rt.core.undecidedOnShards(shards),
      adopt: (map) => rt.setShardMap(map),
      current: () => rt.core.shardMap,
    },
    peers,
    log,
    failpoint: (name) => node.env.failpoint(name),
    token: () => o.locks.lease(SHARD_MOVER_LOCK, `coordinator ${o.id}`, 10_000, 30_000),
    pacer: new MovePacer(commits, DEFAULT_PACER),
  });
  const sync = setInterval(() => {
    if (mover.busy) return;
    directory
      .syncLagging()
      .then(() => mover.resolveStuck())
      .catch((e: Error) => log.debug({ err: e.message }, 'shard map sync failed'));
  }, MAP_SYNC_MS);
  sync.unref();
  return {
    handlers: shardsService({ runtime: rt, directory, mover, bug: node.bug }),
    mover,
    close: () => {
      clearInterval(sync);
      commits.close();
      peers.close();
    },
  };
}

/** The other coordinators as a mover asks them: hold (answered once drained) and release with the new map. */
function coordinatorPeers(coordinators: ReadonlyMap<NodeId, string>, make: (addr: string, id: string) => ShardsClient): CoordinatorPeers & { close(): void } {
  const clients = new ClientsByAddress(make);
  const each = <T>(fn: (c: ShardsClient, id: NodeId) => Promise<T>): Promise<PromiseSettledResult<T>[]> =>
    Promise.allSettled([...coordinators].map(([id, addr]) => fn(clients.at(id, addr), id)));
  return {
    async hold(moveId, shards, ttlMs, drainTimeoutMs) {
      const results = await each((c) => call(c.Hold.bind(c), { moveId, shards, ttlMs, drainTimeoutMs }, drainTimeoutMs + 3000));
      return [...coordinators.keys()].filter((_, i) => results[i]!.status === 'rejected');
    },
    async release(moveId, map) {
      await each((c) => call(c.Release.bind(c), { moveId, ...(map ? { map: mapToWire(map) } : {}) }, 3000));
    },
    close: () => clients.closeAll(),
  };
}
