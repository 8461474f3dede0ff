import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DtxClient, op } from '../../src/client/dtxClient.js';
import { LockClient, type Lease } from '../../src/client/locks.js';
import { LocalCluster } from '../../src/cluster/localCluster.js';
import { runDtx } from '../support/cli.js';
import { httpsGet } from '../support/prometheus.js';
import { keysOnDistinctParticipants, setFailpoint } from '../support/nodes.js';
import { startTokenCluster, TOKENS } from '../support/tokenCluster.js';
import { waitFor } from '../support/wait.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const SHOTS = join(ROOT, 'test-artifacts', 'console');
const WAIT_MS = 20_000;

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it). */
function chromiumPath(): string {
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('which', [name], { encoding: 'utf8' }).trim();
    } catch {
      // next name
    }
  }
  throw new Error('no chromium on PATH: apt-get install -y chromium (the console test drives it headless)');
}

async function shot(page: Page, name: string): Promise<string> {
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Waits until the page's text at `selector` contains `text`; the message says what the page showed instead. */
async function waitForText(page: Page, selector: string, text: string): Promise<void> {
  try {
    await page.waitForFunction((s: string, t: string) => (document.querySelector(s)?.textContent ?? '').includes(t), { timeout: WAIT_MS }, selector, text);
  } catch (err) {
    const shown = await page.$eval(selector, (e) => e.textContent ?? '').catch(() => '(no such element)');
    throw new Error(`${selector} never showed ${JSON.stringify(text)}; it shows ${JSON.stringify(shown.slice(0, 500))} (${(err as Error).message})`);
  }
}

/**
 * The web console in headless Chromium against real processes: a 2pc transaction left in doubt
 * by its coordinator's kill -9 shows in c2's console, inspect says whom it waits for, a plain
 * abort is refused on the page, a heuristic abort needs the id typed again and lands in the
 * audit log with the operator typed in the page. Screenshots: test-artifacts/console/.
 */
describe('web console (headless Chromium)', () => {
  let cluster: LocalCluster;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    cluster = await LocalCluster.start({ participants: 2, coordinators: 2, participantArgs: ['--inquire-after', '300ms'] });
    browser = await puppeteer.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await cluster?.destroy();
  });

  it('shows a stuck transaction, refuses an unsafe resolve, forces a heuristic abort after a second confirmation, and audits it', async () => {
    const [a, b] = keysOnDistinctParticipants('web-', cluster.participantNames);
    const c1 = cluster.node('c1').address;
    const client = new DtxClient([c1], { timeoutMs: 3000, waitForReady: true });
    // Traffic through c2 during the whole story, for its charts (other keys than the stuck transaction's).
    const background = new DtxClient([cluster.node('c2').address], { timeoutMs: 3000, waitForReady: true });
    let stop = false;
    const deadline = Date.now() + 90_000;
    const traffic = (async () => {
      for (let i = 0; !stop && Date.now() < deadline; i++)
        await background.transact([op.put(`${a!}-bg${i % 4}`, String(i)), op.put(`${b!}-bg${i % 4}`, String(i))]).catch(() => undefined);
    })();
    // A lease held by a job, for the lock table.
    const locks = new LockClient([cluster.node('c2').address]);
    const lease = await locks.acquire('nightly-billing', { ttlMs: 120_000, owner: 'billing-job@host7' });
    try {
      await story(a!, b!, c1, client, lease);
    } finally {
      await locks.release(lease.leaseId).catch(() => false);
      locks.close();
      stop = true;
      await traffic;
      background.close();
    }
  });

  async function story(a: string, b: string, c1: string, client: DtxClient, lease: Lease): Promise<void> {
    try {
      await setFailpoint(c1, 'coordinator.decision.beforePersist', 'kill');
      await client.transact([op.put(a, '1'), op.put(b, '2')], { retries: 0 }).catch(() => undefined);
    } finally {
      client.close();
    }
    await waitFor('c1 to die at its failpoint', () => cluster.node('c1').state === 'stopped', { timeoutMs: 15_000 });

    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(`${cluster.node('c2').httpUrl!}/console`, { waitUntil: 'load' });

    // c1 made the id (c1-…): the only transaction in doubt; c2's own traffic finishes in milliseconds.
    await page.waitForSelector('#txns tbody tr[data-txn^="c1-"]', { timeout: WAIT_MS });
    const txn = await page.$eval('#txns tbody tr[data-txn^="c1-"]', (tr) => (tr as HTMLElement).dataset['txn']!);
    await waitForText(page, '#txns tbody', 'p1 (prepared)');
    await waitForText(page, '#txns tbody', 'p2 (prepared)');
    // c1 is gone: the nodes table says so (c2 knows it as a peer).
    await waitForText(page, '#nodes tbody', 'down');
    await waitForText(page, '#locks tbody', 'nightly-billing');
    await waitForText(page, '#locks tbody', lease.leaseId);
    await waitForText(page, '#locks tbody', 'billing-job@host7');
    expect(await page.$eval('#locks tbody', (t) => t.textContent)).toContain(String(lease.token));
    await shot(page, '1-in-doubt');

    await page.click(`#txns tbody tr[data-txn="${txn}"]`);
    await waitForText(page, '#inspect-views', 'decision from coordinator c1');
    await waitForText(page, '#inspect-views', 'voted YES (2pc)');
    await shot(page, '2-inspect');

    // A plain abort: no outcome is safe while c1 is gone with every vote YES.
    await page.type('#reason', 'INC-42: c1 lost its disk, client gave up');
    await page.type('#operator', 'alice-console');
    await page.click('input[name=outcome][value=ABORTED]');
    await page.click('#resolve-go');
    await waitForText(page, '#resolve-result.refused', 'is safe to decide now');
    await shot(page, '3-refused');

    // Heuristic: the page asks again, and only the transaction id typed in full lets it through.
    await page.click('#heuristic');
    await page.click('#resolve-go');
    await page.waitForSelector('#confirm[open]', { timeout: WAIT_MS });
    await page.type('#confirm-txn', txn.slice(0, -1));
    expect(await page.$eval('#confirm-go', (bt) => (bt as HTMLButtonElement).disabled)).toBe(true);
    await page.type('#confirm-txn', txn.slice(-1));
    expect(await page.$eval('#confirm-go', (bt) => (bt as HTMLButtonElement).disabled)).toBe(false);
    await shot(page, '4-confirm');
    await page.click('#confirm-go');
    await waitForText(page, '#resolve-result.ok', 'ABORTED (HEURISTIC)');

    await page.waitForFunction((t: string) => !document.querySelector(`#txns tbody tr[data-txn="${t}"]`), { timeout: WAIT_MS }, txn);
    await waitForText(page, '#audit tbody', 'txn.resolve.heuristic');
    await waitForText(page, '#audit tbody', 'alice-console');
    await waitForText(page, '#inspect-views', 'ABORTED HEURISTIC');
    // Nothing on the page failed (the banner lists every section that did).
    expect(await page.$eval('#errors', (e) => e.textContent)).toMatch(/^(in-doubt \(some nodes did not answer\): c1: [^\n]*)?$/);
    const final = await shot(page, '5-resolved');
    if (process.env['DTX_CONSOLE_SCREENSHOT']) copyFileSync(final, join(ROOT, 'docs', 'console.png'));
    expect(pageErrors).toEqual([]);

    // The page went through the audited resolve: the CLI's audit view has it, with the caller and the typed operator.
    const audit = await runDtx(['audit', '--json', '-c', cluster.node('c2').address], { timeoutMs: 30_000 });
    // Exit 1: c1 is down and says so; the entries of the nodes that answer are there.
    expect(audit.code, audit.stderr).toBe(1);
    const parsed = JSON.parse(audit.stdout) as { entries: { action: string; target: string; result: string; reason: string; actor: string }[]; down: string[] };
    expect(parsed.down.join(' ')).toContain('c1');
    const entries = parsed.entries;
    const mine = entries.filter((e) => e.target.startsWith(txn));
    expect(mine.map((e) => `${e.action} ${e.result.split(':')[0]}`)).toEqual([
      'txn.resolve requested',
      'txn.resolve refused',
      'txn.resolve.heuristic requested',
      'txn.resolve.heuristic ok',
    ]);
    expect(mine[3]!.actor).toMatch(/^unauthenticated \(open mode\) from \S+ \(web console\) as alice-console$/);
    expect(mine[3]!.reason).toBe('INC-42: c1 lost its disk, client gave up');
  }
});

describe('who may open the console', () => {
  const tokens = TOKENS;
  let cluster: LocalCluster;
  let close: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ cluster, close } = await startTokenCluster('dtx-console-tokens-'));
  }, 60_000);
  afterAll(async () => {
    await close?.();
  });

  const get = (path: string, token?: string, init: RequestInit = {}) =>
    fetch(`${cluster.node('c1').httpUrl!}${path}`, {
      ...init,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      signal: AbortSignal.timeout(5000),
    });

  it('without a token 401, with a client token 403, with an admin token 200 (the page also by ?token=); the API asks peers with that token', async () => {
    for (const path of ['/console', '/api/console/nodes', '/api/console/transactions', '/api/console/audit', '/api/console/series']) {
      expect((await get(path)).status, path).toBe(401);
      expect((await get(path, tokens.client)).status, path).toBe(403);
      expect((await get(path, tokens.admin)).status, path).toBe(200);
    }
    expect((await get(`/console?token=${tokens.admin}`)).status).toBe(200);
    expect((await get(`/console?token=${tokens.client}`)).status).toBe(403);
    expect((await get('/api/console/resolve', undefined, { method: 'POST', body: '{}' })).status).toBe(401);
    expect((await get('/api/console/resolve', tokens.client, { method: 'POST', body: '{}' })).status).toBe(403);
    // The admin's token is passed on to the participant: it answers.
    const nodes = (await (await get('/api/console/nodes', tokens.admin)).json()) as { scope: string; nodes: { id: string; up: boolean }[] };
    expect(nodes.scope).toBe('cluster');
    expect(nodes.nodes.map((n) => `${n.id} ${n.up}`).sort()).toEqual(['c1 true', 'p1 true']);
    // A heuristic resolve without the second confirmation is refused before anything is done.
    const bad = await get('/api/console/resolve', tokens.admin, {
      method: 'POST',
      body: JSON.stringify({ txn: 'x1', outcome: 'ABORTED', reason: 'r', heuristic: true }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain('typed again');
    // Only JSON: a cross-site form (text/plain) cannot make a browser resolve with its client certificate.
    const form = await fetch(`${cluster.node('c1').httpUrl!}/api/console/resolve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'text/plain' },
      body: JSON.stringify({ txn: 'x1', outcome: 'ABORTED', reason: 'r' }),
      signal: AbortSignal.timeout(5000),
    });
    expect(form.status).toBe(400);
    expect(((await form.json()) as { error: string }).error).toContain('application/json');
  });
});

describe('the console on a TLS cluster', () => {
  let cluster: LocalCluster;
  beforeAll(async () => {
    cluster = await LocalCluster.start({ participants: 1, tls: true });
  }, 60_000);
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('is HTTPS; an OU=admin client certificate opens it and sees this coordinator only (it cannot be passed on), none is 401', async () => {
    const certDir = cluster.certDir!;
    const ca = readFileSync(join(certDir, 'ca.pem'));
    const base = cluster.node('c1').httpUrl!;
    expect(base.startsWith('https://')).toBe(true);
    const operator = { ca, cert: readFileSync(join(certDir, 'operator.pem')), key: readFileSync(join(certDir, 'operator-key.pem')) };
    expect((await httpsGet(`${base}/console`, operator)).status).toBe(200);
    expect((await httpsGet(`${base}/console`, { ca })).status).toBe(401);
    const nodes = await httpsGet(`${base}/api/console/nodes`, operator);
    expect(nodes.status, nodes.body).toBe(200);
    const body = JSON.parse(nodes.body) as { scope: string; nodes: { id: string; up: boolean }[] };
    expect(body.scope).toContain('this coordinator only');
    expect(body.nodes.map((n) => `${n.id} ${n.up}`)).toEqual(['c1 true']);
    for (const path of ['transactions', 'audit', 'locks', 'series']) expect((await httpsGet(`${base}/api/console/${path}`, operator)).status, path).toBe(200);
  });
});
