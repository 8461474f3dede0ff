/** A batch is written once it holds this many items... */
export const MAX_BATCH_ITEMS = 512;
/** ...or this many bytes (estimated by the batcher's `weigh`): well under the message limit, whatever the items. */
export const MAX_BATCH_BYTES = 4 << 20;

/**
 * Coalesces items produced during one turn of the event loop into one batch, flushed on
 * setImmediate, or as soon as it reaches `maxItems` items or `maxBytes` (an item larger than
 * that travels alone): many transactions' messages then travel in one stream write, the way
 * group commit shares one fsync, and no write exceeds the receiver's message limit.
 */
export class TickBatcher<T> {
  private items: T[] = [];
  private bytes = 0;
  private scheduled = false;

  constructor(
    private readonly flush: (items: T[]) => void,
    private readonly weigh: (item: T) => number = () => 0,
    private readonly maxItems = MAX_BATCH_ITEMS,
    private readonly maxBytes = MAX_BATCH_BYTES,
  ) {}

  push(item: T): void {
    const w = this.weigh(item);
    if (this.items.length > 0 && this.bytes + w > this.maxBytes) this.flushNow();
    this.items.push(item);
    this.bytes += w;
    if (this.items.length >= this.maxItems || this.bytes >= this.maxBytes) {
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
    this.bytes = 0;
    this.flush(batch);
  }
}
