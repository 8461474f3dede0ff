import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DtxClient } from '../../src/client/dtxClient.js';
import { LocalCluster } from '../../src/cluster/localCluster.js';
import { makeClientCert } from '../../src/rpc/certificates.js';
import { adminClient, call } from '../../src/rpc/clients.js';
import { openAccounts, prng, transferLoop, type BankOptions, type TransferCounts } from '../../src/workload/bank.js';
import { families, httpsGet, parseSamples, total, type Sample } from '../support/prometheus.js';
import { startTokenCluster, TOKENS } from '../support/tokenCluster.js';
import { waitFor } from '../support/wait.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

async function scrape(cluster: LocalCluster, name: string): Promise<{ text: string; samples: Sample[] }> {
  const res = await fetch(`${cluster.node(name).httpUrl!}/metrics`, { signal: AbortSignal.timeout(5000) });
  expect(res.status, `${name} /metrics`).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  return { text, samples: parseSamples(text) };
}

const num = (v: number | null, what: string): number => {
  expect(v, `${what} is served`).not.toBeNull();
  return v!;
};

describe('Prometheus metrics on every node during a bank run', () => {
  let cluster: LocalCluster;
  const bank: BankOptions = { accounts: 10, initial: 1000n, prefix: 'm' };
  /** The second scrape of every node (the Grafana and README checks below read it). */
  const last = new Map<string, { text: string; samples: Sample[] }>();

  beforeAll(async () => {
    cluster = await LocalCluster.start({ participants: 3 });
    const client = new DtxClient(cluster.coordinatorAddress);
    try {
      await openAccounts(client, bank);
    } finally {
      client.close();
    }
  }, 60_000);
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('counters move between two scrapes, histograms fill, in-doubt gauges are there', async () => {
    const client = new DtxClient(cluster.coordinatorAddress, { timeoutMs: 5000 });
    const counts: TransferCounts = { committed: 0, aborted: 0, insufficient: 0, failed: 0 };
    let stop = false;
    const deadline = Date.now() + 20_000;
    const until = () => stop || Date.now() > deadline;
    // Eight loops over ten accounts: transfers meet each other's locks.
    const loops = Array.from({ length: 8 }, (_, i) => transferLoop(client, bank, prng(i + 1), counts, until));
    try {
      await waitFor('50 committed transfers', () => counts.committed >= 50, { timeoutMs: 15_000 });
      const first = new Map(await Promise.all([...cluster.nodes.keys()].map(async (n) => [n, (await scrape(cluster, n)).samples] as const)));
      const mark = counts.committed;
      // + 8: up to one reply per loop may have been counted by c1 before the first scrape and seen here after it.
      await waitFor('108 more committed transfers', () => counts.committed >= mark + 108, { timeoutMs: 15_000 });
      for (const n of cluster.nodes.keys()) last.set(n, await scrape(cluster, n));
      stop = true;
      await Promise.all(loops);

      const before = first.get('c1')!;
      const after = last.get('c1')!.samples;
      const committed = (s: Sample[]) => num(total(s, 'dtx_transactions_total', { outcome: 'committed', protocol: '2pc' }), 'committed transactions');
      expect(committed(after) - committed(before)).toBeGreaterThanOrEqual(100);
      for (const phase of ['prepare', 'decision', 'commit']) {
        expect(num(total(after, 'dtx_txn_phase_seconds_count', { phase, protocol: '2pc' }), phase), phase).toBeGreaterThan(0);
        expect(num(total(after, 'dtx_txn_phase_seconds_bucket', { phase, protocol: '2pc', le: '+Inf' }), phase)).toBeGreaterThan(0);
      }
      expect(num(total(after, 'dtx_transaction_seconds_count', { protocol: '2pc' }), 'latency')).toBeGreaterThan(committed(before));
      expect(num(total(after, 'dtx_log_batches_total', { sync: 'true' }), 'c1 batches')).toBeGreaterThan(
        num(total(before, 'dtx_log_batches_total', { sync: 'true' }), 'c1'),
      );
      for (const s of [after, ...[...last.values()].map((l) => l.samples)]) {
        expect(total(s, 'dtx_in_doubt')).not.toBeNull();
        expect(total(s, 'dtx_in_doubt_oldest_seconds')).not.toBeNull();
        expect(num(total(s, 'process_cpu_seconds_total'), 'process CPU')).toBeGreaterThan(0);
        expect(num(total(s, 'process_resident_memory_bytes'), 'RSS')).toBeGreaterThan(0);
      }
      for (const p of cluster.participantNames) {
        const a = last.get(p)!.samples;
        const b = first.get(p)!;
        expect(a.every((x) => x.labels['node'] === p && x.labels['role'] === 'participant')).toBe(true);
        expect(num(total(a, 'dtx_log_batches_total', { sync: 'true', node: p }), p), p).toBeGreaterThan(
          num(total(b, 'dtx_log_batches_total', { sync: 'true' }), p),
        );
        expect(num(total(a, 'dtx_core_events_total', { event: 'prepared' }), p)).toBeGreaterThan(
          num(total(b, 'dtx_core_events_total', { event: 'prepared' }), p),
        );
        expect(num(total(a, 'dtx_log_batch_seconds_count', { sync: 'true' }), p)).toBeGreaterThan(0);
        expect(num(total(a, 'dtx_log_batch_records_count'), p)).toBeGreaterThan(0);
        expect(num(total(a, 'dtx_log_batch_ops_sum'), p)).toBeGreaterThanOrEqual(num(total(a, 'dtx_log_batch_records_sum'), p));
      }
    } finally {
      stop = true;
      await Promise.allSettled(loops);
      client.close();
    }
    // Once every transfer ended, every lock wait that began has ended and was timed.
    const waits = async () => {
      let queued = 0;
      let timed = 0;
      for (const p of cluster.participantNames) {
        const s = (await scrape(cluster, p)).samples;
        queued += num(total(s, 'dtx_lock_waits_total'), 'lock waits');
        timed += num(total(s, 'dtx_lock_wait_seconds_count'), 'timed lock waits');
      }
      return { queued, timed };
    };
    const w = await waitFor('every lock wait timed', async () => {
      const x = await waits();
      return x.queued === x.timed && x;
    });
    expect(w.queued, 'eight loops over ten accounts queued for locks').toBeGreaterThan(0);
  }, 60_000);

  it('every metric the Grafana dashboard queries is served by a real node', () => {
    const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/dtx.json'), 'utf8')) as {
      panels: { title: string; targets?: { expr: string }[] }[];
    };
    // A series, or a family declared without a series yet (a labelled counter nothing has moved, like RPC errors).
    const served = new Set([...last.values()].flatMap((l) => [...l.samples.map((s) => s.name), ...families(l.text).keys()]));
    expect(served.size).toBeGreaterThan(0);
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
    expect(exprs.length).toBeGreaterThan(8);
    for (const { panel, expr } of exprs) {
      const names = [...expr.matchAll(/\b((?:dtx|process|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1]!);
      expect(names.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      for (const n of names) expect(served, `${panel}: ${n} in ${expr}`).toContain(n);
    }
  });

  it('README "Metrics" lists exactly the dtx_ metrics the nodes serve', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('\n## Metrics'), readme.indexOf('\n## ', readme.indexOf('\n## Metrics') + 5));
    const documented = new Set([...section.matchAll(/^\| `(dtx_[a-z0-9_]+)`/gm)].map((m) => m[1]!));
    const text = [...last.values()].map((l) => l.text).join('\n');
    const declared = new Set([...text.matchAll(/^# TYPE (dtx_\S+) /gm)].map((m) => m[1]!));
    expect(
      [...declared].filter((n) => !documented.has(n)),
      'served but not in the README',
    ).toEqual([]);
    expect(
      [...documented].filter((n) => !declared.has(n)),
      'in the README but not served',
    ).toEqual([]);
  });
});

describe('who may read /metrics', () => {
  const tokens = TOKENS;
  let cluster: LocalCluster;
  let close: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ cluster, close } = await startTokenCluster('dtx-metrics-tokens-'));
  }, 60_000);
  afterAll(async () => {
    await close?.();
  });

  const get = (node: string, path: string, token?: string) =>
    fetch(`${cluster.node(node).httpUrl!}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(5000) });

  it('with tokens: none or an unknown one is 401, a client token 403, an admin token 200; /healthz is public', async () => {
    for (const node of ['c1', 'p1']) {
      const none = await get(node, '/metrics');
      expect(none.status).toBe(401);
      expect(await none.text()).toMatch(/^GET \/metrics: this node needs a bearer token/);
      expect((await get(node, '/metrics', 'not-a-token-of-this-cluster')).status).toBe(401);
      const client = await get(node, '/metrics', tokens.client);
      expect(client.status).toBe(403);
      expect(await client.text()).toContain('token app has role(s) client; this call needs admin');
      const admin = await get(node, '/metrics', tokens.admin);
      expect(admin.status).toBe(200);
      expect(await admin.text()).toMatch(/^dtx_refused_calls_total\{node="\w+",role="\w+"\} [1-9]/m);
      expect((await get(node, '/healthz')).status).toBe(200);
      expect((await get(node, '/nothing-here', tokens.admin)).status).toBe(404);
    }
  });

  it('a refused gRPC call is counted in dtx_rpc_errors_total by method and code', async () => {
    const a = adminClient(cluster.coordinatorAddress, { tls: null, token: tokens.client });
    await expect(call(a.Status.bind(a), {}, 3000)).rejects.toMatchObject({ details: expect.stringMatching(/needs admin/) });
    a.close();
    const text = await (await get('c1', '/metrics', tokens.admin)).text();
    const n = total(parseSamples(text), 'dtx_rpc_errors_total', { method: 'dtx.v1.Admin/Status', code: 'PERMISSION_DENIED' });
    expect(n).toBeGreaterThanOrEqual(1);
  });
});

describe('/metrics on a TLS cluster', () => {
  let cluster: LocalCluster;
  beforeAll(async () => {
    cluster = await LocalCluster.start({ participants: 1, tls: true });
  }, 60_000);
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('is HTTPS with the node certificate; a client certificate with OU=admin may read it, OU=client may not, none is 401', async () => {
    const certDir = cluster.certDir!;
    const ca = readFileSync(join(certDir, 'ca.pem'));
    const url = `${cluster.node('p1').httpUrl!}/metrics`;
    expect(url.startsWith('https://')).toBe(true);
    const operator = { cert: readFileSync(join(certDir, 'operator.pem')), key: readFileSync(join(certDir, 'operator-key.pem')) };
    const ok = await httpsGet(url, { ca, ...operator });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatch(/^dtx_in_doubt\{node="p1",role="participant"\} 0$/m);
    expect((await httpsGet(url, { ca })).status).toBe(401);
    // What the Kubernetes probes ask: public, over HTTPS.
    expect(await httpsGet(url.replace('/metrics', '/healthz'), { ca })).toEqual({ status: 200, body: 'SERVING\n' });
    const caPair = { cert: ca.toString(), key: readFileSync(join(certDir, 'ca-key.pem'), 'utf8') };
    const app = await makeClientCert(caPair, 'app', ['client']);
    const refused = await httpsGet(url, { ca, cert: Buffer.from(app.cert), key: Buffer.from(app.key) });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('user app has role(s) client; this call needs admin');
    // Plain HTTP to the TLS port does not get metrics.
    await expect(fetch(url.replace('https:', 'http:'), { signal: AbortSignal.timeout(3000) }).then((r) => r.status)).rejects.toThrow();
  });
});
