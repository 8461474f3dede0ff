import { IN_DOUBT_PHASES, type TxnView } from '../protocol/txnView.js';
import type { LockInfo } from '../protocol/leaseTable.js';
import type { Outcome } from '../protocol/types.js';
import type { TransactionView } from '../rpc/generated/dtx/v1/TransactionView.js';
import { RequestError } from '../runtime/requestError.js';

/** A durable record of a transaction on this node, in words. */
export interface TxnRecordView {
  kind: 'prepare' | 'outcome' | 'decision' | 'unfinished';
  summary: string;
}

/** One node's whole view of a transaction: memory (if it runs here) and records. */
export interface InspectView {
  view: TxnView | null;
  records: TxnRecordView[];
  /** A finished outcome this node knows from its records or memory. */
  decided: Outcome | null;
  heuristic: { by: string; note: string } | null;
}

export type TxnStateFilter = 'prepared' | 'pending' | 'all';

export interface ResolveRequest {
  txn: string;
  outcome: Outcome;
  reason: string;
  heuristic: boolean;
  actor: string;
}

export interface ResolveResult {
  txn: string;
  outcome: Outcome;
  heuristic: boolean;
  rule: string;
}

/** What a node offers operators about its transactions (Admin.ListTransactions / InspectTransaction / ResolveTransaction). */
export interface TxnAdmin {
  role: 'coordinator' | 'participant';
  views(): TxnView[];
  inspect(txn: string): Promise<InspectView>;
  /** Coordinators only. */
  resolve?(req: ResolveRequest): Promise<ResolveResult>;
  /** Participants only: the lock service's locks here (Admin.ListLocks). */
  locks?(prefix: string, limit: number): LockInfo[];
}

export const MAX_LISTED = 1000;

/** Which views a listing shows: `prepared` are participants' in-doubt branches, `pending` a coordinator's unfinished ones. */
export function matches(v: TxnView, role: TxnAdmin['role'], state: TxnStateFilter, olderThanMs: number, nowMs: number): boolean {
  if (state === 'prepared' && (role !== 'participant' || !IN_DOUBT_PHASES.has(v.phase))) return false;
  if (state === 'pending' && role !== 'coordinator') return false;
  if (olderThanMs > 0 && (v.startedAtMs === null || nowMs - v.startedAtMs < olderThanMs)) return false;
  return true;
}

export function parseStateFilter(s: string): TxnStateFilter {
  if (s === '' || s === 'all') return 'all';
  if (s === 'prepared' || s === 'pending') return s;
  throw new RequestError('INVALID_ARGUMENT', `state must be prepared, pending or all, not ${JSON.stringify(s.slice(0, 40))}`);
}

export function parseOutcome(s: string): Outcome {
  const u = s.toUpperCase();
  if (u === 'COMMITTED' || u === 'COMMIT') return 'COMMITTED';
  if (u === 'ABORTED' || u === 'ABORT') return 'ABORTED';
  throw new RequestError('INVALID_ARGUMENT', `outcome must be COMMITTED or ABORTED, not ${JSON.stringify(s.slice(0, 40))}`);
}

export function viewToWire(nodeId: string, role: string, txn: string, i: InspectView | { view: TxnView; records?: undefined }, nowMs: number): TransactionView {
  const v = i.view;
  const records = i.records ?? [];
  const decided = 'decided' in i ? i.decided : null;
  const heuristic = v?.heuristic ?? ('heuristic' in i ? i.heuristic : null);
  return {
    txnId: txn,
    nodeId,
    role,
    known: v !== null || records.length > 0 || decided !== null,
    phase: v?.phase ?? (records.length > 0 || decided ? 'finished' : 'unknown'),
    protocol: v?.protocol ?? '',
    coordinator: v?.coordinator ?? '',
    participants: v?.participants ?? [],
    ageMs: String(v?.startedAtMs != null ? Math.max(0, nowMs - v.startedAtMs) : 0),
    votes: v?.votes ?? [],
    decision: v?.decision ?? decided ?? '',
    heuristic: heuristic !== null,
    heuristicBy: heuristic ? `${heuristic.by}: ${heuristic.note}` : '',
    locksHeld: v?.locksHeld ?? [],
    waitsFor: v?.waitsFor ?? [],
    blockedBy: v?.blockedBy ?? '',
    records,
  };
}
