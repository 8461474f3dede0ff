import { emptyStats, simulate, type BugName, type InvariantName, type SimResult, type SimStats } from './simulator.js';

export interface RunSeedsOptions {
  from?: number;
  count: number;
  participants?: number;
  bug?: BugName;
  faults?: boolean;
  strictDurability?: boolean;
  traceLines?: number;
  /** Stop at the first failing seed (default false: run them all). */
  stopOnFailure?: boolean;
  /** Called after every seed (progress reporting). */
  onSeed?: (r: SimResult, done: number) => void;
}

export interface SeedFailure {
  seed: number;
  invariant: InvariantName;
  message: string;
  atMs: number;
  trace: string[];
}

export interface RunSeedsSummary {
  from: number;
  seedsRun: number;
  passed: number;
  failures: SeedFailure[];
  elapsedMs: number;
  seedsPerSecond: number;
  /** Sums over every seed run. */
  totals: SimStats;
}

/** Runs seeds from..from+count-1 and summarizes. Wall time is measured only to report speed. */
export function runSeeds(o: RunSeedsOptions): RunSeedsSummary {
  const from = o.from ?? 1;
  const started = performance.now();
  const failures: SeedFailure[] = [];
  const totals: SimStats = emptyStats();
  let seedsRun = 0;
  for (let seed = from; seed < from + o.count; seed++) {
    const r = simulate({
      seed,
      ...(o.participants !== undefined ? { participants: o.participants } : {}),
      ...(o.bug ? { bug: o.bug } : {}),
      ...(o.faults !== undefined ? { faults: o.faults } : {}),
      ...(o.strictDurability !== undefined ? { strictDurability: o.strictDurability } : {}),
      ...(o.traceLines !== undefined ? { traceLines: o.traceLines } : {}),
    });
    seedsRun++;
    for (const k of Object.keys(totals) as (keyof SimStats)[]) totals[k] += r.stats[k];
    if (r.violation) {
      failures.push({ seed, invariant: r.violation.invariant, message: r.violation.message, atMs: r.violation.atMs, trace: r.trace });
    }
    o.onSeed?.(r, seedsRun);
    if (r.violation && o.stopOnFailure) break;
  }
  const elapsedMs = performance.now() - started;
  return {
    from,
    seedsRun,
    passed: seedsRun - failures.length,
    failures,
    elapsedMs,
    seedsPerSecond: seedsRun / Math.max(elapsedMs / 1000, 1e-9),
    totals,
  };
}
