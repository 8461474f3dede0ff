import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { OpsHttp } from '../../src/node/opsHttp.js';
import { CounterFamily, HistogramFamily } from '../../src/node/metricCells.js';
import { NodeMetrics } from '../../src/node/nodeMetrics.js';
import { inDoubtGauges } from '../../src/node/roleMetrics.js';
import type { CoordinatorEffect, CoordinatorEvent } from '../../src/protocol/coordinatorCore.js';
import type { ParticipantEffect, ParticipantEvent } from '../../src/protocol/participantCore.js';
import type { DecisionRecord } from '../../src/protocol/records.js';
import type { ProtocolName } from '../../src/protocol/types.js';
import { AccessControl } from '../../src/rpc/access.js';
import { CoordinatorPhases } from '../../src/runtime/coordinatorPhases.js';
import type { TxnPhase } from '../../src/runtime/metricsSink.js';
import { ParticipantTimings } from '../../src/runtime/participantTimings.js';
import { parseSamples, total } from '../support/prometheus.js';

// Events and effects carry only the fields the trackers read.
const transact = (txn: string, protocol: ProtocolName) => ({ type: 'transact', replyTo: 1, msg: { txn, protocol } }) as unknown as CoordinatorEvent;
const prepare = (txn: string) => ({ type: 'send', to: 'p1', message: { kind: 'prepare', msg: { txn } } }) as unknown as CoordinatorEffect;
const send = (txn: string, kind: 'commit' | 'abort' | 'precommit') => ({ type: 'send', to: 'p1', message: { kind, txn } }) as CoordinatorEffect;
const decision = (txn: string, sync: boolean, outcome: 'COMMITTED' | 'ABORTED' = 'COMMITTED') =>
  ({ type: 'persist', record: { kind: 'decision', record: { txn, outcome } as DecisionRecord }, sync }) as CoordinatorEffect;
const persisted = (txn: string) => ({ type: 'persisted', record: { kind: 'decision', record: { txn } } }) as unknown as CoordinatorEvent;
const end = (txn: string) => ({ type: 'persist', record: { kind: 'end', txn }, sync: false }) as CoordinatorEffect;
const ack = { type: 'ack' } as unknown as CoordinatorEvent;

function coordinatorFixture() {
  let now = 0;
  const seen: [TxnPhase, ProtocolName, number][] = [];
  const phases = new CoordinatorPhases({ transaction: () => undefined, phase: (ph, p, s) => seen.push([ph, p, s]) }, () => now);
  return { phases, seen, at: (ms: number) => (now = ms) };
}

describe('CoordinatorPhases', () => {
  it('2pc: prepare until the votes, decision until the forced record is durable, commit until END', () => {
    const { phases, seen, at } = coordinatorFixture();
    at(100);
    phases.observe(transact('t1', '2pc'), [prepare('t1'), prepare('t1')]);
    at(130);
    phases.observe({ type: 'vote' } as unknown as CoordinatorEvent, [decision('t1', true)]);
    at(135);
    phases.observe(persisted('t1'), [send('t1', 'commit')]);
    at(160);
    phases.observe(ack, [end('t1')]);
    phases.ended('t1');
    expect(seen).toEqual([
      ['prepare', '2pc', 0.03],
      ['decision', '2pc', 0.005],
      ['commit', '2pc', 0.025],
    ]);
  });

  it('nb: no forced decision, delivery starts with the Commit sent; an unforced abort has only its prepare phase', () => {
    const { phases, seen, at } = coordinatorFixture();
    at(0);
    phases.observe(transact('n1', 'nb'), [prepare('n1')]);
    phases.observe(transact('a1', '2pc'), [prepare('a1')]);
    at(10);
    phases.observe({ type: 'vote' } as unknown as CoordinatorEvent, [send('n1', 'commit'), decision('n1', false)]);
    phases.observe({ type: 'vote' } as unknown as CoordinatorEvent, [decision('a1', false, 'ABORTED'), send('a1', 'abort')]);
    phases.ended('a1');
    at(12);
    phases.observe(persisted('n1'), []);
    at(18);
    phases.observe(ack, [end('n1')]);
    expect(seen).toEqual([
      ['prepare', 'nb', 0.01],
      ['prepare', '2pc', 0.01],
      ['commit', 'nb', 0.008],
    ]);
  });

  it('3pc: the decision phase covers the PreCommit round; a transaction forwarded to its owner is not timed here', () => {
    const { phases, seen, at } = coordinatorFixture();
    at(0);
    phases.observe(transact('x', '3pc'), [prepare('x')]);
    phases.observe(transact('f', '2pc'), [{ type: 'forward', txn: 'f', to: 'c2', msg: null }]);
    at(4);
    phases.observe({ type: 'vote' } as unknown as CoordinatorEvent, [send('x', 'precommit')]);
    at(9);
    phases.observe({ type: 'precommitAck' } as unknown as CoordinatorEvent, [decision('x', true)]);
    at(11);
    phases.observe(persisted('x'), [send('x', 'commit')]);
    phases.observe(persisted('f'), [send('f', 'commit')]);
    expect(seen).toEqual([
      ['prepare', '3pc', 0.004],
      ['decision', '3pc', 0.007],
    ]);
  });
});

describe('ParticipantTimings', () => {
  const fixture = () => {
    let now = 0;
    const waits: number[] = [];
    const t = new ParticipantTimings({ lockWait: (s) => waits.push(s) }, () => now);
    return { t, waits, at: (ms: number) => (now = ms) };
  };
  const waitTimer = (txn: string) => ({ type: 'setTimer', timer: { kind: 'lockWait', txn }, at: 0 }) as ParticipantEffect;
  const read = (txn: string) => ({ type: 'read', txn, keys: [] }) as ParticipantEffect;
  const prepareEvent = { type: 'prepare' } as unknown as ParticipantEvent;

  it('times a lock wait until the locks are granted, the wait times out, or the transaction is forgotten', () => {
    const { t, waits, at } = fixture();
    t.observe(prepareEvent, [read('fast')]);
    t.observe(prepareEvent, [waitTimer('a'), waitTimer('b'), waitTimer('c')]);
    at(5);
    t.observe({ type: 'decision' } as unknown as ParticipantEvent, [read('a')]);
    at(7);
    t.observe({ type: 'timer', timer: { kind: 'lockWait', txn: 'b' } }, []);
    at(20);
    t.ended('c');
    t.ended('a');
    expect(waits).toEqual([0.005, 0.007, 0.02]);
  });
});

describe('the in-doubt gauges', () => {
  it('count the in-doubt transactions and age the oldest from the first scrape that saw it', async () => {
    let now = 0;
    let ids: string[] = [];
    const m = new NodeMetrics('p1', 'participant');
    inDoubtGauges(
      m,
      () => ids,
      'in doubt',
      () => now,
    );
    const scrape = async () => {
      const s = parseSamples(await m.text());
      return [total(s, 'dtx_in_doubt'), total(s, 'dtx_in_doubt_oldest_seconds')];
    };
    expect(await scrape()).toEqual([0, 0]);
    ids = ['a'];
    expect(await scrape()).toEqual([1, 0]);
    now = 5000;
    ids = ['a', 'b'];
    expect(await scrape()).toEqual([2, 5]);
    now = 6000;
    ids = ['b'];
    expect(await scrape()).toEqual([1, 1]);
    ids = [];
    expect(await scrape()).toEqual([0, 0]);
    // a returns: a new episode, first seen now
    ids = ['a'];
    now = 7000;
    expect(await scrape()).toEqual([1, 0]);
  });
});

describe('metric cells', () => {
  it('print as Prometheus counters and cumulative histograms with their bound labels and the registry default labels', async () => {
    const registry = new Registry();
    registry.setDefaultLabels({ node: 'c1', role: 'coordinator' });
    const counter = new CounterFamily(registry, 'dtx_test_total', 'a test counter');
    const committed = counter.cell({ outcome: 'committed' });
    counter.cell({ outcome: 'aborted' });
    committed.inc();
    committed.inc();
    const hist = new HistogramFamily(registry, 'dtx_test_seconds', 'a test histogram', [0.001, 0.01, 0.1]);
    const h = hist.cell({ phase: 'prepare' });
    for (const v of [0.0005, 0.001, 0.005, 0.05, 5]) h.observe(v);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE dtx_test_total counter');
    expect(text).toContain('# TYPE dtx_test_seconds histogram');
    const s = parseSamples(text);
    expect(total(s, 'dtx_test_total', { outcome: 'committed', node: 'c1', role: 'coordinator' })).toBe(2);
    expect(total(s, 'dtx_test_total', { outcome: 'aborted' })).toBe(0);
    const bucket = (le: string) => total(s, 'dtx_test_seconds_bucket', { phase: 'prepare', le });
    expect([bucket('0.001'), bucket('0.01'), bucket('0.1'), bucket('+Inf')]).toEqual([2, 3, 4, 5]);
    expect(total(s, 'dtx_test_seconds_count', { phase: 'prepare' })).toBe(5);
    expect(total(s, 'dtx_test_seconds_sum', { phase: 'prepare' })).toBeCloseTo(5.0565, 6);
  });
});

describe('OpsHttp routes', () => {
  let http: OpsHttp | null = null;
  afterEach(async () => {
    await http?.stop();
    http = null;
  });

  it('match the longest path or prefix, answer 405 with Allow for another method and 404 for no route; a failing handler is a 500', async () => {
    const log = pino({ level: 'silent' });
    http = new OpsHttp({ listen: '127.0.0.1:0', tls: null, access: new AccessControl({ tls: null, tokens: null }, log), log });
    http.route({ method: 'GET', path: '/api/', handle: (req, res) => void res.end(`api ${req.url}`) });
    http.route({ method: 'GET', path: '/api/special', handle: (_req, res) => void res.end('special') });
    http.route({ method: 'POST', path: '/console/', handle: (_req, res) => void res.end('posted') });
    http.route({ method: 'GET', path: '/boom', handle: () => Promise.reject(new Error('it broke')) });
    const port = await http.start();
    const get = async (path: string, method = 'GET') => {
      const r = await fetch(`http://127.0.0.1:${port}${path}`, { method, signal: AbortSignal.timeout(3000) });
      return [r.status, await r.text(), r.headers.get('allow')];
    };
    expect(await get('/api/x?y=1')).toEqual([200, 'api /api/x?y=1', null]);
    expect(await get('/api/special')).toEqual([200, 'special', null]);
    expect(await get('/console/page', 'POST')).toEqual([200, 'posted', null]);
    expect(await get('/console/page')).toEqual([405, 'GET not allowed on /console/page (allowed: POST)\n', 'POST']);
    expect(await get('/metrics')).toEqual([404, 'no such path: /metrics\n', null]);
    expect(await get('/boom')).toEqual([500, 'internal error: it broke\n', null]);
    expect(() => http!.route({ method: 'GET', path: 'relative', handle: () => undefined })).toThrow(/must start with/);
  });
});
