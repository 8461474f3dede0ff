import type { FloorReport } from './floor.js';
import type { LatencySummary } from './histogram.js';
import type { ReshardReport } from './reshardBench.js';
import type { DiskReport } from './diskUsage.js';
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
  if (x.disk) lines.push(formatDisk(x.disk, x.counters));
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

const n0 = (x: number) => Math.round(x).toLocaleString('en-US');

export function formatReshard(r: ReshardReport): string {
  const c = r.config;
  const x = r.results;
  const lines = [
    `dtx bench --reshard ${c.moves.join(',')} (bank, ${c.protocol}, ${c.participants} participants, ${n0(c.accounts)} accounts, concurrency ${c.concurrency} over ${c.clients} client channel(s) (${c.clientApi}${c.tls ? ', TLS' : ''}), ${(c.warmupMs / 1000).toFixed(1)}s warmup, steady periods of ${c.steadyMs / 1000}s, ${c.shardsPerStep} shard(s) per step${c.maxKeysPerSecond > 0 ? `, at most ${n0(c.maxKeysPerSecond)} keys/s` : ''})`,
    `  durability:   ${r.durability}`,
    `  load:         ${n0(r.load.accounts)} accounts in ${(r.load.ms / 1000).toFixed(1)}s (${n0(r.load.accountsPerSec)}/s, ${r.load.transactions} transactions of up to ${r.load.opsPerTxn} puts of one ${r.load.by}, ${r.load.workers} in flight)`,
    `  before:       ${n0(x.beforePerSec)} committed/s (median 1 s window; worst sliding window ${n0(x.beforeMinWindowPerSec)}/s)`,
    ...x.steady.map(
      (p) =>
        `  ${`${p.name}:`.padEnd(13)} mean ${n0(p.committedPerSec)}/s, latency p50 ${ms(p.latencyMs.p50)} p99 ${ms(p.latencyMs.p99)} max ${ms(p.latencyMs.max)}; loops stalled over 1 s: mean ${p.loopsStalled.mean}, max ${p.loopsStalled.max}; bench client stalled ${p.clientStalls.count}× (max ${p.clientStalls.maxMs} ms)`,
    ),
  ];
  for (const m of x.moves) {
    lines.push(
      `  ${`${m.kind} ${m.participant}:`.padEnd(13)} ${n0(m.keysMoved)} keys in ${m.shardsMoved} shards, ${m.steps} steps (p50 ${m.stepMs.p50} ms, max ${m.stepMs.max} ms), moving ${(m.movingMs / 1000).toFixed(1)}s of ${(m.durationMs / 1000).toFixed(1)}s = ${n0(m.keysPerSecond)} keys/s`,
      `                worst 1 s ${n0(m.minWindowPerSec)}/s at +${(m.minWindowAtMs / 1000).toFixed(1)}s = ${(m.dip * 100).toFixed(0)}% of before (${(m.dipVsBefore * 100).toFixed(0)}% of the ${n0(m.beforePerSec)}/s just before); mean ${n0(m.committedPerSec)}/s; loops stalled over 1 s: mean ${m.loopsStalled.mean}, max ${m.loopsStalled.max} of ${c.concurrency}; bench client stalled ${m.clientStalls.count}× (max ${m.clientStalls.maxMs} ms)`,
      `                latency ${lat(m.latencyMs)}`,
      `                shards after: ${Object.entries(m.shardsAfter)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')} (epoch ${m.epochAfter})${Object.keys(m.errors).length > 0 ? `; errors ${JSON.stringify(m.errors)}` : ''}`,
    );
    if (m.error) lines.push(`                FAILED: ${m.error}`);
  }
  lines.push(
    `  worst dip:    ${(x.worstDip * 100).toFixed(0)}% of before (${x.heldHalf ? 'held' : 'BELOW'} half)`,
    `  bank total:   ${x.total.held ? 'held' : 'MOVED'}: ${x.total.found} read back in ${(x.total.readMs / 1000).toFixed(1)}s, ${x.total.expected} opened${x.total.missing > 0 ? `, ${x.total.missing} missing` : ''}${x.total.negative > 0 ? `, ${x.total.negative} negative` : ''}`,
    `  timeline:     ${x.timeline.committedPerSec.map(n0).join(' ')} (committed/s per second; ${x.timeline.marks.map((m) => `${m.what} at ${(m.atMs / 1000).toFixed(1)}s`).join(', ')})`,
  );
  const busy = Math.max(r.machine.loadAvgAtStart[0] ?? 0, r.machine.loadAvgAtEnd[0] ?? 0);
  if (busy > r.machine.cpus)
    lines.push(`  WARNING: the machine was busy (1-min load average up to ${busy.toFixed(1)} on ${r.machine.cpus} CPUs): other processes skew these numbers`);
  if (x.unfinishedLoops > 0) lines.push(`  WARNING: ${x.unfinishedLoops} client loops were still in a call when the drain bound passed`);
  return lines.join('\n');
}

const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;

/** Bytes on disk per node at the start, half-way and end of a --retention run, and the records collected. */
function formatDisk(d: DiskReport, counters: Record<string, Record<string, number>>): string {
  const nodes = Object.keys(d.end);
  const row = (label: string, b: Record<string, number>) => `    ${label.padEnd(9)} ${nodes.map((n) => `${n} ${mb(b[n] ?? 0)}`).join(', ')}`;
  const collected = nodes.map((n) => `${n} ${counters[n]?.['retentionCollected'] ?? 0}`).join(', ');
  return [
    `  disk (--retention ${d.retention}): bytes per node, read every ${d.everyMs / 1000}s; the second half of the commits added ${d.growthSecondHalf}x what the first half added (${d.growthSecondHalf < 0.25 ? 'flat' : 'growing'})`,
    row('start', d.start),
    row('half-way', d.halfway),
    row('end', d.end),
    row('max', d.max),
    `    records collected in the window: ${collected}`,
  ].join('\n');
}
