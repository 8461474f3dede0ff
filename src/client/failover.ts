import { performance } from 'node:perf_hooks';
import type { CoordinatorPool } from './coordinatorPool.js';
import { DtxError } from './dtxError.js';
import { isFailover, nextStep, type FailoverLimits, type RetryScope } from './failoverPolicy.js';

export interface FailoverCall {
  scope: RetryScope;
  /** Deadline of one attempt. */
  timeoutMs: number;
  limits: FailoverLimits;
  /** The address to try first (the owner of the call's transaction), when known. */
  first?: number;
}

/**
 * Runs `attempt` on the pool's coordinators in the pool's order until one answers, moving on
 * only when the failure allows it (failoverPolicy) and within the call's limits. A caller with
 * one address gets exactly one attempt and its error unchanged. When every attempt failed,
 * the last error is thrown, naming the addresses tried.
 */
export async function withFailover<C extends { close(): void }, T>(
  pool: CoordinatorPool<C>,
  call: FailoverCall,
  attempt: (client: C, timeoutMs: number) => Promise<T>,
): Promise<T> {
  const order = pool.order(call.first);
  const started = performance.now();
  const tried: string[] = [];
  let timeoutMs = call.timeoutMs;
  for (;;) {
    const index = order[tried.length % order.length]!;
    tried.push(pool.addresses[index]!);
    try {
      const result = await attempt(pool.client(index), timeoutMs);
      pool.markUp(index);
      return result;
    } catch (err) {
      const e = DtxError.from(err);
      const broken = isFailover(e.grpcCode, e.message, call.scope);
      if (broken) pool.markDown(index);
      else pool.markUp(index);
      const step = nextStep({
        code: e.grpcCode,
        details: e.message,
        scope: call.scope,
        attempts: tried.length,
        elapsedMs: performance.now() - started,
        addresses: pool.size,
        attemptTimeoutMs: call.timeoutMs,
        limits: call.limits,
      });
      if (!step.retry)
        throw tried.length > 1 ? new DtxError(e.code, e.grpcCode, `${e.message} (${tried.length} attempts: ${[...new Set(tried)].join(', ')})`) : e;
      pool.failovers++;
      if (step.delayMs > 0) await new Promise((r) => setTimeout(r, step.delayMs));
      timeoutMs = step.timeoutMs;
    }
  }
}
