import type { CoordinatorReply } from '../protocol/coordinatorCore.js';
import type { PrepareMessage } from '../protocol/participantTxn.js';
import type { AbortCode, NodeId, OpResult, Outcome, ProtocolName, TxnOp, TxnStateView, Vote } from '../protocol/types.js';
import type { RequestError } from './requestError.js';

/** A node to call: its id (what faults and the simulator route by) and its address. */
export interface NodeRef {
  id: NodeId;
  addr: string;
}

/** What a coordinator answers a participant that asks for a transaction's outcome. */
export interface OutcomeAnswer {
  outcome: Outcome | 'PENDING';
  /** PENDING: true while it runs the transaction; false when the participants must settle it. */
  inProgress: boolean;
  reason: string;
  code?: AbortCode;
  results: OpResult[];
  participants: NodeId[];
  /** Named by a coordinator that does not own the transaction. */
  owner?: NodeId;
}

/** A client's transaction passed on to the coordinator that owns its id. */
export interface ForwardedTransact {
  txn: string;
  ops: TxnOp[];
  protocol: ProtocolName;
  timeoutMs: number;
  firstAttemptMs: number;
  /** The forwarding coordinator's traceparent of it: the owner's span is its child. */
  trace?: string;
}

/** What a participant answers about a transaction (recovery, termination, resolution). */
export interface TxnStateAnswer {
  state: TxnStateView;
  protocol: ProtocolName | null;
  participants: NodeId[];
  results: OpResult[];
  recovered: boolean;
}

/**
 * The calls nodes make to each other, in domain types. The node transport turns them into
 * dtx.v1 gRPC calls (prepares and decisions to a participant ride its Exchange stream); the
 * simulator delivers them to the other node's runtime.
 */
export interface PeerCalls {
  prepare: { req: PrepareMessage; res: Vote };
  commit: { req: { txn: string }; res: { known: boolean } };
  abort: { req: { txn: string }; res: { known: boolean } };
  release: { req: { txn: string }; res: { known: boolean } };
  precommit: { req: { txn: string }; res: { ok: boolean } };
  txnState: { req: { txn: string; abortIfUnvoted: boolean; bornMs?: number }; res: TxnStateAnswer };
  /**
   * A participant asks the coordinator that prepared a transaction (GetTransaction); a
   * coordinator (forwarded) asks the one that owns it for a client.
   */
  outcome: { req: { txn: string; forwarded?: boolean; bornMs?: number }; res: OutcomeAnswer };
  /** A coordinator passes a client's Transact on to the owner of its id; a refusal comes back as `rejected`. */
  transact: { req: ForwardedTransact; res: CoordinatorReply };
  /** A participant asks a peer below which birth it holds nothing live (PeerHorizon: retention). */
  horizon: { req: Record<string, never>; res: { horizonMs: number } };
}

export type PeerMethod = keyof PeerCalls;

/** Why a call brought no answer, as far as the caller can tell. */
export type CallFailure =
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  /** The peer refused the request as malformed (not a vote: its ops were invalid). */
  | 'INVALID_ARGUMENT'
  /** The peer is overloaded or refused for another reason; retrying later may help. */
  | 'REFUSED';

export type CallResult<T> = { ok: true; value: T } | { ok: false; failure: CallFailure; message: string };

export interface CallOptions {
  deadlineMs: number;
  /** Wait (until the deadline) for a peer that is down or restarting instead of failing at once. */
  waitForReady: boolean;
}

export interface Transport {
  /** One call; `done` runs exactly once, with the answer or why there is none. */
  call<M extends PeerMethod>(to: NodeRef, method: M, req: PeerCalls[M]['req'], opts: CallOptions, done: (r: CallResult<PeerCalls[M]['res']>) => void): void;
  close(): void;
}

/** What a node serves to its peers: each handler answers through `respond`, once, or refuses. */
export type PeerHandlers<M extends PeerMethod> = {
  [K in M]: (req: PeerCalls[K]['req'], respond: (res: PeerCalls[K]['res'] | RequestError) => void) => void;
};
