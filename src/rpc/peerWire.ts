import { InvalidRequest, validateOps } from '../protocol/ops.js';
import { DEFAULT_PROTOCOL } from '../protocol/protocols/index.js';
import type { PrepareMessage } from '../protocol/participantTxn.js';
import type { OpResult } from '../protocol/types.js';
import { LIMITS } from '../protocol/limits.js';
import type { CoordinatorReply } from '../protocol/coordinatorCore.js';
import type { ForwardedTransact, OutcomeAnswer, TxnStateAnswer } from '../runtime/transport.js';
import { isHostPort, NODE_ID_PATTERN, quote } from './addresses.js';
import { peerTraceparent } from './traceHeaders.js';
import {
  abortCodeFromWire,
  opFromWire,
  opToWire,
  protocolFromWire,
  protocolToWire,
  resultFromWire,
  resultToWire,
  txnStateFromWire,
  txnStateToWire,
} from './convert.js';
import type { GetTransactionResponse__Output } from './generated/dtx/v1/GetTransactionResponse.js';
import type { PrepareRequest, PrepareRequest__Output } from './generated/dtx/v1/PrepareRequest.js';
import type { TransactRequest } from './generated/dtx/v1/TransactRequest.js';
import type { TransactResponse__Output } from './generated/dtx/v1/TransactResponse.js';
import type { TxnStateResponse, TxnStateResponse__Output } from './generated/dtx/v1/TxnStateResponse.js';

/** Conversions of the node-to-node messages between dtx.v1 and the runtime's domain types. */

/** A txn id from another node or a client: present and bounded. */
export function requireTxnId(txn: string | undefined): string {
  if (!txn) throw new InvalidRequest('txn_id is required');
  if (txn.length > LIMITS.maxTxnIdBytes) throw new InvalidRequest(`txn_id longer than ${LIMITS.maxTxnIdBytes} characters`);
  return txn;
}

export function prepareToWire(m: PrepareMessage): PrepareRequest {
  return {
    txnId: m.txn,
    coordinatorId: m.coordinatorId,
    coordinatorAddr: m.coordinatorAddr,
    ops: m.ops.map(opToWire),
    participants: m.participants,
    participantAddrs: m.participantAddrs,
    protocol: protocolToWire(m.protocol),
    ageMs: m.age.ms,
    lockWaitMs: m.lockWaitMs,
    opIndexes: m.opIndexes ?? [],
    opCount: m.opCount ?? 0,
    traceparent: m.trace ?? '',
    bornMs: m.bornMs ?? 0,
  };
}

/** Most participants one transaction may name. */
export const MAX_TXN_PARTICIPANTS = 256;

/**
 * The addresses and ids a prepare names are dialled later (inquiries, termination), from its
 * durable record too: anything but a well-formed host:port and node id is refused now.
 */
function checkPeers(req: PrepareRequest__Output): void {
  if (!isHostPort(req.coordinatorAddr)) throw new InvalidRequest(`coordinator_addr must be host:port, got ${quote(req.coordinatorAddr)}`);
  if (req.coordinatorId !== '' && !NODE_ID_PATTERN.test(req.coordinatorId))
    throw new InvalidRequest(`coordinator_id ${quote(req.coordinatorId)} is not a node id`);
  if (req.participants.length > MAX_TXN_PARTICIPANTS) throw new InvalidRequest(`${req.participants.length} participants; at most ${MAX_TXN_PARTICIPANTS}`);
  for (const id of req.participants) if (!NODE_ID_PATTERN.test(id)) throw new InvalidRequest(`participant ${quote(id)} is not a node id`);
  if (req.participantAddrs.length > 0 && req.participantAddrs.length !== req.participants.length) {
    throw new InvalidRequest(`participant_addrs has ${req.participantAddrs.length} entries for ${req.participants.length} participants`);
  }
  for (const a of req.participantAddrs) if (!isHostPort(a)) throw new InvalidRequest(`participant address ${quote(a)} is not host:port`);
  if (!Number.isSafeInteger(Number(req.ageMs))) throw new InvalidRequest(`age_ms ${quote(String(req.ageMs))} is out of range`);
  if (!Number.isSafeInteger(Number(req.bornMs))) throw new InvalidRequest(`born_ms ${quote(String(req.bornMs))} is out of range`);
}

/** A wire birth (uint64 as a string; 0: unknown) as the cores take it: `{ bornMs }`, or nothing when unknown. */
export function bornOf(v: string | number | undefined): { bornMs?: number } {
  const n = Number(v ?? 0);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidRequest(`born_ms ${quote(String(v))} is out of range`);
  return n > 0 ? { bornMs: n } : {};
}

/** A prepare as `self` receives it: validated, refused with INVALID_ARGUMENT / misrouted otherwise. */
export function prepareFromWire(req: PrepareRequest__Output, self: string): PrepareMessage {
  const txn = requireTxnId(req.txnId);
  const ops = req.ops.map(opFromWire);
  validateOps(ops);
  checkPeers(req);
  if (req.participants.length > 0 && !req.participants.includes(self)) {
    throw new MisroutedPrepare(`prepare for participants ${quote(req.participants.slice(0, 8).join(','))} reached participant ${self}: misrouted`);
  }
  return {
    txn,
    coordinatorId: req.coordinatorId,
    coordinatorAddr: req.coordinatorAddr,
    ops,
    participants: req.participants,
    participantAddrs: req.participantAddrs,
    protocol: protocolFromWire(req.protocol) ?? DEFAULT_PROTOCOL,
    age: { ms: Number(req.ageMs), id: txn },
    lockWaitMs: Math.min(req.lockWaitMs, 60_000),
    ...(req.opIndexes.length > 0 ? { opIndexes: checkOpIndexes(req.opIndexes, ops.length, req.opCount) } : {}),
    ...(req.opIndexes.length > 0 && req.opCount > 0 ? { opCount: req.opCount } : {}),
    ...traceField(peerTraceparent(req.traceparent)),
    ...(Number(req.bornMs) > 0 ? { bornMs: Number(req.bornMs) } : {}),
  };
}

function traceField(trace: string | undefined): { trace?: string } {
  return trace ? { trace } : {};
}

/** One distinct place in the request per op, within the bound on a transaction's ops. */
function checkOpIndexes(indexes: number[], ops: number, opCount: number): number[] {
  if (indexes.length !== ops) throw new InvalidRequest(`op_indexes has ${indexes.length} entries for ${ops} ops`);
  const bound = opCount > 0 ? Math.min(opCount, LIMITS.maxOpsPerTxn) : LIMITS.maxOpsPerTxn;
  if (new Set(indexes).size !== indexes.length || indexes.some((i) => i >= bound)) {
    throw new InvalidRequest(`op_indexes must be distinct and below ${bound}`);
  }
  return indexes;
}

/** A prepare sent to the wrong participant (FAILED_PRECONDITION). */
export class MisroutedPrepare extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MisroutedPrepare';
  }
}

export function txnStateToWireAnswer(txn: string, a: TxnStateAnswer): TxnStateResponse {
  return {
    txnId: txn,
    state: txnStateToWire(a.state),
    protocol: a.protocol ? protocolToWire(a.protocol) : 'PROTOCOL_UNSPECIFIED',
    participants: a.participants,
    results: a.results.map(resultToWire),
    recovered: a.recovered,
    resultIndexes: a.results.every((r) => r.index !== undefined) ? a.results.map((r) => r.index!) : [],
    resultOf: a.results.find((r) => r.of !== undefined)?.of ?? 0,
  };
}

export function txnStateFromWireAnswer(res: TxnStateResponse__Output): TxnStateAnswer {
  return {
    state: txnStateFromWire(res.state),
    protocol: protocolFromWire(res.protocol),
    participants: res.participants,
    results: withIndexes(res.results.map(resultFromWire), res.resultIndexes, res.resultOf),
    recovered: res.recovered,
  };
}

/** Indexes that do not fit the results (another implementation, a damaged answer) are dropped, never trusted. */
function withIndexes(results: OpResult[], indexes: number[], of: number): OpResult[] {
  if (indexes.length !== results.length || indexes.some((i) => i >= LIMITS.maxOpsPerTxn) || of > LIMITS.maxOpsPerTxn) return results;
  return results.map((r, i) => ({ ...r, index: indexes[i]!, ...(of > 0 ? { of } : {}) }));
}

export function outcomeFromWire(res: GetTransactionResponse__Output): OutcomeAnswer {
  const outcome = res.outcome === 'COMMITTED' || res.outcome === 'ABORTED' ? res.outcome : 'PENDING';
  return {
    outcome,
    inProgress: res.inProgress,
    reason: res.reason,
    ...(outcome === 'ABORTED' ? { code: abortCodeFromWire(res.abortCode) } : {}),
    results: res.results.map(resultFromWire),
    participants: res.participants,
    ...(res.owner ? { owner: res.owner } : {}),
  };
}

export function forwardedTransactToWire(t: ForwardedTransact): TransactRequest {
  return {
    txnId: t.txn,
    ops: t.ops.map(opToWire),
    protocol: protocolToWire(t.protocol),
    timeoutMs: t.timeoutMs,
    firstAttemptMs: t.firstAttemptMs,
    forwarded: true,
    traceparent: t.trace ?? '',
  };
}

/** The owner's answer to a forwarded Transact, as the forwarding coordinator relays it. */
export function forwardedReplyFromWire(txn: string, res: TransactResponse__Output): CoordinatorReply {
  if (res.txnId !== txn) throw new InvalidRequest(`forwarded ${quote(txn)} answered for ${quote(res.txnId)}`);
  if (res.outcome !== 'COMMITTED' && res.outcome !== 'ABORTED' && res.outcome !== 'PENDING')
    throw new InvalidRequest(`forwarded ${quote(txn)} answered with no outcome`);
  return {
    kind: 'outcome',
    txn,
    outcome: res.outcome,
    reason: res.reason,
    ...(res.outcome === 'ABORTED' ? { code: abortCodeFromWire(res.abortCode) } : {}),
    results: res.results.map(resultFromWire),
    participants: [],
  };
}
