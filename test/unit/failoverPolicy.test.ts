import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { failoverLimits, isFailover, MIN_ATTEMPT_MS, nextStep, rerunUnderNewId, type AbortedRun, type FailedAttempt } from '../../src/client/failoverPolicy.js';

const S = grpc.status;

describe('isFailover: which failures move to another coordinator', () => {
  it('retries UNAVAILABLE in every scope (the coordinator was not reached)', () => {
    expect(isFailover(S.UNAVAILABLE, 'No connection established', 'idempotent')).toBe(true);
    expect(isFailover(S.UNAVAILABLE, 'No connection established', 'unreached')).toBe(true);
  });

  it('retries a call that broke with its outcome unknown only when repeating it is idempotent', () => {
    for (const [code, details] of [
      [S.DEADLINE_EXCEEDED, 'Deadline exceeded'],
      [S.INTERNAL, 'Received RST_STREAM with code 2 triggered by internal client error'],
      [S.UNKNOWN, 'read ECONNRESET'],
      [S.CANCELLED, 'Connection dropped'],
    ] as const) {
      expect(isFailover(code, details, 'idempotent'), `${code} ${details}`).toBe(true);
      expect(isFailover(code, details, 'unreached'), `${code} ${details}`).toBe(false);
    }
  });

  it('never retries an answer another coordinator would repeat', () => {
    for (const code of [
      S.INVALID_ARGUMENT,
      S.FAILED_PRECONDITION,
      S.PERMISSION_DENIED,
      S.UNAUTHENTICATED,
      S.RESOURCE_EXHAUSTED,
      S.ABORTED,
      S.NOT_FOUND,
      S.ALREADY_EXISTS,
      S.UNIMPLEMENTED,
      S.OUT_OF_RANGE,
      S.DATA_LOSS,
    ]) {
      expect(isFailover(code, 'Connection dropped', 'idempotent'), String(code)).toBe(false);
      expect(isFailover(code, 'x', 'unreached'), String(code)).toBe(false);
    }
    // INTERNAL or UNKNOWN from a coordinator's handler (not a reset) is an answer too.
    expect(isFailover(S.INTERNAL, 'invariant broken', 'idempotent')).toBe(false);
    expect(isFailover(S.CANCELLED, 'Cancelled on client', 'idempotent')).toBe(false);
  });
});

describe('failoverLimits', () => {
  it('one address: one attempt, as a single-coordinator client always made', () => {
    expect(failoverLimits(1, 15_000)).toEqual({ maxAttempts: 1, maxTotalMs: 15_000 });
    expect(failoverLimits(1, 15_000, true)).toEqual({ maxAttempts: 1, maxTotalMs: 15_000 });
  });

  it('several: each address twice, at most 8 attempts, within twice one attempt', () => {
    expect(failoverLimits(2, 15_000)).toEqual({ maxAttempts: 4, maxTotalMs: 30_000 });
    expect(failoverLimits(3, 1000)).toEqual({ maxAttempts: 6, maxTotalMs: 2000 });
    expect(failoverLimits(9, 1000)).toEqual({ maxAttempts: 8, maxTotalMs: 2000 });
  });

  it('several with waitForReady: rounds until one attempt’s deadline, bounded by time only', () => {
    const l = failoverLimits(2, 5000, true);
    expect(l.maxTotalMs).toBe(5000);
    expect(l.maxAttempts).toBeGreaterThan(1000);
  });
});

describe('nextStep', () => {
  const base = (over: Partial<FailedAttempt> = {}): FailedAttempt => ({
    code: S.UNAVAILABLE,
    details: 'No connection established',
    scope: 'idempotent',
    attempts: 1,
    elapsedMs: 5,
    addresses: 2,
    attemptTimeoutMs: 1000,
    limits: failoverLimits(2, 1000),
    ...over,
  });
  const half = () => 0.5;

  it('moves to the next address of the round at once, with a full attempt timeout', () => {
    expect(nextStep(base(), half)).toEqual({ retry: true, delayMs: 0, timeoutMs: 1000 });
  });

  it('backs off (jittered, doubling to 500 ms) before another round', () => {
    expect(nextStep(base({ attempts: 2 }), half)).toEqual({ retry: true, delayMs: 38, timeoutMs: 1000 });
    expect(nextStep(base({ attempts: 2 }), () => 0)).toMatchObject({ delayMs: 25 });
    expect(nextStep(base({ attempts: 2 }), () => 1)).toMatchObject({ delayMs: 50 });
    const many = { addresses: 2, limits: { maxAttempts: 100, maxTotalMs: 60_000 } };
    expect(nextStep(base({ ...many, attempts: 4 }), () => 1)).toMatchObject({ delayMs: 100 });
    expect(nextStep(base({ ...many, attempts: 40 }), () => 1)).toMatchObject({ delayMs: 500 });
  });

  it('stops at the attempt bound', () => {
    expect(nextStep(base({ attempts: 3 }), half).retry).toBe(true);
    expect(nextStep(base({ attempts: 4 }), half)).toEqual({ retry: false });
  });

  it('stops at the time bound, and gives a late retry only the time left', () => {
    expect(nextStep(base({ elapsedMs: 1500 }), half)).toEqual({ retry: true, delayMs: 0, timeoutMs: 500 });
    expect(nextStep(base({ elapsedMs: 2000 - MIN_ATTEMPT_MS + 1 }), half)).toEqual({ retry: false });
    expect(nextStep(base({ attempts: 2, elapsedMs: 1900 }), half)).toEqual({ retry: false }); // the backoff would eat the rest
  });

  it('never retries with one address, nor a failure that is an answer', () => {
    expect(nextStep(base({ addresses: 1, limits: failoverLimits(1, 1000) }), half)).toEqual({ retry: false });
    expect(nextStep(base({ code: S.INVALID_ARGUMENT, details: 'op 0: empty key' }), half)).toEqual({ retry: false });
    expect(nextStep(base({ code: S.DEADLINE_EXCEEDED, scope: 'unreached' }), half)).toEqual({ retry: false });
  });
});

describe('rerunUnderNewId: a client-made id whose owner was down', () => {
  const run = (over: Partial<AbortedRun> = {}): AbortedRun => ({ abortCode: 'PRESUMED', reruns: 0, addresses: 2, elapsedMs: 10, budgetMs: 15_000, ...over });

  it('re-runs a certain abort by the participants (PRESUMED) under a new id', () => {
    expect(rerunUnderNewId(run())).toBe(true);
    expect(rerunUnderNewId(run({ reruns: 15 }))).toBe(true);
  });

  it('is bounded in count and by the call deadline', () => {
    expect(rerunUnderNewId(run({ reruns: 16 }))).toBe(false);
    expect(rerunUnderNewId(run({ elapsedMs: 15_000 }))).toBe(false);
  });

  it('never for another abort (a conflict, a bound, a participant down, a timeout), nor with one address', () => {
    for (const abortCode of ['CONFLICT', 'PRECONDITION_FAILED', 'UNAVAILABLE_PARTICIPANT', 'TIMED_OUT', undefined]) {
      expect(rerunUnderNewId(run({ abortCode })), String(abortCode)).toBe(false);
    }
    expect(rerunUnderNewId(run({ addresses: 1 }))).toBe(false);
  });
});
