/** Pending RPC answers, keyed by the opaque ReplyTo handles the protocol cores pass around. */
export class ReplyRegistry<R> {
  private next = 1;
  private readonly pending = new Map<number, (reply: R) => void>();

  /** Registers a callback; returns its handle and a promise of the reply. */
  open(): { handle: number; reply: Promise<R> } {
    const handle = this.next++;
    const reply = new Promise<R>((resolve) => this.pending.set(handle, resolve));
    return { handle, reply };
  }

  resolve(handle: number, reply: R): void {
    const cb = this.pending.get(handle);
    if (!cb) return; // a duplicate answer to a call already answered
    this.pending.delete(handle);
    cb(reply);
  }

  get size(): number {
    return this.pending.size;
  }
}
