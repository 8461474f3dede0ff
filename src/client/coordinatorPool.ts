import { performance } from 'node:perf_hooks';

/**
 * How a pool picks the first address of a call:
 * - `round-robin`: the next address for every call, to spread transactions over the coordinators;
 * - `sticky`: the one that last answered, moving on only when it fails (lock calls: one
 *   connection in use, and nothing assumed about where the lock service keeps a lease).
 */
export type PoolMode = 'round-robin' | 'sticky';

export interface PoolOptions {
  mode?: PoolMode;
  /** How long an address that failed is tried after the others (default 1 s). */
  downForMs?: number;
  now?: () => number;
}

/**
 * The coordinators a client may use, a client (channel) for each made on first use, and the
 * order in which a call tries them. An address that failed is tried last for a while, so
 * that calls do not each pay for reaching a dead coordinator first; it is never dropped.
 */
export class CoordinatorPool<C extends { close(): void }> {
  private readonly clients: (C | undefined)[];
  private readonly downUntil: number[];
  private cursor = 0;
  private readonly mode: PoolMode;
  private readonly downForMs: number;
  private readonly now: () => number;
  /** Attempts that were repeated on another address (for tests and status). */
  failovers = 0;

  constructor(
    readonly addresses: readonly string[],
    private readonly make: (address: string) => C,
    o: PoolOptions = {},
  ) {
    if (addresses.length === 0) throw new Error('at least one coordinator address is needed');
    this.clients = addresses.map(() => undefined);
    this.downUntil = addresses.map(() => 0);
    this.mode = o.mode ?? 'round-robin';
    this.downForMs = o.downForMs ?? 1000;
    this.now = o.now ?? (() => performance.now());
  }

  get size(): number {
    return this.addresses.length;
  }

  /** The address a new call would start at (the pick of the next order()), preferring one not marked down. */
  peek(): number {
    const t = this.now();
    for (let k = 0; k < this.addresses.length; k++) {
      const i = (this.cursor + k) % this.addresses.length;
      if (this.downUntil[i]! <= t) return i;
    }
    return this.cursor;
  }

  /**
   * The order in which a new call tries the addresses (indexes): from the pick (or `first`, the
   * owner of the call's transaction), those not marked down first.
   */
  order(first?: number): number[] {
    const n = this.addresses.length;
    const start = first ?? this.cursor;
    if (this.mode === 'round-robin') this.cursor = (this.cursor + 1) % n;
    const rotated = Array.from({ length: n }, (_, k) => (start + k) % n);
    const t = this.now();
    return [...rotated.filter((i) => this.downUntil[i]! <= t), ...rotated.filter((i) => this.downUntil[i]! > t)];
  }

  client(index: number): C {
    let c = this.clients[index];
    if (!c) {
      c = this.make(this.addresses[index]!);
      this.clients[index] = c;
    }
    return c;
  }

  /** The address answered (whatever it said): it is up, and a sticky pool stays with it. */
  markUp(index: number): void {
    this.downUntil[index] = 0;
    if (this.mode === 'sticky') this.cursor = index;
  }

  /** The address could not be reached, or the call broke: try it after the others for a while. */
  markDown(index: number): void {
    this.downUntil[index] = this.now() + this.downForMs;
    if (this.mode === 'sticky' && this.cursor === index) this.cursor = (index + 1) % this.addresses.length;
  }

  /** The clients made so far, with their addresses. */
  made(): { address: string; client: C }[] {
    return this.clients.flatMap((c, i) => (c ? [{ address: this.addresses[i]!, client: c }] : []));
  }

  close(): void {
    for (const c of this.clients) c?.close();
  }
}
