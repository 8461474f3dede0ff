#!/usr/bin/env node
// Soak: `dtx chaos` for every protocol × workload × nemesis, each for a long time (10 minutes by
// default), one cell after another, and a Markdown matrix of the results (the README shows one).
// Outside CI: 10 nemeses × 3 workloads × 3 protocols at 10 minutes is 15 hours.
//
//   npm run build && node scripts/soak.mjs [--seconds 600] [--seed 1] [--protocols 2pc,3pc,nb]
//     [--workloads bank,cart,lock] [--nemeses kill,...|all] [--out soak.md]
//
// --nemeses takes cells separated by spaces, each a comma list: --nemeses "power power-all power,kill,partition".
// The default is every nemesis alone, then power,kill,partition together. A failing cell keeps
// its data dir (history, node logs) and is listed; the exit code is 1 if any cell failed.
import { rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { NEMESES } from '../dist/chaos/nemesis.js';
import { runChaos } from '../dist/chaos/runChaos.js';
import { powerFsUnavailable } from '../dist/cluster/powerFs.js';

const { values: a } = parseArgs({
  options: {
    seconds: { type: 'string', default: '600' },
    seed: { type: 'string', default: '1' },
    protocols: { type: 'string', default: '2pc,3pc,nb' },
    workloads: { type: 'string', default: 'bank,cart,lock' },
    nemeses: { type: 'string', default: 'all' },
    concurrency: { type: 'string', default: '8' },
    out: { type: 'string' },
  },
});
const seconds = Number(a.seconds);
const seed = Number(a.seed);
if (!(seconds > 0 && seconds <= 24 * 3600) || !Number.isInteger(seed)) {
  process.stderr.write('soak: --seconds must be 1..86400 and --seed an integer\n');
  process.exit(2);
}
const cells =
  a.nemeses === 'all'
    ? [...NEMESES.map((n) => [n]), ['power', 'kill', 'partition']]
    : a.nemeses
        .split(/\s+/)
        .filter(Boolean)
        .map((c) => c.split(','));
for (const c of cells.flat()) {
  if (!NEMESES.includes(c)) {
    process.stderr.write(`soak: unknown nemesis ${c} (known: ${NEMESES.join(', ')})\n`);
    process.exit(2);
  }
}
if (cells.flat().some((n) => n.startsWith('power'))) {
  const why = powerFsUnavailable();
  if (why) {
    process.stderr.write(`soak: the power nemeses need powerfs: ${why}\n`);
    process.exit(2);
  }
}

const rows = [];
const started = Date.now();
for (const protocol of a.protocols.split(',')) {
  for (const workload of a.workloads.split(',')) {
    for (const nemeses of cells) {
      const t = Date.now();
      let row;
      try {
        const r = await runChaos({ workload, nemeses, protocol, durationMs: seconds * 1000, seed, concurrency: Number(a.concurrency), participants: 3 });
        const failed = r.checks.filter((c) => !c.ok);
        row = {
          ok: failed.length === 0,
          result: failed.length === 0 ? `pass (${r.checks.length} checks)` : `FAIL: ${failed.map((c) => `${c.name} (${c.detail.slice(0, 200)})`).join('; ')}`,
          ops: `${r.ops.ok} / ${r.ops.fail} / ${r.ops.info}`,
          faults: r.faults.length,
        };
        if (row.ok) rmSync(r.dataDir, { recursive: true, force: true });
        else row.result += ` — kept ${r.dataDir}`;
      } catch (err) {
        row = { ok: false, result: `ERROR: ${String(err?.message ?? err).split('\n')[0]}`, ops: '-', faults: '-' };
      }
      rows.push({ protocol, workload, nemesis: nemeses.join(','), ...row, secs: Math.round((Date.now() - t) / 1000) });
      process.stderr.write(`${protocol} ${workload} × ${nemeses.join(',')}: ${rows.at(-1).result} (${rows.at(-1).secs}s)\n`);
    }
  }
}

const lines = [
  `Soak of ${new Date(started).toISOString().slice(0, 10)}: ${seconds} s per cell, seed ${seed}, 3 participants, ${a.concurrency} clients; ` +
    `${rows.filter((r) => r.ok).length}/${rows.length} cells pass (${Math.round((Date.now() - started) / 60000)} min). ` +
    `Ops are client operations ok / failed (aborted: conflicts, timeouts) / unknown outcome.`,
  '',
  '| protocol | workload | nemesis | result | ops ok / failed / unknown | faults | s |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.protocol} | ${r.workload} | ${r.nemesis} | ${r.result.replaceAll('|', '\\|')} | ${r.ops} | ${r.faults} | ${r.secs} |`),
];
if (a.out) writeFileSync(a.out, `${lines.join('\n')}\n`);
process.stdout.write(`${lines.join('\n')}\n`);
process.exit(rows.every((r) => r.ok) ? 0 : 1);
