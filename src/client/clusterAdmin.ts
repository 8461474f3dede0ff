import type { DialSecurity } from '../rpc/dial.js';
import { adminClient, call } from '../rpc/clients.js';
import type { AdminClient } from '../rpc/generated/dtx/v1/Admin.js';
import type { AuditEntry__Output } from '../rpc/generated/dtx/v1/AuditEntry.js';
import type { ListHeldLocksResponse__Output } from '../rpc/generated/dtx/v1/ListHeldLocksResponse.js';
import type { ListAuditResponse__Output } from '../rpc/generated/dtx/v1/ListAuditResponse.js';
import type { ListTransactionsResponse__Output } from '../rpc/generated/dtx/v1/ListTransactionsResponse.js';
import type { ResolveTransactionResponse__Output } from '../rpc/generated/dtx/v1/ResolveTransactionResponse.js';
import type { StatusResponse__Output } from '../rpc/generated/dtx/v1/StatusResponse.js';
import type { TransactionView__Output } from '../rpc/generated/dtx/v1/TransactionView.js';

const CALL_MS = 5000;

export interface ClusterNode {
  id: string;
  role: string;
  address: string;
}

/** One node's answer, or why it gave none. */
export type PerNode<T> = { node: ClusterNode; ok: true; value: T } | { node: ClusterNode; ok: false; error: string };

function errorText(err: unknown): string {
  return (err as { details?: string }).details || (err as Error).message || String(err);
}

/**
 * An operator's view of a whole cluster through Admin: the nodes a coordinator knows (itself,
 * its participants, the other coordinators), asked one by one; a node that does not answer is
 * reported, not skipped silently.
 */
export class ClusterAdmin {
  private readonly clients = new Map<string, AdminClient>();

  constructor(
    private readonly coordinators: readonly string[],
    private readonly sec: DialSecurity,
  ) {}

  private client(address: string): AdminClient {
    let c = this.clients.get(address);
    if (!c) this.clients.set(address, (c = adminClient(address, this.sec)));
    return c;
  }

  status(address: string): Promise<StatusResponse__Output> {
    const c = this.client(address);
    return call<object, StatusResponse__Output>(c.Status.bind(c), {}, CALL_MS);
  }

  /** Every node of the cluster, from the first coordinator that answers (throws if none does). */
  async nodes(): Promise<ClusterNode[]> {
    const failures: string[] = [];
    for (const address of this.coordinators) {
      try {
        const s = await this.status(address);
        const out: ClusterNode[] = [{ id: s.nodeId, role: s.role, address }];
        for (const p of s.peers) if (!out.some((n) => n.address === p.address)) out.push({ id: p.id, role: p.role, address: p.address });
        for (const a of this.coordinators) if (!out.some((n) => n.address === a)) out.push({ id: '', role: 'coordinator', address: a });
        return out;
      } catch (err) {
        failures.push(`${address}: ${errorText(err)}`);
      }
    }
    throw new Error(`cannot reach any coordinator (${failures.join('; ')}); is the cluster running? see \`dtx cluster up\``);
  }

  private async eachNode<T>(ask: (c: AdminClient) => Promise<T>, which: (n: ClusterNode) => boolean = () => true): Promise<PerNode<T>[]> {
    const nodes = (await this.nodes()).filter(which);
    return Promise.all(
      nodes.map(async (node): Promise<PerNode<T>> => {
        try {
          return { node, ok: true, value: await ask(this.client(node.address)) };
        } catch (err) {
          return { node, ok: false, error: errorText(err) };
        }
      }),
    );
  }

  listTransactions(state: string, olderThanMs: number, limit: number): Promise<PerNode<ListTransactionsResponse__Output>[]> {
    return this.eachNode((c) =>
      call<object, ListTransactionsResponse__Output>(c.ListTransactions.bind(c), { state, olderThanMs: String(olderThanMs), limit }, CALL_MS),
    );
  }

  inspect(txnId: string): Promise<PerNode<TransactionView__Output>[]> {
    return this.eachNode((c) => call<object, TransactionView__Output>(c.InspectTransaction.bind(c), { txnId }, CALL_MS));
  }

  /** Asks the coordinators in turn; a refusal (the outcome is not safe) is final, an unreachable one is skipped. */
  async resolve(req: { txnId: string; outcome: string; reason: string; heuristic: boolean; operator: string }): Promise<ResolveTransactionResponse__Output> {
    const failures: string[] = [];
    for (const address of this.coordinators) {
      const c = this.client(address);
      try {
        return await call<object, ResolveTransactionResponse__Output>(c.ResolveTransaction.bind(c), req, 30_000);
      } catch (err) {
        if ((err as { code?: number }).code !== 14) throw err;
        failures.push(`${address}: ${errorText(err)}`);
      }
    }
    throw new Error(`no coordinator answers (${failures.join('; ')})`);
  }

  /** Every node's audit entries since `sinceMs`, merged in time order. */
  async audit(sinceMs: number, limit: number): Promise<{ entries: AuditEntry__Output[]; failed: PerNode<unknown>[] }> {
    const all = await this.eachNode((c) => call<object, ListAuditResponse__Output>(c.ListAudit.bind(c), { sinceMs: String(sinceMs), limit }, CALL_MS));
    const entries = all.flatMap((r) => (r.ok ? r.value.entries : [])).sort((a, b) => Number(a.atMs) - Number(b.atMs));
    return { entries: entries.slice(-limit), failed: all.filter((r) => !r.ok) };
  }

  /** The lock service's locks of every participant (coordinators hold none). */
  locks(prefix: string, limit: number): Promise<PerNode<ListHeldLocksResponse__Output>[]> {
    return this.eachNode(
      (c) => call<object, ListHeldLocksResponse__Output>(c.ListLocks.bind(c), { prefix, limit }, CALL_MS),
      (n) => n.role === 'participant',
    );
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
