#!/usr/bin/env node
// Chaos runs of bank and cart for each commit protocol × nemesis, as a Markdown table (the
// README's protocol matrix comes from here) and as JSON. Each cell is one real local cluster
// (c1 + 3 participants, 8 clients) broken on purpose, then healed and checked.
//
//   npm run build && node scripts/protocol-matrix.mjs [seconds=12] [seed=1] [options]
//     --workloads bank,cart  --protocols 2pc,3pc,nb
//     --nemeses kill-coordinator,kill-participant,partition,pause,delay
//     --md <file>     also write the table there (default: scripts/protocol-matrix.last.md;
//                     "-" for none)
//     --json <file>   the full reports (default: scripts/protocol-matrix.last.json; "-" for none)
//     --quiesce <s>   how long each cell waits for the healed cluster to go idle (default 30)
//     --keep          keep every cell's dir (history + node logs); by default only the dirs of
//                     cells with a failed check are kept
//
// Columns: atomicity from the nodes' own logs (never committed on one participant and aborted
// on another, nor against the coordinator's record); the other checks (workload invariants,
// durability, liveness after healing); under kill-coordinator, the transactions the
// participants still held in doubt just before the coordinator came back (the most over the
// run's outages; n/a under other nemeses); committed transactions and their commit latency.
//
// 3pc under partitions may violate atomicity: that is its known limit (a partition looks like
// a crash to its termination protocol), so those cells are marked, not failed. Exit 1 only when
// a check fails anywhere else.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChaos } from '../dist/chaos/runChaos.js';

const here = dirname(fileURLToPath(import.meta.url));
const positional = [];
const opts = {
  workloads: 'bank,cart',
  protocols: '2pc,3pc,nb',
  nemeses: 'kill-coordinator,kill-participant,partition,pause,delay',
  md: join(here, 'protocol-matrix.last.md'),
  json: join(here, 'protocol-matrix.last.json'),
  quiesce: '30',
  keep: false,
};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--keep') opts.keep = true;
  else if (a.startsWith('--')) {
    const key = a.slice(2);
    if (!(key in opts) || argv[i + 1] === undefined) {
      process.stderr.write(`unknown option or missing value: ${a}\n`);
      process.exit(2);
    }
    opts[key] = argv[++i];
  } else positional.push(a);
}
const seconds = Number(positional[0] ?? 12);
const seed = Number(positional[1] ?? 1);
if (!(seconds > 0) || !Number.isInteger(seed) || !(Number(opts.quiesce) > 0)) {
  process.stderr.write(
    'usage: node scripts/protocol-matrix.mjs [seconds] [seed] [--workloads ..] [--protocols ..] [--nemeses ..] [--md file] [--json file] [--keep]\n',
  );
  process.exit(2);
}
const list = (s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
const workloads = list(opts.workloads);
const protocols = list(opts.protocols);
const nemeses = list(opts.nemeses);
const concurrency = 8;
const participants = 3;

/** 3pc's termination takes "unreachable" for "crashed": a partition can split its decision. */
const knownLimit = (protocol, nemesis) => protocol === '3pc' && nemesis.split(',').includes('partition');

const base = mkdtempSync(join(tmpdir(), 'dtx-protocol-matrix-'));
process.stderr.write(`protocol matrix: ${workloads.length * protocols.length * nemeses.length} cells of ${seconds}s, seed ${seed}; cells in ${base}\n`);
const rows = [];
const started = Date.now();
for (const workload of workloads) {
  for (const protocol of protocols) {
    for (const nemesis of nemeses) {
      const t0 = Date.now();
      const outDir = join(base, `${workload}-${protocol}-${nemesis.replaceAll(',', '+')}`);
      const command = `dtx chaos --workload ${workload} --protocol ${protocol} --nemesis ${nemesis} --duration ${seconds}s --seed ${seed} --concurrency ${concurrency}`;
      let r;
      try {
        r = await runChaos({
          workload,
          protocol,
          nemeses: list(nemesis),
          durationMs: seconds * 1000,
          seed,
          concurrency,
          participants,
          outDir,
          quiesceTimeoutMs: Number(opts.quiesce) * 1000,
        });
      } catch (err) {
        // The run itself broke (the cluster would not start, ...): a failed cell, not a crash of the matrix.
        r = { error: (err && err.message ? err.message : String(err)).split('\n')[0], checks: [], atomicity: null };
      }
      const failed = r.checks.filter((c) => !c.ok);
      const expected = knownLimit(protocol, nemesis);
      const row = {
        workload,
        protocol,
        nemesis,
        atomicity: r.error ? 'error' : r.atomicity === null ? 'not checked' : r.atomicity.ok ? 'held' : 'VIOLATED',
        atomicityDetail: r.atomicity?.detail ?? r.error ?? '',
        otherFailed: failed.filter((c) => c.id !== 'atomicity').map((c) => ({ name: c.name, detail: c.detail })),
        otherChecks: r.checks.filter((c) => c.id !== 'atomicity').length,
        knownLimit: expected,
        blockedWhileCoordinatorDown: r.blockedWhileCoordinatorDown ?? null,
        coordinatorOutages: r.coordinatorOutages ?? [],
        committed: r.commitLatency?.count ?? 0,
        p50: r.commitLatency?.p50 ?? null,
        p99: r.commitLatency?.p99 ?? null,
        ops: r.ops ?? null,
        faults: r.faults ?? [],
        error: r.error ?? null,
        secs: Math.round((Date.now() - t0) / 1000),
        dir: outDir,
        historyPath: r.historyPath ?? null,
        logsDir: r.logsDir ?? null,
        command,
      };
      row.ok = !row.error && failed.length === 0;
      row.unexpected = !row.ok && !expected;
      rows.push(row);
      process.stderr.write(
        `${workload} × ${protocol} × ${nemesis}: atomicity ${row.atomicity}, ${row.ok ? 'all checks pass' : `${failed.length || 'run'} failed${expected ? ' (known 3pc limit)' : ''}`}, ` +
          `blocked ${row.blockedWhileCoordinatorDown ?? 'n/a'}, ${row.committed} committed, ${row.secs}s\n`,
      );
      row.kept = !row.ok || opts.keep;
      if (!row.kept) rmSync(outDir, { recursive: true, force: true });
      else process.stderr.write(`  kept ${outDir} (history.jsonl, data/logs/*.log)\n`);
    }
  }
}
const totalSecs = Math.round((Date.now() - started) / 1000);
if (!rows.some((r) => r.kept)) rmSync(base, { recursive: true, force: true });

const ms = (x) => (x === null || x === undefined || Number.isNaN(x) ? '–' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
const cellAtomicity = (r) => (r.atomicity === 'VIOLATED' && r.knownLimit ? 'VIOLATED (known 3pc limit)' : r.atomicity);
const cellOthers = (r) => {
  if (r.error) return `run failed: ${r.error}`;
  if (r.otherFailed.length === 0) return `pass (${r.otherChecks})`;
  return `FAIL: ${r.otherFailed.map((c) => c.name).join('; ')}${r.knownLimit ? ' (follows from the split)' : ''}`;
};
const cellBlocked = (r) => {
  if (r.blockedWhileCoordinatorDown === null) return 'n/a';
  const maxes = r.coordinatorOutages.filter((o) => o.polls > 0).map((o) => o.max);
  const max = Math.max(...maxes);
  return max > r.blockedWhileCoordinatorDown ? `${r.blockedWhileCoordinatorDown} (max ${max})` : String(r.blockedWhileCoordinatorDown);
};
const lines = [
  '| workload | protocol | nemesis | atomicity | other checks | blocked while coordinator down | committed | p50 ms | p99 ms |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map(
    (r) =>
      `| ${r.workload} | ${r.protocol} | ${r.nemesis} | ${cellAtomicity(r)} | ${cellOthers(r)} | ${cellBlocked(r)} | ${r.committed} | ${ms(r.p50)} | ${ms(r.p99)} |`,
  ),
];
const notes = [
  '',
  `${rows.length} cells, ${seconds} s of faults each, seed ${seed}, ${participants} participants, ${concurrency} clients, ${opts.quiesce} s to go idle after healing; ${totalSecs} s in all.`,
  `Reproduce a cell: \`node bin/dtx.js chaos --workload W --protocol P --nemesis N --duration ${seconds}s --seed ${seed} --concurrency ${concurrency}\`.`,
];
const bad = rows.filter((r) => !r.ok);
if (bad.length > 0) {
  notes.push('', 'Cells with a failed check:');
  for (const r of bad) {
    const details = [
      ...(r.atomicity === 'VIOLATED' ? [`atomicity: ${r.atomicityDetail}`] : []),
      ...r.otherFailed.map((c) => `${c.name}: ${c.detail}`),
      ...(r.error ? [r.error] : []),
    ];
    notes.push(`- ${r.workload} × ${r.protocol} × ${r.nemesis}${r.knownLimit ? ' (known 3pc limit)' : ''}: ${details.join(' | ')} — kept in \`${r.dir}\``);
  }
}
const md = `${[...lines, ...notes].join('\n')}\n`;
process.stdout.write(md);
if (opts.md !== '-') {
  mkdirSync(dirname(opts.md), { recursive: true });
  writeFileSync(opts.md, md);
}
if (opts.json !== '-') {
  mkdirSync(dirname(opts.json), { recursive: true });
  writeFileSync(
    opts.json,
    `${JSON.stringify({ seconds, seed, participants, concurrency, totalSecs, generatedAt: new Date().toISOString(), rows }, null, 2)}\n`,
  );
}
const unexpected = rows.filter((r) => r.unexpected);
if (unexpected.length > 0) process.stderr.write(`${unexpected.length} cells failed outside the known 3pc limit\n`);
process.exit(unexpected.length > 0 ? 1 : 0);
