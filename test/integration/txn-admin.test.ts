import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DtxClient, op } from '../../src/client/dtxClient.js';
import { LocalCluster } from '../../src/cluster/localCluster.js';
import { runDtx } from '../support/cli.js';
import { keysOnDistinctParticipants, setFailpoint } from '../support/nodes.js';
import { waitFor } from '../support/wait.js';

interface Hook {
  node: string;
  txn: string;
  alert: number;
  /** When the node raised it (its clock): delivery may lag under load. */
  atMs: number;
  view: { phase: string; blockedBy: string };
}

/**
 * In-doubt administration on real processes: a 2pc transaction left prepared by its coordinator's
 * kill -9 shows in `dtx txn list`, each participant holding it fires the webhook once, `inspect`
 * says whom it waits for, and `resolve` acts only as the rules allow — refused while no outcome is
 * safe, forced with --heuristic and audited, refused against an outcome already decided.
 */
describe('dtx txn list / inspect / resolve and dtx audit', () => {
  let cluster: LocalCluster;
  let hookServer: Server;
  const hooks: Hook[] = [];
  let c2: string;

  beforeAll(async () => {
    hookServer = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        hooks.push(JSON.parse(body) as Hook);
        res.end('ok');
      });
    });
    await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/hook`;
    cluster = await LocalCluster.start({
      participants: 2,
      coordinators: 2,
      participantArgs: ['--inquire-after', '300ms', '--alert-after', '1s', '--alert-webhook', url],
    });
    c2 = cluster.node('c2').address;
  });

  afterAll(async () => {
    await cluster?.destroy();
    await new Promise((r) => hookServer?.close(r));
  });

  const dtx = (...args: string[]) => runDtx([...args, '-c', c2], { timeoutMs: 30_000 });

  it('a transaction stuck by its coordinator is listed, alerted once per node, and settled only as the rules allow', async () => {
    const [a, b] = keysOnDistinctParticipants('adm-', cluster.participantNames);
    const c1 = cluster.node('c1').address;
    const client = new DtxClient([c1], { timeoutMs: 3000, waitForReady: true });
    try {
      await setFailpoint(c1, 'coordinator.decision.beforePersist', 'kill');
      // c1 makes the id and dies with both YES votes in: neither participant may decide alone.
      await client.transact([op.put(a!, '1'), op.put(b!, '2')], { retries: 0 }).catch(() => undefined);
    } finally {
      client.close();
    }
    await waitFor('c1 to die at its failpoint', () => cluster.node('c1').state === 'stopped', { timeoutMs: 15_000 });

    const listed = await waitFor(
      'both participants to list the prepared branch',
      async () => {
        const r = await dtx('txn', 'list', '--state', 'prepared', '--json');
        const txns = (JSON.parse(r.stdout) as { txns: { txnId: string; nodeId: string; phase: string }[] }).txns;
        return txns.length === 2 ? txns : null;
      },
      { timeoutMs: 15_000 },
    );
    const txn = listed[0]!.txnId;
    expect(listed.map((t) => t.nodeId).sort()).toEqual(['p1', 'p2']);
    expect(listed.every((t) => t.txnId === txn && t.phase === 'prepared')).toBe(true);

    const inspect = await dtx('txn', 'inspect', txn);
    expect(inspect.code, inspect.stderr).toBe(0);
    expect(inspect.stdout).toContain('waits for     decision from coordinator c1');
    expect(inspect.stdout).toContain('2pc: a participant that voted YES may not decide alone');
    expect(inspect.stdout).toMatch(/record prepare\s+voted YES \(2pc\)/);

    // One alert per participant holding it (past --alert-after 1s), not one per check.
    await waitFor('the webhook from both participants', () => new Set(hooks.filter((h) => h.txn === txn).map((h) => h.node)).size === 2, { timeoutMs: 10_000 });
    // Each node alerts once, then again only after a doubling backoff (2 s after the first here).
    for (const node of ['p1', 'p2']) {
      const mine = hooks.filter((h) => h.txn === txn && h.node === node);
      expect(
        mine.map((h) => h.alert),
        JSON.stringify(mine),
      ).toEqual(mine.map((_, i) => i + 1));
      expect(mine[0]!.view.phase).toBe('prepared');
      for (let i = 1; i < mine.length; i++) expect(mine[i]!.atMs - mine[i - 1]!.atMs).toBeGreaterThanOrEqual(1900 * 2 ** (i - 1));
    }

    // The owner is gone with every vote YES: neither outcome is safe.
    for (const how of ['--commit', '--abort']) {
      const r = await dtx('txn', 'resolve', txn, how, '--reason', 'ticket 7: checking the rules');
      expect(r.code, r.stdout).not.toBe(0);
      expect(r.stderr).toContain('is safe to decide now');
    }
    const forced = await dtx('txn', 'resolve', txn, '--abort', '--heuristic', '--reason', 'ticket 7: c1 lost, client gave up');
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('ABORTED (HEURISTIC)');
    await waitFor('no participant to hold it any more', async () => {
      const r = await dtx('txn', 'list', '--state', 'prepared', '--json');
      return (JSON.parse(r.stdout) as { txns: unknown[] }).txns.length === 0;
    });
    // Decided now: the opposite is refused, the same is a no-op that succeeds.
    const against = await dtx('txn', 'resolve', txn, '--commit', '--reason', 'second thoughts');
    expect(against.code).not.toBe(0);
    expect(against.stderr).toContain('is ABORTED');
    const after = await dtx('txn', 'inspect', txn);
    expect(after.stdout).toMatch(/c2 \(coordinator\): finished[\s\S]*decision\s+ABORTED HEURISTIC/);

    const audit = await dtx('audit', '--json');
    const entries = (JSON.parse(audit.stdout) as { entries: { action: string; target: string; result: string; reason: string; actor: string }[] }).entries;
    const mine = entries.filter((e) => e.target.startsWith(txn));
    expect(mine.map((e) => `${e.action} ${e.result.split(':')[0]}`)).toEqual([
      'txn.resolve requested',
      'txn.resolve refused',
      'txn.resolve requested',
      'txn.resolve refused',
      'txn.resolve.heuristic requested',
      'txn.resolve.heuristic ok',
      'txn.resolve requested',
      'txn.resolve refused',
    ]);
    expect(mine[5]!.reason).toBe('ticket 7: c1 lost, client gave up');
    expect(mine[5]!.actor).toMatch(/ as \S+@\S+/);

    // c1 comes back with no decision: it agrees (presumed abort), no contradiction anywhere.
    await cluster.restart('c1');
    const status = await runDtx(['status', '--json', '-c', cluster.node('c1').address]);
    const rows = JSON.parse(status.stdout) as { status: { counters: { name: string; value: string }[] } | null }[];
    const contradictions = rows.flatMap((r) => r.status?.counters ?? []).filter((c) => c.name === 'contradictions');
    expect(contradictions.every((c) => Number(c.value) === 0)).toBe(true);
  });

  it('bad input gets a clear refusal', async () => {
    const both = await dtx('txn', 'resolve', 'x1', '--commit', '--abort', '--reason', 'r');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('exactly one');
    const noReason = await dtx('txn', 'resolve', 'x1', '--commit', '--reason', '   ');
    expect(noReason.code).not.toBe(0);
    expect(noReason.stderr).toContain('a reason is required');
    const badId = await dtx('txn', 'inspect', 'bad id!');
    expect(badId.code).not.toBe(0);
    expect(badId.stderr).toContain('may only use');
  });
});
