import * as grpc from '@grpc/grpc-js';

/**
 * Which failed calls a client may repeat on another coordinator.
 *
 * - `idempotent`: repeating cannot apply anything twice — a Transact under a txn id fixed
 *   before the first attempt (the id is an idempotency key and coordinators forward to the
 *   owner), a Read, a GetTransaction, a Status. Retried when the coordinator could not be
 *   reached, and also when the call broke with its outcome unknown (deadline, reset).
 * - `unreached`: repeating could do it twice (a lock Acquire granted before the answer was
 *   lost would leave a second lease): retried only on UNAVAILABLE.
 *
 * Everything else is an answer from a coordinator that was reached, which another one would
 * repeat: INVALID_ARGUMENT, FAILED_PRECONDITION, PERMISSION_DENIED, UNAUTHENTICATED,
 * RESOURCE_EXHAUSTED, ABORTED (a conflict: the caller's retries, under a new id), NOT_FOUND...
 */
export type RetryScope = 'idempotent' | 'unreached';

/** How a connection that died under a call shows up when grpc-js does not call it UNAVAILABLE. */
const RESET = /RST_STREAM|ECONNRESET|EPIPE|Connection dropped|socket hang up/i;

/** Whether a call that failed with this status may be tried again on another coordinator. */
export function isFailover(code: grpc.status, details: string, scope: RetryScope): boolean {
  if (code === grpc.status.UNAVAILABLE) return true;
  if (scope === 'unreached') return false;
  if (code === grpc.status.DEADLINE_EXCEEDED) return true;
  return (code === grpc.status.INTERNAL || code === grpc.status.UNKNOWN || code === grpc.status.CANCELLED) && RESET.test(details);
}

export interface FailoverLimits {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** No attempt starts, or runs, later than this after the first one started. */
  maxTotalMs: number;
}

/** Every address twice (a coordinator restarting in between gets a second chance), at most this many attempts. */
const MAX_ATTEMPTS = 8;
/** An attempt with less time than this left is not worth starting. */
export const MIN_ATTEMPT_MS = 100;

/**
 * The bounds of one call over `addresses` coordinators, each attempt allowed `attemptTimeoutMs`.
 * One address: one attempt, exactly as a client of one coordinator always did. Several: each
 * address twice, within twice one attempt's time. With `waitForReady` (wait for a coordinator
 * that is restarting) the rounds go on until one attempt's time is up, as the single-address
 * call waits until its deadline.
 */
export function failoverLimits(addresses: number, attemptTimeoutMs: number, waitForReady = false): FailoverLimits {
  if (addresses <= 1) return { maxAttempts: 1, maxTotalMs: attemptTimeoutMs };
  if (waitForReady) return { maxAttempts: Number.MAX_SAFE_INTEGER, maxTotalMs: attemptTimeoutMs };
  return { maxAttempts: Math.min(2 * addresses, MAX_ATTEMPTS), maxTotalMs: 2 * attemptTimeoutMs };
}

export interface FailedAttempt {
  code: grpc.status;
  details: string;
  scope: RetryScope;
  /** Attempts made so far, the failed one included. */
  attempts: number;
  /** Since the first attempt started. */
  elapsedMs: number;
  addresses: number;
  attemptTimeoutMs: number;
  limits: FailoverLimits;
}

export type FailoverStep = { retry: false } | { retry: true; delayMs: number; timeoutMs: number };

const STOP: FailoverStep = { retry: false };

/**
 * What to do after a failed attempt: give up, or try the next address after `delayMs` with a
 * deadline of `timeoutMs`. The next address in the same round is tried at once (the failed one
 * is down, the next one probably not); a new round — every address failed — starts after a
 * jittered backoff (50 ms doubling to 500 ms), since the coordinators may be restarting.
 */
export function nextStep(f: FailedAttempt, random: () => number = Math.random): FailoverStep {
  if (!isFailover(f.code, f.details, f.scope) || f.attempts >= f.limits.maxAttempts || f.addresses <= 1) return STOP;
  const round = Math.floor(f.attempts / f.addresses);
  const delayMs = f.attempts % f.addresses === 0 ? Math.round(Math.min(50 * 2 ** (round - 1), 500) * (0.5 + random() / 2)) : 0;
  const left = f.limits.maxTotalMs - f.elapsedMs - delayMs;
  if (left < MIN_ATTEMPT_MS) return STOP;
  return { retry: true, delayMs, timeoutMs: Math.min(f.attemptTimeoutMs, left) };
}

export interface AbortedRun {
  /** The abort code of the ABORTED answer. */
  abortCode: string | undefined;
  /** Runs of these ops under new ids so far. */
  reruns: number;
  addresses: number;
  /** Since the first run started. */
  elapsedMs: number;
  /** One call's deadline: no new run starts after it. */
  budgetMs: number;
}

/**
 * New ids tried at most, per transaction, when its owner is down. The client cannot tell which
 * coordinator owns an id (it does not know their ids), so a new id escapes a dead owner by
 * chance: with 1 of 2 coordinators down, all 16 miss with probability 2^-17.
 */
const MAX_RERUNS = 16;

/**
 * Whether to run a transaction's ops again under a new id after its id, made by this client,
 * came back ABORTED with code PRESUMED. Every id has one owning coordinator, picked by hashing
 * the id (src/protocol/ownership.ts); when the owner cannot be reached, the coordinator asked
 * settles the id with the participants and, none having voted, the abort is certain and
 * durable: the ops were applied nowhere, and a new id, most likely owned by a coordinator that
 * is up, runs them once. Likewise after WRONG_SHARD: a participant refused a key whose shard
 * had moved, nothing was applied, and the coordinator has refreshed its map. Bounded in count
 * and by one call's deadline. Never for a caller's own id (the caller checks): its outcome is final.
 */
export function rerunUnderNewId(r: AbortedRun): boolean {
  const rerunnable = (r.addresses > 1 && r.abortCode === 'PRESUMED') || r.abortCode === 'WRONG_SHARD';
  return rerunnable && r.reruns < MAX_RERUNS && r.elapsedMs < r.budgetMs;
}
