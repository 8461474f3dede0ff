/** Pending RPC answers, keyed by the opaque ReplyTo handles the protocol cores pass around. */
export class ReplyRegistry<R> {
  private next = 1;
  private readonly pending = new Map<number, (reply: R) => void>();

  /** Registers where the answer goes; returns the handle to give the core. */
  open(respond: (reply: R) => void): number {
    const handle = this.next++;
    this.pending.set(handle, respond);
    return handle;
  }

  resolve(handle: number, reply: R): void {
    const respond = this.pending.get(handle);
    if (!respond) return; // a duplicate answer to a call already answered
    this.pending.delete(handle);
    respond(reply);
  }

  /** The caller went away: its answer, if it still comes, goes nowhere. */
  drop(handle: number): void {
    this.pending.delete(handle);
  }

  get size(): number {
    return this.pending.size;
  }
}
