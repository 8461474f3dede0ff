import { LIMITS } from './limits.js';
import type { AbortCode, Fence, FenceCheck, KeyWrite, LockRequest, OpResult, StoredValue, TxnOp } from './types.js';

/** A malformed request: the caller's fault, never retried (INVALID_ARGUMENT). */
export class InvalidRequest extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRequest';
  }
}

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

function checkInt64(n: bigint, what: string): void {
  if (n < LIMITS.minInt64 || n > LIMITS.maxInt64) {
    throw new InvalidRequest(`${what} ${n} is outside the signed 64-bit range`);
  }
}

/**
 * Fencing (issue 6). A participant keeps, per lock, the highest fencing token it has seen
 * in a reserved key `f!<lock>` (value: the token in decimal). An op with a fence locks that
 * key exclusively (so fenced transactions on one lock serialize), reads it with the data at
 * prepare, is refused if its token is lower, and otherwise raises it as one more write of
 * the prepare, so the high-water mark becomes durable in the same commit batch as the data.
 */
export const FENCE_PREFIX = 'f!';
export const MAX_LOCK_NAME_BYTES = 256;

export function fenceKey(lock: string): string {
  return `${FENCE_PREFIX}${lock}`;
}

/** Static validation of a transaction's ops: everything that can be judged without data. */
export function validateOps(ops: readonly TxnOp[]): void {
  if (ops.length === 0) throw new InvalidRequest('a transaction needs at least one op');
  if (ops.length > LIMITS.maxOpsPerTxn) {
    throw new InvalidRequest(`too many ops: ${ops.length} (the limit is ${LIMITS.maxOpsPerTxn})`);
  }
  let bytes = 0;
  ops.forEach((op, i) => {
    if (op.key.length === 0) throw new InvalidRequest(`op ${i}: empty key`);
    const keyBytes = byteLength(op.key);
    if (keyBytes > LIMITS.maxKeyBytes) {
      throw new InvalidRequest(`op ${i}: key longer than ${LIMITS.maxKeyBytes} bytes`);
    }
    bytes += keyBytes;
    if (isWrite(op) && op.key.startsWith(FENCE_PREFIX)) {
      throw new InvalidRequest(`op ${i} (${op.key}): keys starting with ${FENCE_PREFIX} hold fencing tokens and cannot be written`);
    }
    if (op.fence) {
      const lock = op.fence.lock;
      if (lock.length === 0 || byteLength(lock) > MAX_LOCK_NAME_BYTES) {
        throw new InvalidRequest(`op ${i} (${op.key}): fence lock name must be 1..${MAX_LOCK_NAME_BYTES} bytes`);
      }
      if (op.fence.token < 0n || op.fence.token > LIMITS.maxInt64) {
        throw new InvalidRequest(`op ${i} (${op.key}): fence token ${op.fence.token} is out of range`);
      }
      if (op.fence.proof !== undefined && op.fence.proof.length > 128) throw new InvalidRequest(`op ${i} (${op.key}): fence proof longer than 128 characters`);
    }
    switch (op.type) {
      case 'put': {
        const valueBytes = byteLength(op.value);
        if (valueBytes > LIMITS.maxValueBytes) {
          throw new InvalidRequest(`op ${i} (${op.key}): value longer than ${LIMITS.maxValueBytes} bytes`);
        }
        bytes += valueBytes;
        break;
      }
      case 'add':
        checkInt64(op.delta, `op ${i} (${op.key}): delta`);
        if (op.min !== undefined) checkInt64(op.min, `op ${i} (${op.key}): min`);
        if (op.max !== undefined) checkInt64(op.max, `op ${i} (${op.key}): max`);
        if (op.min !== undefined && op.max !== undefined && op.min > op.max) {
          throw new InvalidRequest(`op ${i} (${op.key}): min ${op.min} is above max ${op.max}`);
        }
        break;
      case 'check':
        if (op.expect.kind === 'version' && (!Number.isSafeInteger(op.expect.version) || op.expect.version < 0)) {
          throw new InvalidRequest(`op ${i} (${op.key}): expected version must be a non-negative integer`);
        }
        break;
      case 'delete':
      case 'get':
        break;
    }
  });
  if (bytes > LIMITS.maxTxnBytes) {
    throw new InvalidRequest(`transaction too large: its keys and values are ${bytes} bytes (the limit, maxTxnBytes, is ${LIMITS.maxTxnBytes})`);
  }
}

export function isWrite(op: TxnOp): boolean {
  return op.type === 'put' || op.type === 'delete' || op.type === 'add';
}

/** One lock per key: exclusive if any op writes it, shared otherwise. Sorted for determinism. */
export function lockSet(ops: readonly TxnOp[]): LockRequest[] {
  const modes = new Map<string, 'S' | 'X'>();
  for (const op of ops) {
    if (isWrite(op)) modes.set(op.key, 'X');
    else if (!modes.has(op.key)) modes.set(op.key, 'S');
    if (op.fence) modes.set(fenceKey(op.fence.lock), 'X'); // the high-water mark may be raised
  }
  return [...modes.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, mode]) => ({ key, mode }));
}

const INTEGER = /^-?(0|[1-9][0-9]*)$/;

export type Evaluation = { ok: true; writes: KeyWrite[]; results: OpResult[] } | { ok: false; reason: string; code: AbortCode };

/** Why a check op fails against the key's current state, or null if it holds. */
function checkFailure(op: Extract<TxnOp, { type: 'check' }>, before: StoredValue): string | null {
  const e = op.expect;
  const found = before.value !== null;
  if (e.kind === 'version' && before.version !== e.version && !(e.version === 0 && !found)) {
    return `check failed on key ${op.key}: version is ${before.version}, expected ${e.version}`;
  }
  if (e.kind === 'value' && before.value !== e.value) return `check failed on key ${op.key}: value differs from the expected one`;
  if (e.kind === 'exists' && found !== e.exists) return `check failed on key ${op.key}: key ${found ? 'exists' : 'does not exist'}`;
  return null;
}

/** The new value of an add op, or why it cannot apply (not an integer, a bound crossed, an overflow). */
function addResult(op: Extract<TxnOp, { type: 'add' }>, before: StoredValue): { next: bigint } | { reason: string } {
  const raw = before.value ?? '0';
  if (!INTEGER.test(raw)) return { reason: `add on key ${op.key}: the stored value is not an integer` };
  const old = BigInt(raw);
  const next = old + op.delta;
  if (op.min !== undefined && next < op.min) return { reason: `add on key ${op.key}: ${old} + ${op.delta} = ${next} is below the minimum ${op.min}` };
  if (op.max !== undefined && next > op.max) return { reason: `add on key ${op.key}: ${old} + ${op.delta} = ${next} is above the maximum ${op.max}` };
  if (next < LIMITS.minInt64 || next > LIMITS.maxInt64) return { reason: `add on key ${op.key}: ${old} + ${op.delta} overflows a signed 64-bit integer` };
  return { next };
}

/**
 * Fencing: refuse a token older than the newest this participant has seen for the lock; a newer
 * one raises the high-water mark (returned, to be written with the data).
 */
function fenceResult(op: TxnOp & { fence: Fence }, seenRaw: string, check: FenceCheck | null): { raise: bigint | null } | { reason: string } {
  const { lock, token } = op.fence;
  if (check !== null && !check(op.fence)) {
    return {
      reason: `fenced ${op.type} on key ${op.key} rejected: lock ${lock} token ${token} was not issued by this cluster's lock service (its proof does not match)`,
    };
  }
  if (!INTEGER.test(seenRaw)) return { reason: `fence of lock ${lock}: the stored high-water mark is not an integer` };
  const seen = BigInt(seenRaw);
  if (token < seen) return { reason: `fenced ${op.type} on key ${op.key} rejected: lock ${lock} token ${token} is older than token ${seen} already seen` };
  return { raise: token > seen ? token : null };
}

/**
 * Runs the ops in order against the stored values of their keys (read under the
 * transaction's locks). Later ops of the same transaction see earlier ones.
 * Produces the writes to stage, or the reason to vote NO, naming the key.
 */
export function evaluateOps(ops: readonly TxnOp[], stored: ReadonlyMap<string, StoredValue>, fenceCheck: FenceCheck | null = null): Evaluation {
  const current = new Map<string, StoredValue>();
  const read = (key: string): StoredValue => current.get(key) ?? stored.get(key) ?? { value: null, version: 0 };
  const written = new Set<string>();
  const write = (key: string, value: string | null): number => {
    const version = (stored.get(key) ?? { version: 0 }).version + 1;
    current.set(key, { value, version });
    written.add(key);
    return version;
  };
  const results: OpResult[] = [];
  const fail = (reason: string): Evaluation => ({ ok: false, reason, code: 'PRECONDITION_FAILED' });

  for (const op of ops) {
    if (op.fence) {
      const fenced = fenceResult({ ...op, fence: op.fence }, read(fenceKey(op.fence.lock)).value ?? '0', fenceCheck);
      if ('reason' in fenced) return fail(fenced.reason);
      if (fenced.raise !== null) write(fenceKey(op.fence.lock), fenced.raise.toString());
    }
    const before = read(op.key);
    const found = before.value !== null;
    switch (op.type) {
      case 'check': {
        const why = checkFailure(op, before);
        if (why) return fail(why);
        results.push({ key: op.key, found, value: before.value ?? '', version: before.version });
        break;
      }
      case 'get':
        results.push({ key: op.key, found, value: before.value ?? '', version: before.version });
        break;
      case 'put':
      case 'delete': {
        const value = op.type === 'put' ? op.value : null;
        results.push({ key: op.key, found, value: value ?? '', version: write(op.key, value) });
        break;
      }
      case 'add': {
        const added = addResult(op, before);
        if ('reason' in added) return fail(added.reason);
        results.push({ key: op.key, found, value: added.next.toString(), version: write(op.key, added.next.toString()) });
        break;
      }
    }
  }
  const writes = [...written].sort().map((key) => {
    const v = current.get(key)!;
    return { key, value: v.value, version: v.version };
  });
  return { ok: true, writes, results };
}
