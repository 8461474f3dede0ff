#!/usr/bin/env node
// Runs `dtx chaos` for every workload × nemesis and prints the results as a Markdown table
// (the README's table comes from here). Usage: node scripts/chaos-matrix.mjs [seconds] [seed]
// Needs a build (npm run build). Each cell is one real cluster, broken on purpose.
import { rmSync } from 'node:fs';
import { runChaos } from '../dist/chaos/runChaos.js';

const seconds = Number(process.argv[2] ?? 20);
const seed = Number(process.argv[3] ?? 1);
const workloads = ['bank', 'cart', 'lock'];
const nemeses = [['kill'], ['pause'], ['partition'], ['delay'], ['skew'], ['kill', 'pause', 'partition', 'delay', 'skew']];
const rows = [];
for (const workload of workloads) {
  for (const n of nemeses) {
    const started = Date.now();
    const r = await runChaos({ workload, nemeses: n, durationMs: seconds * 1000, seed, concurrency: 8, participants: 3 });
    const failed = r.checks.filter((c) => !c.ok).map((c) => c.name);
    rows.push({
      workload,
      nemesis: n.join(','),
      faults: r.faults.length,
      ok: r.ops.ok,
      fail: r.ops.fail,
      unknown: r.ops.info,
      result:
        failed.length === 0
          ? `pass (${r.checks.length} checks)`
          : `FAIL: ${r.checks
              .filter((c) => !c.ok)
              .map((c) => `${c.name} (${c.detail})`)
              .join('; ')}`,
      secs: Math.round((Date.now() - started) / 1000),
      command: `dtx chaos --workload ${workload} --nemesis ${n.join(',')} --duration ${seconds}s --seed ${seed} --concurrency 8`,
    });
    process.stderr.write(`${workload} × ${n.join(',')}: ${rows.at(-1).result}\n`);
    if (failed.length === 0) rmSync(r.dataDir, { recursive: true, force: true });
    else process.stderr.write(`  kept ${r.dataDir} (history: ${r.historyPath})\n`);
  }
}
console.log('| workload | nemesis | faults | ok | failed | unknown | result | reproduce |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  console.log(`| ${r.workload} | ${r.nemesis} | ${r.faults} | ${r.ok} | ${r.fail} | ${r.unknown} | ${r.result} | \`${r.command}\` |`);
}
process.exit(rows.some((r) => r.result.startsWith('FAIL')) ? 1 : 0);
