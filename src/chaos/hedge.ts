import { DtxClient, type ClientOptions, type TransactOptions, type TxnOp, type TxnResult } from '../client/dtxClient.js';

/** What the hedge nemesis switches: on (with the delay of each copy) or off. */
export interface HedgeSwitch {
  hedgeFor(delayMs: number | null): void;
}

/**
 * The hedge nemesis, on the client side: while it is on, every transaction a chaos client runs
 * under its own id is sent again, `delayMs` later, to a coordinator taken in turn (with one
 * coordinator, to that one again) — as a client that hedges a slow call, or retries too soon,
 * does. The id is the idempotency key: whichever coordinator a copy reaches, the id's owner runs
 * it once and every copy gets its one outcome. A copy's answer is not recorded (the history keeps
 * the first call's); what the owner did shows in the logs (single-owner, owner).
 */
export class ClientHedge implements HedgeSwitch {
  /** One client per coordinator, one address each: a copy goes where it is sent, with no failover. */
  private readonly twins: DtxClient[];
  private delayMs: number | null = null;
  private sent = 0;
  private readonly copies = new Set<Promise<void>>();

  constructor(addresses: readonly string[], options: ClientOptions) {
    this.twins = addresses.map((a) => new DtxClient(a, options));
  }

  hedgeFor(delayMs: number | null): void {
    this.delayMs = delayMs;
  }

  /** Copies sent so far. */
  get count(): number {
    return this.sent;
  }

  /** Sends a copy of the transaction when hedging is on; never fails (a copy's error is its own). */
  copy(ops: TxnOp[], opts: TransactOptions): void {
    const delayMs = this.delayMs;
    if (delayMs === null || !opts.txnId) return;
    const twin = this.twins[this.sent++ % this.twins.length]!;
    const copy = new Promise<void>((r) => setTimeout(r, delayMs))
      .then(() => twin.transact(ops, opts))
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => this.copies.delete(copy));
    this.copies.add(copy);
  }

  /** Waits for the copies still out: each is bounded by its own call's deadline. */
  async settled(): Promise<void> {
    await Promise.all([...this.copies]);
  }

  close(): void {
    for (const t of this.twins) t.close();
  }
}

/** A chaos client whose transactions the hedge nemesis may copy to another coordinator. */
export class HedgingClient extends DtxClient {
  constructor(
    address: readonly string[],
    options: ClientOptions,
    private readonly hedge: ClientHedge,
  ) {
    super(address, options);
  }

  override transact(ops: TxnOp[], opts: TransactOptions = {}): Promise<TxnResult> {
    this.hedge.copy(ops, opts);
    return super.transact(ops, opts);
  }
}
