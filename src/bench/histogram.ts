import * as hdr from 'hdr-histogram-js';

/**
 * Latency percentiles come from an HDR histogram (hdr-histogram-js), not from sorting samples:
 * it records millions of values in constant memory with a bounded relative error (3
 * significant digits here), so p99.9 stays exact to 0.1% however long the run, recording is
 * O(1) on the hot path of every client loop, and histograms of several loops merge losslessly.
 * A sorted array would grow with the run, stall the event loop when sorted, and tempt
 * interpolation mistakes at the tail. Values are recorded in microseconds.
 */
export interface LatencySummary {
  count: number;
  /** milliseconds */
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export class LatencyHistogram {
  private readonly h = hdr.build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000_000, // 10 minutes in µs; autoResize covers anything longer
    numberOfSignificantValueDigits: 3,
    autoResize: true,
    useWebAssembly: false,
  });

  /** Records one latency given in milliseconds (e.g. from performance.now() differences). */
  recordMs(ms: number): void {
    this.h.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  get count(): number {
    return this.h.totalCount;
  }

  reset(): void {
    this.h.reset();
  }

  summary(): LatencySummary {
    const at = (p: number) => (this.h.totalCount === 0 ? 0 : round3(this.h.getValueAtPercentile(p) / 1000));
    return {
      count: this.h.totalCount,
      mean: this.h.totalCount === 0 ? 0 : round3(this.h.mean / 1000),
      p50: at(50),
      p90: at(90),
      p99: at(99),
      p999: at(99.9),
      max: this.h.totalCount === 0 ? 0 : round3(this.h.maxValue / 1000),
    };
  }
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
