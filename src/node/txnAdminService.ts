import type * as grpc from '@grpc/grpc-js';
import { checkTxnId } from '../runtime/coordinatorRuntime.js';
import type { AdminHandlers } from '../rpc/generated/dtx/v1/Admin.js';
import { unary } from '../rpc/status.js';
import { RequestError } from '../runtime/requestError.js';
import { MAX_AUDIT_LIST, type AuditLog } from '../storage/auditLog.js';
import { matches, MAX_LISTED, parseOutcome, parseStateFilter, viewToWire, type ResolveResult, type TxnAdmin } from './txnAdmin.js';

type TxnHandlers = Pick<AdminHandlers, 'ListTransactions' | 'InspectTransaction' | 'ResolveTransaction' | 'ListAudit' | 'ListLocks'>;

export interface TxnAdminPorts {
  nodeId: string;
  role: 'coordinator' | 'participant';
  admin: TxnAdmin;
  audit: AuditLog;
  /** The caller of a call, in words (authenticated identity, or open mode and peer). */
  caller: (call: grpc.ServerUnaryCall<unknown, unknown>) => string;
  now: () => number;
}

const MAX_REASON = 1000;
const MAX_OPERATOR = 200;

function txnIdOf(raw: string): string {
  if (!raw) throw new RequestError('INVALID_ARGUMENT', 'txn_id is required');
  try {
    return checkTxnId(raw);
  } catch (e) {
    throw new RequestError('INVALID_ARGUMENT', (e as Error).message);
  }
}

export interface ResolveAsked {
  txnId: string;
  outcome: string;
  reason: string;
  heuristic: boolean;
  /** Who the operator says they are (user@host, a name typed in the console). */
  operator: string;
}

/**
 * Resolves a transaction on this node, audited before and after it acts: the one path of both
 * Admin.ResolveTransaction and the web console. `callerWords` is the authenticated caller.
 */
export async function resolveAudited(p: Pick<TxnAdminPorts, 'nodeId' | 'admin' | 'audit'>, req: ResolveAsked, callerWords: string): Promise<ResolveResult> {
  const resolve = p.admin.resolve?.bind(p.admin);
  if (!resolve) throw new RequestError('FAILED_PRECONDITION', `${p.nodeId} is a participant: resolve a transaction through a coordinator`);
  const txn = txnIdOf(req.txnId);
  const outcome = parseOutcome(req.outcome);
  const reason = req.reason.trim();
  if (!reason) throw new RequestError('INVALID_ARGUMENT', 'a reason is required (it goes to the audit log)');
  if (reason.length > MAX_REASON) throw new RequestError('INVALID_ARGUMENT', `reason is ${reason.length} characters; at most ${MAX_REASON}`);
  const claimed = req.operator.trim().slice(0, MAX_OPERATOR);
  const actor = `${callerWords}${claimed ? ` as ${claimed}` : ''}`;
  const action = req.heuristic ? 'txn.resolve.heuristic' : 'txn.resolve';
  const target = `${txn} -> ${outcome}`;
  // Recorded before anything is done: a crash in the middle still leaves the intent.
  await p.audit.append({ actor, action, target, reason, result: 'requested' });
  try {
    const r = await resolve({ txn, outcome, reason, heuristic: req.heuristic, actor });
    await p.audit.append({ actor, action, target, reason, result: `ok: ${r.outcome}${r.heuristic ? ' (HEURISTIC)' : ''}; ${r.rule}` });
    return r;
  } catch (e) {
    await p.audit.append({ actor, action, target, reason, result: `refused: ${(e as Error).message}` });
    throw e;
  }
}

/** Admin's transaction calls over a node's TxnAdmin, with every resolve audited before and after it acts. */
export function txnAdminHandlers(p: TxnAdminPorts): TxnHandlers {
  return {
    ListTransactions: unary(async (req) => {
      const state = parseStateFilter(req.state);
      const olderThan = Number(req.olderThanMs ?? 0);
      const limit = Math.min(req.limit || MAX_LISTED, MAX_LISTED);
      const now = p.now();
      const all = p.admin.views().filter((v) => matches(v, p.role, state, olderThan, now));
      all.sort((a, b) => (a.startedAtMs ?? now) - (b.startedAtMs ?? now));
      return { txns: all.slice(0, limit).map((v) => viewToWire(p.nodeId, p.role, v.txn, { view: v }, now)), total: all.length };
    }),
    InspectTransaction: unary(async (req) => {
      const txn = txnIdOf(req.txnId);
      return viewToWire(p.nodeId, p.role, txn, await p.admin.inspect(txn), p.now());
    }),
    ResolveTransaction: unary(async (req, call) => {
      const r = await resolveAudited(p, req, p.caller(call as grpc.ServerUnaryCall<unknown, unknown>));
      return { txnId: r.txn, outcome: r.outcome, heuristic: r.heuristic, rule: r.rule };
    }),
    ListLocks: unary(async (req) => {
      const locks = p.admin.locks?.bind(p.admin);
      if (!locks) throw new RequestError('FAILED_PRECONDITION', `${p.nodeId} is a coordinator: locks are held by participants`);
      return {
        locks: locks(req.prefix, req.limit).map((l) => ({
          name: l.name,
          owner: l.owner,
          leaseId: l.leaseId,
          fencingToken: String(l.token),
          expiresInMs: String(l.expiresInMs),
          waiters: l.waiters,
          lockDelayMs: String(l.lockDelayMs),
        })),
      };
    }),
    ListAudit: unary(async (req) => ({
      entries: (await p.audit.list(Number(req.sinceMs ?? 0), Math.min(req.limit || MAX_AUDIT_LIST, MAX_AUDIT_LIST))).map((e) => ({
        ...e,
        atMs: String(e.atMs),
      })),
    })),
  };
}
