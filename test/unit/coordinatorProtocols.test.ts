/**
 * CoordinatorCore under 3pc and nb, and the resolution of ids it has no record of.
 */
import { rulesOf } from '../../src/protocol/protocols/index.js';
import { describe, expect, it } from 'vitest';
import { coordinatorConfig, keysByOwner, PARTS, recoveredParticipant } from '../support/coreFixtures.js';
import {
  CoordinatorCore,
  type CoordinatorConfig,
  type CoordinatorEffect,
  type CoordinatorReply,
  type StateAnswer,
  type TransactMessage,
} from '../../src/protocol/coordinatorCore.js';
import { ParticipantCore, type ParticipantEffect } from '../../src/protocol/participantCore.js';

const pOfType = <T extends ParticipantEffect['type']>(effs: ParticipantEffect[], type: T) =>
  effs.filter((e): e is Extract<ParticipantEffect, { type: T }> => e.type === type);
import type { NodeId, OpResult, PeerState, ProtocolName, TxnOp, Vote } from '../../src/protocol/types.js';

const CFG: CoordinatorConfig = coordinatorConfig();
const k = keysByOwner(2);

function mk(cfg: Partial<CoordinatorConfig> = {}) {
  const c = new CoordinatorCore('c1', { ...CFG, ...cfg });
  c.step({ type: 'recover', pending: [] }, 0);
  return c;
}

/** A server-made id (no lookup, aborts not forced) unless clientId. */
function tmsg(txn: string, ops: TxnOp[], protocol: ProtocolName, clientId = false, timeoutMs = 1000): TransactMessage {
  return { txn, ops, age: { ms: 1, id: txn }, timeoutMs, digest: `d-${txn}`, clientId, protocol };
}
const putAt = (p: string, v = 'x'): TxnOp => ({ type: 'put', key: k(p), value: v });

const ofType = <T extends CoordinatorEffect['type']>(effs: CoordinatorEffect[], type: T) =>
  effs.filter((e): e is Extract<CoordinatorEffect, { type: T }> => e.type === type);
const replies = (effs: CoordinatorEffect[]): [number, CoordinatorReply][] => ofType(effs, 'reply').map((r) => [r.to, r.reply]);
const outcomes = (effs: CoordinatorEffect[]) => replies(effs).map(([to, r]) => [to, r.kind === 'outcome' ? r.outcome : r.kind] as const);
const sends = (effs: CoordinatorEffect[]): [string, string][] => ofType(effs, 'send').map((s) => [s.to, s.message.kind]);
const r = (key: string, value: string): OpResult => ({ key, found: true, value, version: 1 });
const yes = (p: string): Vote => ({ kind: 'YES', results: [r(k(p), `v-${p}`)] });
const answer = (state: PeerState, protocol: ProtocolName | null = null, participants: NodeId[] = [], results: OpResult[] = []): StateAnswer => ({
  state,
  protocol,
  participants,
  results,
});
/** What p's YES carries (and what its state answer carries once prepared). */
const resultsOf = (p: string): OpResult[] => [r(k(p), `v-${p}`)];

/**
 * Start `txn` over p1..p3 (one put each) and feed YES from the given participants. A client-chosen
 * id is looked up first; under 3pc/nb its owners are then probed (nobody knows it: it runs).
 */
function started(c: CoordinatorCore, txn: string, protocol: ProtocolName, yesFrom: string[], o: { clientId?: boolean; parts?: string[] } = {}) {
  const parts = o.parts ?? PARTS;
  const m = tmsg(
    txn,
    parts.map((p) => putAt(p)),
    protocol,
    o.clientId ?? false,
  );
  let e = c.step({ type: 'transact', replyTo: 1, msg: m }, 0);
  if (m.clientId) e = c.step({ type: 'lookupDone', txn, record: null }, 0);
  if (m.clientId && rulesOf(protocol).probeRetriedIds) {
    expect(ofType(e, 'send').map((s) => [s.to, s.message])).toEqual(parts.map((p) => [p, { kind: 'query', txn, abortIfUnvoted: false }]));
    e = parts.flatMap((p) => c.step({ type: 'txnState', txn, from: p, answer: answer('UNKNOWN') }, 0));
  }
  expect(sends(e)).toEqual(parts.map((p) => [p, 'prepare']));
  const out: CoordinatorEffect[] = [];
  for (const p of yesFrom) out.push(...c.step({ type: 'vote', txn, from: p, vote: yes(p) }, 1));
  return { m, prepares: e, last: out };
}

describe('prepare fan-out carries the protocol and where the peers listen', () => {
  it.each(['2pc', '3pc', 'nb'] as const)('%s', (protocol) => {
    const c = mk();
    const { prepares } = started(c, 't', protocol, []);
    for (const s of ofType(prepares, 'send')) {
      expect(s.message).toMatchObject({ kind: 'prepare', msg: { protocol, participants: PARTS, participantAddrs: ['p1:1', 'p2:1', 'p3:1'] } });
    }
  });
});

describe('3pc coordinator', () => {
  it('all YES: a PreCommit round first, then the forced commit decision; only then replies and commits', () => {
    const c = mk();
    const { last } = started(c, 't', '3pc', PARTS);
    expect(sends(last)).toEqual(PARTS.map((p) => [p, 'precommit']));
    expect(ofType(last, 'setTimer')).toEqual([{ type: 'setTimer', timer: { kind: 'precommitTimeout', txn: 't' }, at: 1 + 300 }]);
    expect(ofType(last, 'persist')).toEqual([]);
    expect(replies(last)).toEqual([]);
    // meanwhile: queries see PENDING, the prepare timeout and duplicate votes change nothing
    expect(outcomes(c.step({ type: 'query', replyTo: 7, txn: 't' }, 2))).toEqual([[7, 'PENDING']]);
    expect(c.step({ type: 'timer', timer: { kind: 'prepareTimeout', txn: 't' } }, 1001)).toEqual([]);
    expect(c.step({ type: 'vote', txn: 't', from: 'p1', vote: yes('p1') }, 2)).toEqual([]);
    expect(c.step({ type: 'precommitAck', txn: 't', from: 'p1', ok: true }, 3)).toEqual([]);
    expect(c.step({ type: 'precommitAck', txn: 't', from: 'p1', ok: true }, 3)).toEqual([]); // duplicate
    expect(c.step({ type: 'precommitAck', txn: 't', from: 'p9', ok: true }, 3)).toEqual([]); // stranger
    expect(c.step({ type: 'precommitAck', txn: 't', from: 'p2', ok: true }, 4)).toEqual([]);
    const d = c.step({ type: 'precommitAck', txn: 't', from: 'p3', ok: true }, 5);
    expect(d).toEqual([
      {
        type: 'persist',
        record: {
          kind: 'decision',
          record: {
            txn: 't',
            outcome: 'COMMITTED',
            participants: PARTS,
            results: PARTS.map((p) => r(k(p), `v-${p}`)),
            reason: '',
            digest: 'd-t',
            decidedAtMs: 5,
          },
        },
        sync: true,
      },
    ]);
    const a = c.step({ type: 'persisted', record: ofType(d, 'persist')[0]!.record }, 6);
    expect(sends(a)).toEqual(PARTS.map((p) => [p, 'commit']));
    expect(outcomes(a)).toEqual([[1, 'COMMITTED']]);
    expect(c.counters.committed).toBe(1);
    // the precommit timer that fires later does nothing
    expect(c.step({ type: 'timer', timer: { kind: 'precommitTimeout', txn: 't' } }, 301)).toEqual([]);
    expect(c.counters.precommitTimeouts).toBe(0);
  });

  it('a missing PreCommit ack: at the precommit timeout the coordinator commits anyway (Skeen)', () => {
    const c = mk();
    started(c, 't', '3pc', PARTS);
    c.step({ type: 'precommitAck', txn: 't', from: 'p1', ok: true }, 2);
    c.step({ type: 'precommitAck', txn: 't', from: 'p3', ok: true }, 2);
    const e = c.step({ type: 'timer', timer: { kind: 'precommitTimeout', txn: 't' } }, 301);
    expect(ofType(e, 'log')[0]).toMatchObject({ level: 'warn', msg: 'no PreCommit ack from p2: committing anyway' });
    expect(ofType(e, 'persist')).toMatchObject([{ sync: true, record: { kind: 'decision', record: { outcome: 'COMMITTED' } } }]);
    expect(c.counters.precommitTimeouts).toBe(1);
    const a = c.step({ type: 'persisted', record: ofType(e, 'persist')[0]!.record }, 302);
    expect(outcomes(a)).toEqual([[1, 'COMMITTED']]);
    // a late ack changes nothing
    expect(c.step({ type: 'precommitAck', txn: 't', from: 'p2', ok: true }, 303)).toEqual([]);
  });

  it('a refused PreCommit (that participant aborted meanwhile) aborts the transaction', () => {
    const c = mk();
    started(c, 't', '3pc', PARTS, { clientId: true });
    c.step({ type: 'precommitAck', txn: 't', from: 'p1', ok: true }, 2);
    const e = c.step({ type: 'precommitAck', txn: 't', from: 'p2', ok: false }, 3);
    // a client-chosen id: the abort is forced before anyone hears it
    expect(replies(e)).toEqual([]);
    expect(sends(e)).toEqual([]);
    const rec = ofType(e, 'persist')[0]!;
    expect(rec).toMatchObject({
      sync: true,
      record: { record: { outcome: 'ABORTED', abortCode: 'TIMED_OUT', reason: 'participant p2 refused PreCommit: already aborted' } },
    });
    const a = c.step({ type: 'persisted', record: rec.record }, 4);
    expect(sends(a)).toEqual(PARTS.map((p) => [p, 'abort']));
    expect(outcomes(a)).toEqual([[1, 'ABORTED']]);
    expect(c.step({ type: 'precommitAck', txn: 't', from: 'p3', ok: true }, 5)).toEqual([]);
    expect(c.step({ type: 'timer', timer: { kind: 'precommitTimeout', txn: 't' } }, 301)).toEqual([]);
  });

  it('votes still decide as in 2pc before the PreCommit round: a NO or a prepare timeout aborts', () => {
    const c = mk();
    started(c, 'a', '3pc', ['p1']);
    const e = c.step({ type: 'vote', txn: 'a', from: 'p2', vote: { kind: 'NO', reason: 'x', code: 'CONFLICT' } }, 2);
    expect(outcomes(e)).toEqual([[1, 'ABORTED']]);
    expect(sends(e)).toEqual([
      ['p1', 'abort'],
      ['p3', 'abort'],
    ]);
    started(c, 'b', '3pc', ['p1', 'p2']);
    const t = c.step({ type: 'timer', timer: { kind: 'prepareTimeout', txn: 'b' } }, 1001);
    expect(outcomes(t)).toEqual([[1, 'ABORTED']]);
    expect(sends(t).filter(([, m]) => m === 'precommit')).toEqual([]);
  });
});

describe('nb coordinator', () => {
  it('all YES: replies COMMITTED and sends commits at once; the decision record is written unforced, after', () => {
    const c = mk();
    const { last } = started(c, 't', 'nb', PARTS);
    expect(last.filter((e) => e.type !== 'log').map((e) => e.type)).toEqual(['send', 'send', 'send', 'reply', 'setTimer', 'persist']);
    expect(outcomes(last)).toEqual([[1, 'COMMITTED']]);
    expect(replies(last)[0]![1]).toMatchObject({ results: PARTS.map((p) => r(k(p), `v-${p}`)) });
    const p = ofType(last, 'persist')[0]!;
    expect(p.sync).toBe(false);
    expect(p.record).toMatchObject({ kind: 'decision', record: { outcome: 'COMMITTED', protocol: 'nb' } });
    expect(c.counters.committed).toBe(1);
    // the record landing changes nothing; acks end the txn with an unforced END
    expect(c.step({ type: 'persisted', record: p.record }, 2)).toEqual([]);
    c.step({ type: 'ack', txn: 't', from: 'p1' }, 3);
    c.step({ type: 'ack', txn: 't', from: 'p2' }, 3);
    expect(c.step({ type: 'ack', txn: 't', from: 'p3' }, 3)).toEqual([{ type: 'persist', record: { kind: 'end', txn: 't' }, sync: false }]);
    expect(c.activeTxns).toBe(0);
    expect(outcomes(c.step({ type: 'query', replyTo: 9, txn: 't' }, 4))).toEqual([[9, 'COMMITTED']]);
  });

  it('an unreachable participant (synthetic NO UNAVAILABLE_PARTICIPANT) starts a termination instead of aborting', () => {
    const c = mk();
    started(c, 't', 'nb', ['p1']);
    const e = c.step({ type: 'vote', txn: 't', from: 'p2', vote: { kind: 'NO', reason: 'connection refused', code: 'UNAVAILABLE_PARTICIPANT' } }, 2);
    // every log that has not shown a YES is asked to hold ABORT (p1 voted YES: not asked)
    expect(sends(e)).toEqual([
      ['p2', 'query'],
      ['p3', 'query'],
    ]);
    expect(replies(e)).toEqual([]);
    expect(ofType(e, 'persist')).toEqual([]);
    expect(c.counters.terminations).toBe(1);
    expect(c.counters.aborted).toBe(0);
    // votes that come in during the termination change nothing; queries see PENDING
    expect(c.step({ type: 'vote', txn: 't', from: 'p3', vote: yes('p3') }, 3)).toEqual([]);
    expect(outcomes(c.step({ type: 'query', replyTo: 5, txn: 't' }, 3))).toEqual([[5, 'PENDING']]);
  });

  it('termination: a log holds ABORT → aborted', () => {
    const c = mk();
    started(c, 't', 'nb', ['p1']);
    c.step({ type: 'vote', txn: 't', from: 'p2', vote: { kind: 'NO', reason: 'down', code: 'UNAVAILABLE_PARTICIPANT' } }, 2);
    expect(c.step({ type: 'txnState', txn: 't', from: 'p3', answer: answer('PREPARED', 'nb', PARTS) }, 3)).toEqual([]);
    expect(c.step({ type: 'txnState', txn: 't', from: 'p3', answer: answer('ABORTED') }, 3)).toEqual([]); // duplicate
    const e = c.step({ type: 'txnState', txn: 't', from: 'p2', answer: answer('ABORTED') }, 4);
    expect(replies(e)).toEqual([
      [1, expect.objectContaining({ outcome: 'ABORTED', code: 'TIMED_OUT', reason: 'participant p2 holds ABORT (no vote in time)' })],
    ]);
    expect(sends(e).sort()).toEqual(PARTS.map((p) => [p, 'abort']));
  });

  it("termination: every log holds YES → committed (the commit is announced, the record unforced), with the silent branch's results from its answer", () => {
    const c = mk();
    started(c, 't', 'nb', ['p1', 'p3']);
    const q = c.step({ type: 'vote', txn: 't', from: 'p2', vote: { kind: 'NO', reason: 'down', code: 'UNAVAILABLE_PARTICIPANT' } }, 2);
    expect(ofType(q, 'send').map((x) => x.message)).toEqual([{ kind: 'query', txn: 't', abortIfUnvoted: true }]);
    const e = c.step({ type: 'txnState', txn: 't', from: 'p2', answer: answer('PREPARED', 'nb', PARTS, resultsOf('p2')) }, 3);
    expect(outcomes(e)).toEqual([[1, 'COMMITTED']]);
    expect(replies(e)[0]![1]).toMatchObject({ results: PARTS.flatMap(resultsOf) });
    expect(sends(e)).toEqual(PARTS.map((p) => [p, 'commit']));
    expect(ofType(e, 'persist')).toMatchObject([{ sync: false, record: { record: { outcome: 'COMMITTED', protocol: 'nb' } } }]);
  });

  it('termination: a log that already committed counts as YES (its results taken from the answer)', () => {
    const c = mk();
    started(c, 't', 'nb', ['p1', 'p3']);
    c.step({ type: 'timer', timer: { kind: 'prepareTimeout', txn: 't' } }, 1001);
    const e = c.step({ type: 'txnState', txn: 't', from: 'p2', answer: answer('COMMITTED', null, [], resultsOf('p2')) }, 1002);
    expect(outcomes(e)).toEqual([[1, 'COMMITTED']]);
    expect(replies(e)[0]![1]).toMatchObject({ results: PARTS.flatMap(resultsOf) });
  });

  it('termination: a log out of reach → PENDING to the client, and the coordinator forgets it', () => {
    const c = mk();
    started(c, 't', 'nb', ['p1'], { clientId: true });
    c.step({ type: 'vote', txn: 't', from: 'p2', vote: { kind: 'NO', reason: 'down', code: 'UNAVAILABLE_PARTICIPANT' } }, 2);
    c.step({ type: 'txnState', txn: 't', from: 'p3', answer: answer('PREPARED', 'nb', PARTS) }, 3);
    const e = c.step({ type: 'txnState', txn: 't', from: 'p2', answer: answer('UNREACHABLE') }, 4);
    // not in progress here any more: the participants settle it (their own termination)
    expect(replies(e)).toEqual([[1, expect.objectContaining({ outcome: 'PENDING', inProgress: false, reason: 'vote logs unreachable: p2' })]]);
    expect(sends(e)).toEqual([]);
    expect(ofType(e, 'persist')).toEqual([]);
    expect(c.counters.unknownOutcomes).toBe(1);
    expect(c.activeTxns).toBe(0);
    // a later GetTransaction resolves it from the participants
    expect(c.step({ type: 'query', replyTo: 2, txn: 't' }, 5)).toEqual([{ type: 'lookup', txn: 't' }]);
  });

  it('a prepare timeout starts the termination on the silent logs only (2pc would abort)', () => {
    const c = mk();
    started(c, 't', 'nb', ['p2']);
    const e = c.step({ type: 'timer', timer: { kind: 'prepareTimeout', txn: 't' } }, 1001);
    expect(sends(e)).toEqual([
      ['p1', 'query'],
      ['p3', 'query'],
    ]);
    expect(ofType(e, 'log')[0]!.msg).toBe('nb termination: no vote from p1, p3 within 1000 ms');
    expect(c.counters.timeouts).toBe(1);
    expect(replies(e)).toEqual([]);
  });

  it('a real NO (not UNAVAILABLE_PARTICIPANT) aborts at once', () => {
    const c = mk();
    started(c, 't', 'nb', ['p1']);
    const e = c.step({ type: 'vote', txn: 't', from: 'p2', vote: { kind: 'NO', reason: 'conflict', code: 'CONFLICT' } }, 2);
    expect(outcomes(e)).toEqual([[1, 'ABORTED']]);
    expect(c.counters.terminations).toBe(0);
  });

  it.each(['2pc', '3pc'] as const)('%s: a synthetic NO still aborts (and the unreachable participant is told too)', (protocol) => {
    const c = mk();
    started(c, 't', protocol, ['p1']);
    const e = c.step({ type: 'vote', txn: 't', from: 'p2', vote: { kind: 'NO', reason: 'down', code: 'UNAVAILABLE_PARTICIPANT' } }, 2);
    expect(outcomes(e)).toEqual([[1, 'ABORTED']]);
    expect(sends(e)).toEqual(PARTS.map((p) => [p, 'abort']));
  });
});

describe('resolving an id with no record (GetTransaction after a restart)', () => {
  /** query → lookup → no record → ask every participant; returns the coordinator. */
  function resolving(): CoordinatorCore {
    const c = mk();
    expect(c.step({ type: 'query', replyTo: 1, txn: 'x' }, 0)).toEqual([{ type: 'lookup', txn: 'x' }]);
    const e = c.step({ type: 'lookupDone', txn: 'x', record: null }, 1);
    expect(sends(e)).toEqual(PARTS.map((p) => [p, 'query']));
    expect(c.counters.resolutions).toBe(1);
    return c;
  }
  const feed = (c: CoordinatorCore, answers: [NodeId, StateAnswer][], now = 2): CoordinatorEffect[] =>
    answers.flatMap(([from, a]) => c.step({ type: 'txnState', txn: 'x', from, answer: a }, now));

  it('2pc in doubt: no commit record means it never committed → forced tombstone, then abort to the in-doubt', () => {
    const c = resolving();
    const two = ['p1', 'p2'];
    const e = feed(c, [
      ['p1', answer('PREPARED', '2pc', two)],
      ['p2', answer('READ_ONLY', '2pc', two)],
      ['p3', answer('UNREACHABLE')],
    ]);
    expect(sends(e)).toEqual([]);
    expect(replies(e)).toEqual([]);
    const tomb = ofType(e, 'persist')[0]!;
    expect(tomb).toMatchObject({ sync: true, record: { record: { outcome: 'ABORTED', abortCode: 'PRESUMED', participants: ['p1', 'p2'], digest: '' } } });
    expect(c.counters.tombstones).toBe(1);
    const a = c.step({ type: 'persisted', record: tomb.record }, 3);
    expect(sends(a)).toEqual([
      ['p1', 'abort'],
      ['p2', 'abort'],
    ]);
    expect(outcomes(a)).toEqual([[1, 'ABORTED']]);
  });

  it('3pc in doubt: only the participants may decide → PENDING, nothing written, nothing remembered', () => {
    const c = resolving();
    const e = feed(c, [
      ['p1', answer('PRECOMMITTED', '3pc', ['p1', 'p2'])],
      ['p2', answer('PREPARED', '3pc', ['p1', 'p2'])],
      ['p3', answer('UNKNOWN')],
    ]);
    // inProgress false: an inquiring participant hears UNDECIDED and runs its own termination
    expect(replies(e)).toEqual([
      [1, expect.objectContaining({ outcome: 'PENDING', inProgress: false, reason: 'no decision recorded here; its participants settle it' })],
    ]);
    expect(ofType(e, 'persist')).toEqual([]);
    expect(sends(e)).toEqual([]);
    expect(c.counters.unknownOutcomes).toBe(1);
    expect(c.activeTxns).toBe(0);
    expect(c.step({ type: 'query', replyTo: 2, txn: 'x' }, 3)).toEqual([{ type: 'lookup', txn: 'x' }]); // asks again next time
  });

  // Changed (commit 17fcbf5): a COMMITTED found by resolving is no longer remembered: a Transact
  // retried later needs every op's result, which a probe of its participants rebuilds.
  it('nb: every listed log holds YES → COMMITTED (not forced, not remembered), commit sent to the in-doubt', () => {
    const two = ['p1', 'p2'];
    const c2 = resolving();
    const e2 = feed(c2, [
      ['p1', answer('PREPARED', 'nb', two)],
      ['p2', answer('PREPARED', 'nb', two)],
      ['p3', answer('UNREACHABLE')],
    ]);
    expect(outcomes(e2)).toEqual([[1, 'COMMITTED']]);
    expect(sends(e2)).toEqual([
      ['p1', 'commit'],
      ['p2', 'commit'],
    ]);
    expect(ofType(e2, 'persist')).toEqual([]);
    expect(c2.activeTxns).toBe(0);
    expect(c2.step({ type: 'query', replyTo: 3, txn: 'x' }, 4)).toEqual([{ type: 'lookup', txn: 'x' }]); // resolves again
  });

  it('someone committed → COMMITTED, and the in-doubt are told', () => {
    const c = resolving();
    const e = feed(c, [
      ['p1', answer('COMMITTED')],
      ['p2', answer('PRECOMMITTED', '3pc', ['p1', 'p2'])],
      ['p3', answer('UNREACHABLE')],
    ]);
    expect(outcomes(e)).toEqual([[1, 'COMMITTED']]);
    expect(sends(e)).toEqual([['p2', 'commit']]);
  });

  // New (commit 17fcbf5): a Transact waiting on the resolution hears COMMITTED only with one
  // result per op, rebuilt from the branches' answers in op order; otherwise PENDING (not in
  // progress), and the in-doubt branches are told to commit either way.
  it("a Transact waiting on the resolution: COMMITTED with every op's result, else PENDING", () => {
    const two = ['p1', 'p2'];
    const m = tmsg('x', [putAt('p2'), putAt('p1')], 'nb', true);
    const full = resolving();
    expect(full.step({ type: 'transact', replyTo: 2, msg: m }, 2)).toEqual([]);
    const e = feed(full, [
      ['p1', answer('PREPARED', 'nb', two, resultsOf('p1'))],
      ['p2', answer('COMMITTED', null, [], resultsOf('p2'))],
      ['p3', answer('ABORTED')],
    ]);
    expect(outcomes(e).sort()).toEqual([
      [1, 'COMMITTED'],
      [2, 'COMMITTED'],
    ]);
    const tr = replies(e).find(([to]) => to === 2)![1];
    expect(tr.kind === 'outcome' ? tr.results : null).toEqual([...resultsOf('p2'), ...resultsOf('p1')]); // op order
    expect(sends(e)).toEqual([['p1', 'commit']]);

    const holes = resolving();
    holes.step({ type: 'transact', replyTo: 2, msg: m }, 2);
    const f = feed(holes, [
      ['p1', answer('PREPARED', 'nb', two, resultsOf('p1'))],
      ['p2', answer('COMMITTED')], // an answer without its results
      ['p3', answer('ABORTED')],
    ]);
    expect(outcomes(f).sort()).toEqual([
      [1, 'COMMITTED'],
      [2, 'PENDING'],
    ]);
    expect(replies(f).find(([to]) => to === 2)![1]).toMatchObject({ inProgress: false });
    expect(sends(f)).toEqual([['p1', 'commit']]);
  });

  it('nobody reachable → PENDING, no tombstone', () => {
    const c = resolving();
    const e = feed(
      c,
      PARTS.map((p) => [p, answer('UNREACHABLE')]),
    );
    expect(outcomes(e)).toEqual([[1, 'PENDING']]);
    expect(replies(e)[0]![1]).toMatchObject({ inProgress: false });
    expect(ofType(e, 'persist')).toEqual([]);
    expect(c.counters.tombstones).toBe(0);
  });

  it('queries and a transact with that id arriving while resolving wait for the answer; strays are ignored', () => {
    const c = resolving();
    expect(c.step({ type: 'query', replyTo: 2, txn: 'x' }, 2)).toEqual([]);
    expect(c.step({ type: 'transact', replyTo: 3, msg: tmsg('x', [putAt('p1')], '2pc', true) }, 2)).toEqual([]);
    expect(c.step({ type: 'txnState', txn: 'x', from: 'p9', answer: answer('COMMITTED') }, 2)).toEqual([]);
    expect(c.step({ type: 'txnState', txn: 'y', from: 'p1', answer: answer('COMMITTED') }, 2)).toEqual([]);
    const e = feed(
      c,
      PARTS.map((p) => [p, answer('ABORTED')]),
      3,
    );
    const a = c.step({ type: 'persisted', record: ofType(e, 'persist')[0]!.record }, 4);
    expect(outcomes(a).sort()).toEqual([
      [1, 'ABORTED'],
      [2, 'ABORTED'],
      [3, 'ABORTED'],
    ]);
  });

  it('2pc: a transact whose lookup finds no record runs it (no resolution, no probe)', () => {
    const c = mk();
    c.step({ type: 'transact', replyTo: 1, msg: tmsg('x', [putAt('p1')], '2pc', true) }, 0);
    const e = c.step({ type: 'lookupDone', txn: 'x', record: null }, 1);
    expect(sends(e)).toEqual([['p1', 'prepare']]);
    expect(c.counters.resolutions).toBe(0);
  });
});

describe('nb: a retried id (client-chosen) runs at once: its prepares are the probe', () => {
  it("a participant that committed an earlier run answers its duplicate prepare YES with its results: COMMITTED, every op's result", () => {
    const c = mk();
    const m = tmsg('x', [putAt('p1'), putAt('p2')], 'nb', true);
    c.step({ type: 'transact', replyTo: 1, msg: m }, 0);
    expect(sends(c.step({ type: 'lookupDone', txn: 'x', record: null }, 1))).toEqual([
      ['p1', 'prepare'],
      ['p2', 'prepare'],
    ]);
    const e = [...c.step({ type: 'vote', txn: 'x', from: 'p1', vote: yes('p1') }, 2), ...c.step({ type: 'vote', txn: 'x', from: 'p2', vote: yes('p2') }, 2)];
    expect(outcomes(e)).toEqual([[1, 'COMMITTED']]);
    const reply = replies(e)[0]![1];
    expect(reply.kind === 'outcome' ? reply.results.length : 0).toBe(2);
  });

  it('a participant that aborted an earlier run votes NO: ABORTED, and the others are told', () => {
    const c = mk();
    c.step({ type: 'transact', replyTo: 1, msg: tmsg('x', [putAt('p1'), putAt('p2')], 'nb', true) }, 0);
    c.step({ type: 'lookupDone', txn: 'x', record: null }, 1);
    c.step({ type: 'vote', txn: 'x', from: 'p1', vote: yes('p1') }, 2);
    const e = c.step({ type: 'vote', txn: 'x', from: 'p2', vote: { kind: 'NO', reason: 'transaction already aborted', code: 'CONFLICT' } }, 2);
    expect(sends(e)).toEqual([]); // a client-chosen id's abort is forced first
    const p = ofType(e, 'persist')[0]!;
    expect(p.sync).toBe(true);
    const done = c.step({ type: 'persisted', record: p.record }, 3);
    expect(outcomes(done)).toEqual([[1, 'ABORTED']]);
    expect(sends(done)).toEqual([['p1', 'abort']]);
  });
});

describe('probing: a retried 3pc id (client-chosen) with no record here', () => {
  /** transact → lookup → no record → the owners (only) are asked, without aborting anything. */
  function probing(protocol: '3pc', parts = ['p1', 'p2']) {
    const c = mk();
    const m = tmsg(
      'x',
      parts.map((p) => putAt(p)),
      protocol,
      true,
    );
    expect(c.step({ type: 'transact', replyTo: 1, msg: m }, 0)).toEqual([{ type: 'lookup', txn: 'x' }]);
    const e = c.step({ type: 'lookupDone', txn: 'x', record: null }, 1);
    expect(e).toEqual(parts.map((p) => ({ type: 'send', to: p, message: { kind: 'query', txn: 'x', abortIfUnvoted: false } })));
    expect(c.counters.resolutions).toBe(0);
    return { c, m };
  }
  const feed = (c: CoordinatorCore, answers: [NodeId, StateAnswer][], now = 2): CoordinatorEffect[] =>
    answers.flatMap(([from, a]) => c.step({ type: 'txnState', txn: 'x', from, answer: a }, now));

  it.each(['3pc'] as const)('%s: an owner that never saw it → no earlier run got every vote → it runs', (protocol) => {
    const { c } = probing(protocol);
    // a GetTransaction meanwhile waits for the probe, then hears PENDING (in progress)
    expect(c.step({ type: 'query', replyTo: 2, txn: 'x' }, 2)).toEqual([]);
    const e = feed(c, [
      ['p1', answer('PREPARED', protocol, ['p1', 'p2'])],
      ['p2', answer('UNKNOWN')],
    ]);
    expect(sends(e)).toEqual([
      ['p1', 'prepare'],
      ['p2', 'prepare'],
    ]);
    expect(replies(e)).toEqual([[2, expect.objectContaining({ outcome: 'PENDING', inProgress: true })]]);
    // the run goes on as usual
    const v = [...c.step({ type: 'vote', txn: 'x', from: 'p1', vote: yes('p1') }, 3), ...c.step({ type: 'vote', txn: 'x', from: 'p2', vote: yes('p2') }, 3)];
    expect(sends(v)).toEqual(
      protocol === '3pc'
        ? [
            ['p1', 'precommit'],
            ['p2', 'precommit'],
          ]
        : [
            ['p1', 'commit'],
            ['p2', 'commit'],
          ],
    );
  });

  // Changed (commit 17fcbf5): COMMITTED answers a Transact only with one result per op, rebuilt
  // from the owners' answers; with a branch's results out of reach it is PENDING (not in progress).
  it.each(['3pc'] as const)("%s: the owners committed → COMMITTED with every op's result, without running (cached, nothing written)", (protocol) => {
    const { c } = probing(protocol);
    const e = feed(c, [
      ['p1', answer('COMMITTED', null, [], resultsOf('p1'))],
      ['p2', answer('COMMITTED', null, [], resultsOf('p2'))],
    ]);
    expect(outcomes(e)).toEqual([[1, 'COMMITTED']]);
    const reply = replies(e)[0]![1];
    expect(reply.kind === 'outcome' ? reply.results : null).toEqual([...resultsOf('p1'), ...resultsOf('p2')]);
    expect(sends(e)).toEqual([]);
    expect(ofType(e, 'persist')).toEqual([]);
    expect(c.activeTxns).toBe(0);
    // remembered: the next retry is answered at once; other ops under that id are refused
    expect(outcomes(c.step({ type: 'transact', replyTo: 3, msg: tmsg('x', [putAt('p1'), putAt('p2')], protocol, true) }, 3))).toEqual([[3, 'COMMITTED']]);
    expect(outcomes(c.step({ type: 'transact', replyTo: 4, msg: { ...tmsg('x', [putAt('p1')], protocol, true), digest: 'other' } }, 3))).toEqual([
      [4, 'rejected'],
    ]);
  });

  it.each(['3pc'] as const)(
    "%s: an owner committed but another branch's results are out of reach → PENDING (not in progress), nothing run, nothing remembered",
    (protocol) => {
      const { c } = probing(protocol);
      const e = feed(c, [
        ['p1', answer('COMMITTED', null, [], resultsOf('p1'))],
        ['p2', answer('UNREACHABLE')],
      ]);
      expect(replies(e)).toEqual([[1, expect.objectContaining({ outcome: 'PENDING', inProgress: false })]]);
      expect(sends(e)).toEqual([]);
      expect(ofType(e, 'persist')).toEqual([]);
      expect(c.activeTxns).toBe(0);
      expect(c.step({ type: 'transact', replyTo: 2, msg: tmsg('x', [putAt('p1'), putAt('p2')], protocol, true) }, 3)).toEqual([{ type: 'lookup', txn: 'x' }]);
    },
  );

  it.each(['3pc'] as const)('%s: an owner aborted → ABORTED without running', (protocol) => {
    const { c } = probing(protocol);
    const e = feed(c, [
      ['p1', answer('PREPARED', protocol, ['p1', 'p2'])],
      ['p2', answer('ABORTED')],
    ]);
    expect(outcomes(e)).toEqual([[1, 'ABORTED']]);
    expect(replies(e)[0]![1]).toMatchObject({ code: 'PRESUMED' });
    expect(sends(e)).toEqual([]);
  });

  it.each(['3pc'] as const)('%s: every owner voted (or is out of reach), none decided → PENDING, not in progress: the participants settle it', (protocol) => {
    const { c } = probing(protocol);
    const e = feed(c, [
      ['p1', answer(protocol === '3pc' ? 'PRECOMMITTED' : 'PREPARED', protocol, ['p1', 'p2'])],
      ['p2', answer('UNREACHABLE')],
    ]);
    expect(replies(e)).toEqual([[1, expect.objectContaining({ outcome: 'PENDING', inProgress: false })]]);
    expect(sends(e)).toEqual([]);
    expect(ofType(e, 'persist')).toEqual([]);
    expect(c.activeTxns).toBe(0); // forgotten: the next retry probes again
    expect(c.step({ type: 'transact', replyTo: 2, msg: tmsg('x', [putAt('p1'), putAt('p2')], protocol, true) }, 3)).toEqual([{ type: 'lookup', txn: 'x' }]);
  });
});

describe('regressions: bugs these tests found, since fixed', () => {
  // regression (coordinatorCore.concludeTermination, nb): the branches whose vote never arrived
  // got `{kind: 'YES', results: []}`, so the client's COMMITTED had holes; the state answer now
  // carries a prepared branch's results and the termination fills them in.
  it('regression: nb: a commit found by the termination still returns one result per op', () => {
    const c = mk();
    started(c, 't', 'nb', ['p2', 'p3']);
    c.step({ type: 'vote', txn: 't', from: 'p1', vote: { kind: 'NO', reason: 'down', code: 'UNAVAILABLE_PARTICIPANT' } }, 2);
    const e = c.step({ type: 'txnState', txn: 't', from: 'p1', answer: answer('PREPARED', 'nb', PARTS, resultsOf('p1')) }, 3);
    const reply = replies(e)[0]![1];
    expect(reply).toMatchObject({ outcome: 'COMMITTED' });
    const results = reply.kind === 'outcome' ? reply.results : [];
    expect(results).toHaveLength(3);
    expect(Array.from(results, (x) => x !== undefined)).toEqual([true, true, true]);
    expect(results).toEqual(PARTS.flatMap(resultsOf));
  });

  // regression (coordinatorResolution; clusterSim seed 2143, nb seed 1039): resolving asks every
  // configured node; one that never took part aborts its empty vote and answered ABORTED, which
  // won over the participants' COMMITTED. Now only the listed participants count, and a COMMITTED wins.
  it('regression: resolving: a non-participant aborting the id does not override participants that committed', () => {
    const c = mk();
    c.step({ type: 'query', replyTo: 1, txn: 'x' }, 0);
    c.step({ type: 'lookupDone', txn: 'x', record: null }, 1);
    const two = ['p1', 'p2'];
    const e = [
      ...c.step({ type: 'txnState', txn: 'x', from: 'p1', answer: answer('COMMITTED') }, 2),
      ...c.step({ type: 'txnState', txn: 'x', from: 'p2', answer: answer('PRECOMMITTED', '3pc', two) }, 2),
      ...c.step({ type: 'txnState', txn: 'x', from: 'p3', answer: answer('ABORTED', '2pc', []) }, 2), // never a participant
    ];
    expect(ofType(e, 'persist').filter((p) => p.record.kind === 'decision' && p.record.record.outcome === 'ABORTED')).toEqual([]);
    expect(outcomes(e)).toEqual([[1, 'COMMITTED']]);
  });

  // regression (coordinatorCore.onLookupDone, 3pc; clusterSim seed 2010): a retried transact
  // whose lookup found no record re-ran the transaction, which the participants had committed
  // while the coordinator was down; the re-run's prepare timeout then aborted it. Now the owners
  // are probed first and p1's COMMITTED is the answer (PENDING until every branch's results can
  // be rebuilt, since commit 17fcbf5).
  it('regression: 3pc: a retried transact does not abort what the participants committed while the coordinator was down', () => {
    const c = mk(); // restarted: no record of t
    c.step({ type: 'transact', replyTo: 1, msg: tmsg('t', [putAt('p1'), putAt('p2')], '3pc', true) }, 0);
    const e = c.step({ type: 'lookupDone', txn: 't', record: null }, 1);
    // Feed what the participants would say: p1 committed t (it answers a prepare YES from its
    // outcome log, a state query COMMITTED); p2 is down (no vote; a state query is UNREACHABLE).
    const out: CoordinatorEffect[] = [...e];
    for (const s of ofType(e, 'send')) {
      if (s.to === 'p1' && s.message.kind === 'prepare') out.push(...c.step({ type: 'vote', txn: 't', from: 'p1', vote: yes('p1') }, 2));
      if (s.message.kind === 'query')
        out.push(...c.step({ type: 'txnState', txn: 't', from: s.to, answer: answer(s.to === 'p1' ? 'COMMITTED' : 'UNREACHABLE') }, 2));
    }
    out.push(...c.step({ type: 'timer', timer: { kind: 'prepareTimeout', txn: 't' } }, 1001));
    for (const p of ofType(out, 'persist')) out.push(...c.step({ type: 'persisted', record: p.record }, 1002));
    expect(sends(out).filter(([, m]) => m === 'abort' || m === 'prepare')).toEqual([]);
    // (commit 17fcbf5) p2's results are out of reach: PENDING, not ABORTED, and nothing re-run
    expect(outcomes(out)).toEqual([[1, 'PENDING']]);
    expect(replies(out)[0]![1]).toMatchObject({ inProgress: false });
    // the client retries once p2 is back: COMMITTED with every op's result
    c.step({ type: 'transact', replyTo: 2, msg: tmsg('t', [putAt('p1'), putAt('p2')], '3pc', true) }, 1100);
    const q = c.step({ type: 'lookupDone', txn: 't', record: null }, 1101);
    expect(sends(q)).toEqual([
      ['p1', 'query'],
      ['p2', 'query'],
    ]);
    const d = [
      ...c.step({ type: 'txnState', txn: 't', from: 'p1', answer: answer('COMMITTED', null, [], resultsOf('p1')) }, 1102),
      ...c.step({ type: 'txnState', txn: 't', from: 'p2', answer: answer('PRECOMMITTED', '3pc', ['p1', 'p2'], resultsOf('p2')) }, 1102),
    ];
    expect(outcomes(d)).toEqual([[2, 'COMMITTED']]);
    const reply = replies(d)[0]![1];
    expect(reply.kind === 'outcome' ? reply.results : null).toEqual([...resultsOf('p1'), ...resultsOf('p2')]);
    expect(sends(d).filter(([, m]) => m === 'abort')).toEqual([]);
  });

  /**
   * A 3pc txn on p1 alone: p1 votes YES, the coordinator sends PreCommit, and p1 crashes
   * before it arrives, coming back at t=10 uncertain (w) from its prepare record.
   */
  function precommitLostInCrash(): { c: CoordinatorCore; p: ParticipantCore } {
    const c = mk({ participants: ['p1'], participantAddrs: { p1: 'p1:1' } });
    const cfg = { recentOutcomes: 100 };
    const { p: before } = recoveredParticipant(cfg);
    const prep = c.step({ type: 'transact', replyTo: 1, msg: tmsg('t', [putAt('p1')], '3pc') }, 0);
    const m = ofType(prep, 'send')[0]!.message;
    if (m.kind !== 'prepare') throw new Error('expected a prepare');
    before.step({ type: 'prepare', replyTo: 10, msg: m.msg }, 1);
    const rd = before.step({ type: 'readDone', txn: 't', values: new Map(), finished: null }, 2);
    const prepRec = pOfType(rd, 'persist')[0]!.record;
    const vote = pOfType(before.step({ type: 'persisted', record: prepRec }, 3), 'reply')[0]!.reply;
    if (vote.kind !== 'vote' || prepRec.kind !== 'prepare') throw new Error('expected a vote and a prepare record');
    expect(sends(c.step({ type: 'vote', txn: 't', from: 'p1', vote: vote.vote }, 4))).toEqual([['p1', 'precommit']]);
    return { c, p: recoveredParticipant(cfg, [prepRec.record], 'p1', 10).p };
  }

  // regression (participantCore.onInquiryResult, 3pc; clusterSim seed 2126): a participant ran
  // the termination after two PENDING answers from a live coordinator in its PreCommit round and,
  // alone and uncertain, aborted while the coordinator committed at precommitTimeout. PENDING
  // (in progress) now only means "wait".
  it('regression: 3pc: a recovered participant does not abort while its live coordinator commits', () => {
    const { c, p } = precommitLostInCrash();
    const ask = (now: number): ParticipantEffect[] => {
      const q = c.step({ type: 'query', replyTo: 50 + now, txn: 't' }, now);
      const res = replies(q)[0]![1];
      expect(res).toMatchObject({ outcome: 'PENDING', inProgress: true });
      const outcome = res.kind !== 'outcome' ? 'UNREACHABLE' : res.outcome === 'PENDING' && !res.inProgress ? 'UNDECIDED' : res.outcome;
      return p.step({ type: 'inquiryResult', txn: 't', outcome }, now + 1);
    };
    const pEffects = [...ask(20), ...ask(120)];
    for (const e of pEffects) if (e.type === 'persist') pEffects.push(...p.step({ type: 'persisted', record: e.record }, 130));
    const participantOutcome = p.view('t');
    const t = c.step({ type: 'timer', timer: { kind: 'precommitTimeout', txn: 't' } }, 304);
    const d = c.step({ type: 'persisted', record: ofType(t, 'persist')[0]!.record }, 305);
    expect(outcomes(d)).toEqual([[1, 'COMMITTED']]);
    expect(participantOutcome).toBe('PREPARED'); // still waiting: no termination against a live coordinator
    expect(pEffects.filter((e) => e.type === 'queryPeer' || e.type === 'persist')).toEqual([]);
    // the commit reaches it and it commits
    const cm = p.step({ type: 'decision', replyTo: null, txn: 't', outcome: 'COMMITTED' }, 306);
    expect(pOfType(cm, 'persist').map((x) => x.record.kind)).toEqual(['commit']);
  });

  // regression (coordinatorCore.concludeResolution → termination.coordinatorResolution;
  // clusterSim EXPLORE['nbHeavy'] seed 189, EXPLORE['3pcHeavy'] seed 370): resolving an id with
  // no record asks every node with abortIfUnvoted. With the real participants all out of reach,
  // the only answer came from a node that never took part (it aborted its empty vote: ABORTED,
  // protocol null, participants []), and it decided: a forced PRESUMED tombstone and ABORTED to
  // the client and the inquirer, for an nb/3pc txn its participants had committed on their own.
  // Now: PENDING (inProgress false), no tombstone.
  it("regression: resolving: a non-participant's ABORTED does not fence an id whose participants are out of reach", () => {
    const c = mk();
    c.step({ type: 'query', replyTo: 1, txn: 'x' }, 0);
    c.step({ type: 'lookupDone', txn: 'x', record: null }, 1);
    const e = [
      ...c.step({ type: 'txnState', txn: 'x', from: 'p1', answer: answer('ABORTED') }, 2), // never took part: aborted its empty vote
      ...c.step({ type: 'txnState', txn: 'x', from: 'p2', answer: answer('UNREACHABLE') }, 2),
      ...c.step({ type: 'txnState', txn: 'x', from: 'p3', answer: answer('UNREACHABLE') }, 2),
    ];
    expect(ofType(e, 'persist')).toEqual([]);
    expect(replies(e)).toEqual([[1, expect.objectContaining({ outcome: 'PENDING', inProgress: false })]]);
  });

  // regression (termination.threePhaseTermination, recovered = true, via
  // participantCore.concludeTermination; clusterSim WIDE['3pc'] seed 1875): a participant that
  // crashed in w before its PreCommit arrived recovered, found its coordinator UNREACHABLE, heard
  // from every participant (here: nobody else), and decided "all uncertain → abort", although the
  // coordinator had committed at its precommit timeout and told the client COMMITTED. A recovered
  // participant now adopts an outcome and never decides one until the coordinator says it has no
  // record.
  it('regression: 3pc: a participant recovered in w does not abort on its own after the coordinator committed at its precommit timeout', () => {
    const { c, p } = precommitLostInCrash();
    // the coordinator commits at its precommit timeout, durably, and tells the client
    const t = c.step({ type: 'timer', timer: { kind: 'precommitTimeout', txn: 't' } }, 304);
    const d = c.step({ type: 'persisted', record: ofType(t, 'persist')[0]!.record }, 305);
    expect(outcomes(d)).toEqual([[1, 'COMMITTED']]);
    // ...and goes down before its COMMIT reaches p1: p1's inquiry finds nobody
    const e = p.step({ type: 'inquiryResult', txn: 't', outcome: 'UNREACHABLE' }, 400);
    for (const x of e) if (x.type === 'persist') e.push(...p.step({ type: 'persisted', record: x.record }, 401));
    expect(pOfType(e, 'persist').map((x) => x.record.kind)).not.toContain('abort');
    expect(p.view('t')).not.toBe('ABORTED');
    expect(p.view('t')).toBe('PREPARED');
    // the coordinator comes back with its record: p1 adopts the commit
    const back = c.step({ type: 'query', replyTo: 60, txn: 't' }, 500);
    expect(replies(back)).toEqual([[60, expect.objectContaining({ outcome: 'COMMITTED' })]]);
    const cm = p.step({ type: 'inquiryResult', txn: 't', outcome: 'COMMITTED' }, 501);
    expect(pOfType(cm, 'persist').map((x) => x.record.kind)).toEqual(['commit']);
  });
});
