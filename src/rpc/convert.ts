import { InvalidRequest } from '../protocol/ops.js';
import { COMMIT_PROTOCOLS, rulesOf } from '../protocol/protocols/index.js';
import type { AbortCode, OpResult, ProtocolName, TxnOp, TxnStateView, Vote } from '../protocol/types.js';
import type { ParticipantTxnState as WireTxnState } from './generated/dtx/v1/ParticipantTxnState.js';
import type { Protocol as WireProtocol } from './generated/dtx/v1/Protocol.js';
import type { AbortCode as WireAbortCode } from './generated/dtx/v1/AbortCode.js';
import type { Op, Op__Output } from './generated/dtx/v1/Op.js';
import type { OpResult as WireOpResult, OpResult__Output } from './generated/dtx/v1/OpResult.js';
import type { PrepareResponse, PrepareResponse__Output } from './generated/dtx/v1/PrepareResponse.js';

const INT64 = /^-?[0-9]+$/;

/** int64 fields arrive as decimal strings (longs: String); a bad one is the caller's error. */
export function parseInt64(raw: string | number | undefined, what: string): bigint {
  const s = String(raw ?? '0');
  if (!INT64.test(s)) throw new InvalidRequest(`${what}: "${s}" is not an integer`);
  return BigInt(s);
}

/** An op from the wire, with its optional fence (issue 6: fencing tokens). */
export function opFromWire(op: Op__Output, index: number): TxnOp {
  const out = opKindFromWire(op, index);
  if (op.fence) {
    out.fence = { lock: op.fence.lock, token: parseInt64(op.fence.token, `op ${index} (${out.key}): fence token`) };
    if (op.fence.proof) out.fence.proof = op.fence.proof;
  }
  return out;
}

export function opToWire(op: TxnOp): Op {
  const out = opKindToWire(op);
  if (op.fence) out.fence = { lock: op.fence.lock, token: op.fence.token.toString(), proof: op.fence.proof ?? '' };
  return out;
}

function opKindFromWire(op: Op__Output, index: number): TxnOp {
  const key = op.key ?? '';
  switch (op.kind) {
    case 'put':
      return { type: 'put', key, value: op.put?.value ?? '' };
    case 'delete':
      return { type: 'delete', key };
    case 'get':
      return { type: 'get', key };
    case 'add': {
      const add = op.add!;
      const out: TxnOp = { type: 'add', key, delta: parseInt64(add.delta, `op ${index} (${key}): delta`) };
      if (add.min) out.min = parseInt64(add.min.value, `op ${index} (${key}): min`);
      if (add.max) out.max = parseInt64(add.max.value, `op ${index} (${key}): max`);
      return out;
    }
    case 'check': {
      const c = op.check!;
      switch (c.expect) {
        case 'version': {
          const v = parseInt64(c.version, `op ${index} (${key}): version`);
          if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) {
            throw new InvalidRequest(`op ${index} (${key}): version ${v} is out of range`);
          }
          return { type: 'check', key, expect: { kind: 'version', version: Number(v) } };
        }
        case 'value':
          return { type: 'check', key, expect: { kind: 'value', value: c.value ?? '' } };
        case 'exists':
          return { type: 'check', key, expect: { kind: 'exists', exists: c.exists ?? false } };
        default:
          throw new InvalidRequest(`op ${index} (${key}): check needs one of version, value or exists`);
      }
    }
    default:
      throw new InvalidRequest(`op ${index} (${key || 'no key'}): unknown or missing op (expected put, delete, add, get or check)`);
  }
}

function opKindToWire(op: TxnOp): Op {
  switch (op.type) {
    case 'put':
      return { key: op.key, put: { value: op.value } };
    case 'delete':
      return { key: op.key, delete: {} };
    case 'get':
      return { key: op.key, get: {} };
    case 'add':
      return {
        key: op.key,
        add: {
          delta: op.delta.toString(),
          ...(op.min !== undefined ? { min: { value: op.min.toString() } } : {}),
          ...(op.max !== undefined ? { max: { value: op.max.toString() } } : {}),
        },
      };
    case 'check': {
      const e = op.expect;
      const check = e.kind === 'version' ? { version: e.version } : e.kind === 'value' ? { value: e.value } : { exists: e.exists };
      return { key: op.key, check };
    }
  }
}

export function resultToWire(r: OpResult): WireOpResult {
  return { key: r.key, found: r.found, value: r.value, version: r.version };
}

export function resultFromWire(r: OpResult__Output): OpResult {
  return { key: r.key, found: r.found, value: r.value, version: Number(r.version) };
}

const ABORT_CODES: readonly AbortCode[] = ['CONFLICT', 'PRECONDITION_FAILED', 'UNAVAILABLE_PARTICIPANT', 'TIMED_OUT', 'PRESUMED', 'WRONG_SHARD'];

export function abortCodeFromWire(code: string | undefined): AbortCode {
  return (ABORT_CODES as readonly string[]).includes(code ?? '') ? (code as AbortCode) : 'CONFLICT';
}

export function abortCodeToWire(code: AbortCode | undefined): WireAbortCode {
  return code ?? 'ABORT_CODE_UNSPECIFIED';
}

export function voteToWire(txn: string, vote: Vote): PrepareResponse {
  switch (vote.kind) {
    case 'YES':
    case 'READ_ONLY':
      return { txnId: txn, vote: vote.kind, results: vote.results.map(resultToWire) };
    case 'NO':
      return { txnId: txn, vote: 'NO', reason: vote.reason, abortCode: vote.code };
  }
}

export function voteFromWire(res: PrepareResponse__Output): Vote {
  switch (res.vote) {
    case 'YES':
    case 'READ_ONLY':
      return { kind: res.vote, results: res.results.map(resultFromWire) };
    case 'NO':
      return { kind: 'NO', reason: res.reason, code: abortCodeFromWire(res.abortCode) };
    default:
      return { kind: 'NO', reason: `malformed vote ${String(res.vote)}`, code: 'CONFLICT' };
  }
}

export function protocolToWire(p: ProtocolName): WireProtocol {
  return rulesOf(p).wire;
}

/** `null` for PROTOCOL_UNSPECIFIED (the coordinator's default applies). */
// eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents -- names the wire values; any other string is refused below
export function protocolFromWire(p: WireProtocol | string | undefined): ProtocolName | null {
  for (const rules of Object.values(COMMIT_PROTOCOLS)) if (rules.wire === p) return rules.name;
  if (p === undefined || p === '' || p === 'PROTOCOL_UNSPECIFIED' || p === 0) return null;
  throw new InvalidRequest(
    `unknown protocol ${String(p)}; use ${Object.values(COMMIT_PROTOCOLS)
      .map((r) => r.wire)
      .join(', ')}`,
  );
}

const STATE_WIRE = {
  UNKNOWN: 'TXN_UNKNOWN',
  PREPARING: 'TXN_PREPARING',
  PREPARED: 'TXN_PREPARED',
  PRECOMMITTED: 'TXN_PRECOMMITTED',
  READ_ONLY: 'TXN_READ_ONLY',
  COMMITTED: 'TXN_COMMITTED',
  ABORTED: 'TXN_ABORTED',
  RETIRED: 'TXN_RETIRED',
} as const satisfies Record<TxnStateView, WireTxnState>;

export function txnStateToWire(s: TxnStateView): WireTxnState {
  return STATE_WIRE[s];
}

// eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents -- names the wire values; any other string reads as UNKNOWN
export function txnStateFromWire(s: WireTxnState | string | undefined): TxnStateView {
  for (const [name, wire] of Object.entries(STATE_WIRE)) if (wire === s) return name as TxnStateView;
  return 'UNKNOWN';
}
