import type { CommitProtocol } from './commitProtocol.js';
import { phaseMoves } from './phaseMoves.js';
import type { KeyWrite, LockRequest, NodeId, OpResult, Outcome, PeerState, ProtocolName, TxnAge, TxnId, TxnOp, TxnStateView, Vote } from './types.js';

/** Opaque handle of a pending RPC; the runtime maps it back to a callback. */
export type ReplyTo = number;

export interface PrepareMessage {
  txn: TxnId;
  coordinatorId: NodeId;
  coordinatorAddr: string;
  ops: TxnOp[];
  participants: NodeId[];
  /** Where each participant listens (same order as `participants`), for termination. */
  participantAddrs: string[];
  protocol: ProtocolName;
  age: TxnAge;
  /** The transaction's birth (retention.ts); absent from older coordinators. */
  bornMs?: number;
  lockWaitMs: number;
  /** The place in the request of each of `ops` (absent from older coordinators). */
  opIndexes?: number[];
  /** How many ops the whole transaction has (with opIndexes). */
  opCount?: number;
  /** W3C traceparent of the coordinator's span of the transaction (traceContext.ts). */
  trace?: string;
}

/** RETIRED: the coordinator refused the question: the id is older than its retention window. */
export type InquiryOutcome = Outcome | 'PENDING' | 'UNDECIDED' | 'UNREACHABLE' | 'RETIRED';

/** What a branch that voted YES forced in its prepare record. */
export interface Voted {
  writes: KeyWrite[];
  results: OpResult[];
}

/** An in-doubt participant asking its peers (cooperative termination, 3pc's election, nb's LogOnce). */
export interface Termination {
  states: Map<NodeId, PeerState>;
  waiting: Set<NodeId>;
  /** Peers in doubt since a restart: left out of a 3pc backup election. */
  recoveredPeers: Set<NodeId>;
}

/** The rounds an in-doubt branch may run: asking its peers, or (3pc backup) pre-committing them. */
interface InDoubt {
  voted: Voted;
  termination?: Termination;
  /** 3pc backup: peers whose PreCommit ack is awaited before committing. */
  backupAwait?: Set<NodeId>;
}

/**
 * A participant transaction's phase with the data that exists only in it:
 * checking — a query (or a duplicate prepare) found no trace in memory: the outcome log is read
 *   before anything is aborted (`noVote`: the NO to answer if it holds nothing);
 * locking / reading — waiting for locks, then for the values;
 * persisting — the prepare record is being forced (`abortRequested`: an abort came meanwhile);
 * prepared / precommitted — voted YES (3pc's w and p states), in doubt;
 * precommitting — 3pc's p state being forced (a decision or backup round waits for it);
 * readonly — 2pc read-only branch: voted READ_ONLY, read locks held until the decision;
 * committing / aborting — the outcome record is being forced (`voted`: a prepare record existed).
 */
export type TxnState =
  | { phase: 'checking'; noVote: Vote | null }
  | { phase: 'locking'; deadline: number }
  | { phase: 'reading' }
  | { phase: 'persisting'; voted: Voted; abortRequested: boolean }
  | ({ phase: 'prepared' } & InDoubt)
  | { phase: 'precommitting'; voted: Voted; afterPrecommit?: Outcome; backupUncertain?: NodeId[] }
  | ({ phase: 'precommitted' } & InDoubt)
  | { phase: 'readonly'; results: OpResult[] }
  | { phase: 'committing'; voted: Voted }
  | { phase: 'aborting'; voted: Voted | null; noVote?: Vote };

export type Phase = TxnState['phase'];

/** Who waits for what: answered as the transaction moves on. */
export interface Waiters {
  vote: ReplyTo[];
  ack: ReplyTo[];
  state: ReplyTo[];
  precommit: ReplyTo[];
}

export interface ParticipantTxn {
  readonly id: TxnId;
  /** A placeholder (no ops, no participants) when a state query made this entry. */
  readonly msg: PrepareMessage;
  readonly rules: CommitProtocol;
  readonly locks: LockRequest[];
  readonly waiters: Waiters;
  /** Loaded from the log at start: in doubt since a restart. */
  readonly recovered: boolean;
  /** Made up by a state query for a transaction it never saw. */
  readonly placeholder: boolean;
  /** The outcome log was read and holds nothing for this transaction. */
  outcomeAbsent: boolean;
  inquiry: { delayMs: number; last?: InquiryOutcome };
  state: TxnState;
}

/** The legal moves; 'ended' is leaving memory (forgotten, or remembered only as a finished outcome). */
const { moveTo, assertMayEnd } = phaseMoves<TxnState>({
  checking: ['aborting', 'ended'],
  locking: ['reading', 'checking', 'aborting', 'ended'],
  reading: ['persisting', 'readonly', 'checking', 'aborting', 'ended'],
  persisting: ['prepared', 'aborting'],
  prepared: ['precommitting', 'committing', 'aborting'],
  precommitting: ['precommitted'],
  precommitted: ['committing', 'aborting'],
  readonly: ['ended'],
  committing: ['ended'],
  aborting: ['ended'],
});
export { assertMayEnd, moveTo };

/** The branch's forced prepare, if it has one (it voted YES, or aborts after voting). */
export function votedOf(s: TxnState): Voted | null {
  switch (s.phase) {
    case 'persisting':
    case 'prepared':
    case 'precommitting':
    case 'precommitted':
    case 'committing':
      return s.voted;
    case 'aborting':
      return s.voted;
    case 'checking':
    case 'locking':
    case 'reading':
    case 'readonly':
      return null;
  }
}

/** How another node sees this branch (termination, recovery, GetTxnState). */
export function viewOf(s: TxnState): TxnStateView {
  switch (s.phase) {
    case 'checking':
      return 'UNKNOWN';
    case 'locking':
    case 'reading':
    case 'persisting':
      return 'PREPARING';
    case 'prepared':
    case 'precommitting':
      return 'PREPARED';
    case 'precommitted':
      return 'PRECOMMITTED';
    case 'readonly':
      return 'READ_ONLY';
    case 'committing':
      return 'COMMITTED';
    case 'aborting':
      // An abort no vote preceded is not settled until forced: a peer must not count it yet.
      return s.voted ? 'ABORTED' : 'PREPARING';
  }
}

/** Not yet at a state it can answer a LogOnce query with (its one vote is still being written). */
export function isUnsettled(s: TxnState): boolean {
  return s.phase === 'checking' || s.phase === 'persisting' || s.phase === 'precommitting' || (s.phase === 'aborting' && !s.voted);
}
