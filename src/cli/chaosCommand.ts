import { DEFAULT_PROTOCOL } from '../protocol/protocols/index.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from '@commander-js/extra-typings';
import cliProgress from 'cli-progress';
import { DEFAULT_NEMESES, NEMESES, POWER_NEMESES, type NemesisKind } from '../chaos/nemesis.js';
import { powerFsUnavailable } from '../cluster/powerFs.js';
import { runChaos, WORKLOADS, type ChaosReport, type WorkloadName } from '../chaos/runChaos.js';
import { parseDurationMs, parseIntIn, parseProtocol, PROTOCOL_HELP } from './parse.js';
import { action, CliError } from './run.js';
import { verdictOf } from '../workload/checks.js';

function parseNemeses(value: string): NemesisKind[] {
  if (value === 'none') return [];
  const kinds = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const k of kinds) {
    if (!(NEMESES as readonly string[]).includes(k)) throw new InvalidArgumentError(`unknown nemesis "${k}" (use ${NEMESES.join(',')} or none)`);
  }
  return kinds as NemesisKind[];
}

function parseWorkload(v: string): WorkloadName {
  if (!(WORKLOADS as readonly string[]).includes(v)) throw new InvalidArgumentError(`workload must be one of ${WORKLOADS.join(', ')}`);
  return v as WorkloadName;
}

/** The progress bar on stderr (one line every 5 s when stderr is not a terminal). */
function chaosProgressBar(): cliProgress.SingleBar {
  return new cliProgress.SingleBar(
    {
      format: 'chaos {bar} {elapsed}/{total}s | ok {ok} fail {fail} unknown {info} | {fault}',
      stream: process.stderr,
      noTTYOutput: true,
      notTTYSchedule: 5000,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
}

/** The isolation anomalies the register workload found: up to 3 per class, each with its transactions and edges. */
function printAnomalies(report: ChaosReport): void {
  for (const [kind, list] of Object.entries(report.isolation?.anomalies ?? {})) {
    if (list.length === 0) continue;
    process.stdout.write(`\n${kind}: ${list.length} found${(report.isolation!.truncated as readonly string[]).includes(kind) ? ' (search capped)' : ''}\n`);
    for (const a of list.slice(0, 3)) process.stdout.write(`  ${a.name}: ${a.detail}\n`);
  }
}

/** The text report: one line per check, then the ops, faults, latency and where the files are. */
function printChaosReport(report: ChaosReport): void {
  const w = Math.max(...report.checks.map((c) => c.name.length));
  const v = Math.max(...report.checks.map((c) => verdictOf(c).length));
  process.stdout.write(`\n${'check'.padEnd(w)}  ${'verdict'.padEnd(v)}  detail\n`);
  for (const c of report.checks) process.stdout.write(`${c.name.padEnd(w)}  ${verdictOf(c).padEnd(v)}  ${c.detail}\n`);
  printAnomalies(report);
  process.stdout.write(
    `\nops: ${report.ops.ok} ok, ${report.ops.fail} failed, ${report.ops.info} unknown; ${report.faults.length} faults injected\n` +
      `commit latency: p50 ${report.commitLatency.p50} ms, p99 ${report.commitLatency.p99} ms (${report.commitLatency.count} committed)\n` +
      (report.reshard
        ? `reshard: ${report.reshard.actions.length} membership changes (${report.reshard.actions.filter((a) => a.ok).length} done, ` +
          `${report.reshard.actions.filter((a) => !a.ok).length} failed), ${report.reshard.shardsMoved} shards moved; ` +
          `added ${report.reshard.added.join(',') || 'none'}, removed ${report.reshard.removed.join(',') || 'none'}\n`
        : '') +
      `blocked while the coordinator was down: ${
        report.blockedWhileCoordinatorDown === null
          ? 'not measured (no coordinator kill)'
          : `${report.blockedWhileCoordinatorDown} txns in doubt just before it came back (${report.coordinatorOutages.map((x) => `${x.last}/max ${x.max}`).join(', ')})`
      }\n` +
      `history: ${report.historyPath}\nnode logs: ${report.logsDir}\n`,
  );
}

/** What `dtx chaos --help` teaches after the options: the nemeses, examples, workloads, verdicts. */
const CHAOS_HELP =
  '\nNemeses: kill (any node), kill-coordinator (one coordinator down 5-6.5 s), kill-participant (down 2-3.5 s),\n' +
  'pause (SIGSTOP), partition (a coordinator from a participant, or {cX,pX}|{others}; either may be one-way;\n' +
  'with --coordinators 2+, also one coordinator from the others),\n' +
  'delay (+ drops, duplicates), skew,\n' +
  'reshard (beside the others: adds a participant, moves random shards, removes the one it added; only when named),\n' +
  "power (a node's power cut: kill -9, then its disk forgets every write not fsync'd, sometimes tearing the last page;\n" +
  "restarted on what was durable), power-all (every node at once), power-coordinator (a coordinator's, at its next fsync).\n" +
  'With a power nemesis every node runs on powerfs, a FUSE file system (needs /dev/fuse, python3-fusepy, fuse3); only when named.\n' +
  'hedge (a client fault: every transaction also sent, under its id, to another coordinator or the same one again,\n' +
  'as a client that hedges a slow call or retries too soon; its owner must run it once; only when named).\n' +
  '\nExamples:\n  dtx chaos --workload bank --nemesis kill,pause,partition,delay,skew --duration 60s --seed 7 --concurrency 8\n' +
  '  dtx chaos --workload cart --nemesis kill-coordinator --protocol nb --duration 20s\n' +
  '  dtx chaos --workload lock --coordinators 2 --nemesis kill-coordinator,partition,pause --duration 30s\n' +
  '  dtx chaos --workload cart --nemesis reshard,kill --protocol nb --duration 30s\n' +
  '  dtx chaos --workload bank --nemesis power,kill,partition --protocol nb --duration 30s\n' +
  '  dtx chaos --workload bank --coordinators 2 --nemesis hedge,kill-coordinator --duration 20s\n' +
  '  dtx chaos --workload register --nemesis kill,partition --duration 30s   # isolation from the history (Elle-style)\n' +
  '\nWorkloads: bank (transfers, total preserved), cart (checkout: stock, wallet, order), lock (leases, fencing),\n' +
  'register (reads and writes of several keys per transaction; the dependency graph is checked for G0, G1a, G1b,\n' +
  'G1c, G-single, G2-item and real-time cycles; --json gives each anomaly with its transactions and edges).\n' +
  '\nThe report also gives the transactions left in doubt while the coordinator was down\n' +
  '(kill-coordinator) and the commit latency. A check with nothing to look at (no read succeeded,\n' +
  'no grant, ...) is "not measured" and fails the run unless the workload declares it optional.\n' +
  'Exit 0 when every check holds, 1 on any violation or unmeasured check.';

export function chaosCommand() {
  return new Command('chaos')
    .description('break a real local cluster on purpose while a workload runs, then check every guarantee')
    .option('-w, --workload <name>', WORKLOADS.join(' | '), parseWorkload, 'bank' as WorkloadName)
    .option('-n, --nemesis <list>', `faults to inject: ${NEMESES.join(',')} (or none; default all but reshard, power and hedge)`, parseNemeses, [
      ...DEFAULT_NEMESES,
    ])
    .option('-d, --duration <d>', 'how long to run the workload', parseDurationMs, 30_000)
    .option('--protocol <p>', PROTOCOL_HELP, parseProtocol, DEFAULT_PROTOCOL)
    .option('-s, --seed <n>', 'seed of the fault schedule and the workload', parseIntIn(0, 2 ** 31 - 1), 1)
    .option('-c, --concurrency <n>', 'concurrent clients', parseIntIn(1, 256), 8)
    .option('-p, --participants <n>', 'participants', parseIntIn(2, 16), 3)
    .option('--coordinators <n>', 'coordinators c1..cN; each client starts on another one and fails over to the rest', parseIntIn(1, 5), 1)
    .option('-o, --out <dir>', 'where the history and node data go (default: a new temp dir)')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', CHAOS_HELP)
    .action(
      action(async (o) => {
        const noPower = o.nemesis.some((k) => POWER_NEMESES.includes(k)) ? powerFsUnavailable() : null;
        if (noPower) throw new CliError(`the power nemeses need powerfs: ${noPower}`);
        const out = resolve(o.out ?? mkdtempSync(join(tmpdir(), 'dtx-chaos-')));
        const bar = chaosProgressBar();
        process.stderr.write(
          `dtx chaos: ${o.workload} x [${o.nemesis.join(',') || 'no faults'}] on ${o.protocol} with ${o.coordinators} coordinator(s) for ${o.duration / 1000}s, seed ${o.seed}, out ${out}\n`,
        );
        bar.start(Math.round(o.duration / 1000), 0, { elapsed: 0, ok: 0, fail: 0, info: 0, fault: 'starting' });
        const report = await runChaos({
          workload: o.workload,
          nemeses: o.nemesis,
          durationMs: o.duration,
          seed: o.seed,
          concurrency: o.concurrency,
          participants: o.participants,
          coordinators: o.coordinators,
          protocol: o.protocol,
          outDir: out,
          onProgress: (p) =>
            bar.update(Math.min(Math.round(p.elapsedMs / 1000), Math.round(o.duration / 1000)), { ...p, elapsed: Math.round(p.elapsedMs / 1000) }),
        }).finally(() => bar.stop());
        if (o.json) {
          process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        } else {
          printChaosReport(report);
        }
        if (!report.ok) {
          const unmeasured = report.checks.filter((c) => !c.ok && c.measured === false).length;
          throw new CliError(
            `${report.checks.filter((c) => !c.ok).length} checks failed${unmeasured ? ` (${unmeasured} not measured)` : ''} (seed ${o.seed}); history in ${report.historyPath}`,
          );
        }
      }),
    );
}
