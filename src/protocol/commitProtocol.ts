import type { TerminationVerdict } from './termination.js';
import type { NodeId, Outcome, PeerState, ProtocolName } from './types.js';

/**
 * What a participant in doubt knows when its termination round ends: every peer's state
 * (its own included) and whether it or they came back from a crash in doubt.
 */
export interface TerminationContext {
  self: NodeId;
  states: Map<NodeId, PeerState>;
  /**
   * This participant recovered in doubt from its log: `true`, or 'coordinatorHasNoRecord' once
   * the coordinator said it has no record (3pc: it may lead then); `false` if it never crashed.
   */
  recovered: boolean | 'coordinatorHasNoRecord';
  /** Peers that answered they are in doubt since a restart. */
  recoveredPeers: ReadonlySet<NodeId>;
}

/** What a coordinator with no record of a transaction heard from its participants (each asked to abort if unvoted). */
export interface ResolutionAnswers {
  /** The participants the transaction named (from any answer); empty when nobody knew them. */
  listed: ReadonlySet<NodeId>;
  answers: ReadonlyMap<NodeId, { state: PeerState }>;
}

/**
 * What the checkers (the simulator and the chaos log checker) know of durable state, to ask a
 * protocol whether a commit was justified. Every answer is about durable (fsync'd) state.
 */
export interface DurableView {
  /** The coordinator's durable decision record. */
  coordinatorDecision(txn: string): Outcome | undefined;
  /** Participants whose log durably holds a COMMIT for it. */
  committedAt(txn: string): NodeId[];
  /** `p`'s log durably holds its YES (the prepare record, or the commit that replaced it). */
  yesDurable(p: NodeId, txn: string): boolean;
  /** `p` decided COMMITTED by termination from a durable pre-committed state (3pc's backup). */
  decidedFromPrecommit(p: NodeId, txn: string): boolean;
}

/** Why a commit checker refused: which rule, and what is missing. */
export interface Unjustified {
  rule: 'commit-without-decision' | 'commit-without-votes';
  missing: string;
}

/**
 * One commit protocol's rules. The protocol cores, the termination code, the simulator and the
 * chaos checkers ask these instead of comparing protocol names, so that a protocol is one module
 * (src/protocol/protocols/) and a new one is a new module in COMMIT_PROTOCOLS.
 */
export interface CommitProtocol<P extends ProtocolName = ProtocolName> {
  readonly name: P;
  /** How the protocol travels in dtx.v1.Protocol. */
  readonly wire: 'TWO_PC' | 'THREE_PC' | 'NON_BLOCKING';
  /** One phrase for --help: what it is and its limit. */
  readonly summary: string;

  // ---- participant
  /** A branch that writes nothing votes READ_ONLY without forcing anything (else it forces a vote like a writer). */
  readonly readOnlyVoteIsUnforced: boolean;
  /** A NO is this log's one vote (log-once): it is forced before it leaves. */
  readonly noVoteIsForced: boolean;
  /** A termination query makes a peer that has not voted abort first (sound only when every vote is durable). */
  readonly terminationAbortsUnvoted: boolean;
  /** What an in-doubt participant does with the states its termination round gathered. */
  terminate(ctx: TerminationContext): TerminationVerdict;

  // ---- coordinator
  /** Every vote is YES: force the decision (2pc), pre-commit first (3pc), or the votes are the decision (nb). */
  readonly onAllYes: 'forceDecision' | 'precommitThenDecide' | 'votesAreTheDecision';
  /** A vote that did not come (timeout, participant unreachable): abort, or ask the silent logs to hold ABORT (nb). */
  readonly onMissingVote: 'abort' | 'askTheLogs';
  /** The coordinator's decision record is forced before anyone hears it (else it is a cache). */
  readonly decisionIsForced: boolean;
  /** A client-chosen id with no record may have been settled by its participants: look before running it. */
  readonly probeRetriedIds: boolean;
  /**
   * Unforced READ_ONLY votes hold their read locks in memory only: with several participants,
   * each read-only branch must confirm that it still holds them (it did not restart since its
   * vote) before the transaction may commit, or its reads may come from another snapshot.
   */
  readonly confirmReadOnlyBranches: boolean;
  /**
   * No record here and some participant in doubt: the outcome the participants' states allow.
   * `byOwner`: asked by the transaction's owning coordinator, whose missing record may mean
   * something (2pc: no forced COMMIT, so it never committed); any other coordinator knows only
   * what the participants know.
   */
  resolveInDoubt(r: ResolutionAnswers, byOwner: boolean): Outcome | 'PENDING';

  // ---- checkers (simulator, chaos)
  /** Whether `participants` committing `txn` was justified by durable state; what is missing if not. */
  commitUnjustified(view: DurableView, txn: string, participants: readonly NodeId[]): Unjustified | null;
  /** Whether `txn` counts as committed by durable state (what a client told COMMITTED must find). */
  isDurablyCommitted(view: DurableView, txn: string, participants: readonly NodeId[]): boolean;
  /** Participants may commit without the coordinator (their termination decides). */
  readonly participantsDecideAlone: boolean;

  // ---- documentation and the bench's floor
  /** What is fsync'd before the client hears COMMITTED (bench reports). */
  readonly durability: string;
  readonly commitPath: { roundTrips: number; forcedWrites: number; path: string };
}
