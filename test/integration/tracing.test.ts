import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DtxClient, op } from '../../src/client/dtxClient.js';
import { LocalCluster } from '../../src/cluster/localCluster.js';
import { formatTraceparent, isValidTraceparent } from '../../src/protocol/traceContext.js';
import { call, coordinatorClient } from '../../src/rpc/clients.js';
import type { TransactRequest } from '../../src/rpc/generated/dtx/v1/TransactRequest.js';
import type { TransactResponse__Output } from '../../src/rpc/generated/dtx/v1/TransactResponse.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { counter, keysOnDistinctParticipants, nodeStatus, setFailpoint } from '../support/nodes.js';
import { waitFor } from '../support/wait.js';

interface LogLine {
  txn?: string;
  trace?: string;
  msg?: string;
}

interface SpanLine {
  node: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  attributes: Record<string, unknown>;
}

const SPAN_SETUP = join(PACKAGE_ROOT, 'test', 'support', 'otelSpanFile.mjs');
const NODES = ['c1', 'p1', 'p2', 'p3'];

function readJsonLines<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as T);
}

const traceparentOf = (n: number): { traceparent: string; traceId: string; spanId: string } => {
  const traceId = `${n.toString(16).padStart(8, '0')}${'ab'.repeat(12)}`;
  const spanId = `${n.toString(16).padStart(4, '0')}cdcdcdcdcdcd`;
  return { traceparent: formatTraceparent({ traceId, spanId, flags: 1 }), traceId, spanId };
};

/**
 * The W3C trace context of a transaction, end to end on real processes: a client's traceparent
 * reaches the coordinator and every participant, each node's log lines about the transaction
 * carry its trace id (after a restart too), and with an OpenTelemetry SDK loaded into the nodes
 * (DTX_NODE_FLAGS="--import test/support/otelSpanFile.mjs") their spans form one trace under the
 * client's span.
 */
describe('trace context', () => {
  let cluster: LocalCluster;
  let client: DtxClient;
  let spanDir: string;
  const savedFlags = process.env['DTX_NODE_FLAGS'];

  const logLines = (node: string): LogLine[] => readJsonLines<LogLine>(join(cluster.dataDir, 'logs', `${node}.log`));
  const spans = (): SpanLine[] => NODES.flatMap((n) => readJsonLines<SpanLine>(join(spanDir, `${n}.jsonl`)));
  const linesAbout = (txn: string): Map<string, LogLine[]> => new Map(NODES.map((n) => [n, logLines(n).filter((l) => l.txn === txn)]));

  beforeAll(async () => {
    spanDir = mkdtempSync(join(tmpdir(), 'dtx-spans-'));
    // Debug level: a committed transaction's lines ('committed' on every node) are debug lines.
    const env = { DTX_LOG_LEVEL: 'debug', DTX_SPAN_DIR: spanDir };
    process.env['DTX_NODE_FLAGS'] = `--import ${SPAN_SETUP}`;
    cluster = await LocalCluster.create({ participants: 3, nodeEnv: Object.fromEntries(NODES.map((n) => [n, env])) });
    await cluster.startAll();
    client = new DtxClient(cluster.coordinatorAddress, { timeoutMs: 10_000 });
  });

  afterAll(async () => {
    if (savedFlags === undefined) delete process.env['DTX_NODE_FLAGS'];
    else process.env['DTX_NODE_FLAGS'] = savedFlags;
    client?.close();
    await cluster?.destroy();
    if (spanDir) rmSync(spanDir, { recursive: true, force: true });
  });

  it("a client's traceparent: every node's log lines about the transaction carry its trace id, and the spans hang under the client's span", async () => {
    const { traceparent, traceId, spanId } = traceparentOf(1);
    const keys = keysOnDistinctParticipants('traced-', cluster.participantNames, 3);
    const txnId = `traced-${Date.now()}`;
    const r = await client.transact(
      keys.map((k) => op.put(k, 'v')),
      { txnId, traceparent },
    );
    expect(r.outcome).toBe('COMMITTED');
    const lines = await waitFor('a committed line about the transaction on every node', () => {
      const byNode = linesAbout(txnId);
      return [...byNode.values()].every((ls) => ls.some((l) => l.msg === 'committed')) && byNode;
    });
    for (const [node, ls] of lines) for (const l of ls) expect({ node, trace: l.trace, msg: l.msg }).toEqual({ node, trace: traceId, msg: l.msg });

    const mine = await waitFor('the spans of every node', () => {
      const s = spans().filter((x) => x.traceId === traceId);
      const done = s.filter((x) => x.name === 'dtx.participant.commit').length === 3 && s.filter((x) => x.name === 'dtx.commit').length === 3;
      return done && s;
    });
    const transact = mine.filter((s) => s.name === 'dtx.transact');
    expect(transact).toHaveLength(1);
    const root = transact[0]!;
    expect(root).toMatchObject({ node: 'c1', parentSpanId: spanId, attributes: { 'dtx.txn_id': txnId, 'dtx.protocol': '2pc', 'dtx.outcome': 'COMMITTED' } });
    expect((root.attributes['dtx.participants'] as string[]).sort()).toEqual([...cluster.participantNames].sort());
    const children = (name: string) => mine.filter((s) => s.name === name);
    for (const name of ['dtx.prepare', 'dtx.commit']) {
      expect(
        children(name)
          .map((s) => s.attributes['dtx.participant'])
          .sort(),
        name,
      ).toEqual([...cluster.participantNames].sort());
      for (const s of children(name)) expect(s.parentSpanId).toBe(root.spanId);
    }
    expect(children('dtx.decision.persist')).toMatchObject([{ parentSpanId: root.spanId, attributes: { 'dtx.outcome': 'COMMITTED' } }]);
    for (const name of ['dtx.participant.prepare', 'dtx.participant.commit']) {
      expect(
        children(name)
          .map((s) => s.node)
          .sort(),
        name,
      ).toEqual([...cluster.participantNames].sort());
      for (const s of children(name)) expect({ name, parent: s.parentSpanId }).toEqual({ name, parent: root.spanId });
    }
    expect(children('dtx.participant.prepare').every((s) => s.attributes['dtx.vote'] === 'YES')).toBe(true);
  });

  it('a transaction sent without one still gets one trace id in every log line, and a broken one is ignored, counted, never refused', async () => {
    const keys = keysOnDistinctParticipants('untraced-', cluster.participantNames, 3);
    const c = coordinatorClient(cluster.coordinatorAddress);
    const invalidBefore = counter(await nodeStatus(cluster.coordinatorAddress), 'invalidTraceparents');
    try {
      for (const traceparent of ['', '00-not-a-traceparent-01']) {
        const txnId = `untraced-${traceparent ? 'bad' : 'none'}-${Date.now()}`;
        const req: TransactRequest = { txnId, ops: keys.map((k) => ({ key: k, put: { value: 'x' } })), traceparent };
        const r = await call<TransactRequest, TransactResponse__Output>(c.Transact.bind(c), req, 10_000);
        expect(r.outcome).toBe('COMMITTED');
        const lines = await waitFor(`the committed lines of ${txnId}`, () => {
          const byNode = linesAbout(txnId);
          return [...byNode.values()].every((ls) => ls.some((l) => l.msg === 'committed')) && byNode;
        });
        const traces = new Set([...lines.values()].flat().map((l) => l.trace));
        expect(traces.size, txnId).toBe(1);
        const [trace] = traces;
        expect(isValidTraceparent(`00-${trace}-0123456789abcdef-01`)).toBe(true);
      }
    } finally {
      c.close();
    }
    expect(counter(await nodeStatus(cluster.coordinatorAddress), 'invalidTraceparents')).toBe(invalidBefore + 1);
  });

  it('a unary Transact from another client may send the traceparent as call metadata (what grpcio or OpenTelemetry instrumentation does)', async () => {
    const { traceparent, traceId } = traceparentOf(6);
    const c = coordinatorClient(cluster.coordinatorAddress);
    try {
      const txnId = `metadata-${Date.now()}`;
      const req: TransactRequest = { txnId, ops: [{ key: 'metadata-a', put: { value: 'x' } }] };
      const r = await call<TransactRequest, TransactResponse__Output>(c.Transact.bind(c), req, 10_000, false, {
        traceparent,
        tracestate: 'rojo=00f067aa0ba902b7',
      });
      expect(r.outcome).toBe('COMMITTED');
      const lines = await waitFor(`the committed lines of ${txnId}`, () => {
        const all = [...linesAbout(txnId).values()].flat();
        return all.filter((l) => l.msg === 'committed').length >= 2 && all;
      });
      expect(new Set(lines.map((l) => l.trace))).toEqual(new Set([traceId]));
    } finally {
      c.close();
    }
  });

  it('TransactStream carries one trace per transaction', async () => {
    const streaming = new DtxClient(cluster.coordinatorAddress, { timeoutMs: 10_000, stream: true });
    try {
      const runs = [2, 3, 4].map((n) => ({ n, txnId: `streamed-${n}-${Date.now()}`, ...traceparentOf(n) }));
      const results = await Promise.all(runs.map((x) => streaming.transact([op.put(`streamed-${x.n}`, 'v')], { txnId: x.txnId, traceparent: x.traceparent })));
      expect(results.map((r) => r.outcome)).toEqual(['COMMITTED', 'COMMITTED', 'COMMITTED']);
      for (const x of runs) {
        const lines = await waitFor(`the committed lines of ${x.txnId}`, () => {
          const all = [...linesAbout(x.txnId).values()].flat();
          return all.filter((l) => l.msg === 'committed').length >= 2 && all;
        });
        expect(new Set(lines.map((l) => l.trace))).toEqual(new Set([x.traceId]));
      }
    } finally {
      streaming.close();
    }
  });

  it('a transaction recovered after a restart logs its trace id (kept in the prepare and decision records)', async () => {
    const { traceparent, traceId } = traceparentOf(5);
    const keys = keysOnDistinctParticipants('recovered-', cluster.participantNames, 3);
    // The coordinator dies with its COMMIT durable and undelivered; the participants hold their prepares.
    await setFailpoint(cluster.coordinatorAddress, 'coordinator.decision.afterPersist', 'kill');
    const txnId = `recovered-${Date.now()}`;
    await expect(
      client.transact(
        keys.map((k) => op.put(k, 'r')),
        { txnId, traceparent },
      ),
    ).rejects.toThrow();
    await waitFor('the coordinator to exit at its failpoint', () => cluster.node('c1').state === 'stopped');
    // p1 dies too, on the re-driven commit: it recovers the branch from its prepare record.
    await setFailpoint(cluster.node('p1').address, 'participant.commit.before', 'kill');
    await cluster.restart('c1');
    const redriven = await waitFor('the coordinator to re-drive the commit', () =>
      logLines('c1').find((l) => l.txn === txnId && /re-driving/.test(l.msg ?? '')),
    );
    expect(redriven.trace).toBe(traceId);
    await waitFor('p1 to exit at its failpoint', () => cluster.node('p1').state === 'stopped');
    await cluster.restart('p1');
    const recovered = await waitFor('p1 to recover the prepared branch', () => logLines('p1').find((l) => l.txn === txnId && /recovered/.test(l.msg ?? '')));
    expect(recovered.trace).toBe(traceId);
    const lines = await waitFor('the participants to commit the re-driven transaction', () => {
      const byNode = linesAbout(txnId);
      return cluster.participantNames.every((p) => byNode.get(p)!.some((l) => l.msg === 'committed')) && byNode;
    });
    for (const [node, ls] of lines) for (const l of ls) expect({ node, msg: l.msg, trace: l.trace }).toEqual({ node, msg: l.msg, trace: traceId });
  });
});
