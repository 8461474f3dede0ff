import type { GrpcTransport } from '../rpc/grpcTransport.js';
import type { CoordinatorRuntime } from '../runtime/coordinatorRuntime.js';
import type { LockRuntime } from '../runtime/lockRuntime.js';
import type { ParticipantRuntime } from '../runtime/participantRuntime.js';
import type { RetentionLoop } from '../runtime/retentionLoop.js';
import type { NodeMetrics } from './nodeMetrics.js';
import type { LockRouter } from './services/lockRouter.js';
import { transactStreamGauges } from './services/transactStreamServer.js';
import type { ShardMover } from './shardMover.js';

const entries = (o: Readonly<Record<string, number>>): ReadonlyMap<string, number> => new Map(Object.entries(o));

/**
 * The in-doubt gauges, computed when scraped: how many, and how long the oldest has been in doubt
 * since a scrape first saw it (so to within one scrape interval; nothing is kept per transaction
 * between scrapes, and the transactions on the commit path, in doubt for milliseconds, cost nothing).
 */
export function inDoubtGauges(m: NodeMetrics, inDoubt: () => readonly string[], what: string, clock: () => number = () => performance.now()): void {
  let firstSeen = new Map<string, number>();
  m.gauge('dtx_in_doubt', what, () => inDoubt().length);
  m.gauge('dtx_in_doubt_oldest_seconds', 'How long the oldest in-doubt transaction has been in doubt, as seen by scrapes (0: none)', () => {
    const now = clock();
    const seen = new Map<string, number>();
    let oldest = 0;
    for (const txn of inDoubt()) {
      const since = firstSeen.get(txn) ?? now;
      seen.set(txn, since);
      oldest = Math.max(oldest, now - since);
    }
    firstSeen = seen;
    return oldest / 1000;
  });
}

/** What a node's retention collector did (nothing registered when retention is off). */
function retentionMetrics(m: NodeMetrics, loop: RetentionLoop | null): void {
  if (!loop) return;
  m.counterFrom(
    'dtx_retention_records_collected_total',
    'Finished records (decisions, outcomes, tombstones) collected after the retention window',
    () => loop.stats.collected,
  );
  m.gauge(
    'dtx_retention_collected_up_to_seconds',
    'Records of transactions born before this time (unix seconds) may be collected here',
    () => loop.stats.mark / 1000,
  );
}

/** A coordinator's metrics read when scraped (what its runtime reports per transaction is set up by NodeMetrics.coordinatorSink). */
export function coordinatorMetrics(m: NodeMetrics, o: { runtime: CoordinatorRuntime; locks: LockRouter; transport: GrpcTransport; mover: ShardMover }): void {
  const { runtime, locks, transport, mover } = o;
  const core = runtime.core;
  inDoubtGauges(m, () => core.inDoubt(), 'Transactions decided COMMIT whose decision is not yet acknowledged by every participant');
  m.gauge('dtx_active_transactions', 'Transactions this node holds in memory (running, deciding or delivering)', () => core.activeTxns);
  m.countersFrom('dtx_core_events_total', "The protocol core's counters (as in Admin.Status), by event", 'event', () => entries(core.counters));
  m.gauge(
    'dtx_stream_queue_depth',
    'Transactions held by open TransactStreams (running, or answered but not yet read by the client)',
    () => transactStreamGauges.held,
  );
  m.gauge('dtx_transact_streams', 'Open TransactStreams', () => transactStreamGauges.streams);
  m.gauge('dtx_transact_streams_paused', 'TransactStreams not read because they hold their maximum', () => transactStreamGauges.paused);
  m.gaugeBy('dtx_exchange_in_flight', "Transactions waiting for a vote or an ack on each participant's Exchange stream", 'participant', () =>
    transport.exchangeInFlight(),
  );
  m.counterFrom('dtx_lock_calls_routed_total', 'Lock service calls passed on to the participant that holds the lock', () => locks.counters.lockCallsRouted);
  m.counterFrom(
    'dtx_lock_home_unreachable_total',
    "Lock service calls whose lock's participant could not be reached",
    () => locks.counters.lockHomeUnreachable,
  );
  m.gauge('dtx_shard_map_epoch', 'Epoch of the shard map this node routes by', () => core.shardMap.epoch);
  m.counterFrom('dtx_shard_move_steps_total', 'Shard move steps this coordinator completed', () => mover.counters.steps);
  m.counterFrom('dtx_shards_moved_total', 'Shards moved by the steps this coordinator completed', () => mover.counters.shards);
  m.counterFrom('dtx_shard_keys_moved_total', 'Keys copied by the steps this coordinator completed', () => mover.counters.keys);
  m.counterFrom('dtx_shard_move_rollbacks_total', 'Shard move steps this coordinator rolled back', () => mover.counters.rolledBack);
  retentionMetrics(m, runtime.retention);
}

/** A participant's metrics read when scraped (its lock waits are timed by NodeMetrics.participantSink). */
export function participantMetrics(m: NodeMetrics, o: { runtime: ParticipantRuntime; locks: LockRuntime }): void {
  const { runtime, locks } = o;
  const core = runtime.core;
  retentionMetrics(m, runtime.retention);
  inDoubtGauges(m, () => core.inDoubt(), 'Transactions that voted YES and wait for their decision');
  m.gauge('dtx_active_transactions', 'Transactions this node holds in memory', () => core.activeTxns);
  m.gauge('dtx_locked_keys', 'Keys locked by transactions (shared or exclusive)', () => core.lockedKeys);
  m.gauge('dtx_lock_waiters', 'Prepares queued for key locks now', () => core.lockWaiters);
  m.counterFrom('dtx_lock_waits_total', 'Prepares that queued for a key lock', () => core.counters.lockWaits);
  m.counterFrom(
    'dtx_lock_dies_total',
    'Prepares that died under wait-die (a younger transaction met an older holder): voted NO, CONFLICT',
    () => core.counters.lockDies,
  );
  m.countersFrom('dtx_core_events_total', "The protocol core's counters (as in Admin.Status), by event", 'event', () => entries(core.counters));
  const lease = locks.core.counters;
  m.counterFrom('dtx_lease_grants_total', 'Leases of the lock service granted here', () => lease.grants);
  m.counterFrom('dtx_lease_expired_total', 'Leases that expired without a release (a holder that died or lost contact)', () => lease.expiries);
  m.counterFrom('dtx_lease_wait_timeouts_total', 'Acquire calls that gave up waiting for a lease', () => lease.waitTimeouts);
  m.gauge('dtx_leases_held', 'Leases of the lock service held now', () => locks.core.heldCount);
}
