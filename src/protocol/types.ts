/**
 * Domain types shared by the protocol cores. They mirror proto/dtx/v1 but are
 * independent of gRPC so that the cores stay pure and the simulator can drive them.
 */

export type TxnId = string;
export type NodeId = string;

export type CheckExpect = { kind: 'version'; version: number } | { kind: 'value'; value: string } | { kind: 'exists'; exists: boolean };

/**
 * A fencing token from the lock service, carried by an op: the participant refuses the
 * op if it has already seen a higher token for this lock (see ops.ts, fenceKey).
 */
export interface Fence {
  lock: string;
  token: bigint;
  /** The lock service's proof that it issued `token` for `lock` (hex HMAC); checked when the cluster has a secret. */
  proof?: string;
}

/** Whether the lock service issued a fence (a pure check with the cluster secret: see rpc/fenceProof.ts). */
export type FenceCheck = (fence: Fence) => boolean;

export type TxnOp = (
  | { type: 'put'; key: string; value: string }
  | { type: 'delete'; key: string }
  | { type: 'add'; key: string; delta: bigint; min?: bigint; max?: bigint }
  | { type: 'get'; key: string }
  | { type: 'check'; key: string; expect: CheckExpect }
) & { fence?: Fence };

export interface OpResult {
  key: string;
  found: boolean;
  value: string;
  version: number;
  /**
   * Participants only: the op's place in the transaction's request, so that a coordinator that
   * never saw the request (it restarted, or does not own the id) can put the results in order.
   */
  index?: number;
  /** With `index`: how many ops the whole transaction has (so a coordinator knows when it has them all). */
  of?: number;
}

/** A key's committed state in a participant's store. A deleted key keeps its version (tombstone). */
export interface StoredValue {
  value: string | null;
  version: number;
}

/** A write staged by prepare and applied by commit. `value: null` deletes. */
export interface KeyWrite {
  key: string;
  value: string | null;
  version: number;
}

export type Outcome = 'COMMITTED' | 'ABORTED';

/** WRONG_SHARD: a participant does not serve a key's shard at its map epoch (the shard moved); nothing was applied. */
export type AbortCode = 'CONFLICT' | 'PRECONDITION_FAILED' | 'UNAVAILABLE_PARTICIPANT' | 'TIMED_OUT' | 'PRESUMED' | 'WRONG_SHARD';

export type Vote = { kind: 'YES'; results: OpResult[] } | { kind: 'READ_ONLY'; results: OpResult[] } | { kind: 'NO'; reason: string; code: AbortCode };

/** 2pc: presumed-abort 2PC; 3pc: Skeen's three-phase commit; nb: Cornus-style log-once votes. */
export type ProtocolName = '2pc' | '3pc' | 'nb';

export const PROTOCOLS = ['2pc', '3pc', 'nb'] as const satisfies readonly ProtocolName[];

/**
 * A participant's state of a transaction as another node sees it (termination and recovery).
 * UNREACHABLE is what the asker records when no answer came. RETIRED: no record, and the id is
 * older than what the participant collected (retention.ts): it may have ended there and been forgotten.
 */
export type TxnStateView = 'UNKNOWN' | 'PREPARING' | 'PREPARED' | 'PRECOMMITTED' | 'READ_ONLY' | 'COMMITTED' | 'ABORTED' | 'RETIRED';

export type PeerState = TxnStateView | 'UNREACHABLE';

export type LockMode = 'S' | 'X';

export interface LockRequest {
  key: string;
  mode: LockMode;
}

/** Transaction age for wait-die: smaller is older; ties broken by id so the order is total. */
export interface TxnAge {
  ms: number;
  id: TxnId;
}

/**
 * How far back a client may date its first attempt: its retries of one transaction within a few
 * timeouts. Older claims count as this old, so no caller can make itself win every conflict.
 */
export const MAX_CLAIMED_AGE_MS = 240_000;

/** The wait-die age of a transaction whose client says it first tried at `firstAttemptMs` (0: now), judged by the coordinator's clock. */
export function claimedAge(firstAttemptMs: number, now: number): number {
  if (!Number.isFinite(firstAttemptMs) || firstAttemptMs <= 0 || firstAttemptMs > now) return now;
  return Math.max(firstAttemptMs, now - MAX_CLAIMED_AGE_MS);
}

export function isOlder(a: TxnAge, b: TxnAge): boolean {
  return a.ms < b.ms || (a.ms === b.ms && a.id < b.id);
}
