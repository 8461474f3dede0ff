import type { AuditEntry } from '../storage/auditLog.js';
import { ClusterAdmin, type PerNode } from '../client/clusterAdmin.js';
import type { DialSecurity } from '../rpc/dial.js';
import type { AuditEntry__Output } from '../rpc/generated/dtx/v1/AuditEntry.js';
import type { TransactionView } from '../rpc/generated/dtx/v1/TransactionView.js';
import type { AuditLog } from '../storage/auditLog.js';
import { matches, viewToWire, type TxnAdmin } from '../node/txnAdmin.js';

/** One node in the console's Nodes table. */
export interface NodeRow {
  id: string;
  role: string;
  address: string;
  up: boolean;
  uptimeMs: number | null;
  inDoubt: number | null;
  error: string | null;
}

export interface NodeAnswer<T> {
  node: string;
  ok: boolean;
  value: T | null;
  error: string | null;
}

export interface LockRow {
  name: string;
  owner: string;
  leaseId: string;
  fencingToken: string;
  expiresInMs: number;
  waiters: number;
}

/** An audit entry as the page shows it (the node's own record). */
export type AuditRow = AuditEntry;

/** Where the console's pages get the cluster from: every node over Admin, or this coordinator alone. */
export interface ConsoleSource {
  /** "cluster" or why only this node is shown. */
  scope: string;
  nodes(): Promise<NodeRow[]>;
  transactions(): Promise<NodeAnswer<TransactionView[]>[]>;
  inspect(txn: string): Promise<NodeAnswer<TransactionView>[]>;
  audit(limit: number): Promise<AuditRow[]>;
  locks(): Promise<NodeAnswer<LockRow[]>[]>;
  close(): void;
}

const LISTED = 200;
/** A transaction shows as in doubt once it has been open this long: a healthy one finishes in milliseconds. */
export const IN_DOUBT_AFTER_MS = 1000;

function answerOf<T, U>(r: PerNode<T>, map: (v: T) => U): NodeAnswer<U> {
  const node = r.node.id || r.node.address;
  return r.ok ? { node, ok: true, value: map(r.value), error: null } : { node, ok: false, value: null, error: r.error };
}

function auditRow(e: AuditEntry__Output): AuditRow {
  return { ...e, atMs: Number(e.atMs) };
}

/** The whole cluster through Admin calls to this coordinator and its peers, with the caller's own credentials. */
export function clusterSource(ownAddress: string, sec: DialSecurity): ConsoleSource {
  const admin = new ClusterAdmin([ownAddress], sec);
  return {
    scope: 'cluster',
    async nodes() {
      const nodes = await admin.nodes();
      return Promise.all(
        nodes.map(async (n): Promise<NodeRow> => {
          try {
            const s = await admin.status(n.address);
            return { id: s.nodeId, role: s.role, address: n.address, up: true, uptimeMs: Number(s.uptimeMs), inDoubt: s.inDoubt.length, error: null };
          } catch (err) {
            const error = (err as { details?: string }).details || (err as Error).message;
            return { id: n.id, role: n.role, address: n.address, up: false, uptimeMs: null, inDoubt: null, error };
          }
        }),
      );
    },
    async transactions() {
      return (await admin.listTransactions('all', IN_DOUBT_AFTER_MS, LISTED)).map((r) => answerOf(r, (v) => v.txns));
    },
    async inspect(txn) {
      return (await admin.inspect(txn)).map((r) => answerOf(r, (v) => v));
    },
    async audit(limit) {
      const { entries } = await admin.audit(0, limit);
      return entries.map(auditRow).reverse();
    },
    async locks() {
      const held = (await admin.locks('', LISTED)).map((r) =>
        answerOf(r, (v) =>
          v.locks
            .filter((l) => l.leaseId !== '')
            .map((l) => ({
              name: l.name,
              owner: l.owner,
              leaseId: l.leaseId,
              fencingToken: l.fencingToken,
              expiresInMs: Number(l.expiresInMs),
              waiters: l.waiters,
            })),
        ),
      );
      return held;
    },
    close: () => admin.close(),
  };
}

export interface LocalPorts {
  nodeId: string;
  address: string;
  uptimeMs: () => number;
  inDoubt: () => number;
  admin: TxnAdmin;
  audit: AuditLog;
  now: () => number;
}

/**
 * This coordinator alone, from its own memory and log: what a caller proven by a client
 * certificate sees (the node cannot present that certificate to its peers, and its own is not an admin's).
 */
export function localSource(p: LocalPorts): ConsoleSource {
  return {
    scope: 'this coordinator only (client-certificate login: the console cannot ask the other nodes on your behalf; use a bearer token for the whole cluster)',
    nodes: async () => [{ id: p.nodeId, role: 'coordinator', address: p.address, up: true, uptimeMs: p.uptimeMs(), inDoubt: p.inDoubt(), error: null }],
    transactions: async () => {
      const now = p.now();
      const rows = p.admin
        .views()
        .filter((v) => matches(v, 'coordinator', 'all', IN_DOUBT_AFTER_MS, now))
        .map((v) => viewToWire(p.nodeId, 'coordinator', v.txn, { view: v }, now));
      return [{ node: p.nodeId, ok: true, value: rows.slice(0, LISTED), error: null }];
    },
    inspect: async (txn) => [{ node: p.nodeId, ok: true, value: viewToWire(p.nodeId, 'coordinator', txn, await p.admin.inspect(txn), p.now()), error: null }],
    audit: async (limit) => (await p.audit.list(0, limit)).map((e) => ({ ...e })).reverse(),
    locks: async () => [],
    close: () => undefined,
  };
}
