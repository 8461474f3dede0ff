/** Trace lines: what each step of a core saw and did, and what crossed the network. */
import type { CoordinatorEffect, CoordinatorEvent } from '../protocol/coordinatorCore.js';
import type { ParticipantEffect, ParticipantEvent, ParticipantReply } from '../protocol/participantCore.js';
import type { ParticipantRecord } from '../protocol/records.js';
import type { TxnId, TxnOp } from '../protocol/types.js';
import type { PeerCalls, PeerMethod } from '../runtime/transport.js';

const CALL_NAMES: Record<PeerMethod, string> = {
  prepare: 'Prepare',
  commit: 'Commit',
  abort: 'Abort',
  release: 'ReleaseReadOnly',
  transact: 'Transact',
  precommit: 'PreCommit',
  txnState: 'GetTxnState',
  outcome: 'GetTransaction',
  horizon: 'GetHorizon',
};

export function describeRequest<M extends PeerMethod>(method: M, req: PeerCalls[M]['req']): string {
  const r = req as { txn?: string; abortIfUnvoted?: boolean };
  if (r.txn === undefined) return `${CALL_NAMES[method]}()`;
  return `${CALL_NAMES[method]}(${r.txn}${method === 'txnState' && !r.abortIfUnvoted ? ', no abort' : ''})`;
}

export function describeOps(ops: TxnOp[]): string {
  return ops
    .map((o) => (o.type === 'add' ? `${o.key}${o.delta >= 0n ? '+' : ''}${o.delta}` : o.type === 'get' ? `get ${o.key}` : `${o.type} ${o.key}`))
    .join(' ');
}

function describeVote(v: { kind: string; reason?: string; code?: string }): string {
  return v.kind === 'NO' ? `NO(${v.code}: ${v.reason})` : v.kind;
}

function recordTxn(r: ParticipantRecord): TxnId {
  return r.kind === 'prepare' || r.kind === 'precommit' ? r.record.txn : r.txn;
}

function describePReply(r: ParticipantReply): string {
  switch (r.kind) {
    case 'vote':
      return `vote ${r.txn} ${describeVote(r.vote)}`;
    case 'ack':
      return `ack ${r.txn} known=${r.known}`;
    case 'precommitAck':
      return `precommitAck ${r.txn} ok=${r.ok}`;
    case 'state':
      return `state ${r.txn} ${r.state}${r.protocol ? ` ${r.protocol}` : ''}`;
    case 'refused':
      return `refused ${r.txn}: ${r.reason}`;
  }
}

export function describePEvent(ev: ParticipantEvent): string {
  switch (ev.type) {
    case 'recover':
      return `recover [${ev.prepared.map((p) => `${p.txn}${p.precommitted ? '(p)' : ''}`).join(',')}]`;
    case 'prepare':
      return `<- prepare ${ev.msg.txn} ${ev.msg.protocol} h${ev.replyTo} ${describeOps(ev.msg.ops)}`;
    case 'readDone':
      return `readDone ${ev.txn} ${[...ev.values].map(([k, v]) => `${k}=${v.value}@${v.version}`).join(' ')}${ev.finished ? ` finished=${ev.finished.outcome}` : ''}`;
    case 'persisted':
      return `persisted ${ev.record.kind} ${recordTxn(ev.record)}`;
    case 'decision':
      return `<- ${ev.outcome === 'COMMITTED' ? 'commit' : 'abort'} ${ev.txn}${ev.replyTo === null ? '' : ` h${ev.replyTo}`}`;
    case 'release':
      return `<- release ${ev.txn} h${ev.replyTo}`;
    case 'inquiryResult':
      return `inquiryResult ${ev.txn} ${ev.outcome}`;
    case 'timer':
      return `timer ${ev.timer.kind} ${ev.timer.txn}`;
    case 'stateQuery':
      return `<- stateQuery ${ev.txn} h${ev.replyTo}${ev.abortIfUnvoted ? ' abortIfUnvoted' : ''}`;
    case 'outcomeChecked':
      return `outcomeChecked ${ev.txn} ${ev.finished ? ev.finished.outcome : 'none'}${ev.replyTo === null ? '' : ` h${ev.replyTo}`}`;
    case 'precommit':
      return `<- precommit ${ev.txn}${ev.replyTo === null ? '' : ` h${ev.replyTo}`}`;
    case 'peerState':
      return `peerState ${ev.txn} ${ev.from}=${ev.state}`;
    case 'peerPrecommitted':
      return `peerPrecommitted ${ev.txn} ${ev.from} ${ev.result}`;
  }
}

export function describePEffect(e: ParticipantEffect): string {
  switch (e.type) {
    case 'reply':
      return `${describePReply(e.reply)} h${e.to}`;
    case 'read':
      return `read ${e.txn}`;
    case 'persist':
      return `persist ${e.record.kind} ${recordTxn(e.record)}${e.sync ? ' sync' : ''}`;
    case 'setTimer':
      return `timer ${e.timer.kind} ${e.timer.txn}@${e.at}`;
    case 'inquire':
      return `inquire ${e.txn}`;
    case 'checkOutcome':
      return `checkOutcome ${e.txn}`;
    case 'queryPeer':
      return `queryPeer ${e.txn} ${e.to}${e.abortIfUnvoted ? '' : ' (no abort)'}`;
    case 'sendPeer':
      return `sendPeer ${e.message} ${e.txn} to ${e.to}`;
    case 'log':
      // The cores' info/warn lines explain termination verdicts: keep them in the trace.
      return e.level === 'debug' ? '' : `"${e.msg}"`;
    case 'alarm':
      return `ALARM "${e.msg}"`;
  }
}

export function describeCEvent(ev: CoordinatorEvent): string {
  switch (ev.type) {
    case 'recover':
      return `recover [${ev.pending.map((d) => d.txn).join(',')}]`;
    case 'heuristic':
      return `<- heuristic ${ev.outcome} ${ev.txn} by ${ev.by} h${ev.replyTo}`;
    case 'transact':
      return `<- transact ${ev.msg.txn} ${ev.msg.protocol} h${ev.replyTo}`;
    case 'query':
      return `<- query ${ev.txn} h${ev.replyTo}`;
    case 'lookupDone':
      return `lookupDone ${ev.txn} ${ev.record ? ev.record.outcome : 'none'}`;
    case 'vote':
      return `<- vote ${ev.txn} from ${ev.from} ${describeVote(ev.vote)}`;
    case 'ack':
      return `<- ack ${ev.txn} from ${ev.from}`;
    case 'persisted':
      return `persisted ${ev.record.kind} ${ev.record.kind === 'end' ? ev.record.txn : `${ev.record.record.txn} ${ev.record.record.outcome}`}`;
    case 'timer':
      return `timer ${ev.timer.kind} ${ev.timer.txn}`;
    case 'precommitAck':
      return `<- precommitAck ${ev.txn} from ${ev.from} ok=${ev.ok}`;
    case 'txnState':
      return `<- txnState ${ev.txn} from ${ev.from} ${ev.answer.state}`;
    case 'forwarded':
      return `<- forwarded ${ev.txn} ${ev.reply === null ? 'owner unreachable' : ev.reply.kind === 'outcome' ? ev.reply.outcome : ev.reply.status}`;
  }
}

export function describeCEffect(e: CoordinatorEffect): string {
  switch (e.type) {
    case 'reply':
      return e.reply.kind === 'outcome' ? `reply ${e.reply.txn} ${e.reply.outcome} h${e.to}` : `reply ${e.reply.txn} ${e.reply.status} h${e.to}`;
    case 'lookup':
      return `lookup ${e.txn}`;
    case 'forward':
      return `forward ${e.msg ? 'transact' : 'query'} ${e.txn} to ${e.to}`;
    case 'send':
      return `send ${e.message.kind === 'query' && !e.message.abortIfUnvoted ? 'probe' : e.message.kind} ${e.message.kind === 'prepare' ? e.message.msg.txn : e.message.txn} to ${e.to}`;
    case 'persist':
      return `persist ${e.record.kind} ${e.record.kind === 'end' ? e.record.txn : `${e.record.record.txn} ${e.record.record.outcome}`}${e.sync ? ' sync' : ''}`;
    case 'setTimer':
      return `timer ${e.timer.kind} ${e.timer.txn}@${e.at}`;
    case 'log':
      return e.level === 'debug' ? '' : `"${e.msg}"`;
    case 'alarm':
      return `ALARM "${e.msg}"`;
  }
}
