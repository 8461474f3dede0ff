import { ownerOfTxn } from '../protocol/ownership.js';
import type { CoordinatorClient } from '../rpc/generated/dtx/v1/Coordinator.js';
import type { TopologyResponse__Output } from '../rpc/generated/dtx/v1/TopologyResponse.js';
import type { CoordinatorPool } from './coordinatorPool.js';
import { clientCall } from './dtxError.js';
import type { ClientTxnIds } from './txnIds.js';

/** How long one Topology call may take, and how soon an address that did not answer is asked again. */
const ASK_MS = 1000;
const RELEARN_MS = 5000;
/** Ids tried to find one a given coordinator owns (each hits with probability 1/coordinators). */
const MAX_ID_TRIES = 64;

/**
 * Which coordinator id answers at each of the client's addresses, from each one's Topology. With
 * it the client sends a transaction straight to the owner of its id (no forwarding hop) and makes
 * ids that a coordinator it can reach owns, so that a coordinator's outage costs its ids nothing
 * new. Unknown (not learnt yet, or an address that never answered): calls go in the pool's order
 * and the coordinators forward.
 */
export class OwnerMap {
  private readonly idAt: (string | undefined)[];
  private all: string[] = [];
  private learning: Promise<void> | null = null;
  private learntAt = -Infinity;

  constructor(private readonly pool: CoordinatorPool<{ coordinator: CoordinatorClient; close(): void }>) {
    this.idAt = pool.addresses.map(() => undefined);
  }

  /** Learns (once, and again later for addresses that did not answer); never fails. */
  async ready(now: number): Promise<void> {
    const complete = this.all.length > 0 && this.idAt.every((id) => id !== undefined);
    if (complete || (this.learning === null && now - this.learntAt < RELEARN_MS)) return this.learning ?? undefined;
    this.learning ??= this.learn(now).finally(() => (this.learning = null));
    return this.learning;
  }

  private async learn(now: number): Promise<void> {
    this.learntAt = now;
    await Promise.all(
      this.pool.addresses.map(async (_, i) => {
        if (this.idAt[i] !== undefined) return;
        const c = this.pool.client(i).coordinator;
        try {
          const t = await clientCall<object, TopologyResponse__Output>(c.Topology.bind(c), {}, ASK_MS);
          this.idAt[i] = t.coordinatorId;
          if (t.coordinators.length > 0) this.all = t.coordinators.map((x) => x.id).sort();
        } catch {
          // Down, or an older coordinator without Topology: forwarding still gets there.
        }
      }),
    );
  }

  /** The index of the address where the owner of `txn` answers, if known. */
  ownerIndex(txn: string): number | undefined {
    if (this.all.length === 0) return undefined;
    const i = this.idAt.indexOf(ownerOfTxn(txn, this.all));
    return i >= 0 ? i : undefined;
  }

  /** A fresh id owned by the coordinator at address `index` (when known), else just a fresh id. */
  idFor(index: number, ids: ClientTxnIds): string {
    const target = this.idAt[index];
    let id = ids.next();
    if (target === undefined || this.all.length === 0) return id;
    for (let i = 1; i < MAX_ID_TRIES && ownerOfTxn(id, this.all) !== target; i++) id = ids.next();
    return id;
  }
}
