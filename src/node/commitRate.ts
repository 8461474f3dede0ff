/** How often the counter is sampled, and how far back the samples go. */
const SAMPLE_MS = 100;
const KEPT_MS = 30_000;

/**
 * A coordinator's committed transactions per second, recent and over the last seconds: the
 * foreground level a shard move yields to (MovePacer). Samples a monotonic counter every 100 ms
 * into a ring of the last 30 s; nothing is kept per transaction.
 */
export class CommitRate {
  private readonly counts = new Float64Array(KEPT_MS / SAMPLE_MS);
  private readonly times = new Float64Array(KEPT_MS / SAMPLE_MS);
  /** Samples taken so far (the ring's write position is samples % length). */
  private samples = 0;
  private readonly timer: NodeJS.Timeout | null;

  constructor(
    private readonly committed: () => number,
    private readonly now: () => number = () => performance.now(),
    autoSample = true,
  ) {
    this.sample();
    this.timer = autoSample ? setInterval(() => this.sample(), SAMPLE_MS) : null;
    this.timer?.unref();
  }

  sample(): void {
    const i = this.samples % this.counts.length;
    this.counts[i] = this.committed();
    this.times[i] = this.now();
    this.samples++;
  }

  /** Commits a second over the last `ms` (as far as the samples reach); 0 before two samples. */
  perSecond(ms: number): number {
    const newest = this.at(0);
    if (!newest) return 0;
    const oldest = this.back(ms);
    if (!oldest || newest.t <= oldest.t) return 0;
    return ((newest.count - oldest.count) * 1000) / (newest.t - oldest.t);
  }

  /** The median of the back-to-back 1 s rates over the last `ms`: a level that one bad second does not move. */
  medianPerSecond(ms: number): number {
    const rates: number[] = [];
    const perWindow = Math.round(1000 / SAMPLE_MS);
    for (let k = 0; (k + 1) * perWindow < Math.min(this.samples, this.counts.length) && (k + 1) * 1000 <= ms; k++) {
      const a = this.at(k * perWindow)!;
      const b = this.at((k + 1) * perWindow)!;
      if (a.t > b.t) rates.push(((a.count - b.count) * 1000) / (a.t - b.t));
    }
    if (rates.length === 0) return 0;
    rates.sort((x, y) => x - y);
    return rates[Math.floor(rates.length / 2)]!;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** The sample `k` steps back from the newest (0: the newest). */
  private at(k: number): { count: number; t: number } | null {
    if (k >= this.samples || k >= this.counts.length) return null;
    const i = (this.samples - 1 - k) % this.counts.length;
    return { count: this.counts[i]!, t: this.times[i]! };
  }

  /** The newest sample at least `ms` older than the newest (or the oldest kept). */
  private back(ms: number): { count: number; t: number } | null {
    const newest = this.at(0);
    const kept = Math.min(this.samples, this.counts.length);
    if (!newest || kept < 2) return null;
    for (let k = 1; k < kept; k++) {
      const s = this.at(k)!;
      if (newest.t - s.t >= ms) return s;
    }
    return this.at(kept - 1);
  }
}
