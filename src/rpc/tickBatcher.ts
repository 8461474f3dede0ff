/**
 * Coalesces items produced during one turn of the event loop into one batch, flushed
 * on setImmediate (or as soon as it reaches `maxItems`): many transactions' messages
 * then travel in one stream write, the way group commit shares one fsync.
 */
export class TickBatcher<T> {
  private items: T[] = [];
  private scheduled = false;

  constructor(
    private readonly flush: (items: T[]) => void,
    private readonly maxItems = 512,
  ) {}

  push(item: T): void {
    this.items.push(item);
    if (this.items.length >= this.maxItems) {
      this.flushNow();
    } else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flushNow());
    }
  }

  flushNow(): void {
    this.scheduled = false;
    if (this.items.length === 0) return;
    const batch = this.items;
    this.items = [];
    this.flush(batch);
  }
}
