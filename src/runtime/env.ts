import type { WriterClock } from '../storage/groupCommit.js';

/** A clock with cancellable wake-ups: real time in a node, simulated time in the simulator. */
export type RuntimeClock = WriterClock;

/** Structured logging as the runtime uses it (a pino logger fits; the simulator traces). */
export interface RuntimeLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Named places where a test may crash a node at an exact protocol step (failpoints.ts). */
export type FailpointName =
  | 'participant.prepare.afterPersist'
  | 'participant.commit.before'
  | 'coordinator.decision.beforePersist'
  | 'coordinator.decision.afterPersist'
  | 'coordinator.commit.beforeSend'
  | 'participant.shards.freeze.after'
  | 'participant.shards.import.opened'
  | 'participant.shards.import.rowsWritten'
  | 'participant.shards.install.before'
  | 'participant.shards.install.written'
  | 'coordinator.move.afterPrecopy'
  | 'coordinator.move.afterFreeze'
  | 'coordinator.move.afterCopy'
  | 'coordinator.move.afterTargetInstall';

/**
 * Everything a runtime gets from the world besides its transport and storage. Nodes plug in
 * real time, microtasks, process exit and random ids; the simulator plugs in its event queue,
 * a node crash and ids from its seed.
 */
export interface RuntimeEnv {
  /** The node's clock: what the protocol cores see as `now` (a node may skew it). */
  clock: RuntimeClock;
  /** A monotonic clock for leases (never skewed). */
  monotonic: RuntimeClock;
  /** Runs `fn` after the current step, before any later I/O completion (a node's microtask). */
  defer(fn: () => void): void;
  /** A contradiction in the node's own state, or a storage failure: the node cannot go on. */
  fatal(err: unknown, what: string): void;
  /** A fresh unique id (server-made transaction ids, lease ids). */
  newId(): string;
  /** A uniform number in [0, 1) (planted bugs that strike at random). */
  random(): number;
  /**
   * Input from another node or a client contradicted this node's state and was refused: nothing
   * was applied, but someone must look (a bug elsewhere, or a forged message).
   */
  alarm(txn: string, what: string, traceId?: string): void;
  /** An armed failpoint crashes the node here. */
  failpoint(name: FailpointName): void;
  log: RuntimeLog;
}
