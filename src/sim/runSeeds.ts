import type { ProtocolName } from '../protocol/types.js';
import {
  emptyStats,
  FAULT_KINDS,
  simulate,
  type BugName,
  type FaultKind,
  type InvariantName,
  type ProtocolMode,
  type SimResult,
  type SimStats,
} from './simulator.js';

export interface RunSeedsOptions {
  from?: number;
  count: number;
  participants?: number;
  /** Commit protocol of every seed (default '2pc'); 'mixed': each transaction picks one. */
  protocol?: ProtocolMode;
  /** Fault kinds the nemesis may inject (default: all). */
  nemesis?: readonly FaultKind[];
  /** How long partitions last (simulated ms; default 100..2000). */
  partitionMs?: { min: number; max: number };
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
  /** The protocol of the transaction the violation names (for 'mixed' runs), when it names one. */
  protocol?: ProtocolName;
  trace: string[];
}

/** Per protocol: how many seeds violated each invariant (a seed stops at its first violation). */
export type ViolationTally = Partial<Record<ProtocolName | 'unattributed', Partial<Record<InvariantName, number>>>>;

export interface RunSeedsSummary {
  from: number;
  protocol: ProtocolMode;
  nemesis: readonly FaultKind[];
  seedsRun: number;
  passed: number;
  failures: SeedFailure[];
  violations: ViolationTally;
  elapsedMs: number;
  seedsPerSecond: number;
  /** Sums over every seed run. */
  totals: SimStats;
}

/** Runs seeds from..from+count-1 and summarizes. Wall time is measured only to report speed. */
export function runSeeds(o: RunSeedsOptions): RunSeedsSummary {
  const from = o.from ?? 1;
  const protocol = o.protocol ?? '2pc';
  const started = performance.now();
  const failures: SeedFailure[] = [];
  const violations: ViolationTally = {};
  const totals: SimStats = emptyStats();
  let seedsRun = 0;
  for (let seed = from; seed < from + o.count; seed++) {
    const r = simulate({
      seed,
      protocol,
      // Only the first failure's story is replayed (a replay costs another run of the seed).
      focus: failures.length === 0,
      ...(o.participants !== undefined ? { participants: o.participants } : {}),
      ...(o.nemesis !== undefined ? { nemesis: o.nemesis } : {}),
      ...(o.partitionMs !== undefined ? { partitionMs: o.partitionMs } : {}),
      ...(o.bug ? { bug: o.bug } : {}),
      ...(o.faults !== undefined ? { faults: o.faults } : {}),
      ...(o.strictDurability !== undefined ? { strictDurability: o.strictDurability } : {}),
      ...(o.traceLines !== undefined ? { traceLines: o.traceLines } : {}),
    });
    seedsRun++;
    for (const k of Object.keys(totals) as (keyof SimStats)[]) totals[k] += r.stats[k];
    if (r.violation) {
      const v = r.violation;
      failures.push({
        seed,
        invariant: v.invariant,
        message: v.message,
        atMs: v.atMs,
        ...(v.protocol ? { protocol: v.protocol } : {}),
        trace: r.trace,
      });
      const byInvariant = (violations[v.protocol ?? (protocol === 'mixed' ? 'unattributed' : protocol)] ??= {});
      byInvariant[v.invariant] = (byInvariant[v.invariant] ?? 0) + 1;
    }
    o.onSeed?.(r, seedsRun);
    if (r.violation && o.stopOnFailure) break;
  }
  const elapsedMs = performance.now() - started;
  return {
    from,
    protocol,
    nemesis: o.nemesis ?? FAULT_KINDS,
    seedsRun,
    passed: seedsRun - failures.length,
    failures,
    violations,
    elapsedMs,
    seedsPerSecond: seedsRun / Math.max(elapsedMs / 1000, 1e-9),
    totals,
  };
}

/** "3pc: atomicity 2 (seeds 199, 204), liveness 1 (seed 12)" — one line per protocol with violations. */
export function describeViolations(s: RunSeedsSummary): string[] {
  return Object.entries(s.violations).map(([protocol, byInvariant]) => {
    const parts = Object.entries(byInvariant ?? {}).map(([inv, n]) => {
      const seeds = s.failures
        .filter((f) => f.invariant === inv && (f.protocol ?? (s.protocol === 'mixed' ? 'unattributed' : s.protocol)) === protocol)
        .map((f) => f.seed);
      const shown = seeds.slice(0, 8).join(', ') + (seeds.length > 8 ? ', …' : '');
      return `${inv} ${n} (seed${seeds.length === 1 ? '' : 's'} ${shown})`;
    });
    return `${protocol}: ${parts.join('; ')}`;
  });
}
