import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { FloorReport } from '../../src/bench/floor.js';
import type { ReshardReport } from '../../src/bench/reshardBench.js';
import { LatencyHistogram, type LatencySummary } from '../../src/bench/histogram.js';
import { clockTick, cpuSecondsOf } from '../../src/bench/procCpu.js';
import { channelTargets, type BenchReport } from '../../src/bench/runBench.js';
import { PACKAGE_ROOT } from '../../src/paths.js';

const run = promisify(execFile);
// The bench command on its own (the same command `dtx bench` registers), from the build.
const BENCH = join(PACKAGE_ROOT, 'dist', 'bench', 'main.js');

/** The command's JSON report: a BenchReport, or a FloorReport for `bench floor`. */
async function bench<T = BenchReport>(args: string[], timeoutMs = 50_000): Promise<T> {
  const { stdout } = await run(process.execPath, [BENCH, 'bench', ...args, '--json', '-', '--no-progress'], {
    timeout: timeoutMs,
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

  it('reshard: adds a fourth participant under load and removes it again; the bank total holds', async () => {
    const r = await bench<ReshardReport>(
      [
        '--reshard',
        'add,remove',
        '--accounts',
        '20000',
        '--concurrency',
        '16',
        '--duration',
        '2s',
        '--warmup',
        '300ms',
        '--warmup-txns',
        '0',
        '--shards-per-step',
        '32',
      ],
      150_000,
    );
    expect(r.config).toMatchObject({
      workload: 'bank',
      protocol: '2pc',
      participants: 3,
      concurrency: 16,
      accounts: 20000,
      moves: ['add', 'remove'],
      shardsPerStep: 32,
    });
    expect(r.load).toMatchObject({ accounts: 20000, by: 'shard' });
    const x = r.results;
    expect(x.total.held).toBe(true);
    expect(x.total.found).toBe(x.total.expected);
    expect(x.total.missing).toBe(0);
    expect(x.beforeWindows.length).toBeGreaterThan(0);
    expect(x.beforePerSec).toBeGreaterThan(0);
    expect(x.moves.map((m) => [m.kind, m.participant])).toEqual([
      ['add', 'p4'],
      ['remove', 'p4'],
    ]);
    const [add, remove] = x.moves as [ReshardReport['results']['moves'][0], ReshardReport['results']['moves'][0]];
    // A quarter of the shards go to p4 and come back; about a quarter of the keys with them.
    expect(add.shardsMoved).toBe(256);
    expect(remove.shardsMoved).toBe(256);
    expect(add.keysMoved).toBeGreaterThan(0);
    expect(remove.keysMoved).toBe(add.keysMoved);
    expect(add.shardsAfter).toEqual({ p1: 256, p2: 256, p3: 256, p4: 256 });
    expect(Object.keys(remove.shardsAfter).sort()).toEqual(['p1', 'p2', 'p3']);
    expect(Object.values(remove.shardsAfter).reduce((a, b) => a + b, 0)).toBe(1024);
    for (const m of x.moves) {
      expect(m.error).toBeNull();
      // 256 shards over three source-target pairs (86, 85, 85), ramped 1, 2, 4, 8, 16, then 32 a step: 14 steps.
      expect(m.steps).toBe(14);
      expect(m.durationMs).toBeGreaterThan(0);
      expect(m.keysPerSecond).toBeGreaterThan(0);
      expect(m.minWindowPerSec).toBeGreaterThanOrEqual(0);
      expect(m.dip).toBeCloseTo(m.minWindowPerSec / x.beforePerSec, 2);
      expect(typeof m.nodeCoresBusy).toBe('object');
    }
    expect(x.worstDip).toBe(Math.min(add.dip, remove.dip));
    expect(x.steady.map((p) => p.name)).toEqual(['steady before', 'steady after add', 'steady after']);
    expect(x.timeline.committedPerSec.length).toBeGreaterThan(0);
    expect(x.timeline.marks.map((m) => m.what.replace(/after \d+ ms/, 'after N ms'))).toEqual([
      'p4 process started',
      'p4 settled after N ms',
      'add p4 started',
      'add p4 done',
      'remove p4 started',
      'remove p4 done',
    ]);
    // The add is measured once the new process's start-up has passed (bounded).
    const settled = Number(/after (\d+) ms/.exec(x.timeline.marks[1]!.what)![1]);
    expect(settled).toBeGreaterThanOrEqual(1000);
    expect(settled).toBeLessThan(11_000);
    expect(x.unfinishedLoops).toBe(0);
  }, 160_000);
});
