import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { ClassicLevel } from 'classic-level';
import { service as healthService } from 'grpc-health-check';
import { COMMIT_PROTOCOLS } from '../protocol/protocols/index.js';
import { LatencyHistogram, round3, type LatencySummary } from './histogram.js';

export interface ProtocolFloor {
  ms: number;
  roundTrips: number;
  forcedWrites: number;
  path: string;
  implemented: boolean;
}

export interface FloorReport {
  /** One unary grpc-js call (grpc.health.v1 Check) to another process on loopback, one call in flight. */
  grpcRoundTripMs: LatencySummary;
  /** One LevelDB put with sync:true (fsync'd) of a ~200-byte record, one at a time. */
  syncWriteMs: LatencySummary;
  /** The commit-path floor of each protocol from the p50s above: what no implementation can beat on this machine. */
  commitPathFloorMs: Record<string, ProtocolFloor>;
  /** The file system the sync writes went to (a temp dir under it, removed afterwards). */
  syncWriteDir: string;
}

export interface FloorOptions {
  rttSamples?: number;
  writeSamples?: number;
  /** Where the LevelDB temp dir goes (default: the OS temp dir; put it on the disk the nodes use). */
  dir?: string;
}

type HealthClient = grpc.Client & {
  check(req: { service: string }, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: { status: string }) => void): void;
};
const HealthClientCtor = grpc.makeClientConstructor(healthService as unknown as grpc.ServiceDefinition, 'grpc.health.v1.Health') as unknown as new (
  address: string,
  creds: grpc.ChannelCredentials,
  opts?: grpc.ChannelOptions,
) => HealthClient;

/** Starts the echo server in a child process and runs `samples` sequential Check calls against it. */
export async function measureRoundTrip(samples = 2000, warmup = 200): Promise<LatencySummary> {
  const script = fileURLToPath(new URL('./echoServer.js', import.meta.url));
  const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('echo server did not start within 10s')), 10_000);
      child.once('exit', (code) => reject(new Error(`echo server exited (${code}) before serving`)));
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /port (\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
    // A private connection, so no other channel of this process shares it.
    const client = new HealthClientCtor(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
    const once = () =>
      new Promise<void>((resolve, reject) => client.check({ service: '' }, { deadline: Date.now() + 5000 }, (err) => (err ? reject(err) : resolve())));
    try {
      for (let i = 0; i < warmup; i++) await once();
      const h = new LatencyHistogram();
      for (let i = 0; i < samples; i++) {
        const t0 = performance.now();
        await once();
        h.recordMs(performance.now() - t0);
      }
      return h.summary();
    } finally {
      client.close();
    }
  } finally {
    child.stdin!.end();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** Sequential sync:true puts into a fresh LevelDB in a temp dir (removed afterwards). */
export async function measureSyncWrite(samples = 500, warmup = 50, dir = tmpdir()): Promise<{ summary: LatencySummary }> {
  const dataDir = mkdtempSync(join(dir, 'dtx-floor-'));
  const db = new ClassicLevel<string, string>(dataDir);
  try {
    await db.open();
    const value = 'x'.repeat(200); // about the size of a prepare record with two writes
    for (let i = 0; i < warmup; i++) await db.put(`w${i}`, value, { sync: true });
    const h = new LatencyHistogram();
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      await db.put(`k${i}`, value, { sync: true });
      h.recordMs(performance.now() - t0);
    }
    return { summary: h.summary() };
  } finally {
    await db.close().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The commit-path floors, from one round trip (rtt) and one forced write (w), both p50s. */
export function commitPathFloors(rtt: number, w: number): Record<string, ProtocolFloor> {
  const f = (roundTrips: number, forcedWrites: number, path: string, implemented: boolean): ProtocolFloor => ({
    ms: round3(roundTrips * rtt + forcedWrites * w),
    roundTrips,
    forcedWrites,
    path,
    implemented,
  });
  return Object.fromEntries(
    Object.values(COMMIT_PROTOCOLS).map((p) => [p.name, f(p.commitPath.roundTrips, p.commitPath.forcedWrites, p.commitPath.path, true)]),
  );
}

/** The physical floor of this machine: one gRPC round trip, one sync LevelDB write, and the commit paths built from them. */
export async function measureFloor(opts: FloorOptions = {}): Promise<FloorReport> {
  const grpcRoundTripMs = await measureRoundTrip(opts.rttSamples ?? 2000);
  const sw = await measureSyncWrite(opts.writeSamples ?? 500, 50, opts.dir);
  return {
    grpcRoundTripMs,
    syncWriteMs: sw.summary,
    commitPathFloorMs: commitPathFloors(grpcRoundTripMs.p50, sw.summary.p50),
    syncWriteDir: opts.dir ?? tmpdir(),
  };
}
