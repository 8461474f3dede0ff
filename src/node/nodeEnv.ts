import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { FailpointName, RuntimeEnv } from '../runtime/env.js';
import { PROCESS_CLOCK } from '../storage/nodeStore.js';
import type { NodeClock } from './clock.js';
import type { Failpoints } from './failpoints.js';

/** A node process's world as the runtime sees it; `stopping()` silences failures during shutdown. */
export function nodeEnv(o: { log: Logger; clock: NodeClock; failpoints: Failpoints; stopping: () => boolean }): RuntimeEnv {
  let failed = false;
  return {
    clock: o.clock,
    monotonic: PROCESS_CLOCK,
    defer: queueMicrotask,
    fatal: (err, what) => {
      if (o.stopping()) {
        o.log.debug({ err }, `${what} during shutdown`);
        return;
      }
      if (failed) return;
      failed = true;
      // State can no longer be trusted: the process ends and recovers from its log.
      o.log.fatal({ err }, what);
      process.exit(70);
    },
    newId: randomUUID,
    random: Math.random,
    failpoint: (name: FailpointName) => o.failpoints.hit(name),
    // Not a crash: the input came from outside. Logged as an error for an operator (and counted by the core).
    alarm: (txn, what, traceId) => o.log.error(traceId ? { txn, trace: traceId, alarm: true } : { txn, alarm: true }, `refused: ${what}`),
    log: o.log,
  };
}
