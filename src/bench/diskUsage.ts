import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Bytes of every file under `dir` (LevelDB's log, tables and manifest; at most `maxEntries` looked at). */
export function dirBytes(dir: string, maxEntries = 100_000): number {
  let bytes = 0;
  let seen = 0;
  const walk = (d: string): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return; // a LevelDB table deleted by a compaction between list and stat: not there any more
    }
    for (const e of entries) {
      if (++seen > maxEntries) return;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        try {
          bytes += statSync(p).size;
        } catch {
          // gone since the listing (compaction): counts as 0
        }
      }
    }
  };
  walk(dir);
  return bytes;
}

/** One reading of every node's data directory, with how many transactions had committed by then. */
export interface DiskSample {
  atS: number;
  committed: number;
  bytes: Record<string, number>;
}

/**
 * Bytes on disk per node, read every `everyMs` while a run lasts: what shows whether retention
 * keeps disk use flat (bytes level off) or not (they grow with the transactions committed).
 */
export class DiskSampler {
  readonly samples: DiskSample[] = [];
  private timer: NodeJS.Timeout | null = null;
  private t0 = 0;

  constructor(
    private readonly dirs: ReadonlyMap<string, string>,
    private readonly committed: () => number,
  ) {}

  /** The bytes now, without recording a sample. */
  read(): Record<string, number> {
    return Object.fromEntries([...this.dirs].map(([node, dir]) => [node, dirBytes(dir)]));
  }

  start(everyMs: number): void {
    this.t0 = performance.now();
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
  }

  private sample(): void {
    this.samples.push({ atS: Math.round((performance.now() - this.t0) / 100) / 10, committed: this.committed(), bytes: this.read() });
  }
}

/** Bytes on disk per node over a run: at its start, half-way (by commits), at its end, the most seen. */
export interface DiskReport {
  retention: string;
  everyMs: number;
  start: Record<string, number>;
  halfway: Record<string, number>;
  end: Record<string, number>;
  max: Record<string, number>;
  /**
   * What the second half of the run (by commits) added to disk over what the first half added,
   * all nodes summed: about 0 when retention holds disk use flat (the first half includes the
   * window's fill), about 1 when disk grows with the transactions.
   */
  growthSecondHalf: number;
  samples: DiskSample[];
}

export function diskReport(retention: string, everyMs: number, samples: readonly DiskSample[]): DiskReport {
  const first = samples[0]!;
  const last = samples[samples.length - 1]!;
  const half = samples.find((s) => s.committed >= last.committed / 2) ?? last;
  const sum = (b: Record<string, number>) => Object.values(b).reduce((a, x) => a + x, 0);
  const max: Record<string, number> = {};
  for (const s of samples) for (const [n, b] of Object.entries(s.bytes)) max[n] = Math.max(max[n] ?? 0, b);
  return {
    retention,
    everyMs,
    start: first.bytes,
    halfway: half.bytes,
    end: last.bytes,
    max,
    growthSecondHalf: Math.round(((sum(last.bytes) - sum(half.bytes)) / Math.max(1, sum(half.bytes) - sum(first.bytes))) * 1000) / 1000,
    samples: [...samples],
  };
}
