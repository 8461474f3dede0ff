import type { FloorReport } from './floor.js';
import type { LatencySummary } from './histogram.js';
import type { BenchReport } from './runBench.js';

const ms = (x: number) => `${x.toFixed(x < 10 ? 3 : 1)} ms`;
const lat = (l: LatencySummary) => `p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  p99.9 ${ms(l.p999)}  max ${ms(l.max)}  (n=${l.count})`;

export function formatFloor(f: FloorReport): string {
  const lines = [
    'physical floor on this machine:',
    `  gRPC round trip (grpc-js unary, another process, 1 in flight): ${lat(f.grpcRoundTripMs)}`,
    `  LevelDB sync write (sync:true, ${f.syncWriteDir}):            ${lat(f.syncWriteMs)}`,
    '  commit-path floor (from the p50s):',
  ];
  for (const [name, p] of Object.entries(f.commitPathFloorMs)) {
    lines.push(
      `    ${name.padEnd(7)} ${ms(p.ms).padStart(10)} = ${p.roundTrips} round trips + ${p.forcedWrites} forced writes${p.implemented ? '' : '  (not implemented yet)'}`,
    );
  }
  return lines.join('\n');
}

export function formatBench(r: BenchReport): string {
  const c = r.config;
  const x = r.results;
  const codes = Object.entries(x.abortRateByCode)
    .map(([k, v]) => `${k} ${(v * 100).toFixed(2)}%`)
    .join(', ');
  const errs = Object.entries(x.errors)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const cpuNodes = Object.entries(x.cpu.nodes)
    .map(([k, v]) => `${k} ${v === null ? '?' : v.toFixed(2)}s`)
    .join(', ');
  const lines = [
    `dtx bench ${c.workload} (${c.protocol}, ${c.participants} participants, contention ${c.contention}: ${Object.entries(c.workloadShape)
      .filter(([, v]) => typeof v === 'number')
      .map(([k, v]) => `${v} ${k}`)
      .join(
        ', ',
      )}), concurrency ${c.concurrency} over ${c.clients} client channel(s) (${c.clientApi}${c.tls ? ', TLS' : ''}${(c.coordinators ?? 1) > 1 ? `, ${c.coordinators} coordinators` : ''}${c.txnIds === 'client' ? ', client-chosen ids' : ''}), ${c.durationMs / 1000}s after ${(c.warmupMs / 1000).toFixed(1)}s warmup${c.warmupTxns > 0 ? ` (until ${c.warmupTxns} committed)` : ''}${c.target ? `, target ${c.target}` : ''}`,
    `  durability:   ${r.durability}`,
    `  committed:    ${x.committed} in ${(x.windowMs / 1000).toFixed(2)}s = ${x.committedPerSec.toFixed(1)}/s${
      Object.keys(x.committedByKind).length > 1
        ? ` (${Object.entries(x.committedByKind)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')})`
        : ''
    }`,
    `  aborts:       ${(x.abortRate * 100).toFixed(2)}% of ${x.attempts} attempts${codes ? ` (${codes})` : ''}; gave up ${x.gaveUp}; errors ${errs || 'none'}`,
    `  latency:      ${lat(x.latencyMs)}   [committed, end to end incl. conflict retries]`,
    `  per attempt:  ${lat(x.attemptLatencyMs)}`,
    `  forced writes: ${x.forcedWritesPerCommitted ?? '?'} synced LevelDB batches (all nodes) per committed transaction`,
    `  CPU:          ${x.cpu.secondsPerCommitted === null ? '?' : (x.cpu.secondsPerCommitted * 1000).toFixed(3)} ms of node CPU per committed txn; nodes busy ${x.cpu.nodeCoresBusy ?? '?'} cores (${cpuNodes}); client ${x.cpu.clientCoresBusy} cores`,
  ];
  const busy = Math.max(r.machine.loadAvgAtStart[0] ?? 0, r.machine.loadAvgAtEnd[0] ?? 0);
  if (busy > r.machine.cpus)
    lines.push(`  WARNING: the machine was busy (1-min load average up to ${busy.toFixed(1)} on ${r.machine.cpus} CPUs): other processes skew these numbers`);
  if (x.unfinishedLoops > 0) lines.push(`  WARNING: ${x.unfinishedLoops} client loops were still in a call when the drain bound passed`);
  if (r.floor) {
    lines.push(formatFloor(r.floor).replace(/^/gm, '  '));
    if (r.floorRatio)
      lines.push(`  latency p50 / ${r.config.protocol} floor: ${ms(r.floorRatio.p50)} / ${ms(r.floorRatio.floorMs)} = ${r.floorRatio.ratio.toFixed(2)}x`);
  }
  return lines.join('\n');
}
