/**
 * ParticipantCore under the three commit protocols: state queries with abort-if-unvoted,
 * nb's forced NO votes, 3pc's PreCommit and backup-coordinator termination, 2pc/nb
 * cooperative termination, and recovery of pre-committed records.
 */
import { describe, expect, it } from 'vitest';
import {
  ParticipantCore,
  type ParticipantConfig,
  type ParticipantEffect,
  type ParticipantReply,
  type PrepareMessage,
} from '../../src/protocol/participantCore.js';
import type { ParticipantRecord, PrepareRecord } from '../../src/protocol/records.js';
import type { NodeId, ProtocolName, StoredValue, TxnOp, Vote } from '../../src/protocol/types.js';

const CFG: ParticipantConfig = { inquireAfterMs: 100, inquireMaxBackoffMs: 500, maxLockWaiters: 10, recentOutcomes: 1000 };

function mk(cfg: Partial<ParticipantConfig> = {}, prepared: PrepareRecord[] = [], id: NodeId = 'p1') {
  const p = new ParticipantCore(id, { ...CFG, ...cfg });
  const effects = p.step({ type: 'recover', prepared }, 0);
  return { p, effects };
}

const ADDR = (p: NodeId): string => `${p}:1`;

function msg(txn: string, ops: TxnOp[], protocol: ProtocolName, o: { participants?: NodeId[]; ageMs?: number; lockWaitMs?: number } = {}): PrepareMessage {
  const participants = o.participants ?? ['p1', 'p2'];
  return {
    txn,
    coordinatorId: 'c1',
    coordinatorAddr: 'c1:7000',
    ops,
    participants,
    participantAddrs: participants.map(ADDR),
    protocol,
    age: { ms: o.ageMs ?? 0, id: txn },
    lockWaitMs: o.lockWaitMs ?? 1000,
  };
}

const put = (key: string, value: string): TxnOp => ({ type: 'put', key, value });
const get = (key: string): TxnOp => ({ type: 'get', key });

const ofType = <T extends ParticipantEffect['type']>(effs: ParticipantEffect[], type: T) =>
  effs.filter((e): e is Extract<ParticipantEffect, { type: T }> => e.type === type);
const noLogs = (effs: ParticipantEffect[]) => effs.filter((e) => e.type !== 'log');
const replies = (effs: ParticipantEffect[]): [number, ParticipantReply][] => ofType(effs, 'reply').map((r) => [r.to, r.reply]);
const votes = (effs: ParticipantEffect[]): [number, Vote][] =>
  replies(effs).flatMap(([to, r]) => (r.kind === 'vote' ? [[to, r.vote] as [number, Vote]] : []));
const states = (effs: ParticipantEffect[]) => replies(effs).flatMap(([to, r]) => (r.kind === 'state' ? [[to, r] as const] : []));
const persists = (effs: ParticipantEffect[]): ParticipantRecord[] => ofType(effs, 'persist').map((p) => p.record);
const sendPeers = (effs: ParticipantEffect[]) => ofType(effs, 'sendPeer').map((s) => [s.to, s.message] as const);
const queried = (effs: ParticipantEffect[]) => ofType(effs, 'queryPeer').map((q) => q.to);

let handle = 1000;
const h = (): number => handle++;

/** Drive a prepare to YES: prepare → read → persist prepare → persisted. */
function toPrepared(p: ParticipantCore, m: PrepareMessage, values: Map<string, StoredValue> = new Map(), now = 0) {
  p.step({ type: 'prepare', replyTo: h(), msg: m }, now);
  const e = p.step({ type: 'readDone', txn: m.txn, values, finished: null }, now);
  const rec = persists(e)[0]!;
  expect(rec.kind).toBe('prepare');
  const done = p.step({ type: 'persisted', record: rec }, now);
  expect(votes(done)[0]![1].kind).toBe('YES');
  return rec;
}

/** Force the 3pc p state through a PreCommit message. */
function toPrecommitted(p: ParticipantCore, txn: string, now = 0) {
  const ack = h();
  const e = p.step({ type: 'precommit', replyTo: ack, txn }, now);
  const rec = persists(e)[0]!;
  expect(rec.kind).toBe('precommit');
  const done = p.step({ type: 'persisted', record: rec }, now);
  expect(replies(done)).toEqual([[ack, { kind: 'precommitAck', txn, ok: true }]]);
  return rec;
}

/** Land every persist effect in `effs` (in order) and return all effects produced. */
function land(p: ParticipantCore, effs: ParticipantEffect[], now = 0): ParticipantEffect[] {
  const out: ParticipantEffect[] = [];
  for (const r of persists(effs)) out.push(...p.step({ type: 'persisted', record: r }, now));
  return out;
}

describe('stateQuery with abortIfUnvoted (GetTxnState during termination or resolution)', () => {
  it('unknown txn: reads the outcome log, finds nothing, forces an ABORT, answers ABORTED; a later prepare is answered NO', () => {
    const { p } = mk();
    const q = h();
    const e1 = p.step({ type: 'stateQuery', replyTo: q, txn: 't', abortIfUnvoted: true }, 0);
    expect(e1).toEqual([{ type: 'checkOutcome', txn: 't', replyTo: null }]);
    expect(p.view('t')).toBe('UNKNOWN');
    // a second query and a prepare while the log is read both wait
    const q2 = h();
    expect(p.step({ type: 'stateQuery', replyTo: q2, txn: 't', abortIfUnvoted: true }, 0)).toEqual([]);
    const v = h();
    expect(p.step({ type: 'prepare', replyTo: v, msg: msg('t', [put('k', '1')], 'nb') }, 0)).toEqual([]);
    const e2 = p.step({ type: 'outcomeChecked', txn: 't', replyTo: null, finished: null }, 1);
    expect(e2).toEqual([{ type: 'persist', record: { kind: 'abort', txn: 't', hadPrepare: false }, sync: true }]);
    expect(replies(e2)).toEqual([]); // nobody hears ABORTED before it is durable
    expect(p.counters.unilateralAborts).toBe(1);
    const e3 = p.step({ type: 'persisted', record: persists(e2)[0]! }, 2);
    expect(states(e3).map(([to, r]) => [to, r.state])).toEqual([
      [q, 'ABORTED'],
      [q2, 'ABORTED'],
    ]);
    expect(votes(e3)).toEqual([[v, { kind: 'NO', reason: 'aborted by a peer terminating the transaction', code: 'CONFLICT' }]]);
    expect(p.view('t')).toBe('ABORTED');
    expect(p.lockedKeys).toBe(0);
    expect(p.activeTxns).toBe(0);
    // log-once: the prepare that comes later is answered NO without taking locks
    const late = p.step({ type: 'prepare', replyTo: h(), msg: msg('t', [put('k', '1')], 'nb') }, 3);
    expect(ofType(late, 'read')).toEqual([]);
    expect(votes(late)[0]![1]).toMatchObject({ kind: 'NO' });
  });

  it('unknown txn after a restart: the abort record in the outcome log answers the late prepare NO', () => {
    const { p } = mk();
    const m = msg('t', [put('k', '1')], '2pc');
    const r = h();
    p.step({ type: 'prepare', replyTo: r, msg: m }, 0);
    const e = p.step({ type: 'readDone', txn: 't', values: new Map(), finished: { txn: 't', outcome: 'ABORTED', results: [] } }, 0);
    expect(votes(e)).toEqual([[r, { kind: 'NO', reason: 'transaction already aborted', code: 'CONFLICT' }]]);
    expect(persists(e)).toEqual([]);
    expect(p.lockedKeys).toBe(0);
  });

  it('unknown txn whose outcome log says COMMITTED: answers COMMITTED and writes nothing', () => {
    const { p } = mk();
    const q = h();
    p.step({ type: 'stateQuery', replyTo: q, txn: 't', abortIfUnvoted: true }, 0);
    const e = p.step({ type: 'outcomeChecked', txn: 't', replyTo: null, finished: { txn: 't', outcome: 'COMMITTED', results: [] } }, 1);
    expect(persists(e)).toEqual([]);
    expect(states(e)).toEqual([[q, { kind: 'state', txn: 't', state: 'COMMITTED', protocol: null, participants: [] }]]);
    expect(p.view('t')).toBe('COMMITTED');
    expect(p.activeTxns).toBe(0);
  });

  it('without abortIfUnvoted an unknown txn is only looked up: UNKNOWN, nothing written', () => {
    const { p } = mk();
    const q = h();
    expect(p.step({ type: 'stateQuery', replyTo: q, txn: 't', abortIfUnvoted: false }, 0)).toEqual([{ type: 'checkOutcome', txn: 't', replyTo: q }]);
    const e = p.step({ type: 'outcomeChecked', txn: 't', replyTo: q, finished: null }, 1);
    expect(e).toEqual([{ type: 'reply', to: q, reply: { kind: 'state', txn: 't', state: 'UNKNOWN', protocol: null, participants: [] } }]);
    expect(p.activeTxns).toBe(0);
  });

  it('a txn waiting for locks is aborted durably: the query hears ABORTED, the prepare NO, the lock-wait timer is void', () => {
    const { p } = mk();
    toPrepared(p, msg('holder', [put('k', '1')], '2pc', { ageMs: 50 }));
    const v = h();
    const w = p.step({ type: 'prepare', replyTo: v, msg: msg('t', [put('k', '2')], '2pc', { ageMs: 1, lockWaitMs: 300 }) }, 0);
    expect(ofType(w, 'setTimer')).toHaveLength(1);
    const q = h();
    const e = p.step({ type: 'stateQuery', replyTo: q, txn: 't', abortIfUnvoted: true }, 1);
    expect(e).toEqual([{ type: 'persist', record: { kind: 'abort', txn: 't', hadPrepare: false }, sync: true }]);
    expect(p.view('t')).toBe('PREPARING'); // not settled until durable
    const d = p.step({ type: 'persisted', record: persists(e)[0]! }, 2);
    expect(states(d).map(([to, r]) => [to, r.state, r.protocol, r.participants])).toEqual([[q, 'ABORTED', '2pc', ['p1', 'p2']]]);
    expect(votes(d)).toEqual([[v, { kind: 'NO', reason: 'aborted by a peer terminating the transaction', code: 'CONFLICT' }]]);
    expect(p.step({ type: 'timer', timer: { kind: 'lockWait', txn: 't' } }, 400)).toEqual([]);
    // it left the wait queue: the holder's commit wakes nobody
    const c = p.step({ type: 'decision', replyTo: h(), txn: 'holder', outcome: 'COMMITTED' }, 5);
    expect(ofType(land(p, c, 6), 'read')).toEqual([]);
    expect(p.counters.unilateralAborts).toBe(1);
  });

  it('a txn reading its keys is aborted durably; its locks are released at once and the late readDone is ignored', () => {
    const { p } = mk();
    const v = h();
    p.step({ type: 'prepare', replyTo: v, msg: msg('t', [put('k', '1')], '3pc') }, 0);
    expect(p.lockedKeys).toBe(1);
    const q = h();
    const e = p.step({ type: 'stateQuery', replyTo: q, txn: 't', abortIfUnvoted: true }, 1);
    expect(persists(e)).toEqual([{ kind: 'abort', txn: 't', hadPrepare: false }]);
    expect(p.lockedKeys).toBe(0);
    expect(p.step({ type: 'readDone', txn: 't', values: new Map(), finished: null }, 2)).toEqual([]);
    const d = p.step({ type: 'persisted', record: persists(e)[0]! }, 3);
    expect(states(d)[0]![1].state).toBe('ABORTED');
    expect(votes(d)[0]![1].kind).toBe('NO');
  });

  it('a txn whose prepare record is being forced is not aborted: the query is answered PREPARED once it is durable', () => {
    const { p } = mk();
    const v = h();
    p.step({ type: 'prepare', replyTo: v, msg: msg('t', [put('k', '1')], 'nb') }, 0);
    const rd = p.step({ type: 'readDone', txn: 't', values: new Map(), finished: null }, 0);
    const q = h();
    expect(p.step({ type: 'stateQuery', replyTo: q, txn: 't', abortIfUnvoted: true }, 1)).toEqual([]);
    const d = p.step({ type: 'persisted', record: persists(rd)[0]! }, 2);
    expect(votes(d).map(([to, x]) => [to, x.kind])).toEqual([[v, 'YES']]);
    expect(states(d)).toEqual([[q, { kind: 'state', txn: 't', state: 'PREPARED', protocol: 'nb', participants: ['p1', 'p2'] }]]);
    expect(p.counters.unilateralAborts).toBe(0);
  });

  it('settled txns are answered at once: PREPARED, PRECOMMITTED, READ_ONLY, COMMITTED (in flight), ABORTED (in flight)', () => {
    const { p } = mk();
    toPrepared(p, msg('a', [put('a', '1')], '2pc'));
    toPrepared(p, msg('b', [put('b', '1')], '3pc'));
    toPrecommitted(p, 'b');
    p.step({ type: 'prepare', replyTo: h(), msg: msg('c', [get('c')], '2pc') }, 0);
    p.step({ type: 'readDone', txn: 'c', values: new Map(), finished: null }, 0);
    toPrepared(p, msg('d', [put('d', '1')], '2pc'));
    p.step({ type: 'decision', replyTo: null, txn: 'd', outcome: 'COMMITTED' }, 0);
    toPrepared(p, msg('e', [put('e', '1')], '2pc'));
    p.step({ type: 'decision', replyTo: null, txn: 'e', outcome: 'ABORTED' }, 0);
    const ask = (txn: string) => states(p.step({ type: 'stateQuery', replyTo: h(), txn, abortIfUnvoted: true }, 1))[0]![1].state;
    expect(['a', 'b', 'c', 'd', 'e'].map(ask)).toEqual(['PREPARED', 'PRECOMMITTED', 'READ_ONLY', 'COMMITTED', 'ABORTED']);
  });

  // Minor: the placeholder created for an unknown txn leaks its made-up protocol into the answer.
  // BUG: participantCore.replyState after abortUnvoted on a 'checking' placeholder reports
  // protocol '2pc' for a transaction this node never saw (expected null: it does not know).
  it.fails('an unknown txn aborted by a query does not claim a protocol it never saw', () => {
    const { p } = mk();
    const q = h();
    p.step({ type: 'stateQuery', replyTo: q, txn: 't', abortIfUnvoted: true }, 0);
    const e = p.step({ type: 'outcomeChecked', txn: 't', replyTo: null, finished: null }, 1);
    const d = p.step({ type: 'persisted', record: persists(e)[0]! }, 2);
    expect(states(d)[0]![1]).toMatchObject({ state: 'ABORTED', protocol: null });
  });
});

describe('nb: a log holds exactly one vote', () => {
  it('a NO vote is a forced ABORT record, and the NO is sent only once it is durable', () => {
    const { p } = mk();
    const v = h();
    p.step({ type: 'prepare', replyTo: v, msg: msg('t', [{ type: 'check', key: 'k', expect: { kind: 'exists', exists: true } }], 'nb') }, 0);
    const e = p.step({ type: 'readDone', txn: 't', values: new Map(), finished: null }, 0);
    expect(e).toEqual([{ type: 'persist', record: { kind: 'abort', txn: 't', hadPrepare: false }, sync: true }]);
    expect(p.lockedKeys).toBe(0);
    expect(p.counters.votedNo).toBe(1);
    // a duplicate prepare meanwhile waits for the same NO
    const v2 = h();
    expect(p.step({ type: 'prepare', replyTo: v2, msg: msg('t', [], 'nb') }, 0)).toEqual([]);
    const d = p.step({ type: 'persisted', record: persists(e)[0]! }, 1);
    const no: Vote = { kind: 'NO', reason: 'check failed on key k: key does not exist', code: 'PRECONDITION_FAILED' };
    expect(votes(d)).toEqual([
      [v, no],
      [v2, no],
    ]);
    expect(p.view('t')).toBe('ABORTED');
    // and a prepare after that is NO from memory
    expect(votes(p.step({ type: 'prepare', replyTo: h(), msg: msg('t', [], 'nb') }, 2))[0]![1].kind).toBe('NO');
  });

  it('a wait-die death under nb is forced too', () => {
    const { p } = mk();
    toPrepared(p, msg('old', [put('k', '1')], 'nb', { ageMs: 1 }));
    const v = h();
    const e = p.step({ type: 'prepare', replyTo: v, msg: msg('young', [put('k', '2')], 'nb', { ageMs: 9 }) }, 0);
    expect(e).toEqual([{ type: 'persist', record: { kind: 'abort', txn: 'young', hadPrepare: false }, sync: true }]);
    expect(votes(land(p, e))).toEqual([[v, { kind: 'NO', reason: 'conflict on key k: held by an older transaction old', code: 'CONFLICT' }]]);
  });

  it('2pc by contrast forgets a NO without writing anything', () => {
    const { p } = mk();
    toPrepared(p, msg('old', [put('k', '1')], '2pc', { ageMs: 1 }));
    const e = p.step({ type: 'prepare', replyTo: h(), msg: msg('young', [put('k', '2')], '2pc', { ageMs: 9 }) }, 0);
    expect(persists(e)).toEqual([]);
    expect(votes(e)[0]![1].kind).toBe('NO');
  });

  it.each(['nb', '3pc'] as const)('%s: a read-only branch forces a YES (its log must hold a vote) instead of voting READ_ONLY', (protocol) => {
    const { p } = mk();
    const v = h();
    p.step({ type: 'prepare', replyTo: v, msg: msg('r', [get('a')], protocol) }, 0);
    const e = p.step({ type: 'readDone', txn: 'r', values: new Map([['a', { value: 'x', version: 2 }]]), finished: null }, 0);
    expect(persists(e)).toMatchObject([{ kind: 'prepare', record: { txn: 'r', protocol, writes: [] } }]);
    expect(votes(e)).toEqual([]);
    const d = land(p, e);
    expect(votes(d)).toEqual([[v, { kind: 'YES', results: [{ key: 'a', found: true, value: 'x', version: 2 }] }]]);
    expect(p.inDoubt()).toEqual(['r']);
  });

  it('the prepare record carries the peers, their addresses and the protocol', () => {
    const { p } = mk();
    const rec = toPrepared(p, msg('t', [put('k', '1')], 'nb', { participants: ['p1', 'p2', 'p3'] }));
    expect(rec).toMatchObject({ kind: 'prepare', record: { participants: ['p1', 'p2', 'p3'], participantAddrs: ['p1:1', 'p2:1', 'p3:1'], protocol: 'nb' } });
    expect(rec.kind === 'prepare' && rec.record.precommitted).toBeFalsy();
  });
});

describe('3pc: PreCommit', () => {
  it('forces a precommit record (the prepare record with precommitted: true), then acks', () => {
    const { p } = mk();
    const prep = toPrepared(p, msg('t', [put('k', '1')], '3pc'));
    const ack = h();
    const e = p.step({ type: 'precommit', replyTo: ack, txn: 't' }, 1);
    expect(e).toEqual([
      { type: 'persist', record: { kind: 'precommit', record: { ...(prep.kind === 'prepare' ? prep.record : {}), precommitted: true } }, sync: true },
    ]);
    expect(replies(e)).toEqual([]); // no ack before the p state is durable
    expect(p.view('t')).toBe('PREPARED');
    // a duplicate PreCommit meanwhile waits for the same force
    const ack2 = h();
    expect(p.step({ type: 'precommit', replyTo: ack2, txn: 't' }, 1)).toEqual([]);
    const d = p.step({ type: 'persisted', record: persists(e)[0]! }, 2);
    expect(replies(d)).toEqual([
      [ack, { kind: 'precommitAck', txn: 't', ok: true }],
      [ack2, { kind: 'precommitAck', txn: 't', ok: true }],
    ]);
    expect(p.view('t')).toBe('PRECOMMITTED');
    expect(p.inDoubt()).toEqual(['t']);
    expect(p.counters.precommitted).toBe(1);
    // once pre-committed (and once committing) a PreCommit is acked at once
    expect(replies(p.step({ type: 'precommit', replyTo: 9, txn: 't' }, 3))).toEqual([[9, { kind: 'precommitAck', txn: 't', ok: true }]]);
    const c = p.step({ type: 'decision', replyTo: null, txn: 't', outcome: 'COMMITTED' }, 4);
    expect(persists(c).map((r) => r.kind)).toEqual(['commit']);
    expect(replies(p.step({ type: 'precommit', replyTo: 10, txn: 't' }, 4))).toEqual([[10, { kind: 'precommitAck', txn: 't', ok: true }]]);
    land(p, c, 5);
    expect(replies(p.step({ type: 'precommit', replyTo: 11, txn: 't' }, 6))).toEqual([[11, { kind: 'precommitAck', txn: 't', ok: true }]]);
  });

  it('refuses when aborted (in flight or ended), unknown, or not voted YES', () => {
    const { p } = mk();
    toPrepared(p, msg('a', [put('a', '1')], '3pc'));
    const ab = p.step({ type: 'decision', replyTo: null, txn: 'a', outcome: 'ABORTED' }, 0);
    expect(replies(p.step({ type: 'precommit', replyTo: 1, txn: 'a' }, 0))).toEqual([[1, { kind: 'precommitAck', txn: 'a', ok: false }]]);
    land(p, ab);
    expect(replies(p.step({ type: 'precommit', replyTo: 2, txn: 'a' }, 0))).toEqual([[2, { kind: 'precommitAck', txn: 'a', ok: false }]]);
    expect(replies(p.step({ type: 'precommit', replyTo: 3, txn: 'nobody' }, 0))).toEqual([[3, { kind: 'precommitAck', txn: 'nobody', ok: false }]]);
    p.step({ type: 'prepare', replyTo: h(), msg: msg('r', [put('r', '1')], '3pc') }, 0); // reading
    const e = p.step({ type: 'precommit', replyTo: 4, txn: 'r' }, 0);
    expect(e).toEqual([{ type: 'reply', to: 4, reply: { kind: 'precommitAck', txn: 'r', ok: false } }]);
    expect(p.view('r')).toBe('PREPARING');
    // a PreCommit without a handle (no ack wanted) is fine too
    expect(p.step({ type: 'precommit', replyTo: null, txn: 'nobody' }, 0)).toEqual([]);
  });

  it('a commit that arrives while the p state is being forced is applied once it is durable', () => {
    const { p } = mk();
    toPrepared(p, msg('t', [put('k', '1')], '3pc'));
    const ack = h();
    const e = p.step({ type: 'precommit', replyTo: ack, txn: 't' }, 0);
    const dec = h();
    expect(p.step({ type: 'decision', replyTo: dec, txn: 't', outcome: 'COMMITTED' }, 1)).toEqual([]);
    const d = p.step({ type: 'persisted', record: persists(e)[0]! }, 2);
    expect(replies(d)).toEqual([[ack, { kind: 'precommitAck', txn: 't', ok: true }]]);
    expect(persists(d).map((r) => r.kind)).toEqual(['commit']);
    const f = land(p, d, 3);
    expect(replies(f)).toEqual([[dec, { kind: 'ack', txn: 't', known: true }]]);
    expect(p.view('t')).toBe('COMMITTED');
    expect(p.lockedKeys).toBe(0);
  });

  // BUG (participantCore.onPersisted 'precommit'): the PreCommit waiters are acked ok:true even
  // though an ABORT decision arrived during the force (afterPrecommit = ABORTED) and is applied
  // right after; finish() would have told them ok:false, but they were already answered.
  // Expected: ok:false (the participant is about to abort; nobody should count it as pre-committed).
  it.fails('a PreCommit being forced when an ABORT arrives is not acked ok', () => {
    const { p } = mk();
    toPrepared(p, msg('t', [put('k', '1')], '3pc'));
    const ack = h();
    const e = p.step({ type: 'precommit', replyTo: ack, txn: 't' }, 0);
    p.step({ type: 'decision', replyTo: null, txn: 't', outcome: 'ABORTED' }, 1);
    const d = p.step({ type: 'persisted', record: persists(e)[0]! }, 2);
    expect(persists(d)).toEqual([{ kind: 'abort', txn: 't', hadPrepare: true }]);
    const all = [...d, ...land(p, d, 3)];
    expect(replies(all)).toEqual([[ack, { kind: 'precommitAck', txn: 't', ok: false }]]);
  });
});

/** Prepared 3pc txn at `self` with participants p1..p3; its coordinator inquiry comes back UNREACHABLE. */
function terminating(self: NodeId, protocol: ProtocolName, participants = ['p1', 'p2', 'p3']) {
  const { p } = mk({}, [], self);
  toPrepared(p, msg('t', [put(`k-${self}`, '1')], protocol, { participants }));
  const e = p.step({ type: 'inquiryResult', txn: 't', outcome: 'UNREACHABLE' }, 10);
  expect(queried(e)).toEqual(participants.filter((x) => x !== self));
  expect(ofType(e, 'queryPeer').map((q) => q.addr)).toEqual(participants.filter((x) => x !== self).map(ADDR));
  expect(p.counters.terminations).toBe(1);
  return p;
}

describe('3pc: termination by the backup coordinator (lowest live id)', () => {
  it('some peer pre-committed: the uncertain backup forces its own p state, pre-commits the uncertain peers, then commits', () => {
    const p = terminating('p1', '3pc');
    expect(p.step({ type: 'peerState', txn: 't', from: 'p2', state: 'PRECOMMITTED' }, 11)).toEqual([]);
    const e = p.step({ type: 'peerState', txn: 't', from: 'p3', state: 'PREPARED' }, 12);
    expect(persists(e)).toMatchObject([{ kind: 'precommit', record: { txn: 't', precommitted: true } }]);
    expect(sendPeers(e)).toEqual([]); // its own p state first
    const f = land(p, e, 13);
    expect(sendPeers(f)).toEqual([['p3', 'precommit']]);
    expect(p.view('t')).toBe('PRECOMMITTED');
    // the inquire timer does nothing while the backup waits for acks
    expect(p.step({ type: 'timer', timer: { kind: 'inquire', txn: 't' } }, 14)).toEqual([]);
    expect(p.step({ type: 'peerPrecommitted', txn: 't', from: 'p2', result: 'ok' }, 14)).toEqual([]); // not asked
    const g = p.step({ type: 'peerPrecommitted', txn: 't', from: 'p3', result: 'ok' }, 15);
    expect(sendPeers(g)).toEqual([
      ['p2', 'commit'],
      ['p3', 'commit'],
    ]);
    expect(persists(g).map((r) => r.kind)).toEqual(['commit']);
    expect(p.counters.terminatedHere).toBe(1);
    land(p, g, 16);
    expect(p.view('t')).toBe('COMMITTED');
  });

  it('a pre-committed backup pre-commits the uncertain peers directly; an unreachable one counts as failed', () => {
    const { p } = mk();
    toPrepared(p, msg('t', [put('k', '1')], '3pc', { participants: ['p1', 'p2', 'p3'] }));
    toPrecommitted(p, 't');
    p.step({ type: 'inquiryResult', txn: 't', outcome: 'UNREACHABLE' }, 10);
    p.step({ type: 'peerState', txn: 't', from: 'p2', state: 'PREPARED' }, 11);
    const e = p.step({ type: 'peerState', txn: 't', from: 'p3', state: 'PREPARED' }, 11);
    expect(sendPeers(e)).toEqual([
      ['p2', 'precommit'],
      ['p3', 'precommit'],
    ]);
    expect(persists(e)).toEqual([]);
    expect(p.step({ type: 'peerPrecommitted', txn: 't', from: 'p2', result: 'unreachable' }, 12)).toEqual([]);
    const g = p.step({ type: 'peerPrecommitted', txn: 't', from: 'p3', result: 'ok' }, 12);
    expect(persists(g).map((r) => r.kind)).toEqual(['commit']);
  });

  it('every peer pre-committed: commit at once', () => {
    const { p } = mk();
    toPrepared(p, msg('t', [put('k', '1')], '3pc'));
    toPrecommitted(p, 't');
    p.step({ type: 'inquiryResult', txn: 't', outcome: 'UNREACHABLE' }, 10);
    const e = p.step({ type: 'peerState', txn: 't', from: 'p2', state: 'PRECOMMITTED' }, 11);
    expect(sendPeers(e)).toEqual([['p2', 'commit']]);
    expect(persists(e).map((r) => r.kind)).toEqual(['commit']);
  });

  it('a PreCommit refused (the peer aborted meanwhile): abort', () => {
    const { p } = mk();
    toPrepared(p, msg('t', [put('k', '1')], '3pc', { participants: ['p1', 'p2', 'p3'] }));
    toPrecommitted(p, 't');
    p.step({ type: 'inquiryResult', txn: 't', outcome: 'UNREACHABLE' }, 10);
    p.step({ type: 'peerState', txn: 't', from: 'p2', state: 'PREPARED' }, 11);
    p.step({ type: 'peerState', txn: 't', from: 'p3', state: 'PREPARED' }, 11);
    expect(p.step({ type: 'peerPrecommitted', txn: 't', from: 'p2', result: 'ok' }, 12)).toEqual([]);
    const g = p.step({ type: 'peerPrecommitted', txn: 't', from: 'p3', result: 'refused' }, 12);
    expect(sendPeers(g)).toEqual([
      ['p2', 'abort'],
      ['p3', 'abort'],
    ]);
    expect(persists(g)).toEqual([{ kind: 'abort', txn: 't', hadPrepare: true }]);
    // later answers for the finished round change nothing
    expect(p.step({ type: 'peerPrecommitted', txn: 't', from: 'p3', result: 'ok' }, 13)).toEqual([]);
  });

  it('all uncertain (w): abort, and tell the peers', () => {
    const p = terminating('p1', '3pc');
    p.step({ type: 'peerState', txn: 't', from: 'p2', state: 'PREPARED' }, 11);
    const e = p.step({ type: 'peerState', txn: 't', from: 'p3', state: 'UNREACHABLE' }, 11);
    expect(sendPeers(e)).toEqual([
      ['p2', 'abort'],
      ['p3', 'abort'],
    ]);
    expect(persists(e)).toEqual([{ kind: 'abort', txn: 't', hadPrepare: true }]);
  });

  it('not the lowest live id: waits for the backup and asks the coordinator again later', () => {
    const p = terminating('p2', '3pc');
    p.step({ type: 'peerState', txn: 't', from: 'p1', state: 'PREPARED' }, 11);
    const e = p.step({ type: 'peerState', txn: 't', from: 'p3', state: 'PRECOMMITTED' }, 11);
    expect(noLogs(e)).toEqual([{ type: 'setTimer', timer: { kind: 'inquire', txn: 't' }, at: 11 + 200 }]);
  });

  it('a peer that answered ABORTED or COMMITTED is followed', () => {
    const a = terminating('p2', '3pc');
    a.step({ type: 'peerState', txn: 't', from: 'p1', state: 'ABORTED' }, 11);
    expect(persists(a.step({ type: 'peerState', txn: 't', from: 'p3', state: 'PREPARED' }, 11))).toEqual([{ kind: 'abort', txn: 't', hadPrepare: true }]);
    const c = terminating('p3', '3pc');
    c.step({ type: 'peerState', txn: 't', from: 'p1', state: 'UNREACHABLE' }, 11);
    expect(persists(c.step({ type: 'peerState', txn: 't', from: 'p2', state: 'COMMITTED' }, 11)).map((r) => r.kind)).toEqual(['commit']);
  });
});

describe('2pc: cooperative termination', () => {
  it('a peer that knows COMMITTED: commit', () => {
    const p = terminating('p1', '2pc', ['p1', 'p2']);
    const e = p.step({ type: 'peerState', txn: 't', from: 'p2', state: 'COMMITTED' }, 11);
    expect(sendPeers(e)).toEqual([['p2', 'commit']]);
    expect(persists(e).map((r) => r.kind)).toEqual(['commit']);
    land(p, e, 12);
    expect(p.view('t')).toBe('COMMITTED');
    expect(p.counters.terminatedHere).toBe(1);
  });

  it('a peer that had not voted (it aborted when asked): abort', () => {
    const p = terminating('p2', '2pc');
    p.step({ type: 'peerState', txn: 't', from: 'p1', state: 'PREPARED' }, 11);
    const e = p.step({ type: 'peerState', txn: 't', from: 'p3', state: 'ABORTED' }, 11);
    expect(persists(e)).toEqual([{ kind: 'abort', txn: 't', hadPrepare: true }]);
  });

  it('every peer uncertain or unreachable: stays blocked, locks held, and asks the coordinator again', () => {
    const p = terminating('p1', '2pc');
    p.step({ type: 'peerState', txn: 't', from: 'p2', state: 'PREPARED' }, 11);
    const e = p.step({ type: 'peerState', txn: 't', from: 'p3', state: 'UNREACHABLE' }, 12);
    expect(noLogs(e)).toEqual([{ type: 'setTimer', timer: { kind: 'inquire', txn: 't' }, at: 212 }]);
    expect(ofType(e, 'log')[0]!.msg).toMatch(/undecided.*unreachable: p3/);
    expect(p.view('t')).toBe('PREPARED');
    expect(p.lockedKeys).toBe(1);
    // the next inquiry goes out normally
    expect(ofType(p.step({ type: 'timer', timer: { kind: 'inquire', txn: 't' } }, 212), 'inquire')).toHaveLength(1);
  });

  it('answers from peers not asked, duplicates, and answers after the round are ignored', () => {
    const p = terminating('p1', '2pc', ['p1', 'p2']);
    expect(p.step({ type: 'peerState', txn: 't', from: 'p9', state: 'COMMITTED' }, 11)).toEqual([]);
    expect(p.step({ type: 'peerState', txn: 'other', from: 'p2', state: 'COMMITTED' }, 11)).toEqual([]);
    p.step({ type: 'peerState', txn: 't', from: 'p2', state: 'PREPARED' }, 11);
    expect(p.step({ type: 'peerState', txn: 't', from: 'p2', state: 'ABORTED' }, 12)).toEqual([]);
  });

  it('a decision that arrives during the round wins; the round ends without deciding again', () => {
    const p = terminating('p1', '2pc', ['p1', 'p2']);
    const d = p.step({ type: 'decision', replyTo: null, txn: 't', outcome: 'COMMITTED' }, 11);
    expect(persists(d).map((r) => r.kind)).toEqual(['commit']);
    expect(p.step({ type: 'peerState', txn: 't', from: 'p2', state: 'PREPARED' }, 12)).toEqual([]);
  });

  it('a single-participant txn has nobody to ask: blocked at once', () => {
    const { p } = mk();
    toPrepared(p, msg('t', [put('k', '1')], '2pc', { participants: ['p1'] }));
    const e = p.step({ type: 'inquiryResult', txn: 't', outcome: 'UNREACHABLE' }, 10);
    expect(queried(e)).toEqual([]);
    expect(ofType(e, 'setTimer')).toEqual([{ type: 'setTimer', timer: { kind: 'inquire', txn: 't' }, at: 210 }]);
  });

  it('a first PENDING only backs off; a read-only branch never asks its peers', () => {
    const { p } = mk();
    toPrepared(p, msg('t', [put('k', '1')], '2pc'));
    expect(queried(p.step({ type: 'inquiryResult', txn: 't', outcome: 'PENDING' }, 10))).toEqual([]);
    expect(queried(p.step({ type: 'inquiryResult', txn: 't', outcome: 'PENDING' }, 20))).toEqual(['p2']);
    p.step({ type: 'prepare', replyTo: h(), msg: msg('r', [get('a')], '2pc') }, 0);
    p.step({ type: 'readDone', txn: 'r', values: new Map(), finished: null }, 0);
    expect(p.step({ type: 'inquiryResult', txn: 'r', outcome: 'UNREACHABLE' }, 30)).toEqual([{ type: 'setTimer', timer: { kind: 'inquire', txn: 'r' }, at: 230 }]);
  });
});

describe('nb: participant termination (LogOnce(ABORT) on every log)', () => {
  it('every log holds YES: commit', () => {
    const p = terminating('p2', 'nb');
    p.step({ type: 'peerState', txn: 't', from: 'p1', state: 'PREPARED' }, 11);
    const e = p.step({ type: 'peerState', txn: 't', from: 'p3', state: 'PREPARED' }, 11);
    expect(sendPeers(e)).toEqual([
      ['p1', 'commit'],
      ['p3', 'commit'],
    ]);
    expect(persists(e).map((r) => r.kind)).toEqual(['commit']);
  });

  it('a log holds ABORT: abort', () => {
    const p = terminating('p1', 'nb');
    p.step({ type: 'peerState', txn: 't', from: 'p2', state: 'ABORTED' }, 11);
    expect(persists(p.step({ type: 'peerState', txn: 't', from: 'p3', state: 'UNREACHABLE' }, 11))).toEqual([{ kind: 'abort', txn: 't', hadPrepare: true }]);
  });

  it('a log out of reach: blocked', () => {
    const p = terminating('p1', 'nb');
    p.step({ type: 'peerState', txn: 't', from: 'p2', state: 'PREPARED' }, 11);
    const e = p.step({ type: 'peerState', txn: 't', from: 'p3', state: 'UNREACHABLE' }, 11);
    expect(noLogs(e)).toEqual([{ type: 'setTimer', timer: { kind: 'inquire', txn: 't' }, at: 211 }]);
  });
});

describe('recovery of 3pc and nb records', () => {
  const rec = (o: Partial<PrepareRecord> = {}): PrepareRecord => ({
    txn: 't',
    coordinatorId: 'c9',
    coordinatorAddr: 'c9:1',
    participants: ['p1', 'p2', 'p3'],
    participantAddrs: ['p1:1', 'p2:1', 'p3:1'],
    protocol: '3pc',
    precommitted: true,
    age: { ms: 5, id: 't' },
    locks: [{ key: 'k', mode: 'X' }],
    writes: [{ key: 'k', value: 'w', version: 4 }],
    results: [{ key: 'k', found: true, value: 'w', version: 4 }],
    ...o,
  });

  it('a pre-committed record comes back pre-committed: locks re-taken, coordinator asked at once', () => {
    const { p, effects } = mk({}, [rec()]);
    expect(ofType(effects, 'inquire')).toEqual([{ type: 'inquire', txn: 't', coordinatorId: 'c9', coordinatorAddr: 'c9:1' }]);
    expect(ofType(effects, 'log')[0]!.msg).toMatch(/pre-committed/);
    expect(p.view('t')).toBe('PRECOMMITTED');
    expect(p.inDoubt()).toEqual(['t']);
    expect(p.lockedKeys).toBe(1);
    // a PreCommit is acked at once, without forcing anything again
    expect(p.step({ type: 'precommit', replyTo: 1, txn: 't' }, 0)).toEqual([{ type: 'reply', to: 1, reply: { kind: 'precommitAck', txn: 't', ok: true } }]);
  });

  it('recovered in doubt: leads a termination only with a complete view (Skeen recovery rule)', () => {
    const { p } = mk({}, [rec()]);
    expect(queried(p.step({ type: 'inquiryResult', txn: 't', outcome: 'UNREACHABLE' }, 1))).toEqual(['p2', 'p3']);
    p.step({ type: 'peerState', txn: 't', from: 'p2', state: 'PREPARED' }, 2);
    const e = p.step({ type: 'peerState', txn: 't', from: 'p3', state: 'UNREACHABLE' }, 2);
    expect(noLogs(e)).toEqual([{ type: 'setTimer', timer: { kind: 'inquire', txn: 't' }, at: 202 }]);
    // next round, everyone answers: it pre-commits p2, then commits
    p.step({ type: 'inquiryResult', txn: 't', outcome: 'UNREACHABLE' }, 300);
    p.step({ type: 'peerState', txn: 't', from: 'p2', state: 'PREPARED' }, 301);
    const f = p.step({ type: 'peerState', txn: 't', from: 'p3', state: 'PRECOMMITTED' }, 301);
    expect(sendPeers(f)).toEqual([['p2', 'precommit']]);
    const g = p.step({ type: 'peerPrecommitted', txn: 't', from: 'p2', result: 'ok' }, 302);
    expect(persists(g)).toEqual([{ kind: 'commit', txn: 't', writes: rec().writes, results: rec().results }]);
  });

  it('a recovered pre-committed participant can still find the transaction aborted', () => {
    const { p } = mk({}, [rec()]);
    p.step({ type: 'inquiryResult', txn: 't', outcome: 'UNREACHABLE' }, 1);
    p.step({ type: 'peerState', txn: 't', from: 'p2', state: 'ABORTED' }, 2);
    expect(persists(p.step({ type: 'peerState', txn: 't', from: 'p3', state: 'UNREACHABLE' }, 2))).toEqual([{ kind: 'abort', txn: 't', hadPrepare: true }]);
  });

  it('a record written before protocols existed reads as 2pc with unknown peer addresses', () => {
    const { participantAddrs: _gone, ...old } = rec({ precommitted: undefined, protocol: undefined, participants: ['p1', 'p2'] });
    const { p } = mk({}, [old as PrepareRecord]);
    expect(p.view('t')).toBe('PREPARED');
    const e = p.step({ type: 'inquiryResult', txn: 't', outcome: 'UNREACHABLE' }, 1);
    expect(ofType(e, 'queryPeer')).toEqual([{ type: 'queryPeer', txn: 't', to: 'p2', addr: '' }]);
    expect(ofType(e, 'log')[0]!.msg).toMatch(/^2pc termination/);
    expect(states(p.step({ type: 'stateQuery', replyTo: 5, txn: 't', abortIfUnvoted: true }, 2))[0]![1]).toMatchObject({ state: 'PREPARED', protocol: '2pc' });
  });

  it('an nb record comes back prepared and terminates by the log-once rule', () => {
    const { p } = mk({}, [rec({ protocol: 'nb', precommitted: undefined, participants: ['p1', 'p2'] })]);
    expect(p.view('t')).toBe('PREPARED');
    p.step({ type: 'inquiryResult', txn: 't', outcome: 'UNREACHABLE' }, 1);
    expect(persists(p.step({ type: 'peerState', txn: 't', from: 'p2', state: 'PREPARED' }, 2)).map((r) => r.kind)).toEqual(['commit']);
  });
});

describe('known bugs', () => {
  /** A committed txn `t` on key k, forgotten from memory (recentOutcomes: 1); a younger txn now holds k (so t's duplicate waits). */
  function forgotCommit(protocol: ProtocolName) {
    const { p } = mk({ recentOutcomes: 1 });
    toPrepared(p, msg('t', [put('k', '1')], protocol, { ageMs: 10 }));
    land(p, p.step({ type: 'decision', replyTo: null, txn: 't', outcome: 'COMMITTED' }, 0));
    toPrepared(p, msg('other', [put('z', '1')], protocol));
    land(p, p.step({ type: 'decision', replyTo: null, txn: 'other', outcome: 'COMMITTED' }, 0));
    expect(p.view('t')).toBeNull(); // only the outcome log knows t committed
    toPrepared(p, msg('holder', [put('k', '2')], protocol, { ageMs: 20 }));
    return p;
  }

  // BUG (participantCore: onPrepare → tryLock/onTimer → voteNo → abortUnvoted, nb): a duplicate
  // prepare of a txn that committed here and was forgotten from memory (recentOutcomes, or a
  // restart) is not checked against the outcome log before it votes; when it cannot get its locks
  // (lock-wait timeout, wait-die, overload) nb's voteNo forces an ABORT record for a transaction
  // whose outcome log says COMMITTED. Seen in clusterSim ("p2 aborts c1-108-9 after committing it").
  // Expected: no ABORT record is written over a durable COMMIT (check the log first, or vote from it).
  it.fails('nb: a duplicate prepare of a forgotten committed txn does not force an ABORT over the COMMIT', () => {
    const p = forgotCommit('nb');
    const e1 = p.step({ type: 'prepare', replyTo: h(), msg: msg('t', [put('k', '1')], 'nb', { ageMs: 10, lockWaitMs: 100 }) }, 1);
    const e2 = p.step({ type: 'timer', timer: { kind: 'lockWait', txn: 't' } }, 200);
    expect([...e1, ...e2].filter((x) => x.type === 'persist' && x.record.kind === 'abort' && x.record.txn === 't')).toEqual([]);
  });

  // BUG (participantCore.onStateQuery, any protocol): the same forgotten-commit duplicate prepare,
  // while waiting for its lock, is aborted by a peer's GetTxnState(abortIfUnvoted): a forced ABORT
  // record and the answer ABORTED. Under 2pc an uncertain peer (coordinator unreachable) then
  // follows ABORTED although this participant committed: atomicity is broken.
  // Expected: the answer is COMMITTED (from the outcome log) and nothing is aborted.
  it.fails('2pc: a peer query does not abort a duplicate prepare of a forgotten committed txn', () => {
    const p = forgotCommit('2pc');
    p.step({ type: 'prepare', replyTo: h(), msg: msg('t', [put('k', '1')], '2pc', { ageMs: 10, lockWaitMs: 1000 }) }, 1);
    const q = h();
    const e = p.step({ type: 'stateQuery', replyTo: q, txn: 't', abortIfUnvoted: true }, 2);
    const all = [...e, ...land(p, e, 3)];
    expect(all.filter((x) => x.type === 'persist' && x.record.kind === 'abort')).toEqual([]);
    expect(states(all).map(([, r]) => r.state)).not.toContain('ABORTED');
  });

  // BUG (participantCore.onTimer + onPersisted 'precommit', 3pc liveness): an inquire timer that
  // fires while the PreCommit is being forced (phase 'precommitting') is dropped, and nothing
  // schedules another one once the p state is durable. If the coordinator is gone, this participant
  // never inquires or terminates again; when it is the lowest id, the others wait for it forever
  // ("backup coordinator is p1"). Seen in clusterSim seed 3255 (no quiescence).
  // Expected: some inquire timer is pending after the precommit lands.
  it.fails('3pc: an inquiry timer that fires while pre-committing is not lost', () => {
    const { p } = mk();
    toPrepared(p, msg('t', [put('k', '1')], '3pc'));
    const e = p.step({ type: 'precommit', replyTo: h(), txn: 't' }, 50);
    const t = p.step({ type: 'timer', timer: { kind: 'inquire', txn: 't' } }, 100); // the one set at YES
    const d = p.step({ type: 'persisted', record: persists(e)[0]! }, 110);
    expect([...ofType(t, 'inquire'), ...ofType(t, 'setTimer'), ...ofType(d, 'setTimer')].length).toBeGreaterThan(0);
  });

  // BUG (participantCore.concludeTermination, 3pc liveness): same loss when the coordinator's
  // PreCommit arrives during a termination round: the round ends early ("decided meanwhile")
  // though nothing was decided, and no inquiry is scheduled after the p state is durable.
  it.fails('3pc: a termination round that ends while pre-committing leaves an inquiry scheduled', () => {
    const p = terminating('p1', '3pc', ['p1', 'p2']);
    const e = p.step({ type: 'precommit', replyTo: h(), txn: 't' }, 11);
    const r = p.step({ type: 'peerState', txn: 't', from: 'p2', state: 'PREPARED' }, 12);
    const d = p.step({ type: 'persisted', record: persists(e)[0]! }, 13);
    expect([...ofType(r, 'setTimer'), ...ofType(d, 'setTimer')].length).toBeGreaterThan(0);
  });
});
