/**
 * The console's charts: throughput (committed and aborted per second) and latency (p50, p99) of
 * one coordinator, one point a second, the last ten minutes in a bounded ring.
 */

/** Cumulative counters read from the node's metrics at one instant. */
export interface TxnTotals {
  atMs: number;
  committed: number;
  aborted: number;
  /** Cumulative latency bucket counts (seconds), the last bound +Inf. */
  buckets: { le: number; count: number }[];
}

export interface SeriesPoint {
  atMs: number;
  committedPerSec: number;
  abortedPerSec: number;
  /** Milliseconds; null when no transaction finished in the interval. */
  p50Ms: number | null;
  p99Ms: number | null;
}

export const SERIES_POINTS = 600;

/**
 * The q-quantile of the observations between two cumulative bucket readings, interpolated
 * linearly inside its bucket (as Prometheus' histogram_quantile); the +Inf bucket answers its
 * lower bound. Null with no observation.
 */
export function quantileBetween(before: TxnTotals['buckets'], after: TxnTotals['buckets'], q: number): number | null {
  const delta = after.map((b) => ({ le: b.le, count: b.count - (before.find((x) => x.le === b.le)?.count ?? 0) }));
  const total = delta.at(-1)?.count ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lowerLe = 0;
  let lowerCount = 0;
  for (const b of delta) {
    if (b.count >= rank) {
      if (!Number.isFinite(b.le)) return lowerLe;
      const inBucket = b.count - lowerCount;
      return inBucket <= 0 ? b.le : lowerLe + (b.le - lowerLe) * ((rank - lowerCount) / inBucket);
    }
    lowerLe = b.le;
    lowerCount = b.count;
  }
  return lowerLe;
}

/** Points from successive readings, at most SERIES_POINTS of them. */
export class TxnSeries {
  private readonly ring: SeriesPoint[] = [];
  private last: TxnTotals | null = null;

  constructor(private readonly capacity = SERIES_POINTS) {}

  add(t: TxnTotals): void {
    const prev = this.last;
    this.last = t;
    if (!prev || t.atMs <= prev.atMs) return;
    const secs = (t.atMs - prev.atMs) / 1000;
    const ms = (v: number | null) => (v === null ? null : Math.round(v * 1e6) / 1e3);
    this.ring.push({
      atMs: t.atMs,
      // A counter that went down (a restart of the registry) counts from zero, not negative.
      committedPerSec: Math.max(0, t.committed - prev.committed) / secs,
      abortedPerSec: Math.max(0, t.aborted - prev.aborted) / secs,
      p50Ms: ms(quantileBetween(prev.buckets, t.buckets, 0.5)),
      p99Ms: ms(quantileBetween(prev.buckets, t.buckets, 0.99)),
    });
    if (this.ring.length > this.capacity) this.ring.splice(0, this.ring.length - this.capacity);
  }

  points(): SeriesPoint[] {
    return [...this.ring];
  }
}
