import type { CommitProtocol } from './commitProtocol.js';
import { invariant } from './invariant.js';
import { phaseMoves } from './phaseMoves.js';
import type { ReplyTo } from './participantTxn.js';
import type { DecisionRecord } from './records.js';
import type { AbortCode, NodeId, OpResult, PeerState, ProtocolName, TxnAge, TxnId, TxnOp, Vote } from './types.js';

export interface TransactMessage {
  txn: TxnId;
  /**
   * The caller chose the id (an idempotency key it may retry with): look it up before
   * running, and force an abort before telling it, so that a retry after a coordinator
   * crash cannot run it again. A fresh server-made id needs neither.
   */
  clientId: boolean;
  ops: TxnOp[];
  age: TxnAge;
  /**
   * When the id first ran (retention.ts): the caller's first attempt for an id it chose, unclamped
   * (age.ms is clamped for wait-die), else now. Absent: unknown (never refused, records kept).
   */
  bornMs?: number;
  timeoutMs: number;
  /** Fingerprint of the ops, so a reused txn id with other ops can be refused. */
  digest: string;
  protocol: ProtocolName;
  /** Sent on by a coordinator that does not own the id: never forwarded again. */
  forwarded?: boolean;
  /** W3C traceparent that the participants get (this coordinator's span of it): data, carried along. */
  trace?: string;
}

/** A participant's answer to a state query (after it aborted if it had not voted). */
export interface StateAnswer {
  state: PeerState;
  protocol: ProtocolName | null;
  participants: NodeId[];
  /** A prepared branch's results (what its YES would have carried). */
  results: OpResult[];
}

/** One participant's part of a transaction. */
export interface Branch {
  ops: TxnOp[];
  /** Index in the request of each of this branch's ops, to put results back in order. */
  opIndex: number[];
  vote?: Vote;
  acked: boolean;
  precommitted?: boolean;
}

/** Asking participants for their states: the answers so far and who has yet to answer. */
export interface StateRound {
  answers: Map<NodeId, StateAnswer>;
  awaiting: Set<NodeId>;
}

/**
 * A coordinator transaction's phase with the data that exists only in it:
 * forwarding — another coordinator owns the id: the request (or question) went to it;
 * lookup — a client-chosen id (or a query) is looked up in the decision log;
 * probing — a retried id with no record: its participants are asked (nothing aborted) first;
 * resolving — a query for an id with no record, or one whose owner cannot be reached: every
 *   participant is asked (each aborts if unvoted);
 * tombstoning — resolved as aborted: the tombstone that fences the id is being forced;
 * preparing — votes being gathered; confirming — every vote is in and the read-only branches
 *   confirm that they still hold their read locks (2pc, several participants);
 * precommitting — 3pc, waiting for PreCommit acks; terminating — nb, a vote missing: every
 *   silent log is asked to hold ABORT; aborting — a forced abort (client-chosen id) being written;
 * deciding — the COMMIT being forced; committed — decided, delivering the commit;
 * recording — an all-read-only transaction, answered, whose unforced record is being written.
 */
export type CoordinatorState =
  /** `asked`: what went to the owner — the client's request, or (no request yet) a question. */
  | { phase: 'forwarding'; owner: NodeId; asked: 'transact' | 'query' }
  | { phase: 'lookup' }
  | { phase: 'probing'; round: StateRound }
  | { phase: 'resolving'; round: StateRound }
  | { phase: 'tombstoning'; lateVoters: NodeId[] }
  | { phase: 'preparing' }
  | { phase: 'confirming'; awaiting: Set<NodeId> }
  | { phase: 'precommitting' }
  | { phase: 'terminating'; round: StateRound }
  | { phase: 'aborting'; lateVoters: NodeId[] }
  | { phase: 'deciding'; decision: DecisionRecord }
  | { phase: 'committed'; decision: DecisionRecord; resendDelayMs: number; resends?: number }
  | { phase: 'recording'; decision: DecisionRecord };

export type CoordinatorPhase = CoordinatorState['phase'];

export interface CoordinatorTxn {
  readonly id: TxnId;
  /** Absent while only a query (GetTransaction) knows the id. */
  msg?: TransactMessage;
  /** When the id first ran, as a query (GetTransaction) said it; the request's bornMs wins. */
  bornMs?: number;
  /** The protocol's rules, once a request named it. */
  rules?: CommitProtocol;
  readonly branches: Map<NodeId, Branch>;
  outcomeWaiters: ReplyTo[];
  queryWaiters: ReplyTo[];
  /** The results gathered from the votes, in request order. */
  readonly results: OpResult[];
  state: CoordinatorState;
}

const { moveTo, assertMayEnd } = phaseMoves<CoordinatorState>({
  forwarding: ['resolving', 'ended'],
  lookup: ['probing', 'resolving', 'preparing', 'ended'],
  probing: ['preparing', 'ended'],
  resolving: ['tombstoning', 'ended'],
  tombstoning: ['ended'],
  preparing: ['confirming', 'precommitting', 'terminating', 'aborting', 'deciding', 'committed', 'recording', 'resolving', 'ended'],
  confirming: ['precommitting', 'aborting', 'deciding', 'committed', 'recording', 'ended'],
  precommitting: ['aborting', 'deciding', 'ended'],
  terminating: ['precommitting', 'aborting', 'deciding', 'committed', 'ended'],
  aborting: ['ended'],
  deciding: ['committed'],
  committed: ['ended'],
  recording: ['ended'],
});
export { assertMayEnd, moveTo };

/** The request and its rules: present in every phase past lookup that runs the transaction. */
export function requestOf(t: CoordinatorTxn): { msg: TransactMessage; rules: CommitProtocol } {
  invariant(t.msg && t.rules, () => `txn ${t.id} is ${t.state.phase} without its request`);
  return { msg: t.msg, rules: t.rules };
}

export interface AbortReason {
  reason: string;
  code: AbortCode;
}
