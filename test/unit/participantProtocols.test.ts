/**
 * ParticipantCore under the three commit protocols: state queries with abort-if-unvoted,
 * nb's forced NO votes, 3pc's PreCommit and backup-coordinator termination, 2pc/nb
 * cooperative termination, and recovery of pre-committed records.
 */
import { describe, expect, it } from 'vitest';
import { get, put, recoveredParticipant as mk } from '../support/coreFixtures.js';
import { ParticipantCore, type ParticipantEffect, type ParticipantReply, type PrepareMessage } from '../../src/protocol/participantCore.js';
import type { ParticipantRecord, PrepareRecord } from '../../src/protocol/records.js';
import type { NodeId, ProtocolName, StoredValue, TxnOp, Vote } from '../../src/protocol/types.js';

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

const ofType = <T extends ParticipantEffect['type']>(effs: ParticipantEffect[], type: T) =>
  effs.filter((e): e is Extract<ParticipantEffect, { type: T }> => e.type === type);
const noLogs = (effs: ParticipantEffect[]) => effs.filter((e) => e.type !== 'log');
const replies = (effs: ParticipantEffect[]): [number, ParticipantReply][] => ofType(effs, 'reply').map((r) => [r.to, r.reply]);
const votes = (effs: ParticipantEffect[]): [number, Vote][] => replies(effs).flatMap(([to, r]) => (r.kind === 'vote' ? [[to, r.vote] as [number, Vote]] : []));
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
    expect(e2).toEqual([{ type: 'persist', record: { kind: 'abort', txn: 't', hadPrepare: false, keys: expect.any(Array) }, sync: true }]);
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
    expect(states(e)).toEqual([[q, { kind: 'state', txn: 't', state: 'COMMITTED', protocol: null, participants: [], results: [], recovered: false }]]);
    expect(p.view('t')).toBe('COMMITTED');
    expect(p.activeTxns).toBe(0);
  });

  it('without abortIfUnvoted an unknown txn is only looked up: UNKNOWN, nothing written', () => {
    const { p } = mk();
    const q = h();
    expect(p.step({ type: 'stateQuery', replyTo: q, txn: 't', abortIfUnvoted: false }, 0)).toEqual([{ type: 'checkOutcome', txn: 't', replyTo: q }]);
    const e = p.step({ type: 'outcomeChecked', txn: 't', replyTo: q, finished: null }, 1);
    expect(e).toEqual([
      { type: 'reply', to: q, reply: { kind: 'state', txn: 't', state: 'UNKNOWN', protocol: null, participants: [], results: [], recovered: false } },
    ]);
    expect(p.activeTxns).toBe(0);
  });

  it('a txn waiting for locks is aborted durably (after reading the outcome log): the query hears ABORTED, the prepare NO, the lock-wait timer is void', () => {
    const { p } = mk();
    toPrepared(p, msg('holder', [put('k', '1')], '2pc', { ageMs: 50 }));
    const v = h();
    const w = p.step({ type: 'prepare', replyTo: v, msg: msg('t', [put('k', '2')], '2pc', { ageMs: 1, lockWaitMs: 300 }) }, 0);
    expect(ofType(w, 'setTimer')).toHaveLength(1);
    const q = h();
    // it has not read its keys yet, so it does not know whether it ended here before: the
    // outcome log is read first (a duplicate prepare of a forgotten commit must not abort it)
    const chk = p.step({ type: 'stateQuery', replyTo: q, txn: 't', abortIfUnvoted: true }, 1);
    expect(chk).toEqual([{ type: 'checkOutcome', txn: 't', replyTo: null }]);
    expect(p.view('t')).toBe('UNKNOWN');
    expect(p.step({ type: 'timer', timer: { kind: 'lockWait', txn: 't' } }, 400)).toEqual([]);
    const e = p.step({ type: 'outcomeChecked', txn: 't', replyTo: null, finished: null }, 1);
    expect(e).toEqual([{ type: 'persist', record: { kind: 'abort', txn: 't', hadPrepare: false, keys: expect.any(Array) }, sync: true }]);
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
    const c = p.step({ type: 'stateQuery', replyTo: q, txn: 't', abortIfUnvoted: true }, 1);
    expect(c).toEqual([{ type: 'checkOutcome', txn: 't', replyTo: null }]);
    expect(p.lockedKeys).toBe(0);
    expect(p.step({ type: 'readDone', txn: 't', values: new Map(), finished: null }, 2)).toEqual([]);
    const e = p.step({ type: 'outcomeChecked', txn: 't', replyTo: null, finished: null }, 2);
    expect(persists(e)).toEqual([{ kind: 'abort', txn: 't', hadPrepare: false, keys: expect.any(Array) }]);
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
    // a prepared branch's answer carries what its YES carried (nb: a coordinator that missed the vote needs it)
    const yes = votes(d)[0]![1];
    expect(yes.kind === 'YES' && yes.results).toEqual([{ key: 'k', found: false, value: '1', version: 1 }]);
    expect(states(d)).toEqual([
      [
        q,
        {
          kind: 'state',
          txn: 't',
          state: 'PREPARED',
          protocol: 'nb',
          participants: ['p1', 'p2'],
          results: yes.kind === 'YES' ? yes.results : null,
          recovered: false,
        },
      ],
    ]);
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

  // regression: the placeholder made up for an unknown txn leaked its protocol ('2pc') into the
  // ABORTED answer; a node that never saw the txn answers protocol null, no participants.
  it('regression: an unknown txn aborted by a query does not claim a protocol it never saw', () => {
    const { p } = mk();
    const q = h();
    p.step({ type: 'stateQuery', replyTo: q, txn: 't', abortIfUnvoted: true }, 0);
    const e = p.step({ type: 'outcomeChecked', txn: 't', replyTo: null, finished: null }, 1);
    const d = p.step({ type: 'persisted', record: persists(e)[0]! }, 2);
    expect(states(d)[0]![1]).toEqual({ kind: 'state', txn: 't', state: 'ABORTED', protocol: null, participants: [], results: [], recovered: false });
  });
});

describe('nb: a log holds exactly one vote', () => {
  it('a NO vote is a forced ABORT record, and the NO is sent only once it is durable', () => {
    const { p } = mk();
    const v = h();
    const ops: TxnOp[] = [{ type: 'check', key: 'k', expect: { kind: 'exists', exists: true } }];
    p.step({ type: 'prepare', replyTo: v, msg: msg('t', ops, 'nb') }, 0);
    const e = p.step({ type: 'readDone', txn: 't', values: new Map(), finished: null }, 0);
    expect(e).toEqual([{ type: 'persist', record: { kind: 'abort', txn: 't', hadPrepare: false, keys: expect.any(Array) }, sync: true }]);
    expect(p.lockedKeys).toBe(0);
    expect(p.counters.votedNo).toBe(1);
    // a duplicate prepare meanwhile waits for the same NO
    const v2 = h();
    expect(p.step({ type: 'prepare', replyTo: v2, msg: msg('t', ops, 'nb') }, 0)).toEqual([]);
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

  it('a wait-die death under nb is forced too (after the outcome log shows it did not end here before)', () => {
    const { p } = mk();
    toPrepared(p, msg('old', [put('k', '1')], 'nb', { ageMs: 1 }));
    const v = h();
    const c = p.step({ type: 'prepare', replyTo: v, msg: msg('young', [put('k', '2')], 'nb', { ageMs: 9 }) }, 0);
    expect(c).toEqual([{ type: 'checkOutcome', txn: 'young', replyTo: null }]);
    expect(p.lockedKeys).toBe(1); // only old's
    const e = p.step({ type: 'outcomeChecked', txn: 'young', replyTo: null, finished: null }, 0);
    expect(e).toEqual([{ type: 'persist', record: { kind: 'abort', txn: 'young', hadPrepare: false, keys: expect.any(Array) }, sync: true }]);
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
    // unknown in memory: the outcome log is read first (forgotten is not aborted); nothing there → refused
    expect(p.step({ type: 'precommit', replyTo: 3, txn: 'nobody' }, 0)).toEqual([{ type: 'checkOutcome', txn: 'nobody', replyTo: 3 }]);
    expect(replies(p.step({ type: 'outcomeChecked', txn: 'nobody', replyTo: 3, finished: null }, 0))).toEqual([
      [3, { kind: 'precommitAck', txn: 'nobody', ok: false }],
    ]);
    p.step({ type: 'prepare', replyTo: h(), msg: msg('r', [put('r', '1')], '3pc') }, 0); // reading
    const e = p.step({ type: 'precommit', replyTo: 4, txn: 'r' }, 0);
    expect(e).toEqual([{ type: 'reply', to: 4, reply: { kind: 'precommitAck', txn: 'r', ok: false } }]);
    expect(p.view('r')).toBe('PREPARING');
    // a PreCommit without a handle (no ack wanted) is fine too
    expect(p.step({ type: 'precommit', replyTo: null, txn: 'nobody' }, 0)).toEqual([]);
  });

  // Changed (commit 17fcbf5): a PreCommit of a transaction forgotten in memory reads the outcome
  // log before refusing: one that committed here acks ok (a backup's PreCommit may arrive late).
  it('a PreCommit of a transaction forgotten in memory reads the outcome log: committed → ok, aborted or absent → refused', () => {
    const { p } = mk({ recentOutcomes: 1 });
    toPrepared(p, msg('t', [put('k', '1')], '3pc'));
    land(p, p.step({ type: 'decision', replyTo: null, txn: 't', outcome: 'COMMITTED' }, 1));
    toPrepared(p, msg('other', [put('z', '1')], '3pc'));
    land(p, p.step({ type: 'decision', replyTo: null, txn: 'other', outcome: 'ABORTED' }, 2));
    expect(p.view('t')).toBeNull();
    const e = p.step({ type: 'precommit', replyTo: 7, txn: 't' }, 3);
    expect(e).toEqual([{ type: 'checkOutcome', txn: 't', replyTo: 7 }]);
    const committed = { txn: 't', outcome: 'COMMITTED' as const, results: [{ key: 'k', found: false, value: '1', version: 1 }] };
    const f = p.step({ type: 'outcomeChecked', txn: 't', replyTo: 7, finished: committed }, 4);
    expect(f).toEqual([{ type: 'reply', to: 7, reply: { kind: 'precommitAck', txn: 't', ok: true } }]);
    expect(persists(f)).toEqual([]);
    // an aborted one is refused; a remembered outcome is answered at once
    p.step({ type: 'precommit', replyTo: 8, txn: 'gone' }, 5);
    expect(replies(p.step({ type: 'outcomeChecked', txn: 'gone', replyTo: 8, finished: { txn: 'gone', outcome: 'ABORTED', results: [] } }, 6))).toEqual([
      [8, { kind: 'precommitAck', txn: 'gone', ok: false }],
    ]);
    expect(replies(p.step({ type: 'precommit', replyTo: 9, txn: 'other' }, 7))).toEqual([[9, { kind: 'precommitAck', txn: 'other', ok: false }]]);
    // a state query answered from the log in between is still a state answer, not an ack
    const q = h();
    p.step({ type: 'stateQuery', replyTo: q, txn: 't', abortIfUnvoted: false }, 8);
    expect(states(p.step({ type: 'outcomeChecked', txn: 't', replyTo: q, finished: committed }, 9)).map(([, r]) => r.state)).toEqual(['COMMITTED']);
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

  // regression: the PreCommit waiters were acked ok:true although an ABORT decision arrived
  // during the force and was applied right after; now they hear ok:false once the abort lands.
  it('regression: a PreCommit being forced when an ABORT arrives is not acked ok', () => {
    const { p } = mk();
    toPrepared(p, msg('t', [put('k', '1')], '3pc'));
    const ack = h();
    const e = p.step({ type: 'precommit', replyTo: ack, txn: 't' }, 0);
    p.step({ type: 'decision', replyTo: null, txn: 't', outcome: 'ABORTED' }, 1);
    const d = p.step({ type: 'persisted', record: persists(e)[0]! }, 2);
    expect(persists(d)).toEqual([{ kind: 'abort', txn: 't', hadPrepare: true, keys: expect.any(Array) }]);
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
  // 3pc/nb votes are all durable, so an unvoted peer may be aborted; 2pc's READ_ONLY is not
  expect(ofType(e, 'queryPeer').map((q) => q.abortIfUnvoted)).toEqual(participants.filter((x) => x !== self).map(() => protocol !== '2pc'));
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
    expect(persists(g)).toEqual([{ kind: 'abort', txn: 't', hadPrepare: true, keys: expect.any(Array) }]);
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
    expect(persists(e)).toEqual([{ kind: 'abort', txn: 't', hadPrepare: true, keys: expect.any(Array) }]);
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
    expect(persists(a.step({ type: 'peerState', txn: 't', from: 'p3', state: 'PREPARED' }, 11))).toEqual([
      { kind: 'abort', txn: 't', hadPrepare: true, keys: expect.any(Array) },
    ]);
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

  it('a peer that answered ABORTED (it voted NO, or learned the abort): abort', () => {
    const p = terminating('p2', '2pc');
    p.step({ type: 'peerState', txn: 't', from: 'p1', state: 'PREPARED' }, 11);
    const e = p.step({ type: 'peerState', txn: 't', from: 'p3', state: 'ABORTED' }, 11);
    expect(persists(e)).toEqual([{ kind: 'abort', txn: 't', hadPrepare: true, keys: expect.any(Array) }]);
  });

  // Changed: 2pc asks its peers without abortIfUnvoted (a READ_ONLY branch forces nothing, so once
  // it forgets the transaction it cannot tell "voted" from "never saw it"). An unvoted peer is no
  // longer aborted by the query: it answers PREPARING (or UNKNOWN), and the asker stays blocked.
  it('a peer that has not voted is not aborted by the query: it answers PREPARING, and the asker stays blocked', () => {
    const p = terminating('p1', '2pc', ['p1', 'p2']);
    // the peer p2, still waiting for a lock
    const { p: p2 } = mk({}, [], 'p2');
    toPrepared(p2, msg('holder', [put('k-p1', 'x')], '2pc', { ageMs: 50 }));
    p2.step({ type: 'prepare', replyTo: h(), msg: msg('t', [put('k-p1', '1')], '2pc', { ageMs: 1, lockWaitMs: 1000 }) }, 0);
    expect(p2.view('t')).toBe('PREPARING');
    const asked = p2.step({ type: 'stateQuery', replyTo: h(), txn: 't', abortIfUnvoted: false }, 11);
    expect(persists(asked)).toEqual([]);
    expect(states(asked).map(([, r]) => r.state)).toEqual(['PREPARING']);
    expect(p2.view('t')).toBe('PREPARING');
    expect(p2.counters.unilateralAborts).toBe(0);
    // p1 hears PREPARING: blocked, locks held, next inquiry scheduled
    const e = p.step({ type: 'peerState', txn: 't', from: 'p2', state: 'PREPARING' }, 12);
    expect(noLogs(e)).toEqual([{ type: 'setTimer', timer: { kind: 'inquire', txn: 't' }, at: 212 }]);
    expect(p.view('t')).toBe('PREPARED');
    // a peer that never saw it (or forgot it) answers UNKNOWN from its outcome log: blocked too
    const { p: p3 } = mk({}, [], 'p3');
    const q3 = h();
    expect(p3.step({ type: 'stateQuery', replyTo: q3, txn: 't', abortIfUnvoted: false }, 13)).toEqual([{ type: 'checkOutcome', txn: 't', replyTo: q3 }]);
    const u = p3.step({ type: 'outcomeChecked', txn: 't', replyTo: q3, finished: null }, 14);
    expect(persists(u)).toEqual([]);
    expect(states(u).map(([, r]) => r.state)).toEqual(['UNKNOWN']);
    const p1b = terminating('p1', '2pc', ['p1', 'p3']);
    expect(noLogs(p1b.step({ type: 'peerState', txn: 't', from: 'p3', state: 'UNKNOWN' }, 15))).toEqual([
      { type: 'setTimer', timer: { kind: 'inquire', txn: 't' }, at: 215 },
    ]);
    expect(p1b.view('t')).toBe('PREPARED');
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

  it('PENDING (the coordinator runs it) only backs off, however often; UNDECIDED (no record there) asks the peers at once; a read-only branch never asks its peers', () => {
    const { p } = mk();
    toPrepared(p, msg('t', [put('k', '1')], '2pc'));
    const e1 = p.step({ type: 'inquiryResult', txn: 't', outcome: 'PENDING' }, 10);
    expect(noLogs(e1)).toEqual([{ type: 'setTimer', timer: { kind: 'inquire', txn: 't' }, at: 210 }]);
    const e2 = p.step({ type: 'inquiryResult', txn: 't', outcome: 'PENDING' }, 20);
    expect(noLogs(e2)).toEqual([{ type: 'setTimer', timer: { kind: 'inquire', txn: 't' }, at: 420 }]);
    for (let i = 0; i < 5; i++) expect(queried(p.step({ type: 'inquiryResult', txn: 't', outcome: 'PENDING' }, 30 + i))).toEqual([]);
    expect(p.counters.terminations).toBe(0);
    expect(queried(p.step({ type: 'inquiryResult', txn: 't', outcome: 'UNDECIDED' }, 40))).toEqual(['p2']);
    expect(p.counters.terminations).toBe(1);
    p.step({ type: 'prepare', replyTo: h(), msg: msg('r', [get('a')], '2pc') }, 0);
    p.step({ type: 'readDone', txn: 'r', values: new Map(), finished: null }, 0);
    expect(p.step({ type: 'inquiryResult', txn: 'r', outcome: 'UNREACHABLE' }, 30)).toEqual([
      { type: 'setTimer', timer: { kind: 'inquire', txn: 'r' }, at: 230 },
    ]);
    expect(p.step({ type: 'inquiryResult', txn: 'r', outcome: 'UNDECIDED' }, 31)).toEqual([
      { type: 'setTimer', timer: { kind: 'inquire', txn: 'r' }, at: 431 },
    ]);
  });

  it.each(['3pc', 'nb'] as const)('%s: PENDING never starts a termination; UNDECIDED does', (protocol) => {
    const { p } = mk();
    toPrepared(p, msg('t', [put('k', '1')], protocol));
    if (protocol === '3pc') toPrecommitted(p, 't');
    for (let i = 0; i < 4; i++) expect(queried(p.step({ type: 'inquiryResult', txn: 't', outcome: 'PENDING' }, 10 + i))).toEqual([]);
    expect(queried(p.step({ type: 'inquiryResult', txn: 't', outcome: 'UNDECIDED' }, 20))).toEqual(['p2']);
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
    expect(persists(p.step({ type: 'peerState', txn: 't', from: 'p3', state: 'UNREACHABLE' }, 11))).toEqual([
      { kind: 'abort', txn: 't', hadPrepare: true, keys: expect.any(Array) },
    ]);
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

  // Changed: a recovered participant whose coordinator is out of reach adopts an outcome and
  // never decides one, even with a complete view: the coordinator may have committed at its
  // precommit timeout while every participant that answers was down. Once the coordinator says
  // it has no record (UNDECIDED), it may lead, with a complete view only.
  it('recovered in doubt, coordinator out of reach: adopts an outcome, never decides one, even with a complete view (Skeen recovery rule)', () => {
    const { p } = mk({}, [rec()]);
    expect(queried(p.step({ type: 'inquiryResult', txn: 't', outcome: 'UNREACHABLE' }, 1))).toEqual(['p2', 'p3']);
    p.step({ type: 'peerState', txn: 't', from: 'p2', state: 'PREPARED' }, 2);
    const e = p.step({ type: 'peerState', txn: 't', from: 'p3', state: 'UNREACHABLE' }, 2);
    expect(noLogs(e)).toEqual([{ type: 'setTimer', timer: { kind: 'inquire', txn: 't' }, at: 202 }]);
    // next round, everyone answers: still only waits
    p.step({ type: 'inquiryResult', txn: 't', outcome: 'UNREACHABLE' }, 300);
    p.step({ type: 'peerState', txn: 't', from: 'p2', state: 'PREPARED' }, 301);
    const f = p.step({ type: 'peerState', txn: 't', from: 'p3', state: 'PRECOMMITTED' }, 301);
    expect(noLogs(f)).toEqual([{ type: 'setTimer', timer: { kind: 'inquire', txn: 't' }, at: 301 + 400 }]);
    expect(ofType(f, 'log')[0]!.msg).toMatch(/adopting an outcome, not deciding one/);
    expect(p.view('t')).toBe('PRECOMMITTED');
    expect(p.counters.terminatedHere).toBe(0);
  });

  it('recovered in doubt, the coordinator has no record (UNDECIDED), every peer recovered too: leads, but only with a complete view', () => {
    const { p } = mk({}, [rec()]);
    expect(queried(p.step({ type: 'inquiryResult', txn: 't', outcome: 'UNDECIDED' }, 1))).toEqual(['p2', 'p3']);
    p.step({ type: 'peerState', txn: 't', from: 'p2', state: 'PREPARED', recovered: true }, 2);
    const e = p.step({ type: 'peerState', txn: 't', from: 'p3', state: 'UNREACHABLE' }, 2);
    expect(noLogs(e)).toEqual([{ type: 'setTimer', timer: { kind: 'inquire', txn: 't' }, at: 202 }]);
    expect(ofType(e, 'log')[0]!.msg).toMatch(/waiting to hear from p3/);
    // next round, everyone answers: it pre-commits p2, then commits
    p.step({ type: 'inquiryResult', txn: 't', outcome: 'UNDECIDED' }, 300);
    p.step({ type: 'peerState', txn: 't', from: 'p2', state: 'PREPARED', recovered: true }, 301);
    const f = p.step({ type: 'peerState', txn: 't', from: 'p3', state: 'PRECOMMITTED', recovered: true }, 301);
    expect(sendPeers(f)).toEqual([['p2', 'precommit']]);
    const g = p.step({ type: 'peerPrecommitted', txn: 't', from: 'p2', result: 'ok' }, 302);
    expect(persists(g)).toEqual([{ kind: 'commit', txn: 't', writes: rec().writes, results: rec().results }]);
  });

  it('recovered in doubt: the last answer counts (UNDECIDED, then UNREACHABLE: adopt only again)', () => {
    const { p } = mk({}, [rec({ precommitted: undefined, participants: ['p1', 'p2'], participantAddrs: ['p1:1', 'p2:1'] })]);
    expect(p.view('t')).toBe('PREPARED');
    p.step({ type: 'inquiryResult', txn: 't', outcome: 'UNDECIDED' }, 1);
    p.step({ type: 'peerState', txn: 't', from: 'p2', state: 'UNREACHABLE' }, 2); // partial view: waits
    p.step({ type: 'inquiryResult', txn: 't', outcome: 'UNREACHABLE' }, 300);
    const e = p.step({ type: 'peerState', txn: 't', from: 'p2', state: 'PREPARED' }, 301); // complete, but adopting
    expect(persists(e)).toEqual([]);
    expect(ofType(e, 'log')[0]!.msg).toMatch(/adopting/);
    p.step({ type: 'inquiryResult', txn: 't', outcome: 'UNDECIDED' }, 900);
    const f = p.step({ type: 'peerState', txn: 't', from: 'p2', state: 'PREPARED', recovered: true }, 901); // complete, no record, all recovered: all w → abort
    expect(persists(f)).toEqual([{ kind: 'abort', txn: 't', hadPrepare: true, keys: expect.any(Array) }]);
    expect(sendPeers(f)).toEqual([['p2', 'abort']]);
  });

  it('a recovered pre-committed participant can still find the transaction aborted', () => {
    const { p } = mk({}, [rec()]);
    p.step({ type: 'inquiryResult', txn: 't', outcome: 'UNREACHABLE' }, 1);
    p.step({ type: 'peerState', txn: 't', from: 'p2', state: 'ABORTED' }, 2);
    expect(persists(p.step({ type: 'peerState', txn: 't', from: 'p3', state: 'UNREACHABLE' }, 2))).toEqual([
      { kind: 'abort', txn: 't', hadPrepare: true, keys: expect.any(Array) },
    ]);
  });

  it('a record written before protocols existed reads as 2pc with unknown peer addresses', () => {
    const { participantAddrs: _gone, ...old } = rec({ precommitted: undefined, protocol: undefined, participants: ['p1', 'p2'] });
    const { p } = mk({}, [old as PrepareRecord]);
    expect(p.view('t')).toBe('PREPARED');
    const e = p.step({ type: 'inquiryResult', txn: 't', outcome: 'UNREACHABLE' }, 1);
    expect(ofType(e, 'queryPeer')).toEqual([{ type: 'queryPeer', txn: 't', to: 'p2', addr: '', abortIfUnvoted: false }]);
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

describe('regressions: bugs these tests found, since fixed', () => {
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
  const COMMITTED_T = { txn: 't', outcome: 'COMMITTED' as const, results: [{ key: 'k', found: true, value: '1', version: 1 }] };

  // regression (participantCore, nb; clusterSim seed 108 "p2 aborts c1-108-9 after committing it"):
  // a duplicate prepare of a txn that committed here and was forgotten in memory could not get its
  // lock, voted NO, and nb's forced NO wrote an ABORT record over the durable COMMIT. Now the
  // outcome log is read first: the COMMIT stands, nothing is written, the duplicate hears YES.
  it('regression: nb: a duplicate prepare of a forgotten committed txn does not force an ABORT over the COMMIT', () => {
    const p = forgotCommit('nb');
    const v = h();
    const e1 = p.step({ type: 'prepare', replyTo: v, msg: msg('t', [put('k', '1')], 'nb', { ageMs: 10, lockWaitMs: 100 }) }, 1);
    const e2 = p.step({ type: 'timer', timer: { kind: 'lockWait', txn: 't' } }, 200);
    expect(noLogs(e2)).toEqual([{ type: 'checkOutcome', txn: 't', replyTo: null }]);
    const e3 = p.step({ type: 'outcomeChecked', txn: 't', replyTo: null, finished: COMMITTED_T }, 201);
    expect([...e1, ...e2, ...e3].filter((x) => x.type === 'persist')).toEqual([]);
    expect(votes(e3)).toEqual([[v, { kind: 'YES', results: COMMITTED_T.results }]]);
    expect(p.view('t')).toBe('COMMITTED');
    expect(p.activeTxns).toBe(1); // only holder
  });

  // regression (participantCore.onStateQuery, any protocol): the same duplicate, while waiting for
  // its lock, was aborted by a peer's GetTxnState(abortIfUnvoted): a forced ABORT and the answer
  // ABORTED, which an uncertain 2pc peer follows although this participant committed.
  it('regression: 2pc: a peer query does not abort a duplicate prepare of a forgotten committed txn', () => {
    const p = forgotCommit('2pc');
    const v = h();
    p.step({ type: 'prepare', replyTo: v, msg: msg('t', [put('k', '1')], '2pc', { ageMs: 10, lockWaitMs: 1000 }) }, 1);
    const q = h();
    const e = p.step({ type: 'stateQuery', replyTo: q, txn: 't', abortIfUnvoted: true }, 2);
    expect(e).toEqual([{ type: 'checkOutcome', txn: 't', replyTo: null }]);
    const f = p.step({ type: 'outcomeChecked', txn: 't', replyTo: null, finished: COMMITTED_T }, 3);
    expect(persists(f)).toEqual([]);
    expect(states(f).map(([to, r]) => [to, r.state])).toEqual([[q, 'COMMITTED']]);
    expect(votes(f)).toEqual([[v, { kind: 'YES', results: COMMITTED_T.results }]]);
    expect(p.activeTxns).toBe(1); // only holder
  });

  it('regression: an unvoted txn whose outcome log is empty is aborted once (no second log read)', () => {
    const { p } = mk();
    toPrepared(p, msg('holder', [put('k', '1')], 'nb', { ageMs: 50 }));
    const v = h();
    p.step({ type: 'prepare', replyTo: v, msg: msg('t', [put('k', '2')], 'nb', { ageMs: 1, lockWaitMs: 100 }) }, 0);
    const c = p.step({ type: 'timer', timer: { kind: 'lockWait', txn: 't' } }, 100);
    expect(noLogs(c)).toEqual([{ type: 'checkOutcome', txn: 't', replyTo: null }]);
    // a query while the log is read waits for the same answer
    const q = h();
    expect(p.step({ type: 'stateQuery', replyTo: q, txn: 't', abortIfUnvoted: true }, 101)).toEqual([]);
    const e = p.step({ type: 'outcomeChecked', txn: 't', replyTo: null, finished: null }, 102);
    expect(e).toEqual([{ type: 'persist', record: { kind: 'abort', txn: 't', hadPrepare: false, keys: expect.any(Array) }, sync: true }]);
    const d = land(p, e, 103);
    expect(votes(d)[0]![1]).toMatchObject({ kind: 'NO', reason: expect.stringMatching(/lock wait timed out/) });
    expect(states(d).map(([to, r]) => [to, r.state])).toEqual([[q, 'ABORTED']]);
    expect(p.counters.unilateralAborts).toBe(0); // its own NO, not a peer's abort
  });

  // regression (participantCore.onTimer + onPersisted 'precommit', 3pc liveness; clusterSim seed
  // 3255): an inquire timer that fired while the PreCommit was being forced was dropped and never
  // rescheduled, so a participant whose coordinator was gone never inquired or terminated again.
  it('regression: 3pc: an inquiry timer that fires while pre-committing is not lost', () => {
    const { p } = mk();
    toPrepared(p, msg('t', [put('k', '1')], '3pc'));
    const e = p.step({ type: 'precommit', replyTo: h(), txn: 't' }, 50);
    const t = p.step({ type: 'timer', timer: { kind: 'inquire', txn: 't' } }, 100); // the one set at YES
    expect(t).toEqual([]);
    const d = p.step({ type: 'persisted', record: persists(e)[0]! }, 110);
    expect(ofType(d, 'setTimer')).toEqual([{ type: 'setTimer', timer: { kind: 'inquire', txn: 't' }, at: 210 }]);
    expect(ofType(p.step({ type: 'timer', timer: { kind: 'inquire', txn: 't' } }, 210), 'inquire')).toHaveLength(1);
  });

  // regression (participantCore.concludeTermination, 3pc liveness): the same loss when the
  // coordinator's PreCommit arrived during a termination round.
  it('regression: 3pc: a termination round that ends while pre-committing leaves an inquiry scheduled', () => {
    const p = terminating('p1', '3pc', ['p1', 'p2']);
    const e = p.step({ type: 'precommit', replyTo: h(), txn: 't' }, 11);
    const r = p.step({ type: 'peerState', txn: 't', from: 'p2', state: 'PREPARED' }, 12);
    const d = p.step({ type: 'persisted', record: persists(e)[0]! }, 13);
    expect([...ofType(r, 'setTimer'), ...ofType(d, 'setTimer')].length).toBeGreaterThan(0);
  });
});

describe('regressions: fixed after the wider simulation', () => {
  // regression (participantCore.onStateQuery / onOutcomeChecked → replyState(…, t = null)): a
  // branch that had committed answered a state query with `results: []`, although its outcome
  // record (in `recent` or in the outcome log) holds them. nb: the coordinator's termination
  // counts that COMMITTED as the branch's YES and fills its results from the answer, so the
  // client's COMMITTED reply had holes. clusterSim (nb, drops and crashes) seed 2.
  it('regression: nb: a committed branch answers a state query with its results (in memory)', () => {
    const { p } = mk();
    toPrepared(p, msg('t', [put('k', '1')], 'nb'));
    land(p, p.step({ type: 'decision', replyTo: null, txn: 't', outcome: 'COMMITTED' }, 1));
    const e = p.step({ type: 'stateQuery', replyTo: h(), txn: 't', abortIfUnvoted: true }, 2);
    expect(states(e)[0]![1]).toMatchObject({ state: 'COMMITTED', results: [{ key: 'k', found: false, value: '1', version: 1 }] });
    // and without abortIfUnvoted
    const f = p.step({ type: 'stateQuery', replyTo: h(), txn: 't', abortIfUnvoted: false }, 3);
    expect(states(f)[0]![1]).toMatchObject({ state: 'COMMITTED', results: [{ key: 'k', found: false, value: '1', version: 1 }] });
  });

  it('regression: nb: a committed branch answers a state query with its results (from the outcome log)', () => {
    const { p } = mk();
    const q = h();
    p.step({ type: 'stateQuery', replyTo: q, txn: 't', abortIfUnvoted: true }, 0);
    const results = [{ key: 'k', found: true, value: '1', version: 3 }];
    const e = p.step({ type: 'outcomeChecked', txn: 't', replyTo: null, finished: { txn: 't', outcome: 'COMMITTED', results } }, 1);
    expect(states(e)[0]![1]).toMatchObject({ state: 'COMMITTED', results });
    // a plain lookup (no abortIfUnvoted) answers from the outcome log with the results too
    const { p: p2 } = mk();
    const q2 = h();
    p2.step({ type: 'stateQuery', replyTo: q2, txn: 't', abortIfUnvoted: false }, 0);
    const f = p2.step({ type: 'outcomeChecked', txn: 't', replyTo: q2, finished: { txn: 't', outcome: 'COMMITTED', results } }, 1);
    expect(states(f)[0]![1]).toMatchObject({ state: 'COMMITTED', results, protocol: null, participants: [] });
  });

  // regression (participantCore.startTermination, 2pc; then onDecision's invariant): a 2pc branch
  // that voted READ_ONLY writes nothing durable. Once forgotten in memory (recentOutcomes, or a
  // restart), a peer's cooperative-termination query used to carry abortIfUnvoted: it found
  // nothing in the outcome log, aborted the "unvoted" branch (forced ABORT) and answered ABORTED
  // for a transaction that COMMITTED; the uncertain peer followed it (atomicity), and the
  // coordinator's re-sent COMMIT then threw InvariantViolation. clusterSim EXPLORE['2pcHeavy']
  // seeds 274 and 1946. 2pc now asks without abortIfUnvoted: the answer is UNKNOWN and nothing
  // is written.
  it('regression: 2pc: a forgotten read-only branch does not answer ABORTED to a termination query for a committed txn', () => {
    const { p } = mk({ recentOutcomes: 1 });
    const v = h();
    p.step({ type: 'prepare', replyTo: v, msg: msg('t', [get('r')], '2pc', { participants: ['p1', 'p2', 'p3'] }) }, 0);
    const e = p.step({ type: 'readDone', txn: 't', values: new Map([['r', { value: 'x', version: 1 }]]), finished: null }, 0);
    expect(votes(e)[0]![1].kind).toBe('READ_ONLY');
    expect(persists(p.step({ type: 'decision', replyTo: null, txn: 't', outcome: 'COMMITTED' }, 1))).toEqual([]);
    // forgotten: another txn's outcome takes its place in memory
    toPrepared(p, msg('other', [put('z', '1')], '2pc'));
    land(p, p.step({ type: 'decision', replyTo: null, txn: 'other', outcome: 'COMMITTED' }, 2));
    expect(p.view('t')).toBeNull();
    // p3, uncertain with the coordinator down, asks the way a 2pc termination asks (terminating()
    // checks abortIfUnvoted: false); p2 is as uncertain as p3
    const p3 = terminating('p3', '2pc');
    p3.step({ type: 'peerState', txn: 't', from: 'p2', state: 'PREPARED' }, 11);
    const q = h();
    const c = p.step({ type: 'stateQuery', replyTo: q, txn: 't', abortIfUnvoted: false }, 3);
    expect(c).toEqual([{ type: 'checkOutcome', txn: 't', replyTo: q }]);
    const f = p.step({ type: 'outcomeChecked', txn: 't', replyTo: q, finished: null }, 4);
    expect(persists(f)).toEqual([]);
    expect(states(f).map(([, r]) => r.state)).toEqual(['UNKNOWN']);
    // p3 stays blocked rather than aborting
    expect(persists(p3.step({ type: 'peerState', txn: 't', from: 'p1', state: 'UNKNOWN' }, 12))).toEqual([]);
    expect(p3.view('t')).toBe('PREPARED');
    // the restarted coordinator re-sends the COMMIT
    expect(() => p.step({ type: 'decision', replyTo: h(), txn: 't', outcome: 'COMMITTED' }, 6)).not.toThrow();
  });
});

describe('known limits', () => {
  // Unchanged at the responder: a forgotten READ_ONLY branch asked WITH abortIfUnvoted (only the
  // coordinator's resolution of an id it has no record of does that now) still aborts its empty
  // vote and answers ABORTED. Resolution tolerates it: a 2pc coordinator with no record never
  // committed, and otherwise a writer's COMMITTED answer wins in coordinatorResolution.
  it('a forgotten read-only branch asked with abortIfUnvoted answers ABORTED (resolution only)', () => {
    const { p } = mk({ recentOutcomes: 1 });
    p.step({ type: 'prepare', replyTo: h(), msg: msg('t', [get('r')], '2pc') }, 0);
    p.step({ type: 'readDone', txn: 't', values: new Map(), finished: null }, 0);
    p.step({ type: 'decision', replyTo: null, txn: 't', outcome: 'COMMITTED' }, 1);
    toPrepared(p, msg('other', [put('z', '1')], '2pc'));
    land(p, p.step({ type: 'decision', replyTo: null, txn: 'other', outcome: 'COMMITTED' }, 2));
    const q = h();
    p.step({ type: 'stateQuery', replyTo: q, txn: 't', abortIfUnvoted: true }, 3);
    const f = p.step({ type: 'outcomeChecked', txn: 't', replyTo: null, finished: null }, 4);
    expect(states(land(p, f, 5)).map(([, r]) => r.state)).toEqual(['ABORTED']);
  });
});

describe('known bugs', () => {
  // BUG (liveness; termination.threePhaseTermination's election + the recovered rule, via
  // participantCore.concludeTermination): the backup is the lowest id among the participants
  // that answer, and a participant recovered in doubt answers like any other (PREPARED), but with
  // the coordinator out of reach it now only adopts and never leads. When the recovered one has
  // the lowest id, every operational participant waits for it ("backup coordinator is p1") and it
  // waits for them ("adopting an outcome"): the transaction blocks, locks held, until the
  // coordinator comes back, although the operational participants could decide safely (Skeen:
  // the backup is elected among the operational sites; a recovering site only adopts). Here p2
  // never crashed and is in w, so (no message loss) the coordinator never sent it a PreCommit and
  // cannot have committed: "all uncertain → abort" is safe for p2. 3pc loses its non-blocking
  // property on one participant crash + recovery (the sim does not see it: its coordinator
  // always comes back).
  // Sequence: 3pc txn on p1,p2; both vote YES; p1 crashes and recovers in w; the coordinator is
  // gone; each inquires (UNREACHABLE) and runs the termination, and each round ends in 'wait'.
  // Expected: p2 (operational) leads and aborts; p1 adopts the abort.
  // Fixed: state answers say `recovered`, and the election leaves such participants out.
  it('regression: 3pc liveness: a recovered participant with the lowest id does not block the operational ones while the coordinator is gone', () => {
    const two = ['p1', 'p2'];
    const { p: p1old } = mk({}, [], 'p1');
    const rec1 = toPrepared(p1old, msg('t', [put('k1', '1')], '3pc', { participants: two }));
    if (rec1.kind !== 'prepare') throw new Error('expected a prepare record');
    const { p: p1 } = mk({}, [rec1.record], 'p1'); // p1 crashed and came back in w
    const { p: p2 } = mk({}, [], 'p2');
    toPrepared(p2, msg('t', [put('k2', '1')], '3pc', { participants: two }));
    const nodes = new Map([
      ['p1', p1],
      ['p2', p2],
    ]);
    /** One round for `who`: the coordinator is UNREACHABLE; its peer answers the state query. */
    const round = (who: 'p1' | 'p2', now: number): ParticipantEffect[] => {
      const me = nodes.get(who)!;
      const peerId = who === 'p1' ? 'p2' : 'p1';
      const peer = nodes.get(peerId)!;
      const out = me.step({ type: 'inquiryResult', txn: 't', outcome: 'UNREACHABLE' }, now);
      for (const q of ofType(out, 'queryPeer')) {
        const r = states(peer.step({ type: 'stateQuery', replyTo: h(), txn: 't', abortIfUnvoted: q.abortIfUnvoted }, now))[0]![1];
        out.push(...me.step({ type: 'peerState', txn: 't', from: peerId, state: r.state, recovered: r.recovered }, now + 1));
      }
      out.push(...land(me, out, now + 2));
      return out;
    };
    for (let i = 0; i < 5; i++) {
      round('p1', 1000 * i); // "termination undecided (recovered in doubt; adopting an outcome, not deciding one)"
      round('p2', 1000 * i + 500); // "termination undecided (backup coordinator is p1)"
    }
    expect(p2.view('t')).toBe('ABORTED');
  });
});
