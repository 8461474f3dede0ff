import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, describe, expect, it } from 'vitest';
import { DtxClient, op } from '../../src/client/dtxClient.js';
import { CLI_ENTRY } from '../../src/paths.js';
import { checkHealth } from '../../src/rpc/clients.js';
import { nodeStatus } from '../support/nodes.js';
import { waitFor } from '../support/wait.js';

/** Binds a port on 127.0.0.1 to prove it free, then lets it go. */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * Four consecutive free loopback ports for `cluster up --base-port` (and the four 1000 above them), taken below Linux's
 * ephemeral range (32768+), where the other tests' OS-chosen ports cannot land meanwhile.
 */
async function freeBasePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const base = 20_000 + Math.floor(Math.random() * 9000);
    // The nodes' metrics ports are 1000 above their gRPC ports.
    const free = await Promise.all([0, 1, 2, 3, 1000, 1001, 1002, 1003].map((k) => canBind(base + k)));
    if (free.every(Boolean)) return base;
  }
  throw new Error('no free base port');
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('dtx cluster up', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];

  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.pid) process.kill(c.pid, 'SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  function up(data: string, base: number) {
    const child = spawn(process.execPath, [CLI_ENTRY, 'cluster', 'up', '--data', data, '--base-port', String(base)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    return { child, output: () => out, exited };
  }

  it('starts serving, stops every child on Ctrl-C, and restarts on the same data', async () => {
    const data = mkdtempSync(join(tmpdir(), 'dtx-up-'));
    dirs.push(data);
    const base = await freeBasePort();
    const address = `127.0.0.1:${base}`;

    const first = up(data, base);
    await waitFor('cluster up to report serving', () => first.output().includes('cluster serving'), { timeoutMs: 30_000 });
    const pids = [...first.output().matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
    expect(pids).toHaveLength(4);
    const client = new DtxClient(address);
    expect((await client.transact([op.put('greeting', 'hello'), op.put('n', '41')])).outcome).toBe('COMMITTED');
    const status = await nodeStatus(address);
    expect(status.peers.map((p) => p.id)).toEqual(['p1', 'p2', 'p3']);

    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('cluster stopped');
    await waitFor('every node process to be gone', () => pids.every((p) => !pidAlive(p)), { timeoutMs: 10_000 });

    const second = up(data, base);
    await waitFor('the restarted cluster to serve', () => second.output().includes('cluster serving'), { timeoutMs: 30_000 });
    const rs = await client.read(['greeting', 'n']);
    expect(rs.map((r) => r.value)).toEqual(['hello', '41']);
    client.close();
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 90_000);

  it('every node serves grpc.health.v1.Health and server reflection', async () => {
    const data = mkdtempSync(join(tmpdir(), 'dtx-up-'));
    dirs.push(data);
    const base = await freeBasePort();
    const run = up(data, base);
    await waitFor('cluster serving', () => run.output().includes('cluster serving'), { timeoutMs: 30_000 });

    const require = createRequire(import.meta.url);
    const reflectionProto = join(dirname(require.resolve('@grpc/reflection')), '..', 'proto', 'grpc', 'reflection', 'v1', 'reflection.proto');
    const def = protoLoader.loadSync(reflectionProto, { keepCase: true });
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      grpc: {
        reflection: {
          v1: {
            ServerReflection: new (
              a: string,
              c: grpc.ChannelCredentials,
            ) => grpc.Client & Record<string, () => grpc.ClientDuplexStream<object, { list_services_response?: { service: { name: string }[] } }>>;
          };
        };
      };
    };
    const expected: Record<number, string> = { [base]: 'dtx.v1.Coordinator', [base + 1]: 'dtx.v1.Participant' };
    for (const port of [base, base + 1]) {
      expect(await checkHealth(`127.0.0.1:${port}`)).toBe(true);
      const client = new pkg.grpc.reflection.v1.ServerReflection(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
      const stream = client['ServerReflectionInfo']!();
      const names = await new Promise<string[]>((resolve, reject) => {
        stream.on('data', (m: { list_services_response?: { service: { name: string }[] } }) => {
          resolve((m.list_services_response?.service ?? []).map((s) => s.name));
          stream.end();
        });
        stream.on('error', reject);
        stream.write({ list_services: '' });
      });
      client.close();
      const other = port === base ? 'dtx.v1.Participant' : 'dtx.v1.Coordinator';
      expect(names).not.toContain(other);
      expect(names, names.join(',')).toEqual(expect.arrayContaining([expected[port]!, 'dtx.v1.Admin', 'grpc.health.v1.Health']));
    }
    // Each node's metrics and health over HTTP, 1000 above its gRPC port (open mode: no credentials).
    expect(run.output()).toContain(`metrics http://127.0.0.1:${base + 1000}/metrics`);
    for (const [port, role] of [
      [base + 1000, 'coordinator'],
      [base + 1001, 'participant'],
    ] as const) {
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(new RegExp(`^dtx_in_doubt\\{node="[cp]1",role="${role}"\\} 0$`, 'm'));
    }
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
  }, 60_000);
});

describe('dtx demo bank', () => {
  it('runs concurrent transfers on its own cluster and reports an unchanged total', () => {
    const r = spawnSync(process.execPath, [CLI_ENTRY, 'demo', 'bank', '--duration', '2s', '--accounts', '10', '--concurrency', '4'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/total must stay 1000/);
    expect(r.stdout).toMatch(/total held: true/);
    expect(r.stdout).not.toMatch(/VIOLATION/);
    const committed = Number(/(\d+) transfers in/.exec(r.stdout)?.[1] ?? 0);
    expect(committed).toBeGreaterThan(10);
  }, 90_000);
});
