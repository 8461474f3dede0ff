import type { KeyWrite, LockRequest, NodeId, OpResult, Outcome, ProtocolName, TxnAge, TxnId, AbortCode } from './types.js';

/**
 * What a participant forces before it votes YES: enough to re-take the locks and
 * finish the transaction after a crash without asking anyone but the coordinator.
 */
export interface PrepareRecord {
  txn: TxnId;
  coordinatorId: NodeId;
  coordinatorAddr: string;
  participants: NodeId[];
  /** Where each of `participants` listens (same order): peers ask each other during termination. */
  participantAddrs: string[];
  /** Missing in records written before 3pc/nb existed: read as 2pc. */
  protocol?: ProtocolName;
  /** 3pc: the participant reached the pre-committed state (p) and forced it. */
  precommitted?: boolean;
  age: TxnAge;
  /** The transaction's birth (see retention.ts); absent in records written before retention. */
  bornMs?: number;
  locks: LockRequest[];
  writes: KeyWrite[];
  results: OpResult[];
  /** W3C traceparent the prepare came with: a recovered branch's log lines keep their trace id. */
  trace?: string;
}

/** A participant's durable memory that a transaction ended (for duplicate messages). */
export interface ParticipantOutcomeRecord {
  txn: TxnId;
  outcome: Outcome;
  results: OpResult[];
  /** The branch only read: it forced nothing, so a duplicate prepare must not be told YES. */
  readOnly?: boolean;
  /**
   * An aborted branch's data keys (a committed one names them in its results): a shard move
   * copies the records of the transactions that touched its shards. Absent: unknown (copied always).
   */
  keys?: string[];
  /** The transaction's birth (retention.ts): collected once it is older than the window. Absent: kept. */
  bornMs?: number;
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
  /** nb decisions are written unforced (the participants' logs hold the truth). */
  protocol?: ProtocolName;
  /**
   * An operator forced this outcome (dtx txn resolve --heuristic) when no outcome was safe to
   * decide: it may contradict what the owner decided. Who, and why.
   */
  heuristic?: { by: string; note: string };
  /** W3C traceparent of the transaction: a re-driven commit's log lines keep their trace id. */
  trace?: string;
  /** The transaction's birth (retention.ts); absent in older records (decidedAtMs, later, stands in). */
  bornMs?: number;
}

export type ParticipantRecord =
  | { kind: 'prepare'; record: PrepareRecord }
  /** 3pc: the prepare record rewritten with `precommitted: true`. */
  | { kind: 'precommit'; record: PrepareRecord }
  | { kind: 'commit'; txn: TxnId; writes: KeyWrite[]; results: OpResult[]; bornMs?: number }
  | { kind: 'abort'; txn: TxnId; hadPrepare: boolean; keys?: string[]; bornMs?: number };

export type CoordinatorRecord =
  | { kind: 'decision'; record: DecisionRecord }
  /** All participants acknowledged: the decision no longer needs re-driving. */
  | { kind: 'end'; txn: TxnId };
