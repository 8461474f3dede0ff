import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { FloorReport } from '../../src/bench/floor.js';
import { LatencyHistogram, type LatencySummary } from '../../src/bench/histogram.js';
import { clockTick, cpuSecondsOf } from '../../src/bench/procCpu.js';
import { channelTargets, type BenchReport } from '../../src/bench/runBench.js';
import { PACKAGE_ROOT } from '../../src/paths.js';

const run = promisify(execFile);
// The bench command on its own (the same command `dtx bench` registers), from the build.
const BENCH = join(PACKAGE_ROOT, 'dist', 'bench', 'main.js');

/** The command's JSON report: a BenchReport, or a FloorReport for `bench floor`. */
async function bench<T = BenchReport>(args: string[]): Promise<T> {
  const { stdout } = await run(process.execPath, [BENCH, 'bench', ...args, '--json', '-', '--no-progress'], {
    timeout: 50_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout) as T;
}

const positive = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x > 0;

function expectSaneLatency(l: LatencySummary): void {
  expect(l.count).toBeGreaterThan(0);
  expect(l.p50).toBeGreaterThan(0);
  expect(l.p50).toBeLessThanOrEqual(l.p90);
  expect(l.p90).toBeLessThanOrEqual(l.p99);
  expect(l.p99).toBeLessThanOrEqual(l.p999);
  expect(l.p999).toBeLessThanOrEqual(l.max * 1.001);
}

describe('bench building blocks', () => {
  it('hdr percentiles are ordered and within the histogram precision', () => {
    const h = new LatencyHistogram();
    for (let ms = 1; ms <= 1000; ms++) h.recordMs(ms);
    const s = h.summary();
    expect(s.count).toBe(1000);
    expect(Math.abs(s.p50 - 500) / 500).toBeLessThan(0.002);
    expect(Math.abs(s.p99 - 990) / 990).toBeLessThan(0.002);
    expectSaneLatency(s);
    expect(new LatencyHistogram().summary().p50).toBe(0);
  });

  it('reads CPU time of a process from /proc', () => {
    expect(clockTick()).toBeGreaterThan(0);
    const until = Date.now() + 50;
    while (Date.now() < until); // burn a little CPU so it is not 0
    expect(cpuSecondsOf(process.pid)).toBeGreaterThan(0);
    expect(cpuSecondsOf(2 ** 22 + 7)).toBeUndefined();
  });

  it('gives each client channel a distinct target for the same loopback address', () => {
    const t = channelTargets('127.0.0.1:7700', 3);
    expect(new Set(t).size).toBe(3);
    expect(t[0]).toBe('127.0.0.1:7700');
    expect(channelTargets('localhost:7700', 2)).toEqual(['localhost:7700', 'localhost:7700']);
  });
});

describe('dtx bench on a real cluster', () => {
  it('floor: a round trip, a sync write and the commit-path floors, all positive', async () => {
    const f = await bench<FloorReport>(['floor', '--samples', '50', '--writes', '30']);
    expect(positive(f.grpcRoundTripMs.p50)).toBe(true);
    expect(positive(f.syncWriteMs.p50)).toBe(true);
    expectSaneLatency(f.grpcRoundTripMs);
    const twoPc = f.commitPathFloorMs['2pc']!;
    expect(twoPc.roundTrips).toBe(2);
    expect(twoPc.forcedWrites).toBe(2);
    expect(twoPc.ms).toBeCloseTo(2 * f.grpcRoundTripMs.p50 + 2 * f.syncWriteMs.p50, 2);
  });

  it('bank at concurrency 1: throughput, aborts, percentiles, CPU per txn, and the floor ratio in one JSON', async () => {
    const r = await bench([
      '--workload',
      'bank',
      '--concurrency',
      '1',
      '--duration',
      '2s',
      '--warmup',
      '300ms',
      '--warmup-txns',
      '150',
      '--accounts',
      '200',
      '--samples',
      '50',
      '--writes',
      '30',
    ]);
    expect(r.config).toMatchObject({ workload: 'bank', protocol: '2pc', participants: 3, concurrency: 1, warmupTxns: 150 });
    // 150 transfers one at a time take longer than the 300 ms asked: the warmup waited for them.
    expect(r.config.warmupMs).toBeGreaterThan(300);
    expect(r.durability).toMatch(/fsync/);
    const x = r.results;
    expect(x.committed).toBeGreaterThan(0);
    expect(positive(x.committedPerSec)).toBe(true);
    expect(x.abortRate).toBeGreaterThanOrEqual(0);
    expect(x.abortRate).toBeLessThanOrEqual(1);
    expect(typeof x.abortsByCode).toBe('object');
    expectSaneLatency(x.latencyMs);
    expect(Object.keys(x.cpu.nodes).sort()).toEqual(['c1', 'p1', 'p2', 'p3']);
    expect(positive(x.cpu.totalSeconds)).toBe(true);
    expect(positive(x.cpu.secondsPerCommitted)).toBe(true);
    expect(x.unfinishedLoops).toBe(0);
    expect(positive(r.floor!.commitPathFloorMs['2pc']!.ms)).toBe(true);
    expect(r.floorRatio!.ratio).toBeCloseTo(x.latencyMs.p50 / r.floorRatio!.floorMs, 2);
  });

  it('kv and cart with several loops over several client channels', async () => {
    const kv = await bench([
      '--workload',
      'kv',
      '--concurrency',
      '40',
      '--loops-per-client',
      '16',
      '--duration',
      '2s',
      '--warmup',
      '300ms',
      '--warmup-txns',
      '0',
      '--accounts',
      '100',
    ]);
    expect(kv.config.clients).toBe(3);
    expect(kv.results.committed).toBeGreaterThan(0);
    expect(Object.keys(kv.results.committedByKind).sort()).toEqual(['get', 'put']);
    expectSaneLatency(kv.results.latencyMs);
    expect(kv.floor).toBeUndefined();
    const cart = await bench([
      '--workload',
      'cart',
      '--concurrency',
      '8',
      '--duration',
      '2s',
      '--warmup',
      '300ms',
      '--warmup-txns',
      '0',
      '--contention',
      'high',
    ]);
    expect(cart.results.committedByKind.checkout).toBeGreaterThan(0);
    expectSaneLatency(cart.results.latencyMs);
    expect(cart.results.unfinishedLoops).toBe(0);
  });
});
