/**
 * docker-compose.yml without a Docker engine: checks the file's structure, then
 * runs every service's `command:` as a local process the way the image would
 * (`node bin/dtx.js <command...>`, the Dockerfile's ENTRYPOINT), with the compose
 * network replaced by loopback:
 *   - a service hostname (p1:7701) becomes 127.0.0.1:<free port for p1's 7701>,
 *   - a bind on 0.0.0.0:<port> (or a healthcheck on 127.0.0.1:<port>) inside a
 *     service becomes 127.0.0.1:<free port for that service's port>,
 *   - a volume target (/data) becomes a temp dir per service.
 * Then a transfer goes through DtxClient, the healthchecks run, the nodes stop on
 * SIGTERM (as `docker compose stop` does) and come back on the same "volumes".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DtxClient, DtxError, op, type OpResult, type TxnResult } from '../../src/client/dtxClient.js';
import { freePorts } from '../../src/cluster/ports.js';
import { ownerOf } from '../../src/protocol/routing.js';
import { checkHealth } from '../../src/rpc/clients.js';
import { loadTls } from '../../src/rpc/credentials.js';
import type { DialSecurity } from '../../src/rpc/dial.js';
import { httpsGet } from '../support/prometheus.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(ROOT, 'bin', 'dtx.js');
const LOOPBACK = '127.0.0.1';
const LOCAL_HOSTS = new Set(['0.0.0.0', '127.0.0.1', 'localhost', '[::]']);
const HEALTH_TIMEOUT_MS = 20_000;

interface ComposeService {
  build?: unknown;
  image?: string;
  command?: string[] | string;
  ports?: (string | { target: number; published: number | string })[];
  volumes?: (string | { type?: string; source?: string; target: string })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] | string };
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const composeText = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
// Compose supports YAML merge keys (<<: *anchor); the yaml package needs them asked for.
const compose = parse(composeText, { merge: true }) as ComposeFile;
const serviceNames = Object.keys(compose.services ?? {}).sort();
/** The one-shot service that makes the cluster's certificates, tokens and secret before any node starts. */
const INIT = 'certs';
/** The Prometheus that scrapes every node (not the dtx image: its command is not run here, its scrape config is). */
const PROMETHEUS = 'prometheus';
/** The services that run the dtx image. */
const dtxServices = serviceNames.filter((s) => s !== PROMETHEUS);
const nodeNames = dtxServices.filter((s) => s !== INIT);
const prometheusConfig = parse(readFileSync(join(ROOT, 'deploy', 'prometheus', 'prometheus.yml'), 'utf8')) as {
  scrape_configs: {
    job_name: string;
    scheme?: string;
    tls_config?: { ca_file?: string; cert_file?: string; key_file?: string };
    static_configs: { targets: string[] }[];
  }[];
};

function commandOf(name: string): string[] {
  const cmd = compose.services[name]?.command;
  if (!Array.isArray(cmd)) throw new Error(`service ${name}: command must be an exec-form list, got ${JSON.stringify(cmd)}`);
  return cmd.map(String);
}

function dependsOn(name: string): string[] {
  const d = compose.services[name]?.depends_on;
  if (!d) return [];
  return Array.isArray(d) ? d : Object.keys(d);
}

/** Named-volume mounts of a service: [volume, target]. */
function volumeMounts(name: string): { source: string; target: string }[] {
  return (compose.services[name]?.volumes ?? []).map((v) => {
    if (typeof v === 'string') {
      const [source, target] = v.split(':');
      return { source: source!, target: target! };
    }
    return { source: v.source ?? '', target: v.target };
  });
}

/** Published ports of a service: [host, container]. */
function publishedPorts(name: string): { published: number; target: number }[] {
  return (compose.services[name]?.ports ?? []).map((p) => {
    if (typeof p === 'string') {
      const parts = p.split(':');
      return { published: Number(parts.at(-2)), target: Number(parts.at(-1)!.split('/')[0]) };
    }
    return { published: Number(p.published), target: Number(p.target) };
  });
}

const flag = (args: string[], name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

/** The container port a service listens on (its --listen flag). */
function listenPort(name: string): number {
  const listen = flag(commandOf(name), '--listen');
  if (!listen) throw new Error(`service ${name} has no --listen`);
  return Number(listen.split(':').at(-1));
}

/** The container port a service serves its metrics on (its --http-listen flag). */
function httpPort(name: string): number {
  const listen = flag(commandOf(name), '--http-listen');
  if (!listen) throw new Error(`service ${name} has no --http-listen`);
  return Number(listen.split(':').at(-1));
}

/** Services in an order where every service comes after what it depends on (bounded: no cycles). */
function startOrder(): string[][] {
  const waves: string[][] = [];
  const done = new Set<string>();
  for (let round = 0; done.size < dtxServices.length; round++) {
    if (round > dtxServices.length) throw new Error('depends_on has a cycle');
    const wave = dtxServices.filter((s) => !done.has(s) && dependsOn(s).every((d) => done.has(d)));
    wave.forEach((s) => done.add(s));
    waves.push(wave);
  }
  return waves;
}

describe('docker-compose.yml and Dockerfile', () => {
  it('defines two coordinators c1, c2 and three participants p1..p3', () => {
    expect(serviceNames).toEqual(['c1', 'c2', 'certs', 'p1', 'p2', 'p3', PROMETHEUS]);
    expect(commandOf('c1')[0]).toBe('coordinator');
    expect(commandOf('c2')[0]).toBe('coordinator');
    for (const p of ['p1', 'p2', 'p3']) {
      const cmd = commandOf(p);
      expect(cmd[0]).toBe('participant');
      expect(flag(cmd, '--id')).toBe(p);
      expect(flag(cmd, '--listen')).toMatch(/^0\.0\.0\.0:\d+$/);
      expect(flag(cmd, '--data')).toBe('/data');
    }
    for (const s of serviceNames) {
      const svc = compose.services[s]!;
      expect(svc.build ?? svc.image, `${s} needs build or image`).toBeDefined();
    }
  });

  it('points each coordinator at the participants and the other coordinator by service name, and advertises itself', () => {
    for (const [c, other] of [
      ['c1', 'c2'],
      ['c2', 'c1'],
    ] as const) {
      const cmd = commandOf(c);
      expect(flag(cmd, '--id')).toBe(c);
      expect(flag(cmd, '--listen')).toMatch(/^0\.0\.0\.0:\d+$/);
      expect(flag(cmd, '--data')).toBe('/data');
      expect(flag(cmd, '--advertise')).toBe(`${c}:${listenPort(c)}`);
      const peers = (flag(cmd, '--participants') ?? '').split(',');
      expect(peers).toEqual(['p1', 'p2', 'p3'].map((p) => `${p}=${p}:${listenPort(p)}`));
      expect(flag(cmd, '--coordinators')).toBe(`${other}=${other}:${listenPort(other)}`);
    }
  });

  it('gives every node its own named volume for /data, and the certificates read-only', () => {
    const declared = Object.keys(compose.volumes ?? {}).sort();
    const used: string[] = [];
    for (const s of nodeNames) {
      const mounts = volumeMounts(s);
      expect(
        mounts.map((m) => m.target),
        s,
      ).toEqual(['/data', '/certs']);
      expect(declared, `${s}'s volume ${mounts[0]!.source} is not a declared named volume`).toContain(mounts[0]!.source);
      used.push(mounts[0]!.source);
      expect(compose.services[s]!.volumes).toContain('./compose-certs:/certs:ro');
    }
    expect(new Set(used).size, 'two services share a volume').toBe(nodeNames.length);
    expect(compose.services[INIT]!.volumes).toEqual(['./compose-certs:/certs']);
  });

  it('runs every node with TLS, its own certificate, tokens and the cluster secret, and without fault injection', () => {
    expect(commandOf(INIT)).toEqual(['certs', 'init', '--nodes', 'c1,c2,p1,p2,p3', '--out', '/certs']);
    for (const s of nodeNames) {
      const cmd = commandOf(s);
      expect(flag(cmd, '--tls-ca')).toBe('/certs/ca.pem');
      expect(flag(cmd, '--tls-cert')).toBe(`/certs/${s}.pem`);
      expect(flag(cmd, '--tls-key')).toBe(`/certs/${s}-key.pem`);
      expect(flag(cmd, '--tokens')).toBe('/certs/tokens');
      expect(flag(cmd, '--cluster-secret')).toBe('/certs/cluster-secret');
      expect(cmd).not.toContain('--allow-faults');
      expect(cmd).not.toContain('--insecure');
      const d = compose.services[s]!.depends_on as Record<string, { condition?: string }>;
      expect(d[INIT]?.condition, s).toBe('service_completed_successfully');
    }
  });

  it('starts the coordinators after the participants and publishes only their ports 7700 and 7710', () => {
    expect(dependsOn('c1').sort()).toEqual(['certs', 'p1', 'p2', 'p3']);
    expect(dependsOn('c2').sort()).toEqual(['certs', 'p1', 'p2', 'p3']);
    for (const p of ['p1', 'p2', 'p3']) expect(dependsOn(p)).toEqual([INIT]);
    expect(publishedPorts('c1')).toEqual([{ published: 7700, target: listenPort('c1') }]);
    expect(publishedPorts('c2')).toEqual([{ published: 7710, target: listenPort('c2') }]);
    expect(listenPort('c1')).toBe(7700);
    for (const p of ['p1', 'p2', 'p3']) expect(publishedPorts(p)).toEqual([]);
    expect(publishedPorts(INIT)).toEqual([]);
    expect(startOrder()).toEqual([[INIT], ['p1', 'p2', 'p3'], ['c1', 'c2']]);
  });

  it("serves every node's metrics on the compose network, and a prometheus service scrapes each one with the ops certificate", () => {
    for (const s of nodeNames) {
      expect(flag(commandOf(s), '--http-listen'), s).toBe(`0.0.0.0:${s.startsWith('c') ? 8700 : 8701}`);
      expect(
        publishedPorts(s).map((p) => p.target),
        `${s} publishes no metrics port`,
      ).not.toContain(httpPort(s));
    }
    const prom = compose.services[PROMETHEUS]!;
    expect(prom.image).toMatch(/^prom\/prometheus:v\d+\.\d+\.\d+$/);
    expect(prom.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
    expect(prom.volumes).toEqual(['./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro', './compose-certs:/certs:ro']);
    expect(publishedPorts(PROMETHEUS)).toEqual([{ published: 9090, target: 9090 }]);
    const [job, ...others] = prometheusConfig.scrape_configs;
    expect(others).toEqual([]);
    expect(job!.scheme).toBe('https');
    expect(job!.tls_config).toEqual({ ca_file: '/certs/ca.pem', cert_file: '/certs/ops.pem', key_file: '/certs/ops-key.pem' });
    const targets = job!.static_configs.flatMap((c) => c.targets).sort();
    expect(targets).toEqual(nodeNames.map((s) => `${s}:${httpPort(s)}`).sort());
  });

  it('builds an image whose entrypoint is the dtx CLI', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const froms = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
    expect(froms.length).toBeGreaterThan(0);
    for (const f of froms) expect(f).toBe('node:20-bookworm-slim');
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
    expect(dockerfile).toMatch(/^RUN npm run build\b/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", ?"bin\/dtx\.js"\]$/m);
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim());
    for (const p of ['node_modules', 'dist', '.git']) expect(ignored).toContain(p);
  });
});

interface Running {
  name: string;
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  logFile: string;
}

describe('docker-compose.yml services run as local processes', () => {
  let root: string | undefined;
  const running = new Map<string, Running>();
  /** `${service}:${containerPort}` → local port. */
  const portMap = new Map<string, number>();
  const args = new Map<string, string[]>();
  let client: DtxClient | undefined;
  /** What the compose file's certs service made, once it has run: TLS trust and the ops and app tokens. */
  let trust: { ops: DialSecurity; app: DialSecurity } | undefined;
  const certsDir = (): string => join(root!, 'volumes', './compose-certs');
  const loadTrust = (): { ops: DialSecurity; app: DialSecurity } => {
    const tls = loadTls({ ca: join(certsDir(), 'ca.pem') });
    const token = (name: string) => readFileSync(join(certsDir(), `${name}.token`), 'utf8').trim();
    return { ops: { tls, token: token('ops') }, app: { tls, token: token('app') } };
  };

  const localAddress = (service: string, port: number): string => {
    const local = portMap.get(`${service}:${port}`);
    if (local === undefined) throw new Error(`no local port for ${service}:${port} (only listen ports are mapped)`);
    return `${LOOPBACK}:${local}`;
  };

  /** Rewrites one argument of `service` from the compose network to loopback and temp dirs. */
  const rewrite = (service: string, arg: string): string => {
    let out = arg.replace(/(\[::\]|[A-Za-z0-9.-]+):(\d{1,5})\b/g, (whole, host: string, port: string) => {
      if (compose.services[host]) return localAddress(host, Number(port));
      if (LOCAL_HOSTS.has(host)) return localAddress(service, Number(port));
      return whole;
    });
    for (const m of volumeMounts(service)) {
      if (out === m.target || out.startsWith(`${m.target}/`)) out = join(root!, 'volumes', m.source) + out.slice(m.target.length);
    }
    return out;
  };

  const logTail = (r: Running): string => {
    try {
      return readFileSync(r.logFile, 'utf8').trimEnd().split('\n').slice(-20).join('\n');
    } catch {
      return '(no log)';
    }
  };

  const startService = (name: string): Running => {
    const logFile = join(root!, 'logs', `${name}.log`);
    const fd = openSync(logFile, 'a');
    // DTX_EXIT_WITH_PARENT: should this test's worker die, the nodes end by themselves.
    const child = spawn(process.execPath, [CLI, ...args.get(name)!], {
      cwd: ROOT,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, DTX_EXIT_WITH_PARENT: '1' },
    });
    closeSync(fd);
    const r: Running = { name, child, exit: null, logFile, exited: Promise.resolve({ code: null, signal: null }) };
    r.exited = new Promise((res) => {
      child.once('exit', (code, signal) => {
        r.exit = { code, signal };
        res(r.exit);
      });
      child.once('error', () => {
        r.exit ??= { code: null, signal: null };
        res(r.exit);
      });
    });
    running.set(name, r);
    return r;
  };

  /** Polls Health until SERVING, bounded in attempts and time; fails fast if the process dies. */
  const waitServing = async (name: string): Promise<void> => {
    const r = running.get(name)!;
    const address = localAddress(name, listenPort(name));
    const deadline = Date.now() + HEALTH_TIMEOUT_MS;
    for (let attempt = 0; attempt < 500 && Date.now() < deadline; attempt++) {
      if (r.exit) throw new Error(`${name} exited (${JSON.stringify(r.exit)}) before serving:\n${logTail(r)}`);
      if (await checkHealth(address, 500, trust!.ops)) return;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error(`${name} not serving on ${address} within ${HEALTH_TIMEOUT_MS} ms:\n${logTail(r)}`);
  };

  /** Starts every service, wave by wave along depends_on, each wave serving before the next starts. */
  const startAll = async (): Promise<void> => {
    for (const wave of startOrder()) {
      if (wave.includes(INIT)) {
        // A one-shot service: it must run to completion, successfully, before the nodes start.
        const r = startService(INIT);
        const exit = await Promise.race([r.exited, new Promise<'timeout'>((res) => setTimeout(() => res('timeout'), HEALTH_TIMEOUT_MS).unref())]);
        if (exit === 'timeout' || exit.code !== 0) throw new Error(`${INIT} did not complete (${JSON.stringify(exit)}):\n${logTail(r)}`);
        running.delete(INIT);
        trust = loadTrust();
        continue;
      }
      for (const s of wave) startService(s);
      await Promise.all(wave.map(waitServing));
    }
  };

  /** Signals every process this test started (by pid) and waits, bounded, for each to exit. */
  const stopAll = async (sig: NodeJS.Signals, waitMs: number): Promise<Record<string, Running['exit']>> => {
    const exits: Record<string, Running['exit']> = {};
    await Promise.all(
      [...running.values()].map(async (r) => {
        if (!r.exit && r.child.pid !== undefined) {
          try {
            process.kill(r.child.pid, sig);
          } catch {
            /* already gone */
          }
          const timer = new Promise<'timeout'>((res) => setTimeout(() => res('timeout'), waitMs).unref());
          if ((await Promise.race([r.exited, timer])) === 'timeout' && r.child.pid !== undefined && !r.exit) {
            try {
              process.kill(r.child.pid, 'SIGKILL');
            } catch {
              /* already gone */
            }
            await Promise.race([r.exited, new Promise((res) => setTimeout(res, 5000).unref())]);
          }
        }
        exits[r.name] = r.exit;
      }),
    );
    running.clear();
    return exits;
  };

  const cleanup = async (): Promise<void> => {
    client?.close();
    client = undefined;
    try {
      await stopAll('SIGKILL', 5000);
    } finally {
      if (root) rmSync(root, { recursive: true, force: true });
      root = undefined;
    }
  };

  // A failing beforeAll only marks the tests skipped (and test/summary-reporter.ts counts
  // skipped, not failed), so a setup error is kept and rethrown by every test instead.
  let setupError: Error | undefined;
  const ready = (): DtxClient => {
    if (setupError) throw setupError;
    if (!client) throw new Error('the services are not running');
    return client;
  };

  beforeAll(async () => {
    try {
      root = mkdtempSync(join(tmpdir(), 'dtx-compose-'));
      mkdirSync(join(root, 'logs'));
      for (const s of dtxServices) for (const m of volumeMounts(s)) mkdirSync(join(root, 'volumes', m.source), { recursive: true });
      const ports = await freePorts(2 * nodeNames.length);
      nodeNames.forEach((s, i) => {
        portMap.set(`${s}:${listenPort(s)}`, ports[2 * i]!);
        portMap.set(`${s}:${httpPort(s)}`, ports[2 * i + 1]!);
      });
      for (const s of dtxServices)
        args.set(
          s,
          commandOf(s).map((a) => rewrite(s, a)),
        );
      await startAll();
      client = new DtxClient(localAddress('c1', listenPort('c1')), { security: trust!.ops });
    } catch (err) {
      setupError = err instanceof Error ? err : new Error(String(err));
      await cleanup();
    }
  }, 90_000);

  afterAll(cleanup, 30_000);

  it('rewrote the commands to loopback ports and per-service data dirs', () => {
    ready();
    const c1 = args.get('c1')!;
    expect(flag(c1, '--listen')).toBe(localAddress('c1', 7700));
    expect(flag(c1, '--advertise')).toBe(localAddress('c1', 7700));
    expect(flag(c1, '--participants')).toBe(['p1', 'p2', 'p3'].map((p) => `${p}=${localAddress(p, listenPort(p))}`).join(','));
    const dataDirs = nodeNames.map((s) => flag(args.get(s)!, '--data'));
    expect(new Set(dataDirs).size).toBe(nodeNames.length);
    for (const d of dataDirs) expect(d?.startsWith(root!)).toBe(true);
    for (const s of dtxServices) expect(args.get(s)!.join(' ')).not.toMatch(/0\.0\.0\.0|\/data\b|\/certs\b|\bp[123]:7701|c[12]:7700/);
  });

  it('refuses a plaintext caller, and the app token may transact but not call Admin', async () => {
    ready();
    const c1 = localAddress('c1', listenPort('c1'));
    expect(await checkHealth(c1, 1000)).toBe(false);
    const app = new DtxClient(c1, { security: trust!.app });
    try {
      expect((await app.read(['compose-probe'])).length).toBe(1);
      await expect(app.status()).rejects.toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringMatching(/token app .* needs admin/) });
    } finally {
      app.close();
    }
  });

  it('a coordinator reports the participants and the other coordinator of the compose file', async () => {
    const status = await ready().status();
    expect(status.nodeId).toBe('c1');
    expect(status.role).toBe('coordinator');
    expect(status.peers.map((p) => [p.id, p.address, p.role]).sort()).toEqual([
      ['c2', localAddress('c2', listenPort('c2')), 'coordinator'],
      ...['p1', 'p2', 'p3'].map((p) => [p, localAddress(p, listenPort(p)), 'participant']),
    ]);
  });

  it("either coordinator serves a transaction, and one asked about the other's answers through its owner", async () => {
    const both = [localAddress('c1', listenPort('c1')), localAddress('c2', listenPort('c2'))];
    const viaC2 = new DtxClient(both[1]!, { security: trust!.app });
    const viaC1 = new DtxClient(both[0]!, { security: trust!.app });
    try {
      const r = await viaC2.transact([op.put('compose-two-coordinators', 'yes')]);
      expect(r.outcome).toBe('COMMITTED');
      expect(r.txnId.startsWith('c2-')).toBe(true);
      expect((await viaC1.getTransaction(r.txnId)).outcome).toBe('COMMITTED');
    } finally {
      viaC1.close();
      viaC2.close();
    }
  });

  const participants = ['p1', 'p2', 'p3'];
  const SRC = 'compose-alice';
  const DST = (() => {
    for (let i = 0; i < 100; i++) {
      const k = `compose-bob-${i}`;
      if (ownerOf(k, participants) !== ownerOf(SRC, participants)) return k;
    }
    throw new Error('no key found on another participant');
  })();

  /** A transaction, retried under new ids while it aborts with CONFLICT (bounded in count and time). */
  const transactRetrying = async (run: (firstAttemptMs: number) => Promise<TxnResult>): Promise<TxnResult & { attempts: number }> => {
    const first = Date.now();
    const deadline = first + 15_000;
    let last: TxnResult | undefined;
    let attempt = 0;
    while (attempt < 20 && Date.now() < deadline) {
      attempt++;
      last = await run(first);
      if (!(last.outcome === 'ABORTED' && last.abortCode === 'CONFLICT')) return { ...last, attempts: attempt };
      await new Promise((res) => setTimeout(res, Math.min(20 * attempt, 200)));
    }
    throw new Error(`still conflicting after ${attempt} attempts: ${last?.reason}`);
  };

  const readRetrying = async (keys: string[]): Promise<OpResult[]> => {
    const deadline = Date.now() + 15_000;
    let lastErr: unknown;
    for (let attempt = 1; attempt <= 20 && Date.now() < deadline; attempt++) {
      try {
        return await client!.read(keys);
      } catch (err) {
        if (!(err instanceof DtxError && err.code === 'ABORTED')) throw err;
        lastErr = err;
      }
      await new Promise((res) => setTimeout(res, Math.min(20 * attempt, 200)));
    }
    throw new Error(`read still aborting after bounded retries: ${String(lastErr)}`);
  };

  it('runs a transfer between accounts on two participants through DtxClient', async () => {
    const c = ready();
    const seed = await transactRetrying((firstAttemptMs) => c.transact([op.put(SRC, '100'), op.put(DST, '100')], { firstAttemptMs }));
    expect(seed.outcome, seed.reason).toBe('COMMITTED');

    const transfer = await transactRetrying((firstAttemptMs) => c.transfer(SRC, DST, 30, { firstAttemptMs }));
    expect(transfer.outcome, transfer.reason).toBe('COMMITTED');
    expect(transfer.results.map((r) => [r.key, r.value])).toEqual([
      [SRC, '70'],
      [DST, '130'],
    ]);
    const txn = await c.getTransaction(transfer.txnId);
    expect(txn.outcome).toBe('COMMITTED');
    expect(txn.participants.sort()).toEqual([ownerOf(SRC, participants), ownerOf(DST, participants)].sort());

    const overdraft = await transactRetrying((firstAttemptMs) => c.transfer(SRC, DST, 71, { firstAttemptMs }));
    expect(overdraft.outcome).toBe('ABORTED');
    expect(overdraft.abortCode).toBe('PRECONDITION_FAILED');
    expect(overdraft.reason).toContain(SRC);

    const snapshot = await readRetrying([SRC, DST]);
    expect(snapshot.map((r) => [r.key, r.value])).toEqual([
      [SRC, '70'],
      [DST, '130'],
    ]);
  });

  it('passes every service healthcheck command', async () => {
    ready();
    for (const s of serviceNames) {
      const test = compose.services[s]?.healthcheck?.test;
      if (!test) continue;
      expect(Array.isArray(test) && test[0] === 'CMD', `${s}: healthcheck should be exec form ["CMD", ...]`).toBe(true);
      const [cmd, ...rest] = (test as string[]).slice(1).map((a) => rewrite(s, a));
      expect(cmd).toBe('node');
      const r = await new Promise<{ code: number | null; out: string }>((res, rej) => {
        const child = spawn(process.execPath, rest, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('error', rej);
        child.once('close', (code) => {
          clearTimeout(timer);
          res({ code, out });
        });
      });
      expect(r.code, `${s} healthcheck: ${rest.join(' ')}\n${r.out}`).toBe(0);
    }
  });

  it("Prometheus's scrape config reads every node's metrics: HTTPS, the cluster CA, the ops certificate, the target's name", async () => {
    ready();
    const [job] = prometheusConfig.scrape_configs;
    const tls = job!.tls_config!;
    const file = (path: string | undefined): Buffer => readFileSync(rewrite(PROMETHEUS, path!));
    for (const target of job!.static_configs.flatMap((c) => c.targets)) {
      const [service, port] = target.split(':') as [string, string];
      const url = `${job!.scheme}://${localAddress(service, Number(port))}/metrics`;
      const r = await httpsGet(url, { ca: file(tls.ca_file), cert: file(tls.cert_file), key: file(tls.key_file), servername: service });
      expect(r.status, `${target}: ${r.body.slice(0, 200)}`).toBe(200);
      expect(r.body).toMatch(new RegExp(`^dtx_in_doubt\\{node="${service}",`, 'm'));
      // Without the ops certificate the same URL is refused.
      expect((await httpsGet(url, { ca: file(tls.ca_file), servername: service })).status).toBe(401);
    }
  });

  it('stops cleanly on SIGTERM (docker stop) and keeps its data in the volumes across a restart', async () => {
    ready().close();
    client = undefined;
    const exits = await stopAll('SIGTERM', 10_000);
    for (const s of nodeNames) expect(exits[s], `${s} exit after SIGTERM`).toEqual({ code: 0, signal: null });

    await startAll();
    client = new DtxClient(localAddress('c1', listenPort('c1')), { security: trust!.ops });
    const snapshot = await readRetrying([SRC, DST]);
    expect(snapshot.map((r) => [r.key, r.found, r.value])).toEqual([
      [SRC, true, '70'],
      [DST, true, '130'],
    ]);
  });
});
