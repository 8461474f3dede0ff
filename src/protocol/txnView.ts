import type { CoordinatorTxn } from './coordinatorTxn.js';
import type { LockTable } from './lockTable.js';
import type { ParticipantTxn } from './participantTxn.js';
import type { NodeId, Outcome, ProtocolName, TxnId } from './types.js';

/** One participant's part as its coordinator sees it. */
export interface VoteView {
  participant: NodeId;
  /** YES | NO | READ_ONLY, or '' while none has come. */
  vote: string;
  acked: boolean;
}

/**
 * What a node holds in memory of an unfinished transaction, for an operator: its phase, whom it
 * waits for and which rule keeps it from finishing. Built from a core's own state, never sent
 * back into one.
 */
export interface TxnView {
  txn: TxnId;
  phase: string;
  protocol: ProtocolName | null;
  coordinator: NodeId | null;
  participants: NodeId[];
  /** When the transaction started (its age), in the node's clock; null when unknown. */
  startedAtMs: number | null;
  votes: VoteView[];
  decision: Outcome | null;
  heuristic: { by: string; note: string } | null;
  locksHeld: string[];
  waitsFor: string[];
  blockedBy: string;
}

const EMPTY = { votes: [], decision: null, heuristic: null, locksHeld: [], waitsFor: [] };

/** Phases a participant counts as in doubt: it voted YES and waits for the outcome. */
export const IN_DOUBT_PHASES: ReadonlySet<string> = new Set(['prepared', 'precommitting', 'precommitted']);

const BLOCKED_IN_DOUBT: Record<ProtocolName, string> = {
  '2pc': '2pc: a participant that voted YES may not decide alone; its coordinator (or a participant that already knows the outcome) settles it',
  '3pc': "3pc: the participants' termination protocol settles it once they can reach each other (a cut-off participant may decide alone: 3pc's known limit)",
  nb: "nb: settles once every participant's vote log answers (commit iff all logged YES)",
};

export function participantTxnView(t: ParticipantTxn, locks: LockTable): TxnView {
  const msg = t.msg;
  const s = t.state;
  const held = t.locks.filter(() => locks.holds(t.id)).map((l) => l.key);
  const base: TxnView = {
    ...EMPTY,
    txn: t.id,
    phase: s.phase,
    protocol: t.placeholder ? null : msg.protocol,
    coordinator: t.placeholder ? null : msg.coordinatorId,
    participants: [...msg.participants],
    startedAtMs: t.placeholder ? null : msg.age.ms,
    locksHeld: [...new Set(held)],
    blockedBy: '',
  };
  switch (s.phase) {
    case 'locking': {
      const holders = [
        ...new Set(
          t.locks.flatMap((l) =>
            locks
              .holders(l.key)
              .filter((h) => h !== t.id)
              .map((h) => `lock ${l.key} held by ${h}`),
          ),
        ),
      ];
      return { ...base, waitsFor: holders, blockedBy: 'waiting for locks (an older transaction holds them; it waits at most its lock wait)' };
    }
    case 'prepared':
    case 'precommitted':
    case 'precommitting': {
      const peers = s.phase !== 'precommitting' && s.termination ? [...s.termination.waiting].map((p) => `state of ${p} (termination)`) : [];
      const last = t.inquiry.last ? ` (last asked: ${t.inquiry.last})` : '';
      return {
        ...base,
        waitsFor: [`decision from coordinator ${msg.coordinatorId}${last}`, ...peers],
        blockedBy: BLOCKED_IN_DOUBT[msg.protocol],
      };
    }
    case 'readonly':
      return {
        ...base,
        waitsFor: [`decision from coordinator ${msg.coordinatorId}`],
        blockedBy: '2pc read-only branch: holds its read locks until the decision',
      };
    case 'persisting':
    case 'committing':
    case 'aborting':
      return { ...base, blockedBy: 'writing its record' };
    default:
      return { ...base, blockedBy: t.placeholder ? 'answering a state query' : 'reading' };
  }
}

export function coordinatorTxnView(id: NodeId, t: CoordinatorTxn): TxnView {
  const s = t.state;
  const votes: VoteView[] = [...t.branches].map(([p, b]) => ({ participant: p, vote: b.vote?.kind ?? '', acked: b.acked }));
  const base: TxnView = {
    ...EMPTY,
    txn: t.id,
    phase: s.phase,
    protocol: t.msg?.protocol ?? null,
    coordinator: id,
    participants: [...t.branches.keys()].sort(),
    startedAtMs: t.msg?.age.ms ?? ('decision' in s ? s.decision.decidedAtMs : null),
    votes,
    blockedBy: '',
  };
  const silent = votes.filter((v) => !v.vote).map((v) => `vote from ${v.participant}`);
  switch (s.phase) {
    case 'forwarding':
      return { ...base, waitsFor: [`answer of coordinator ${s.owner}, which owns the id`], blockedBy: 'another coordinator owns the id' };
    case 'probing':
    case 'resolving':
    case 'terminating':
      return { ...base, waitsFor: [...s.round.awaiting].map((p) => `state of ${p}`), blockedBy: 'asking the participants for their states' };
    case 'preparing':
      return { ...base, waitsFor: silent, blockedBy: 'waiting for votes (the transaction times out if one does not come)' };
    case 'confirming':
      return { ...base, waitsFor: [...s.awaiting].map((p) => `read-only confirmation from ${p}`), blockedBy: 'read-only branches confirm their locks' };
    case 'precommitting':
      return {
        ...base,
        waitsFor: votes.filter((v) => !t.branches.get(v.participant)?.precommitted).map((v) => `PreCommit ack from ${v.participant}`),
        blockedBy: '3pc',
      };
    case 'committed':
      return {
        ...base,
        decision: 'COMMITTED',
        heuristic: s.decision.heuristic ?? null,
        waitsFor: votes.filter((v) => !v.acked).map((v) => `commit ack from ${v.participant} (resent every ≤${s.resendDelayMs} ms)`),
        blockedBy: 'decided; delivering the commit to participants that have not acknowledged it',
      };
    case 'deciding':
    case 'recording':
      return { ...base, decision: s.decision.outcome, heuristic: s.decision.heuristic ?? null, blockedBy: 'writing its decision' };
    default:
      return { ...base, blockedBy: 'writing its record' };
  }
}
