import { setTimeout as sleep } from 'node:timers/promises';
import { round3 } from './histogram.js';
import { clockTick, cpuDelta, sampleCpu } from './procCpu.js';

/** The measured window of a run: operations count only when they complete inside it. */
export class MeasureWindow {
  from = Infinity;
  to = Infinity;
  /** Every commit of the run, warmup included: what a warmup by transaction count waits for. */
  committedEver = 0;

  contains(t: number): boolean {
    return t >= this.from && t <= this.to;
  }

  get started(): boolean {
    return this.from !== Infinity;
  }

  get seconds(): number {
    return (this.to - this.from) / 1000;
  }
}

export interface WindowCpu {
  /** CPU seconds of each watched process over the window (null: it could not be read). */
  nodes: Record<string, number | null>;
  /** Their sum, or null when none could be read. */
  total: number | null;
  /** This (client) process's CPU seconds over the window. */
  clientSeconds: number;
}

/** The longest a warmup waits for `warmedUp` beyond its time (a bound, so a stuck run still ends). */
export const MAX_EXTRA_WARMUP_MS = 60_000;

/**
 * Warm up — for `warmupMs` and then until `warmupTxns` transactions have committed (at most
 * MAX_EXTRA_WARMUP_MS more; the load loops count them in `window.committedEver`) — then measure for `durationMs`, sampling the watched
 * processes' CPU and this process's at both edges. `beforeMeasure` runs between warmup and
 * window (e.g. to snapshot node counters); `onEnd` always runs, so that load loops stop
 * even if sampling throws. Resolves with the CPU figures and how long the warmup took.
 */
export async function runWindow(
  o: {
    warmupMs: number;
    durationMs: number;
    pids: Map<string, number>;
    beforeMeasure?: () => Promise<void>;
    warmupTxns?: number;
    /** Ends the window early once true (checked every 100 ms), e.g. when enough transactions committed. */
    until?: () => boolean;
  },
  window: MeasureWindow,
  onEnd: () => void,
): Promise<WindowCpu & { warmupMs: number }> {
  let cpuBefore = sampleCpu(o.pids);
  let clientBefore = process.cpuUsage();
  const t0 = performance.now();
  try {
    await sleep(o.warmupMs);
    for (let i = 0; window.committedEver < (o.warmupTxns ?? 0) && i < MAX_EXTRA_WARMUP_MS / 100; i++) await sleep(100);
    await o.beforeMeasure?.();
    cpuBefore = sampleCpu(o.pids);
    clientBefore = process.cpuUsage();
    window.from = performance.now();
    if (o.until) {
      const end = window.from + o.durationMs;
      while (!o.until() && performance.now() < end) await sleep(Math.min(100, Math.max(1, end - performance.now())));
    } else {
      await sleep(o.durationMs);
    }
    window.to = performance.now();
  } finally {
    onEnd();
  }
  const nodes = cpuDelta(cpuBefore, sampleCpu(o.pids));
  const clientUsed = process.cpuUsage(clientBefore);
  const known = Object.values(nodes).filter((v): v is number => v !== null);
  return {
    nodes,
    total: known.length > 0 ? round3(known.reduce((a, b) => a + b, 0)) : null,
    clientSeconds: (clientUsed.user + clientUsed.system) / 1e6,
    warmupMs: Math.round(window.from - t0),
  };
}

/** The CPU part of a bench report: per node, in total, per committed transaction, and the client's. */
export function cpuReport(cpu: WindowCpu, pids: Map<string, number>, committed: number, windowS: number) {
  const { nodes, total, clientSeconds } = cpu;
  return {
    clockTick: clockTick(),
    nodes,
    pids: Object.fromEntries(pids),
    totalSeconds: total,
    secondsPerCommitted: total !== null && committed > 0 ? total / committed : null,
    nodeCoresBusy: total !== null ? round3(total / windowS) : null,
    clientSeconds: round3(clientSeconds),
    clientCoresBusy: round3(clientSeconds / windowS),
  };
}

/**
 * Events (commits) counted in 100 ms buckets from a start time, so that throughput can be read
 * afterwards over any 1 s window on a 100 ms grid: back-to-back windows for a steady level,
 * sliding ones for the worst second of a disturbance (a stall that straddles two aligned
 * seconds shows whole in some sliding window).
 */
export class RateSeries {
  static readonly BUCKET_MS = 100;
  private readonly buckets: number[] = [];

  constructor(readonly t0: number) {}

  record(t: number): void {
    const i = Math.floor((t - this.t0) / RateSeries.BUCKET_MS);
    if (i >= 0) this.buckets[i] = (this.buckets[i] ?? 0) + 1;
  }

  /** Events per second in the `widthMs` window that starts at bucket `i`. */
  private rateAt(i: number, widthMs: number): number {
    const n = Math.round(widthMs / RateSeries.BUCKET_MS);
    let sum = 0;
    for (let j = i; j < i + n; j++) sum += this.buckets[j] ?? 0;
    return (sum * 1000) / widthMs;
  }

  /** The first whole bucket at or after time t. */
  private bucketFrom(t: number): number {
    return Math.max(0, Math.ceil((t - this.t0) / RateSeries.BUCKET_MS - 1e-9));
  }

  /** Back-to-back 1 s windows that fit in [from, to] (performance.now() times): events per second each. */
  alignedWindows(from: number, to: number, widthMs = 1000): number[] {
    const step = Math.round(widthMs / RateSeries.BUCKET_MS);
    const out: number[] = [];
    for (let i = this.bucketFrom(from); this.t0 + (i + step) * RateSeries.BUCKET_MS <= to + 1e-6; i += step) out.push(this.rateAt(i, widthMs));
    return out;
  }

  /**
   * Every 1 s window on the 100 ms grid that lies within [from, to]; when the span is shorter
   * than a window, the one window that starts at `from` (it covers the whole span).
   * `offsetMs` is each window's start after `from`.
   */
  slidingWindows(from: number, to: number, widthMs = 1000): { offsetMs: number; perSec: number }[] {
    const first = this.bucketFrom(from);
    const out: { offsetMs: number; perSec: number }[] = [];
    const at = (i: number) => ({ offsetMs: Math.round(this.t0 + i * RateSeries.BUCKET_MS - from), perSec: this.rateAt(i, widthMs) });
    for (let i = first; this.t0 + i * RateSeries.BUCKET_MS + widthMs <= to + 1e-6; i++) out.push(at(i));
    if (out.length === 0) out.push(at(first));
    return out;
  }
}

/** The median of a list of numbers (0 for none). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
