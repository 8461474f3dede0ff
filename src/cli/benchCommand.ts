import { DEFAULT_PROTOCOL } from '../protocol/protocols/index.js';
import { writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from '@commander-js/extra-typings';
import cliProgress from 'cli-progress';
import { runEtcdBank } from '../bench/etcdBank.js';
import { measureFloor } from '../bench/floor.js';
import { formatBench, formatFloor, formatReshard } from '../bench/format.js';
import { runReshardBench, type ReshardMove, type ReshardProgress } from '../bench/reshardBench.js';
import { runBench, type BenchReport, type Progress } from '../bench/runBench.js';
import { parseAddress, parseDurationMs, parseIntIn, parseProtocol, parseRetention, PROTOCOL_HELP } from './parse.js';
import { dialSecurityFrom, withDialOptions } from './securityOptions.js';
import { action, CliError, EXIT } from './run.js';

const oneOf =
  <T extends string>(name: string, values: readonly T[]) =>
  (v: string): T => {
    if (!(values as readonly string[]).includes(v)) throw new InvalidArgumentError(`${name} must be one of ${values.join(', ')}`);
    return v as T;
  };

function parseFraction(v: string): number {
  const n = Number(v);
  if (!/^[0-9.]+$/.test(v) || !(n >= 0 && n <= 1)) throw new InvalidArgumentError(`expected a fraction 0..1, got "${v}"`);
  return n;
}

function parseMoves(v: string): ReshardMove[] {
  const moves = v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  if (moves.length === 0 || moves.some((m) => m !== 'add' && m !== 'remove'))
    throw new InvalidArgumentError(`expected add and remove, comma-separated, got "${v}"`);
  return moves as ReshardMove[];
}

function parsePids(v: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const part of v.split(',').filter(Boolean)) {
    const [name, pid] = part.split('=');
    if (!name || !pid || !/^[0-9]+$/.test(pid)) throw new InvalidArgumentError(`expected name=pid,..., got "${part}"`);
    m.set(name, Number(pid));
  }
  return m;
}

/** Writes the JSON report: "-" is stdout (the text report then goes to stderr). */
function writeJson(file: string | undefined, value: unknown): void {
  if (!file) return;
  const text = `${JSON.stringify(value, null, 2)}\n`;
  if (file === '-') process.stdout.write(text);
  else writeFileSync(file, text);
}

/** The text report goes to stdout, or to stderr when stdout carries the JSON. */
function say(jsonFile: string | undefined, text: string): void {
  (jsonFile === '-' ? process.stderr : process.stdout).write(`${text}\n`);
}

function progressBar(label: string) {
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} {bar} {value}/{total}s | {phase} | committed {committed} ({rate}/s) | aborted {aborted} | errors {errors}`,
      stream: process.stderr,
      noTTYOutput: false,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let lastCommitted = 0;
  let lastT = 0;
  let rate = 0;
  return {
    update(p: Progress) {
      const total = Math.round(p.totalMs / 1000);
      const value = Math.min(Math.round(p.elapsedMs / 1000), total);
      if (p.elapsedMs - lastT >= 1000 || p.committed < lastCommitted) {
        rate = p.committed >= lastCommitted && p.elapsedMs > lastT ? Math.round(((p.committed - lastCommitted) * 1000) / (p.elapsedMs - lastT)) : 0;
        lastCommitted = p.committed;
        lastT = p.elapsedMs;
      }
      const payload = { phase: p.phase, committed: p.committed, aborted: p.aborted, errors: p.errors, rate };
      if (!started) {
        bar.start(total, value, payload);
        started = true;
      } else bar.update(value, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

const BENCH_HELP = `
Durability: every commit is fsync'd (participant prepare + coordinator decision before the
reply, then the participant commit record, which may wait up to 2 ms to share the next
prepare's fsync and is acknowledged only once synced); the benchmark never turns that off.

Warmup: at least --warmup and --warmup-txns committed transactions: the nodes' JavaScript
is optimized by V8 after enough calls, so at concurrency 1 the warmup takes ~15 s.

Resharding (--reshard add,remove): starts --participants (3), loads --accounts (1,000,000;
transactions of up to 1,000 puts, one shard each, see --load-by), runs bank transfers at
--concurrency, then: a steady period of --duration (its median 1 s window is the level
before), each move under load (add: start the next participant's process, then — measured
from here, as if it ran on its own machine — add it to the map and move shards to it until
even; remove: drain the last one), a steady period after each. Reports the worst 1 s window
of each move (sliding, 100 ms grid) against the level before (the dip), the move's duration,
keys moved and keys/s, the shards per participant after it, and the bank total read back at
the end; exits 1 if the total moved or a move failed (the report is written first). --data
keeps the node logs (<dir>/logs/c1.log has one "shards moved" line per step).

Examples:
  dtx bench --workload bank --concurrency 256 --duration 20s
  dtx bench --workload bank --concurrency 1 --duration 10s      (also measures the floor)
  dtx bench --workload kv --concurrency 64 --json out.json
  dtx bench floor --json -
  dtx bench --retention 1m --transactions 1000000 --duration 2h --json retention.json
  dtx bench --reshard add,remove --concurrency 64 --json reshard.json
  dtx bench --reshard add,remove --accounts 100000 --shards-per-step 2 --duration 5s
  dtx bench etcd --endpoints 127.0.0.1:2379,127.0.0.1:2381,127.0.0.1:2383 --concurrency 256`;

/** `dtx bench`: its argument, options and help, without the action. */
function benchCommandSpec() {
  return withDialOptions(
    new Command('bench')
      .description('measure throughput, aborts, latency percentiles and CPU per transaction on a real cluster')
      // One command with a mode rather than subcommands: commander would hand a subcommand's
      // --json or --concurrency to this command's options of the same name.
      .argument(
        '[mode]',
        'run (default) | floor: only the physical floor | etcd: the bank transfer against etcd (--endpoints)',
        oneOf('mode', ['run', 'floor', 'etcd'] as const),
        'run' as const,
      )
      .option('-w, --workload <name>', 'bank | cart | kv', oneOf('workload', ['bank', 'cart', 'kv'] as const), 'bank')
      .option('-p, --participants <n>', 'participants of the cluster started for the run', parseIntIn(1, 16), 3)
      .option('-c, --concurrency <n>', 'concurrent client loops (closed loop: each waits for its answer)', parseIntIn(1, 4096), 64)
      .option('-d, --duration <d>', 'measured window', parseDurationMs, 10_000)
      .option('--warmup <d>', 'load before the measured window (not counted)', parseDurationMs, 2000)
      .option(
        '--warmup-txns <n>',
        "the warmup also lasts until this many transactions committed (the nodes' JIT needs calls, not seconds; at most 60 s more)",
        parseIntIn(0, 10_000_000),
        3000,
      )
      .option('--protocol <p>', PROTOCOL_HELP, parseProtocol, DEFAULT_PROTOCOL)
      .option(
        '--accounts <n>',
        'keys: accounts (bank), keys (kv), wallets (cart; skus = wallets/10); overrides --contention (--reshard: default 1,000,000)',
        parseIntIn(2, 1_000_000),
      )
      .option('--contention <level>', 'low (10,000 keys) | high (10 keys)', oneOf('contention', ['low', 'high'] as const), 'low')
      .option('--read-ratio <f>', 'kv: fraction of gets', parseFraction, 0.5)
      .option('--target <host:port>', 'bench a running cluster (its coordinator) instead of starting one', parseAddress)
      .option('--coordinators <n>', 'coordinators of the cluster started for the run; the client channels are spread over them', parseIntIn(1, 9), 1)
      .option('--client-ids', "every attempt carries an id of the client's choosing (an idempotency key) instead of a server-made one")
      .option('--stream', "pipeline each client channel's transactions over one TransactStream (default: unary Transact)")
      .option('--tls', 'start the cluster with TLS between every pair (a development CA); for --target use --tls-ca and friends')
      .option('--loops-per-client <n>', 'client loops sharing one client channel', parseIntIn(1, 4096), 32)
      .option('--txn-timeout <d>', 'server-side timeout of each transaction (its call gets 5 s more)', parseDurationMs, 5000)
      .option('--floor', 'also measure the physical floor (default for bank at concurrency 1)')
      .option('--pids <name=pid,...>', 'more processes whose CPU to count (a --target cluster on this machine, etcd members)', parsePids)
      .option('--seed <n>', 'PRNG seed of the client loops', parseIntIn(0, 2 ** 31 - 1), 1)
      .option('--samples <n>', 'floor: round trips to time', parseIntIn(10, 1_000_000), 2000)
      .option('--writes <n>', 'floor: sync writes to time', parseIntIn(10, 1_000_000), 500)
      .option('--endpoints <list>', 'etcd: client URLs or host:port of the members, comma-separated')
      .option(
        '--reshard <moves>',
        'bank while participants are added and removed: add,remove = add a participant under load, then remove it (see below)',
        parseMoves,
      )
      .option('--shards-per-step <n>', "reshard: shards moved per step (one freeze, copy and epoch each; default: the coordinator's, 8)", parseIntIn(1, 1024))
      .option('--max-keys-per-second <n>', "reshard: a move's copy rate limit (default: none)", parseIntIn(1, 100_000_000))
      .option('--full-speed', 'reshard: moves copy without giving way to the load (by default the copy rests 60% of the time and pauses while commits fall)')
      .option(
        '--load-by <group>',
        'reshard: one loading transaction writes the accounts of one shard (default) or of one participant (spread over all its shards)',
        oneOf('load-by', ['shard', 'participant'] as const),
        'shard' as const,
      )
      .option('--retention <d>', "nodes' --retention (e.g. 1m); reports bytes on disk per node (start, half-way, end)", (v) => (parseRetention(v), v))
      .option('--transactions <n>', 'end the window once this many committed (--duration: the upper bound)', parseIntIn(1, 1_000_000_000))
      .option('--data <dir>', "reshard: keep the cluster's data dir here (node logs in <dir>/logs) instead of a temp dir removed at the end")
      .option('--json <file>', 'also write the report as JSON to FILE ("-" = stdout, the text then goes to stderr)')
      .option('--no-progress', 'no progress bar')
      .addHelpText('after', BENCH_HELP),
  );
}

type BenchFlags = ReturnType<ReturnType<typeof benchCommandSpec>['opts']>;

/** Runs the mode asked for: the floor alone, the bank transfer on etcd, or a workload on dtx; prints the report. */
async function runBenchCommand(mode: 'run' | 'floor' | 'etcd', o: BenchFlags): Promise<void> {
  if (mode === 'floor') {
    const floor = await measureFloor({ rttSamples: o.samples, writeSamples: o.writes });
    say(o.json, formatFloor(floor));
    writeJson(o.json, { tool: 'dtx bench floor', measuredAt: new Date().toISOString(), ...floor });
    return;
  }
  if (o.reshard) {
    await runReshard(o, o.reshard);
    return;
  }
  const bar = o.progress ? progressBar(mode === 'etcd' ? 'etcd' : 'bench') : null;
  let report: BenchReport;
  if (mode === 'etcd') {
    if (!o.endpoints) throw new CliError('bench etcd needs --endpoints', EXIT.usage);
    if (o.workload !== 'bank') throw new CliError('bench etcd runs the bank workload only', EXIT.usage);
    report = await runEtcdBank(
      {
        endpoints: o.endpoints
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean),
        concurrency: o.concurrency,
        durationMs: o.duration,
        warmupMs: o.warmup,
        warmupTxns: o.warmupTxns,
        contention: o.contention,
        ...(o.accounts !== undefined ? { accounts: o.accounts } : {}),
        loopsPerClient: o.loopsPerClient,
        seed: o.seed,
        ...(o.pids ? { pids: o.pids } : {}),
      },
      (p) => bar?.update(p),
    ).finally(() => bar?.stop());
  } else {
    report = await runBench(
      {
        workload: o.workload,
        participants: o.participants,
        concurrency: o.concurrency,
        durationMs: o.duration,
        warmupMs: o.warmup,
        warmupTxns: o.warmupTxns,
        protocol: o.protocol,
        contention: o.contention,
        ...(o.accounts !== undefined ? { accounts: o.accounts } : {}),
        ...(o.target !== undefined ? { target: o.target } : {}),
        loopsPerClient: o.loopsPerClient,
        ...(o.stream ? { stream: true } : {}),
        coordinators: o.coordinators,
        ...(o.clientIds ? { clientIds: true } : {}),
        txnTimeoutMs: o.txnTimeout,
        readRatio: o.readRatio,
        seed: o.seed,
        ...(o.floor ? { floor: true } : {}),
        floorOptions: { rttSamples: o.samples, writeSamples: o.writes },
        ...(o.pids ? { extraPids: o.pids } : {}),
        ...(o.tls ? { tls: true } : {}),
        ...(o.retention ? { retention: o.retention } : {}),
        ...(o.transactions ? { stopAfterCommitted: o.transactions } : {}),
        security: dialSecurityFrom(o),
      },
      (p) => bar?.update(p),
    ).finally(() => bar?.stop());
  }
  say(o.json, formatBench(report));
  writeJson(o.json, report);
}

/** `dtx bench --reshard ...`: the bank under load while participants come and go. */
async function runReshard(o: BenchFlags, moves: ReshardMove[]): Promise<void> {
  if (o.target) throw new CliError('--reshard starts its own cluster: no --target', EXIT.usage);
  if (o.workload !== 'bank') throw new CliError('--reshard runs the bank workload only', EXIT.usage);
  let last = '';
  const report = await runReshardBench(
    {
      accounts: o.accounts ?? 1_000_000,
      participants: o.participants,
      concurrency: o.concurrency,
      protocol: o.protocol,
      moves,
      warmupMs: o.warmup,
      warmupTxns: o.warmupTxns,
      steadyMs: o.duration,
      ...(o.shardsPerStep !== undefined ? { shardsPerStep: o.shardsPerStep } : {}),
      ...(o.maxKeysPerSecond !== undefined ? { maxKeysPerSecond: o.maxKeysPerSecond } : {}),
      ...(o.fullSpeed ? { fullSpeed: true } : {}),
      loopsPerClient: o.loopsPerClient,
      ...(o.stream ? { stream: true } : {}),
      txnTimeoutMs: o.txnTimeout,
      seed: o.seed,
      ...(o.data ? { dataDir: o.data } : {}),
      loadBy: o.loadBy,
      ...(o.tls ? { tls: true } : {}),
    },
    (p) => {
      if (!o.progress) return;
      const line = reshardLine(p);
      if (line !== last) process.stderr.write(`${line}\n`);
      last = line;
    },
  );
  say(o.json, formatReshard(report));
  writeJson(o.json, report);
  if (!report.results.total.held)
    throw new CliError(
      `the bank total moved: ${report.results.total.found} read back, ${report.results.total.expected} opened (${report.results.total.missing} missing, ${report.results.total.negative} negative)`,
    );
  const failed = report.results.moves.find((m) => m.error !== null);
  if (failed) throw new CliError(`${failed.kind} ${failed.participant} failed: ${failed.error}`);
}

function reshardLine(p: ReshardProgress): string {
  const t = `[${(p.elapsedMs / 1000).toFixed(0).padStart(4)}s]`;
  const load = p.elapsedMs > 0 ? ` | ${p.committedLastSecond} committed/s, ${p.committed} in all, errors ${p.errors}` : '';
  const m = p.move;
  const move = m ? ` | ${m.shardsMoved}/${m.shardsTotal} shards, ${m.keysMoved} keys (${Math.round(m.keysPerSecond)}/s)` : '';
  return `reshard ${t} ${p.phase}: ${p.detail}${move}${load}`;
}

export function benchCommand() {
  return benchCommandSpec().action(action(runBenchCommand));
}
