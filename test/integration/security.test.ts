import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DtxClient, fenced, LockClient, op } from '../../src/client/dtxClient.js';
import { LocalCluster } from '../../src/cluster/localCluster.js';
import { CLI_ENTRY } from '../../src/paths.js';
import { makeCa, makeClientCert, makeNodeCert, type CertAndKey } from '../../src/rpc/certificates.js';
import { adminClient, call, checkHealth, coordinatorClient, participantClient } from '../../src/rpc/clients.js';
import { PLAINTEXT, type DialSecurity } from '../../src/rpc/dial.js';
import type { TransactResponse__Output } from '../../src/rpc/generated/dtx/v1/TransactResponse.js';
import type { StatusResponse__Output } from '../../src/rpc/generated/dtx/v1/StatusResponse.js';
import { MAX_STREAM_IN_FLIGHT } from '../../src/node/services/transactStreamServer.js';
import { counter } from '../support/nodes.js';
import { waitFor } from '../support/wait.js';

const refused = (code: grpc.status, details: RegExp) => expect.objectContaining({ code, details: expect.stringMatching(details) });

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI_ENTRY, ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function status(address: string, sec: DialSecurity): Promise<StatusResponse__Output> {
  const a = adminClient(address, sec);
  try {
    return await call<object, StatusResponse__Output>(a.Status.bind(a), {}, 3000);
  } finally {
    a.close();
  }
}

async function participantCommit(address: string, sec: DialSecurity, txnId: string, kind: 'Commit' | 'Abort' = 'Commit'): Promise<unknown> {
  const p = participantClient(address, sec);
  try {
    return await call(p[kind].bind(p), { txnId }, 3000);
  } finally {
    p.close();
  }
}

/** Presents `pair` and trusts the cluster CA (unchecked here: an intruder's certificate must reach the node). */
function pems(pair: CertAndKey, caPem: string): DialSecurity {
  return { tls: { ca: Buffer.from(caPem), cert: Buffer.from(pair.cert), key: Buffer.from(pair.key) }, token: null };
}

describe('a TLS cluster: node identities and roles from certificates', () => {
  let cluster: LocalCluster;
  let caPem: string;
  let ca: CertAndKey;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ participants: 2, tls: true });
    caPem = readFileSync(join(cluster.certDir!, 'ca.pem'), 'utf8');
    ca = { cert: caPem, key: readFileSync(join(cluster.certDir!, 'ca-key.pem'), 'utf8') };
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('an operator certificate runs transfers; a plaintext client is refused by the TLS node', async () => {
    const client = new DtxClient(cluster.coordinatorAddress, { security: cluster.dial });
    try {
      expect((await client.transact([op.put('acct:a', '100'), op.put('acct:b', '100')])).outcome).toBe('COMMITTED');
      expect((await client.transact([op.add('acct:a', -30n, { min: 0n }), op.add('acct:b', 30n)])).outcome).toBe('COMMITTED');
    } finally {
      client.close();
    }
    const plain = new DtxClient(cluster.coordinatorAddress, { timeoutMs: 2000 });
    try {
      await expect(plain.read(['acct:a'])).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    } finally {
      plain.close();
    }
    expect(await checkHealth(cluster.coordinatorAddress, 1000, PLAINTEXT)).toBe(false);
    expect(await checkHealth(cluster.coordinatorAddress, 1000, cluster.dial)).toBe(true);
  });

  it('a client certificate may transact and lock but not call Admin or Participant', async () => {
    const alice = pems(await makeClientCert(ca, 'alice', ['client']), caPem);
    const client = new DtxClient(cluster.coordinatorAddress, { security: alice });
    try {
      expect((await client.read(['acct:a', 'acct:b'])).map((r) => r.value)).toEqual(['70', '130']);
      const locks = new LockClient(cluster.coordinatorAddress, 5000, alice);
      const lease = await locks.acquire('alice-lock', { ttlMs: 5000 });
      expect(await locks.release(lease.leaseId)).toBe(true);
      locks.close();
    } finally {
      client.close();
    }
    await expect(status(cluster.coordinatorAddress, alice)).rejects.toEqual(
      refused(grpc.status.PERMISSION_DENIED, /user alice has role\(s\) client; this call needs admin/),
    );
    await expect(participantCommit(cluster.node('p1').address, alice, 'x-1')).rejects.toEqual(
      refused(grpc.status.PERMISSION_DENIED, /Participant\/Commit: user alice .* needs node/),
    );
    const admin = pems(await makeClientCert(ca, 'ops', ['admin']), caPem);
    expect((await status(cluster.node('p2').address, admin)).nodeId).toBe('p2');
    const a = adminClient(cluster.node('p2').address, admin);
    await expect(call(a.SetFailpoint.bind(a), { name: 'participant.afterPrepareWrite', action: 'kill' }, 3000)).rejects.toEqual(
      refused(grpc.status.PERMISSION_DENIED, /needs faults/),
    );
    a.close();
  });

  it('a node of this cluster may call a participant; a node certificate from another CA is refused, and so is a node pinned to another id', async () => {
    const p1 = pems(await makeNodeCert(ca, 'p1'), caPem);
    const known = await participantCommit(cluster.node('p2').address, p1, 'never-prepared-1');
    expect(known).toMatchObject({ known: false });
    const otherCa = await makeCa({ name: 'not this cluster' });
    const intruder = pems(await makeNodeCert(otherCa, 'p1'), caPem);
    await expect(participantCommit(cluster.node('p2').address, intruder, 'x-2', 'Abort')).rejects.toEqual(
      refused(grpc.status.UNAUTHENTICATED, /needs a client certificate signed by the cluster CA/),
    );
    // A channel that expects p1 but reaches p2 (a misrouted address) does not connect.
    const pinned = participantClient(cluster.node('p2').address, p1, { expectNodeId: 'p1' });
    await expect(call(pinned.GetTxnState.bind(pinned), { txnId: 'x-3' }, 2000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    pinned.close();
  });
});

describe('bearer tokens on loopback', () => {
  let cluster: LocalCluster;
  let dir: string;
  const tokens = { node: 'node-token-0123456789abcdef', client: 'client-token-0123456789abcdef', admin: 'admin-token-0123456789abcdef' };
  const as = (token: string): DialSecurity => ({ tls: null, token });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dtx-tokens-'));
    writeFileSync(join(dir, 'tokens'), `# name roles token\nnodes node ${tokens.node}\napp client ${tokens.client}\nops admin,faults ${tokens.admin}\n`);
    writeFileSync(join(dir, 'node-token'), `${tokens.node}\n`);
    const args = ['--tokens', join(dir, 'tokens'), '--token-file', join(dir, 'node-token')];
    cluster = await LocalCluster.start({ participants: 2, coordinatorArgs: args, participantArgs: args });
  });
  afterAll(async () => {
    await cluster?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a client token transacts but cannot call Admin or Participant; no token or a wrong one is UNAUTHENTICATED', async () => {
    const client = new DtxClient(cluster.coordinatorAddress, { security: as(tokens.client) });
    try {
      expect((await client.transact([op.put('t:a', '1'), op.put('t:b', '2')])).outcome).toBe('COMMITTED');
    } finally {
      client.close();
    }
    await expect(status(cluster.coordinatorAddress, as(tokens.client))).rejects.toEqual(
      refused(grpc.status.PERMISSION_DENIED, /token app has role\(s\) client; this call needs admin/),
    );
    await expect(participantCommit(cluster.node('p1').address, as(tokens.client), 'x-4')).rejects.toEqual(refused(grpc.status.PERMISSION_DENIED, /needs node/));
    await expect(status(cluster.coordinatorAddress, PLAINTEXT)).rejects.toEqual(refused(grpc.status.UNAUTHENTICATED, /needs a bearer token/));
    await expect(status(cluster.coordinatorAddress, as('wrong-token-0123456789'))).rejects.toEqual(
      refused(grpc.status.UNAUTHENTICATED, /not one this node knows/),
    );
    // Streams are judged when they start: the status arrives as the stream's error.
    const streamError = (open: () => grpc.ClientDuplexStream<object, object>) =>
      new Promise<grpc.ServiceError>((resolve) => {
        const st = open();
        st.on('data', () => undefined);
        st.on('error', resolve);
      });
    const p = participantClient(cluster.node('p1').address, as(tokens.client));
    expect(await streamError(() => p.Exchange())).toMatchObject({ code: grpc.status.PERMISSION_DENIED, details: expect.stringMatching(/Exchange: token app/) });
    p.close();
    const c = coordinatorClient(cluster.coordinatorAddress, PLAINTEXT);
    expect(await streamError(() => c.TransactStream())).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    c.close();
    const s = await status(cluster.coordinatorAddress, as(tokens.admin));
    expect(counter(s, 'refusedCalls')).toBeGreaterThanOrEqual(4);
  });

  it('the CLI takes the token from DTX_TOKEN and says what is missing without it', () => {
    const ok = cli(['txn', 'put', 'cli:k', 'v', '-c', cluster.coordinatorAddress], { DTX_TOKEN: tokens.client });
    expect(ok.code, ok.stderr).toBe(0);
    const denied = cli(['txn', 'put', 'cli:k', 'v', '-c', cluster.coordinatorAddress], { DTX_TOKEN: '' });
    expect(denied.code).toBe(1);
    expect(denied.stderr.trim()).toMatch(/^dtx: UNAUTHENTICATED: .*needs a bearer token.*DTX_TOKEN\)$/);
  });
});

describe('an open loopback cluster started without --allow-faults', () => {
  let cluster: LocalCluster;
  let client: DtxClient;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ participants: 2, allowFaults: false });
    client = new DtxClient(cluster.coordinatorAddress);
  });
  afterAll(async () => {
    client?.close();
    await cluster?.destroy();
  });

  it('refuses every fault injection call with FAILED_PRECONDITION', async () => {
    const a = adminClient(cluster.node('p1').address);
    try {
      const off = /fault injection is off on node p1: it was started without --allow-faults/;
      await expect(call(a.SetFailpoint.bind(a), { name: 'participant.afterPrepareWrite', action: 'kill' }, 3000)).rejects.toEqual(
        refused(grpc.status.FAILED_PRECONDITION, off),
      );
      await expect(call(a.SetNetworkFaults.bind(a), { links: [{ from: 'p1', to: 'c1', blocked: true }] }, 3000)).rejects.toEqual(
        refused(grpc.status.FAILED_PRECONDITION, off),
      );
      await expect(call(a.SetClockOffset.bind(a), { offsetMs: 60_000 }, 3000)).rejects.toEqual(refused(grpc.status.FAILED_PRECONDITION, off));
    } finally {
      a.close();
    }
    expect((await client.transact([op.put('still', 'works')])).outcome).toBe('COMMITTED');
  });

  it('a node refuses to start with DTX_FAILPOINTS or DTX_PLANTED_BUG but no --allow-faults, and plaintext beyond loopback without --insecure', () => {
    const data = mkdtempSync(join(tmpdir(), 'dtx-refuse-'));
    try {
      const base = ['participant', '--id', 'p9', '--data', join(data, 'p9')];
      const fp = cli([...base, '--listen', '127.0.0.1:0'], { DTX_FAILPOINTS: 'participant.afterPrepareWrite' });
      expect(fp.code).toBe(1);
      expect(fp.stderr).toMatch(/DTX_FAILPOINTS is set .* start it with --allow-faults/);
      const bug = cli([...base, '--listen', '127.0.0.1:0'], { DTX_PLANTED_BUG: 'participant.ignoreFences' });
      expect(bug.code).toBe(1);
      expect(bug.stderr).toMatch(/DTX_PLANTED_BUG is set .* --allow-faults/);
      // 192.0.2.1 (TEST-NET-1) is not this machine's: even a wrongly accepted start could not listen there.
      const exposed = cli([...base, '--listen', '192.0.2.1:7701']);
      expect(exposed.code).toBe(1);
      expect(exposed.stderr.trim()).toMatch(/^dtx: refusing to serve plaintext on 192\.0\.2\.1:7701: .*--insecure/);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });

  it('Abort then Commit of a made-up id is refused as a contradiction; the participant keeps serving and counts it', async () => {
    const p1 = cluster.node('p1');
    expect(await participantCommit(p1.address, PLAINTEXT, 'evil-1', 'Abort')).toMatchObject({ known: false });
    for (let i = 0; i < 3; i++) {
      await expect(participantCommit(p1.address, PLAINTEXT, 'evil-1')).rejects.toEqual(
        refused(grpc.status.FAILED_PRECONDITION, /evil-1.*told COMMITTED after it ended ABORTED/),
      );
    }
    expect(p1.state).toBe('running');
    expect(counter(await status(p1.address, PLAINTEXT), 'contradictions')).toBe(3);
    expect((await client.transact([op.put('after-evil', '1')])).outcome).toBe('COMMITTED');
  });

  it('a prepare naming an address no one can dial is refused, and a huge input gets a short status (found by the wire fuzz)', async () => {
    const p1 = cluster.node('p1');
    const p = participantClient(p1.address);
    try {
      const prepare = (extra: Record<string, unknown>) =>
        call(
          p.Prepare.bind(p),
          { txnId: 'addr-1', coordinatorId: 'c1', coordinatorAddr: '127.0.0.1:1', ops: [{ key: 'k', put: { value: 'v' } }], ...extra },
          3000,
        );
      await expect(prepare({ coordinatorAddr: 'a\nb' })).rejects.toEqual(
        refused(grpc.status.INVALID_ARGUMENT, /coordinator_addr must be host:port, got "a\\nb"/),
      );
      await expect(prepare({ coordinatorAddr: '' })).rejects.toEqual(refused(grpc.status.INVALID_ARGUMENT, /coordinator_addr/));
      await expect(prepare({ participants: ['p1', 'p2'], participantAddrs: ['127.0.0.1:1', ''] })).rejects.toEqual(
        refused(grpc.status.INVALID_ARGUMENT, /participant address "" is not host:port/),
      );
    } finally {
      p.close();
    }
    const c = coordinatorClient(cluster.coordinatorAddress);
    try {
      await expect(call(c.Transact.bind(c), { ops: [{ key: 'k'.repeat(200_000) }] }, 3000)).rejects.toEqual(
        refused(grpc.status.INVALID_ARGUMENT, /more characters\)$/),
      );
      // The same connection still answers.
      expect((await call<object, { results: unknown[] }>(c.Read.bind(c), { keys: ['k'] }, 3000)).results).toHaveLength(1);
    } finally {
      c.close();
    }
    expect(p1.state).toBe('running');
  });

  it('a forged fence is refused with PRECONDITION_FAILED and moves nothing; the real holder still writes', async () => {
    const locks = new LockClient(cluster.coordinatorAddress);
    try {
      const lease = await locks.acquire('printer', { ttlMs: 10_000 });
      const key = 'printer:job';
      expect((await client.transact([fenced(op.put(key, 'real-1'), 'printer', lease.token, lease.proof)])).outcome).toBe('COMMITTED');
      const max = 9223372036854775807n;
      for (const proof of ['', 'ab'.repeat(32), lease.proof]) {
        const r = await client.transact([fenced(op.put(key, 'evil'), 'printer', max, proof)]);
        expect(r.outcome).toBe('ABORTED');
        expect(r.abortCode).toBe('PRECONDITION_FAILED');
        expect(r.reason).toMatch(/token 9223372036854775807 was not issued by this cluster's lock service/);
      }
      expect((await client.transact([fenced(op.put(key, 'real-2'), 'printer', lease.token, lease.proof)])).outcome).toBe('COMMITTED');
      expect((await client.read([key]))[0]!.value).toBe('real-2');
      await locks.release(lease.leaseId);
    } finally {
      locks.close();
    }
  });

  it('a TransactStream caller holds at most MAX_STREAM_IN_FLIGHT transactions on the coordinator; then it is not read', async () => {
    // Participants paused: every streamed transaction stays in flight until its timeout.
    for (const p of cluster.participantNames) await cluster.pause(p);
    const c = coordinatorClient(cluster.coordinatorAddress);
    const stream = c.TransactStream();
    stream.pause(); // and never read an answer
    stream.on('error', () => undefined);
    const before = await status(cluster.coordinatorAddress, PLAINTEXT);
    try {
      // Write until the stream stops taking requests (HTTP/2 flow control), bounded in count and time.
      let sent = 0;
      const deadline = Date.now() + 20_000;
      while (sent < 50_000 && Date.now() < deadline) {
        const more = stream.write({ ops: [{ key: `stream:${sent}`, put: { value: 'v' } }], requestId: String(sent), timeoutMs: 30_000 });
        sent++;
        if (!more) {
          const drained = await Promise.race([new Promise((r) => stream.once('drain', () => r(true))), new Promise((r) => setTimeout(() => r(false), 1500))]);
          if (!drained) break;
        }
      }
      const s = await waitFor('the coordinator to stop reading the stream', async () => {
        const st = await status(cluster.coordinatorAddress, PLAINTEXT);
        return counter(st, 'transactStreamsPaused') === 1 ? st : null;
      });
      expect(sent).toBeGreaterThan(MAX_STREAM_IN_FLIGHT);
      expect(counter(s, 'transactStreamHeld')).toBe(MAX_STREAM_IN_FLIGHT);
      expect(counter(s, 'activeTxns')).toBeLessThanOrEqual(MAX_STREAM_IN_FLIGHT);
      // The stated bound on memory: 1,024 small transactions held, far below 256 MiB of growth.
      expect(counter(s, 'rssMb') - counter(before, 'rssMb')).toBeLessThan(256);
    } finally {
      stream.cancel();
      c.close();
      for (const p of cluster.participantNames) await cluster.resume(p);
    }
    await waitFor('the stream to be let go', async () => {
      const st = await status(cluster.coordinatorAddress, PLAINTEXT);
      return counter(st, 'transactStreams') === 0 && counter(st, 'transactStreamHeld') === 0;
    });
    expect((await client.transact([op.put('after-stream', '1')])).outcome).toBe('COMMITTED');
  });

  it('a transaction over the size limit is refused with a status that names the limit', async () => {
    const big = 'v'.repeat(1 << 20);
    const ops = Array.from({ length: 17 }, (_, i) => op.put(`big:${i}`, big));
    await expect(client.transact(ops)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/maxTxnBytes/) });
    const raw = coordinatorClient(cluster.coordinatorAddress);
    try {
      // 16 values of 1 MiB plus their keys: just over maxTxnBytes, still under the message limit.
      const wire = ops.slice(0, 16).map((o) => ({ key: o.key, put: { value: big } }));
      await expect(call<object, TransactResponse__Output>(raw.Transact.bind(raw), { ops: wire }, 10_000)).rejects.toEqual(
        refused(grpc.status.INVALID_ARGUMENT, /keys and values are \d+ bytes \(the limit, maxTxnBytes, is 16777216\)/),
      );
      const huge = [...wire, { key: 'big:x', put: { value: big } }, { key: 'big:y', put: { value: big } }];
      await expect(call<object, TransactResponse__Output>(raw.Transact.bind(raw), { ops: huge }, 10_000)).rejects.toEqual(
        refused(grpc.status.RESOURCE_EXHAUSTED, /larger than max/),
      );
    } finally {
      raw.close();
    }
  });
});
