import type { KeyWrite, LockRequest, NodeId, OpResult, Outcome, TxnAge, TxnId, AbortCode } from './types.js';

/**
 * What a participant forces before it votes YES: enough to re-take the locks and
 * finish the transaction after a crash without asking anyone but the coordinator.
 */
export interface PrepareRecord {
  txn: TxnId;
  coordinatorId: NodeId;
  coordinatorAddr: string;
  participants: NodeId[];
  age: TxnAge;
  locks: LockRequest[];
  writes: KeyWrite[];
  results: OpResult[];
}

/** A participant's durable memory that a transaction ended (for duplicate messages). */
export interface ParticipantOutcomeRecord {
  txn: TxnId;
  outcome: Outcome;
  results: OpResult[];
  /** The branch only read: it forced nothing, so a duplicate prepare must not be told YES. */
  readOnly?: boolean;
}

/** The coordinator's decision. COMMIT is forced before anyone hears it; ABORT is presumed. */
export interface DecisionRecord {
  txn: TxnId;
  outcome: Outcome;
  participants: NodeId[];
  results: OpResult[];
  reason: string;
  abortCode?: AbortCode;
  /** Fingerprint of the request's ops: a txn id reused with other ops is refused. */
  digest: string;
  decidedAtMs: number;
  /** Every participant voted READ_ONLY: nothing to deliver, nothing to re-drive. */
  readOnly?: boolean;
}

export type ParticipantRecord =
  | { kind: 'prepare'; record: PrepareRecord }
  | { kind: 'commit'; txn: TxnId; writes: KeyWrite[]; results: OpResult[] }
  | { kind: 'abort'; txn: TxnId; hadPrepare: boolean };

export type CoordinatorRecord =
  | { kind: 'decision'; record: DecisionRecord }
  /** All participants acknowledged: the decision no longer needs re-driving. */
  | { kind: 'end'; txn: TxnId };
