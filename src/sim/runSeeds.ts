import { DEFAULT_PROTOCOL } from '../protocol/protocols/index.js';
import type { ProtocolName } from '../protocol/types.js';
import {
  emptyStats,
  FAULT_KINDS,
  simulate,
  type FaultKind,
  type InvariantName,
  type ProtocolMode,
  type SimOptions,
  type SimResult,
  type SimStats,
} from './simulator.js';

/** The simulation's own options apply to every seed; these choose the seeds and the reporting. */
export interface RunSeedsOptions extends Pick<
  SimOptions,
  | 'participants'
  | 'coordinators'
  | 'protocol'
  | 'nemesis'
  | 'partitionMs'
  | 'bug'
  | 'faults'
  | 'strictDurability'
  | 'traceLines'
  | 'lockClients'
  | 'clients'
  | 'reshard'
  | 'retentionMs'
> {
  from?: number;
  count: number;
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
export async function runSeeds(o: RunSeedsOptions): Promise<RunSeedsSummary> {
  const { from: first, count: _count, stopOnFailure: _stop, onSeed: _onSeed, ...simOptions } = o;
  const from = first ?? 1;
  const protocol = o.protocol ?? DEFAULT_PROTOCOL;
  const started = performance.now();
  const failures: SeedFailure[] = [];
  const violations: ViolationTally = {};
  const totals: SimStats = emptyStats();
  let seedsRun = 0;
  for (let seed = from; seed < from + o.count; seed++) {
    const r = await simulate({
      ...simOptions,
      seed,
      protocol,
      // Only the first failure's story is replayed (a replay costs another run of the seed).
      focus: failures.length === 0,
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
