import { spawnSync } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DtxClient, op } from '../../src/client/dtxClient.js';
import { LocalCluster } from '../../src/cluster/localCluster.js';
import { CLI_ENTRY } from '../../src/paths.js';
import { adminClient, call, coordinatorClient, participantClient } from '../../src/rpc/clients.js';
import type { Op } from '../../src/rpc/generated/dtx/v1/Op.js';
import { quiescent } from '../support/nodes.js';
import { waitFor } from '../support/wait.js';

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI_ENTRY, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every bad input gets a clear status or CLI error, and nothing is half-applied. */
describe('bad input', () => {
  let cluster: LocalCluster;
  let client: DtxClient;
  const raw = () => coordinatorClient(cluster.coordinatorAddress);

  async function transactRaw(ops: Op[], extra: Record<string, unknown> = {}) {
    const c = raw();
    try {
      return await call(c.Transact.bind(c), { ops, ...extra }, 5000);
    } finally {
      c.close();
    }
  }

  beforeAll(async () => {
    cluster = await LocalCluster.start({ participants: 3 });
    client = new DtxClient(cluster.coordinatorAddress);
    const r = await client.transact([op.put('bal:a', '10'), op.put('bal:b', '10'), op.put('name', 'not-a-number')]);
    expect(r.outcome).toBe('COMMITTED');
  });

  afterAll(async () => {
    client?.close();
    await cluster?.destroy();
  });

  async function unchanged(): Promise<void> {
    const rs = await client.read(['bal:a', 'bal:b', 'name']);
    expect(rs.map((r) => r.value)).toEqual(['10', '10', 'not-a-number']);
    // Read locks go when the read's decision reaches the participants, just after the answer.
    await waitFor('every node quiescent', () => quiescent(cluster), { timeoutMs: 10_000 });
  }

  const status = (code: grpc.status, details: RegExp) => expect.objectContaining({ code, details: expect.stringMatching(details) });

  it('empty key → INVALID_ARGUMENT naming the op', async () => {
    await expect(
      transactRaw([
        { key: 'bal:a', add: { delta: '-5' } },
        { key: '', put: { value: 'x' } },
      ]),
    ).rejects.toEqual(status(grpc.status.INVALID_ARGUMENT, /op 1: empty key/));
    await unchanged();
  });

  it('unknown or missing op → INVALID_ARGUMENT', async () => {
    await expect(transactRaw([{ key: 'bal:a' }])).rejects.toEqual(status(grpc.status.INVALID_ARGUMENT, /unknown or missing op/));
    await expect(transactRaw([{ key: 'bal:a', check: {} }])).rejects.toEqual(status(grpc.status.INVALID_ARGUMENT, /check needs one of/));
    await unchanged();
  });

  it('add on a non-integer value → ABORTED with the key named, the other ops not applied', async () => {
    const r = await client.transact([op.add('bal:a', 5), op.add('name', 1)]);
    expect(r.outcome).toBe('ABORTED');
    expect(r.abortCode).toBe('PRECONDITION_FAILED');
    expect(r.reason).toMatch(/key name: the stored value is not an integer/);
    await unchanged();
  });

  it('a bound that would be crossed → ABORTED naming the key', async () => {
    const r = await client.transfer('bal:a', 'bal:b', 11);
    expect(r.outcome).toBe('ABORTED');
    expect(r.reason).toMatch(/bal:a.*below the minimum 0/);
    await unchanged();
  });

  it('out-of-range numbers are refused, never wrapped', async () => {
    await expect(client.transact([op.add('bal:a', 2n ** 63n)])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(transactRaw([{ key: 'bal:a', add: { delta: '1', min: { value: '5' }, max: { value: '1' } } }])).rejects.toEqual(
      status(grpc.status.INVALID_ARGUMENT, /min 5 is above max 1/),
    );
    const big = await client.transact([op.put('big', String(2n ** 63n - 1n))]);
    expect(big.outcome).toBe('COMMITTED');
    const overflow = await client.transact([op.add('big', 1)]);
    expect(overflow.outcome).toBe('ABORTED');
    expect(overflow.reason).toMatch(/big.*overflows/);
    await expect(transactRaw([{ key: 'x', put: { value: 'v' } }], { timeoutMs: 10_000_000 })).rejects.toEqual(
      status(grpc.status.INVALID_ARGUMENT, /timeout_ms .* above the limit/),
    );
    await unchanged();
  });

  it('too many ops → INVALID_ARGUMENT', async () => {
    const ops: Op[] = Array.from({ length: 1001 }, (_, i) => ({ key: `k${i}`, put: { value: 'v' } }));
    await expect(transactRaw(ops)).rejects.toEqual(status(grpc.status.INVALID_ARGUMENT, /too many ops: 1001/));
    await expect(transactRaw([])).rejects.toEqual(status(grpc.status.INVALID_ARGUMENT, /at least one op/));
    await unchanged();
  });

  it('bad transaction ids, reads and lookups → INVALID_ARGUMENT; reused id → FAILED_PRECONDITION', async () => {
    await expect(transactRaw([{ key: 'x', put: { value: 'v' } }], { txnId: 'has space' })).rejects.toEqual(status(grpc.status.INVALID_ARGUMENT, /txn_id/));
    await expect(client.read([])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(client.getTransaction('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((await client.transact([op.put('reuse', '1')], { txnId: 'reuse-1' })).outcome).toBe('COMMITTED');
    await expect(client.transact([op.put('reuse', '2')], { txnId: 'reuse-1' })).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
    });
    expect((await client.read(['reuse']))[0]!.value).toBe('1');
  });

  it('unknown participant or failpoint, and an unknown protocol → a clear status', async () => {
    const p = participantClient(cluster.node('p1').address);
    await expect(
      call(p.Prepare.bind(p), { txnId: 't1', coordinatorAddr: '127.0.0.1:1', participants: ['p7'], ops: [{ key: 'k', get: {} }] }, 3000),
    ).rejects.toEqual(status(grpc.status.FAILED_PRECONDITION, /reached participant p1: misrouted/));
    p.close();
    const a = adminClient(cluster.node('p1').address);
    await expect(call(a.SetFailpoint.bind(a), { name: 'nope', action: 'kill' }, 3000)).rejects.toEqual(
      status(grpc.status.INVALID_ARGUMENT, /unknown failpoint "nope"/),
    );
    a.close();
    await expect(transactRaw([{ key: 'x', put: { value: 'v' } }], { protocol: 9 })).rejects.toEqual(
      status(grpc.status.INVALID_ARGUMENT, /unknown protocol 9; use TWO_PC, THREE_PC, NON_BLOCKING/),
    );
    expect(() => cluster.node('p9')).toThrow(/unknown node p9/);
    await unchanged();
  });

  it('the CLI answers malformed flags and input with one line and a non-zero exit', async () => {
    const c = ['-c', cluster.coordinatorAddress];
    const cases: { args: string[]; code: number; err: RegExp }[] = [
      { args: ['txn', 'transfer', 'bal:a', 'bal:b', 'ten', ...c], code: 2, err: /expected an integer, got "ten"/ },
      { args: ['txn', 'add', 'bal:a', '99999999999999999999', ...c], code: 2, err: /outside the signed 64-bit range/ },
      { args: ['txn', 'put', 'only-key', ...c], code: 2, err: /KEY VALUE pairs/ },
      { args: ['txn', 'put', 'k', 'v', '--protocol', '4pc', ...c], code: 2, err: /expected one of 2pc, 3pc, nb, got "4pc"/ },
      { args: ['txn', 'put', '', 'v', ...c], code: 2, err: /INVALID_ARGUMENT: op 0: empty key/ },
      { args: ['txn', 'get', 'k', '--coordinator', 'nohost'], code: 2, err: /expected host:port/ },
      { args: ['txn', 'frobnicate'], code: 2, err: /unknown command/ },
      { args: ['txn', 'put', 'k', 'v', '--bogus'], code: 2, err: /unknown option '--bogus'/ },
      { args: ['coordinator', '--id', 'c9', '--listen', '127.0.0.1:0', '--data', '/tmp/x', '--participants', 'p1'], code: 2, err: /expected id=host:port/ },
      { args: ['status', '--node', '127.0.0.1:1'], code: 1, err: /cannot reach 127.0.0.1:1/ },
      { args: ['txn', 'add', 'name', '1', ...c], code: 3, err: /^$/ },
    ];
    for (const t of cases) {
      const r = cli(t.args);
      expect({ args: t.args.join(' '), code: r.code }).toEqual({ args: t.args.join(' '), code: t.code });
      expect(r.stderr.trim().split('\n').length, r.stderr).toBeLessThanOrEqual(1);
      expect(r.stderr.trim()).toMatch(t.err);
    }
    const aborted = cli(['txn', 'transfer', 'bal:a', 'bal:b', '50', ...c]);
    expect(aborted.code).toBe(3);
    expect(aborted.stdout).toMatch(/ABORTED .*bal:a.*below the minimum 0/);
    await unchanged();
  });
});
