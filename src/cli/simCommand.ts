import { readFileSync } from 'node:fs';
import { Command, Option } from '@commander-js/extra-typings';
import { runScenario } from '../sim/scenario.js';
import { PLANTED_BUGS, type PlantedBug } from '../runtime/plantedBugs.js';
import { CRASH_ONLY, FAULT_KINDS, INVARIANTS, PROTOCOL_MODES, type FaultKind, type ProtocolMode, type SimResult } from '../sim/simulator.js';
import { DEFAULT_PROTOCOL } from '../protocol/protocols/index.js';
import { describeViolations, runSeeds, type RunSeedsSummary, type SeedFailure } from '../sim/runSeeds.js';
import { parseIntIn } from './parse.js';
import { action, CliError } from './run.js';

function parseNemesis(v: string): FaultKind[] {
  if (v === 'all') return [...FAULT_KINDS];
  if (v === 'crash-only') return [...CRASH_ONLY];
  const kinds = v
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  for (const k of kinds) {
    if (!FAULT_KINDS.includes(k as FaultKind)) {
      throw new CliError(`--nemesis: unknown fault kind '${k}' (one of ${FAULT_KINDS.join(', ')}, or all, crash-only)`);
    }
  }
  return kinds as FaultKind[];
}

function parsePartitionMs(v: string): { min: number; max: number } {
  const m = /^(\d+)(?:-(\d+))?$/.exec(v.trim());
  const min = m ? Number(m[1]) : NaN;
  const max = m ? Number(m[2] ?? m[1]) : NaN;
  if (!m || !(min <= max) || max > 600_000) throw new CliError(`--partition-ms: expected MIN-MAX in ms (e.g. 2000-6000), got '${v}'`);
  return { min, max };
}

function replayCommand(
  seed: number,
  o: { participants: number; coordinators: number; protocol: string; nemesis: string; partitionMs: string | undefined; reshard?: true; retention?: number },
): string {
  return (
    `dtx sim --from ${seed} --seeds 1 --verbose` +
    (o.participants !== 3 ? ` --participants ${o.participants}` : '') +
    (o.coordinators !== 1 ? ` --coordinators ${o.coordinators}` : '') +
    (o.protocol !== DEFAULT_PROTOCOL ? ` --protocol ${o.protocol}` : '') +
    (o.nemesis !== 'all' ? ` --nemesis ${o.nemesis}` : '') +
    (o.partitionMs !== undefined ? ` --partition-ms ${o.partitionMs}` : '') +
    (o.reshard ? ' --reshard' : '') +
    (o.retention !== undefined ? ` --retention ${o.retention}` : '')
  );
}

function printFailure(f: SeedFailure, focus: string[] | undefined, out: NodeJS.WritableStream, replay: string): void {
  out.write(
    `\nFAILED seed ${f.seed}: ${f.invariant} (${INVARIANTS[f.invariant]})${f.protocol ? ` [${f.protocol}]` : ''}\n` +
      `  ${f.message}\n  at simulated t=${f.atMs}ms\n`,
  );
  if (focus && focus.length > 0) {
    out.write(`\n-- the transactions involved and every fault injected (whole run, replayed from the seed):\n`);
    for (const line of focus) out.write(`${line}\n`);
  }
  out.write(`\n-- the last ${f.trace.length} events:\n`);
  for (const line of f.trace) out.write(`${line}\n`);
  out.write(`\nreplay: ${replay}\n`);
}

/** The help after the options: what a seed runs, the faults, the protocols and the planted bugs. */
function simHelp(): string {
  return `
Each seed runs the coordinators (1, or --coordinators N: clients call any, each forwards to the
owner of an id) and the participants (each with the lock service of the locks hashed to it) on the
same runtime and storage code as the node processes, under a bank workload (transfers, audits) and a lock
workload (leases, fenced writes, holders that stall past their lease).

Faults (intensities drawn per seed): message loss, duplication, reordering (random delays),
partitions, crashes with restarts (unsynced writes lost, recovery from the simulated log),
pauses, stalled reads. After 4 s of simulated time the faults stop and everything must finish.
Each seed replays its trace exactly (with the same options).

Protocols: 2pc (presumed abort, cooperative termination), 3pc (Skeen), nb (log-once votes).
Plain 3pc is not safe when a live node can look dead (partitions, message loss, long delays,
pauses): expect atomicity violations there (most often with --nemesis partition
--partition-ms 2000-6000); --nemesis crash-only is what it is safe under.

Planted bugs:
${Object.entries(PLANTED_BUGS)
  .map(([k, v]) => `  ${k.padEnd(40)} ${v}`)
  .join('\n')}

Exit code 1 when any seed fails; the first failing seed's trace is printed.`;
}

/** One line per seed (--verbose): its verdict and what happened in it. */
function seedLine(r: SimResult): string {
  const s = r.stats;
  return (
    `seed ${r.seed}: ${r.ok ? 'ok' : `FAILED ${r.violation!.invariant}${r.violation!.protocol ? ` [${r.violation!.protocol}]` : ''}`} ` +
    `committed=${s.committed} aborted=${s.aborted} audits=${s.auditsChecked} crashes=${s.crashes} ` +
    `pauses=${s.pauses} partitions=${s.partitions} lost=${s.lost} dup=${s.duplicated} events=${s.events} trace=${r.traceDigest}\n`
  );
}

/** The closing summary: seeds passed and failed, totals over every seed, violations by protocol. */
function printSummary(summary: RunSeedsSummary, out: NodeJS.WritableStream): void {
  const t = summary.totals;
  out.write(
    `dtx sim: ${summary.seedsRun} seeds in ${(summary.elapsedMs / 1000).toFixed(1)}s (${summary.seedsPerSecond.toFixed(1)} seeds/s), ` +
      `${summary.passed} passed, ${summary.failures.length} failed\n` +
      `  transfers committed=${t.committed} aborted=${t.aborted}, audits checked=${t.auditsChecked}, ` +
      `crashes=${t.crashes} pauses=${t.pauses} partitions=${t.partitions}, messages=${t.messages} lost=${t.lost} duplicated=${t.duplicated}, ` +
      `unsynced batches lost=${t.lostUnsyncedBatches}, simulated ${(t.simTimeMs / 1000).toFixed(0)}s\n` +
      `  committed by protocol: 2pc=${t.committed2pc} 3pc=${t.committed3pc} nb=${t.committedNb}; ` +
      `participant terminations=${t.terminations}, pre-commits=${t.precommits}; ` +
      `prepares read from memory=${t.readsFromMemory} from the log=${t.readsFromLog}; ` +
      `leases granted=${t.lockGrants}, fenced writes=${t.fencedWrites}, stale writes refused=${t.staleWritesRefused}\n` +
      (t.shardMoves + t.shardMovesRolledBack > 0
        ? `  shard moves=${t.shardMoves} rolled back=${t.shardMovesRolledBack}, prepares refused for a moved shard=${t.wrongShardRefusals}\n`
        : ''),
  );
  for (const line of describeViolations(summary)) out.write(`  violations ${line}\n`);
}

/** The options of `dtx sim`, as commander parses them. */
interface SimFlags {
  seeds: number;
  from: number;
  participants: number;
  coordinators: number;
  protocol: ProtocolMode;
  nemesis: string;
  partitionMs?: string;
  bug?: PlantedBug;
  lax?: true;
  keepGoing?: true;
  verbose?: true;
  scenario?: string;
  reshard?: true;
  retention?: number;
}

/** Runs one scripted scenario (under --seeds seeds from --from); prints why it failed and its trace. */
async function runScenarioFile(o: SimFlags & { scenario: string }): Promise<void> {
  const out = process.stdout;
  let text: string;
  try {
    text = readFileSync(o.scenario, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read scenario ${o.scenario}: ${(err as Error).message}`);
  }
  for (let seed = o.from; seed < o.from + o.seeds; seed++) {
    let r;
    try {
      r = await runScenario(text, { seed, ...(o.bug ? { bug: o.bug } : {}) });
    } catch (err) {
      throw new CliError(`${o.scenario}: ${(err as Error).message}`);
    }
    if (o.verbose) out.write(r.sim.trace.join('\n') + '\n');
    if (!r.ok) {
      if (!o.verbose) out.write(`-- the last ${r.sim.trace.length} events:\n${r.sim.trace.join('\n')}\n`);
      throw new CliError(`${o.scenario} failed with seed ${seed}: ${r.failure}`);
    }
  }
  out.write(`dtx sim: scenario ${o.scenario} holds under seeds ${o.from}..${o.from + o.seeds - 1}${o.bug ? ` with ${o.bug} planted` : ''}\n`);
}

/** Runs the seeds with a progress line a second (or a line per seed), then the summary and the first failure. */
async function runSim(o: SimFlags): Promise<void> {
  if (o.scenario !== undefined) return runScenarioFile({ ...o, scenario: o.scenario });
  const out = process.stdout;
  const { bug, protocol } = o;
  const nemesis = parseNemesis(o.nemesis);
  const partitionMs = o.partitionMs !== undefined ? parsePartitionMs(o.partitionMs) : undefined;
  const replay = (seed: number): string =>
    replayCommand(seed, {
      participants: o.participants,
      coordinators: o.coordinators,
      protocol,
      nemesis: o.nemesis,
      partitionMs: o.partitionMs,
      ...(o.reshard ? { reshard: true as const } : {}),
      ...(o.retention !== undefined ? { retention: o.retention } : {}),
    });
  out.write(
    `dtx sim: seeds ${o.from}..${o.from + o.seeds - 1}, ${o.coordinators} coordinator${o.coordinators > 1 ? 's' : ''} + ${o.participants} participants, protocol ${protocol}` +
      `, nemesis ${nemesis.join(',') || 'none'}${partitionMs ? ` (partitions ${partitionMs.min}-${partitionMs.max} ms)` : ''}` +
      `${bug ? `, planted bug ${bug}` : ''}${o.reshard ? ', shards moving' : ''}${o.retention !== undefined ? `, retention ${o.retention} ms` : ''}\n`,
  );
  let lastReport = performance.now();
  const started = lastReport;
  let failed = 0;
  let firstFocus: string[] | undefined;
  const summary = await runSeeds({
    from: o.from,
    count: o.seeds,
    participants: o.participants,
    coordinators: o.coordinators,
    protocol,
    nemesis,
    ...(partitionMs ? { partitionMs } : {}),
    ...(bug ? { bug } : {}),
    ...(o.lax ? { strictDurability: false } : {}),
    ...(o.reshard ? { reshard: true } : {}),
    ...(o.retention !== undefined ? { retentionMs: o.retention } : {}),
    stopOnFailure: !o.keepGoing,
    onSeed: (r, done) => {
      if (!r.ok) {
        failed++;
        if (firstFocus === undefined) firstFocus = r.focus ?? [];
      }
      if (o.verbose) out.write(seedLine(r));
      const t = performance.now();
      if (!o.verbose && t - lastReport >= 1000) {
        lastReport = t;
        out.write(`  ${done}/${o.seeds} seeds, ${failed} failed, ${(done / ((t - started) / 1000)).toFixed(1)} seeds/s\n`);
      }
    },
  });
  printSummary(summary, out);
  const first = summary.failures[0];
  if (first) {
    printFailure(first, firstFocus, out, replay(first.seed));
    if (summary.failures.length > 1) {
      out.write(
        `\nother failing seeds: ${summary.failures
          .slice(1)
          .map((f) => `${f.seed} (${f.invariant})`)
          .join(', ')}\n`,
      );
    }
    throw new CliError(`${summary.failures.length} of ${summary.seedsRun} seeds violated an invariant (first: seed ${first.seed}, ${first.invariant})`);
  }
}

export function simCommand() {
  return new Command('sim')
    .description('deterministic simulation: the real runtimes and storage layer on a simulated network, disk and clock, with faults from a seed')
    .option('--seeds <n>', 'how many seeds to run', parseIntIn(1, 100_000_000), 100)
    .option('--from <seed>', 'first seed', parseIntIn(0, 2 ** 32 - 1), 1)
    .option('--participants <n>', 'participants per simulated cluster', parseIntIn(1, 16), 3)
    .option('--coordinators <n>', "coordinators per simulated cluster (clients call any; each forwards to an id's owner)", parseIntIn(1, 5), 1)
    .addOption(
      new Option('--protocol <name>', "commit protocol ('mixed': each transaction picks one from the seed)")
        .choices(PROTOCOL_MODES as ProtocolMode[])
        .default('2pc' as ProtocolMode),
    )
    .option('--nemesis <kinds>', `fault kinds to inject: comma-separated ${FAULT_KINDS.join(',')}; 'all'; or 'crash-only' (${CRASH_ONLY.join(',')})`, 'all')
    .option('--partition-ms <min-max>', 'how long each partition lasts, in simulated ms (default 100-2000)')
    .addOption(
      new Option('--bug <name>', 'plant a known bug in the runtime or the storage layer (the checkers must catch it)').choices(
        Object.keys(PLANTED_BUGS) as PlantedBug[],
      ),
    )
    .option('--reshard', 'participants keep a shard map and shards move between them while the workload runs (coordinators learn the map late)')
    .option(
      '--retention <ms>',
      'every node collects finished records older than this many simulated ms, and clients retry some finished ids after it (each must be refused or told the same outcome, never run again)',
      parseIntIn(1000, 600_000),
    )
    .option('--lax', 'check only consequences (atomicity, durability, bank, liveness), not persist-before-send at each send')
    .option('--keep-going', 'run every seed even after a failure')
    .option('--verbose', 'one line per seed; the full story of a failing seed')
    .option(
      '--scenario <file>',
      'run a scripted scenario (test/sim/scenarios/*.scenario) instead of random seeds; it runs under each of the --seeds seeds from --from',
    )
    .addHelpText('after', simHelp())
    .action(action(runSim));
}
