import { describe, expect, it } from 'vitest';
import { get, PARTICIPANT_CONFIG as CFG, prepareMessage as msg, put, recoveredParticipant as mk } from '../support/coreFixtures.js';
import { InvariantViolation } from '../../src/protocol/invariant.js';
import {
  DEFAULT_PARTICIPANT_CONFIG,
  ParticipantCore,
  type ParticipantEffect,
  type ParticipantReply,
  type PrepareMessage,
} from '../../src/protocol/participantCore.js';
import type { ParticipantOutcomeRecord, PrepareRecord } from '../../src/protocol/records.js';
import type { StoredValue, Vote } from '../../src/protocol/types.js';

const replies = (effs: ParticipantEffect[]): { to: number; reply: ParticipantReply }[] =>
  effs.flatMap((e) => (e.type === 'reply' ? [{ to: e.to, reply: e.reply }] : []));
const votes = (effs: ParticipantEffect[]): [number, Vote][] =>
  replies(effs).flatMap((r) => (r.reply.kind === 'vote' ? [[r.to, r.reply.vote] as [number, Vote]] : []));
const acks = (effs: ParticipantEffect[]): [number, boolean][] =>
  replies(effs).flatMap((r) => (r.reply.kind === 'ack' ? [[r.to, r.reply.known] as [number, boolean]] : []));
const ofType = <T extends ParticipantEffect['type']>(effs: ParticipantEffect[], type: T) =>
  effs.filter((e): e is Extract<ParticipantEffect, { type: T }> => e.type === type);

let handle = 1;
const nextHandle = (): number => handle++;

/** prepare → read → (readDone) → persist prepare; returns the prepare record and the read-phase effects. */
function toPersisting(p: ParticipantCore, m: PrepareMessage, values: Map<string, StoredValue> = new Map(), now = 0) {
  const h = nextHandle();
  const e1 = p.step({ type: 'prepare', replyTo: h, msg: m }, now);
  expect(ofType(e1, 'read')).toEqual([{ type: 'read', txn: m.txn, keys: [...new Set(m.ops.map((o) => o.key))].sort() }]);
  const e2 = p.step({ type: 'readDone', txn: m.txn, values, finished: null }, now);
  const persists = ofType(e2, 'persist');
  expect(persists).toHaveLength(1);
  expect(persists[0]!.sync).toBe(true);
  expect(persists[0]!.record.kind).toBe('prepare');
  expect(replies(e2)).toEqual([]); // no vote before the prepare record is durable
  return { h, record: persists[0]!.record };
}

function toPrepared(p: ParticipantCore, m: PrepareMessage, values: Map<string, StoredValue> = new Map(), now = 0) {
  const { h, record } = toPersisting(p, m, values, now);
  const e3 = p.step({ type: 'persisted', record }, now);
  const v = votes(e3);
  expect(v).toHaveLength(1);
  expect(v[0]![0]).toBe(h);
  expect(v[0]![1].kind).toBe('YES');
  expect(ofType(e3, 'setTimer')).toEqual([{ type: 'setTimer', timer: { kind: 'inquire', txn: m.txn }, at: now + CFG.inquireAfterMs }]);
  return { h, record, vote: v[0]![1] };
}

function commit(p: ParticipantCore, txn: string, now = 0) {
  const h = nextHandle();
  const e = p.step({ type: 'decision', replyTo: h, txn, outcome: 'COMMITTED' }, now);
  const rec = ofType(e, 'persist');
  expect(rec).toHaveLength(1);
  expect(rec[0]!.record.kind).toBe('commit');
  expect(rec[0]!.sync).toBe(true);
  expect(acks(e)).toEqual([]); // ack only once the commit record is durable
  const e2 = p.step({ type: 'persisted', record: rec[0]!.record }, now);
  expect(acks(e2)).toEqual([[h, true]]);
  return { persist: rec[0]!, e2 };
}

describe('ParticipantCore: recovery gate', () => {
  it('refuses any event before recover and a second recover', () => {
    const p = new ParticipantCore('p1', CFG);
    expect(() => p.step({ type: 'prepare', replyTo: 1, msg: msg('t', [get('a')]) }, 0)).toThrow(InvariantViolation);
    p.step({ type: 'recover', prepared: [] }, 0);
    expect(() => p.step({ type: 'recover', prepared: [] }, 0)).toThrow(/recovered twice/);
  });

  it('uses the default config when none is given', () => {
    const p = new ParticipantCore('p1');
    p.step({ type: 'recover', prepared: [] }, 0);
    const { record } = toPersisting(p, msg('t', [put('a', '1')]));
    const e = p.step({ type: 'persisted', record }, 50);
    expect(ofType(e, 'setTimer')[0]!.at).toBe(50 + DEFAULT_PARTICIPANT_CONFIG.inquireAfterMs);
  });
});

describe('ParticipantCore: prepare → YES → commit', () => {
  it('forces a prepare record with writes, locks and participants before voting YES, commits and releases', () => {
    const { p } = mk();
    const m = msg('t1', [get('a'), put('b', 'x'), { type: 'add', key: 'c', delta: 5n }], 7);
    const { record, vote } = toPrepared(
      p,
      m,
      new Map([
        ['a', { value: 'va', version: 3 }],
        ['c', { value: '10', version: 1 }],
      ]),
    );
    expect(record).toEqual({
      kind: 'prepare',
      record: {
        txn: 't1',
        coordinatorId: 'c1',
        coordinatorAddr: 'c1:7000',
        participants: ['p1', 'p2'],
        participantAddrs: ['p1:1', 'p2:1'],
        protocol: '2pc',
        age: { ms: 7, id: 't1' },
        locks: [
          { key: 'a', mode: 'S' },
          { key: 'b', mode: 'X' },
          { key: 'c', mode: 'X' },
        ],
        writes: [
          { key: 'b', value: 'x', version: 1 },
          { key: 'c', value: '15', version: 2 },
        ],
        results: [
          { key: 'a', found: true, value: 'va', version: 3 },
          { key: 'b', found: false, value: 'x', version: 1 },
          { key: 'c', found: true, value: '15', version: 2 },
        ],
      },
    });
    expect(vote).toEqual({ kind: 'YES', results: record.kind === 'prepare' ? record.record.results : [] });
    expect(p.view('t1')).toBe('PREPARED');
    expect(p.inDoubt()).toEqual(['t1']);
    expect(p.lockedKeys).toBe(3);
    expect(p.counters.prepared).toBe(1);

    const { persist } = commit(p, 't1');
    expect(persist.record).toEqual({
      kind: 'commit',
      txn: 't1',
      writes: record.kind === 'prepare' ? record.record.writes : [],
      results: record.kind === 'prepare' ? record.record.results : [],
    });
    expect(p.lockedKeys).toBe(0);
    expect(p.activeTxns).toBe(0);
    expect(p.view('t1')).toBe('COMMITTED');
    expect(p.inDoubt()).toEqual([]);
    expect(p.counters.committed).toBe(1);
  });

  it('view() goes UNKNOWN(null) → PREPARING → PREPARED', () => {
    const { p } = mk();
    expect(p.view('t')).toBeNull();
    p.step({ type: 'prepare', replyTo: 1, msg: msg('t', [put('a', '1')]) }, 0);
    expect(p.view('t')).toBe('PREPARING');
  });
});

describe('ParticipantCore: NO votes', () => {
  it('a failed check votes NO with the reason, forces nothing, releases locks', () => {
    const { p } = mk();
    const m = msg('t', [{ type: 'check', key: 'a', expect: { kind: 'exists', exists: true } }, put('b', '1')]);
    p.step({ type: 'prepare', replyTo: 5, msg: m }, 0);
    expect(p.lockedKeys).toBe(2);
    const e = p.step({ type: 'readDone', txn: 't', values: new Map(), finished: null }, 0);
    expect(ofType(e, 'persist')).toEqual([]);
    expect(votes(e)).toEqual([[5, { kind: 'NO', reason: 'check failed on key a: key does not exist', code: 'PRECONDITION_FAILED' }]]);
    expect(p.lockedKeys).toBe(0);
    expect(p.activeTxns).toBe(0);
    expect(p.counters.votedNo).toBe(1);
    // a NO voter forgets the txn: a later abort is acked as unknown
    expect(acks(p.step({ type: 'decision', replyTo: 6, txn: 't', outcome: 'ABORTED' }, 0))).toEqual([[6, false]]);
  });

  it('a NO vote releases locks and wakes a waiter', () => {
    const { p } = mk();
    p.step({ type: 'prepare', replyTo: 1, msg: msg('young', [{ type: 'add', key: 'a', delta: -5n, min: 0n }], 10) }, 0);
    const w = p.step({ type: 'prepare', replyTo: 2, msg: msg('old', [put('a', 'o')], 1) }, 0);
    expect(ofType(w, 'setTimer')).toEqual([{ type: 'setTimer', timer: { kind: 'lockWait', txn: 'old' }, at: 1000 }]);
    const e = p.step({ type: 'readDone', txn: 'young', values: new Map([['a', { value: '3', version: 1 }]]), finished: null }, 5);
    expect(votes(e).map(([h, v]) => [h, v.kind])).toEqual([[1, 'NO']]);
    expect(ofType(e, 'read')).toEqual([{ type: 'read', txn: 'old', keys: ['a'] }]);
    expect(p.view('old')).toBe('PREPARING');
  });
});

describe('ParticipantCore: read-only', () => {
  it('votes READ_ONLY without forcing, keeps S locks until the decision, then releases', () => {
    const { p } = mk();
    p.step({ type: 'prepare', replyTo: 1, msg: msg('r', [get('a'), { type: 'check', key: 'b', expect: { kind: 'version', version: 0 } }], 5) }, 0);
    const e = p.step({ type: 'readDone', txn: 'r', values: new Map([['a', { value: 'v', version: 2 }]]), finished: null }, 10);
    expect(ofType(e, 'persist')).toEqual([]);
    expect(votes(e)).toEqual([
      [
        1,
        {
          kind: 'READ_ONLY',
          results: [
            { key: 'a', found: true, value: 'v', version: 2 },
            { key: 'b', found: false, value: '', version: 0 },
          ],
        },
      ],
    ]);
    expect(ofType(e, 'setTimer')).toEqual([{ type: 'setTimer', timer: { kind: 'inquire', txn: 'r' }, at: 110 }]);
    expect(p.view('r')).toBe('READ_ONLY');
    expect(p.counters.readOnly).toBe(1);
    expect(p.lockedKeys).toBe(2);
    expect(p.inDoubt()).toEqual([]); // not in doubt: nothing to lose

    // a younger writer dies on the held S lock; an older one waits
    expect(votes(p.step({ type: 'prepare', replyTo: 2, msg: msg('w-young', [put('a', 'x')], 9) }, 11))[0]![1].kind).toBe('NO');
    const wOld = p.step({ type: 'prepare', replyTo: 3, msg: msg('w-old', [put('a', 'x')], 1) }, 11);
    expect(ofType(wOld, 'read')).toEqual([]);
    expect(p.view('w-old')).toBe('PREPARING');

    // duplicate prepare is answered READ_ONLY again; one with other ops is refused
    const readOps = [get('a'), { type: 'check' as const, key: 'b', expect: { kind: 'version' as const, version: 0 } }];
    expect(votes(p.step({ type: 'prepare', replyTo: 4, msg: msg('r', readOps, 5) }, 12))[0]![1].kind).toBe('READ_ONLY');
    expect(p.step({ type: 'prepare', replyTo: 5, msg: msg('r', [get('a')], 5) }, 12)).toMatchObject([
      { type: 'alarm' },
      { type: 'reply', to: 5, reply: { kind: 'refused', reason: expect.stringMatching(/prepared again with other contents/) } },
    ]);

    const d = p.step({ type: 'decision', replyTo: 9, txn: 'r', outcome: 'COMMITTED' }, 20);
    expect(ofType(d, 'persist')).toEqual([]);
    expect(acks(d)).toEqual([[9, true]]);
    expect(ofType(d, 'read')).toEqual([{ type: 'read', txn: 'w-old', keys: ['a'] }]);
    expect(p.view('r')).toBe('COMMITTED');
  });

  it('a duplicate prepare of a READ_ONLY branch after its release is never answered YES (it forced no prepare record)', () => {
    // YES promises a durable prepare record (writes + locks). A read-only branch forced nothing and,
    // once released, holds no locks: replaying its old reads as a YES vote would let a re-run of the
    // transaction (client retry after a coordinator restart) commit a snapshot mixing reads taken at
    // different times.
    const { p } = mk();
    const m = msg('r', [get('a')]);
    p.step({ type: 'prepare', replyTo: 1, msg: m }, 0);
    p.step({ type: 'readDone', txn: 'r', values: new Map([['a', { value: 'v', version: 1 }]]), finished: null }, 0);
    p.step({ type: 'decision', replyTo: 2, txn: 'r', outcome: 'COMMITTED' }, 1);
    expect(p.lockedKeys).toBe(0);
    const dup = votes(p.step({ type: 'prepare', replyTo: 3, msg: m }, 2));
    expect(dup).toHaveLength(1);
    expect(dup[0]![1].kind).not.toBe('YES');
  });

  it('a read-only txn released by an abort decision', () => {
    const { p } = mk();
    p.step({ type: 'prepare', replyTo: 1, msg: msg('r', [get('a')]) }, 0);
    p.step({ type: 'readDone', txn: 'r', values: new Map(), finished: null }, 0);
    const d = p.step({ type: 'decision', replyTo: null, txn: 'r', outcome: 'ABORTED' }, 0);
    expect(replies(d)).toEqual([]);
    expect(p.lockedKeys).toBe(0);
    expect(p.view('r')).toBe('ABORTED');
  });

  it('a read-only txn inquires when the decision is late, and is released by the answer', () => {
    const { p } = mk();
    p.step({ type: 'prepare', replyTo: 1, msg: msg('r', [get('a')]) }, 0);
    p.step({ type: 'readDone', txn: 'r', values: new Map(), finished: null }, 0);
    expect(ofType(p.step({ type: 'timer', timer: { kind: 'inquire', txn: 'r' } }, 100), 'inquire')).toEqual([
      { type: 'inquire', txn: 'r', coordinatorId: 'c1', coordinatorAddr: 'c1:7000' },
    ]);
    p.step({ type: 'inquiryResult', txn: 'r', outcome: 'COMMITTED' }, 110);
    expect(p.lockedKeys).toBe(0);
    expect(p.view('r')).toBe('COMMITTED');
  });
});

describe('ParticipantCore: wait-die', () => {
  it('older waits, younger dies', () => {
    const { p } = mk();
    toPrepared(p, msg('mid', [put('k', '1')], 5));
    const younger = p.step({ type: 'prepare', replyTo: 10, msg: msg('young', [put('k', '2')], 9) }, 1);
    expect(votes(younger)).toEqual([[10, { kind: 'NO', reason: 'conflict on key k: held by an older transaction mid', code: 'CONFLICT' }]]);
    expect(p.counters.lockDies).toBe(1);
    const older = p.step({ type: 'prepare', replyTo: 11, msg: msg('old', [put('k', '3')], 1, 300) }, 1);
    expect(replies(older)).toEqual([]);
    expect(ofType(older, 'setTimer')).toEqual([{ type: 'setTimer', timer: { kind: 'lockWait', txn: 'old' }, at: 301 }]);
    expect(p.counters.lockWaits).toBe(1);
  });

  it('a prepare with lockWaitMs 0 that conflicts with a younger holder votes NO at once', () => {
    const { p } = mk();
    toPrepared(p, msg('young', [put('k', '1')], 9));
    const e = p.step({ type: 'prepare', replyTo: 3, msg: msg('old', [put('k', '2')], 1, 0) }, 50);
    expect(votes(e)).toEqual([[3, { kind: 'NO', reason: 'conflict on key k: locked by young', code: 'CONFLICT' }]]);
    expect(ofType(e, 'setTimer')).toEqual([]);
    expect(p.activeTxns).toBe(1);
  });

  it('the lock wait deadline votes NO naming the blockers; an early or stale timer does nothing', () => {
    const { p } = mk();
    toPrepared(p, msg('young', [put('k', '1')], 9));
    p.step({ type: 'prepare', replyTo: 3, msg: msg('old', [put('k', '2')], 1, 200) }, 100);
    expect(p.step({ type: 'timer', timer: { kind: 'lockWait', txn: 'old' } }, 299)).toEqual([]);
    const e = p.step({ type: 'timer', timer: { kind: 'lockWait', txn: 'old' } }, 300);
    expect(votes(e)).toEqual([[3, { kind: 'NO', reason: 'lock wait timed out (k:young)', code: 'CONFLICT' }]]);
    expect(p.activeTxns).toBe(1);
    // a stale timer for a finished txn is ignored
    expect(p.step({ type: 'timer', timer: { kind: 'lockWait', txn: 'old' } }, 400)).toEqual([]);
    expect(p.step({ type: 'timer', timer: { kind: 'lockWait', txn: 'young' } }, 400)).toEqual([]);
    // the timed-out waiter left the wait queue: releasing the lock wakes nobody
    const c = commit(p, 'young', 500);
    expect(ofType(c.e2, 'read')).toEqual([]);
  });

  it('waiters are woken oldest-first when locks release, and a waiter that now sees an older holder dies', () => {
    const { p } = mk();
    toPrepared(p, msg('holder', [put('k', 'h')], 100));
    p.step({ type: 'prepare', replyTo: 21, msg: msg('w30', [put('k', 'a')], 30) }, 1);
    p.step({ type: 'prepare', replyTo: 22, msg: msg('w10', [put('k', 'b')], 10) }, 2);
    p.step({ type: 'prepare', replyTo: 23, msg: msg('w20', [put('k', 'c')], 20) }, 3);
    expect(p.counters.lockWaits).toBe(3);
    const { e2 } = commit(p, 'holder', 10);
    // the oldest (w10) gets the lock; w20 and w30 now conflict with an older holder and die
    expect(ofType(e2, 'read')).toEqual([{ type: 'read', txn: 'w10', keys: ['k'] }]);
    expect(votes(e2).map(([h, v]) => [h, v.kind])).toEqual([
      [23, 'NO'],
      [21, 'NO'],
    ]);
    expect(p.activeTxns).toBe(1);
    expect(p.view('w10')).toBe('PREPARING');
  });

  it('compatible waiters are all woken (S locks), oldest first', () => {
    const { p } = mk();
    toPrepared(p, msg('writer', [put('k', 'h')], 100));
    p.step({ type: 'prepare', replyTo: 31, msg: msg('r2', [get('k')], 20) }, 1);
    p.step({ type: 'prepare', replyTo: 32, msg: msg('r1', [get('k')], 10) }, 1);
    const { e2 } = commit(p, 'writer', 5);
    expect(ofType(e2, 'read').map((r) => r.txn)).toEqual(['r1', 'r2']);
    expect(p.lockedKeys).toBe(1);
  });

  it('a waiter still blocked after a partial release keeps waiting', () => {
    const { p } = mk();
    toPrepared(p, msg('h1', [put('a', '1')], 50));
    toPrepared(p, msg('h2', [put('b', '1')], 60));
    p.step({ type: 'prepare', replyTo: 40, msg: msg('w', [put('a', '2'), put('b', '2')], 1) }, 1);
    const { e2 } = commit(p, 'h1', 2);
    expect(ofType(e2, 'read')).toEqual([]);
    expect(replies(e2).filter((r) => r.to === 40)).toEqual([]);
    const second = commit(p, 'h2', 3);
    expect(ofType(second.e2, 'read')).toEqual([{ type: 'read', txn: 'w', keys: ['a', 'b'] }]);
  });

  it('a younger txn waits (does not die) for an older holder whose commit or abort is already decided', () => {
    const { p } = mk();
    toPrepared(p, msg('old', [put('k', '1')], 1));
    toPrepared(p, msg('old2', [put('q', '1')], 2));
    const c = p.step({ type: 'decision', replyTo: 1, txn: 'old', outcome: 'COMMITTED' }, 10);
    const a = p.step({ type: 'decision', replyTo: 2, txn: 'old2', outcome: 'ABORTED' }, 10);
    const y = p.step({ type: 'prepare', replyTo: 3, msg: msg('young', [put('k', '2'), put('q', '2')], 50, 300) }, 11);
    expect(replies(y)).toEqual([]);
    expect(ofType(y, 'setTimer')).toEqual([{ type: 'setTimer', timer: { kind: 'lockWait', txn: 'young' }, at: 311 }]);
    expect(p.view('young')).toBe('PREPARING');
    const c2 = p.step({ type: 'persisted', record: ofType(c, 'persist')[0]!.record }, 12);
    expect(ofType(c2, 'read')).toEqual([]); // q still held by the aborting old2
    const a2 = p.step({ type: 'persisted', record: ofType(a, 'persist')[0]!.record }, 13);
    expect(ofType(a2, 'read')).toEqual([{ type: 'read', txn: 'young', keys: ['k', 'q'] }]);
    // an undecided (prepared) older holder still kills a younger requester
    toPrepared(p, msg('old3', [put('z', '1')], 3), new Map(), 14);
    expect(votes(p.step({ type: 'prepare', replyTo: 4, msg: msg('young2', [put('z', '2')], 60) }, 15))[0]![1].kind).toBe('NO');
  });

  it('an abort requested while persisting marks the holder decided once the prepare lands', () => {
    const { p } = mk();
    const { record } = toPersisting(p, msg('old', [put('k', '1')], 1));
    p.step({ type: 'decision', replyTo: 1, txn: 'old', outcome: 'ABORTED' }, 0);
    p.step({ type: 'persisted', record }, 1); // now aborting
    const y = p.step({ type: 'prepare', replyTo: 2, msg: msg('young', [put('k', '2')], 9) }, 2);
    expect(replies(y)).toEqual([]);
    const done = p.step({ type: 'persisted', record: { kind: 'abort', txn: 'old', hadPrepare: true, keys: expect.any(Array) } }, 3);
    expect(ofType(done, 'read')).toEqual([{ type: 'read', txn: 'young', keys: ['k'] }]);
  });

  it('maxLockWaiters: beyond it, new prepares vote NO', () => {
    const { p } = mk({ maxLockWaiters: 1 });
    toPrepared(p, msg('young', [put('k', '1')], 9));
    p.step({ type: 'prepare', replyTo: 50, msg: msg('old1', [put('k', '2')], 1) }, 0);
    const e = p.step({ type: 'prepare', replyTo: 51, msg: msg('old2', [put('k', '3')], 2) }, 0);
    expect(votes(e)).toEqual([[51, { kind: 'NO', reason: 'participant p1 is overloaded: 1 transactions wait for locks', code: 'CONFLICT' }]]);
  });

  it('maxLockWaiters does not refuse a prepare that would not wait at all', () => {
    // A full wait queue should only refuse transactions that would have to wait:
    // one on free keys can be granted immediately without adding a waiter.
    const { p } = mk({ maxLockWaiters: 1 });
    toPrepared(p, msg('young', [put('k', '1')], 9));
    p.step({ type: 'prepare', replyTo: 50, msg: msg('old1', [put('k', '2')], 1) }, 0);
    const e = p.step({ type: 'prepare', replyTo: 52, msg: msg('free', [put('other', '3')], 20) }, 0);
    expect(votes(e)).toEqual([]);
    expect(ofType(e, 'read')).toEqual([{ type: 'read', txn: 'free', keys: ['other'] }]);
  });
});

describe('ParticipantCore: abort decisions in every phase', () => {
  it('abort while waiting for locks: votes NO to the prepare, acks, remembers ABORTED', () => {
    const { p } = mk();
    toPrepared(p, msg('young', [put('k', '1')], 9));
    p.step({ type: 'prepare', replyTo: 60, msg: msg('old', [put('k', '2')], 1) }, 0);
    const e = p.step({ type: 'decision', replyTo: 61, txn: 'old', outcome: 'ABORTED' }, 1);
    expect(votes(e)).toEqual([[60, { kind: 'NO', reason: 'aborted by the coordinator', code: 'CONFLICT' }]]);
    expect(acks(e)).toEqual([[61, true]]);
    expect(p.view('old')).toBe('ABORTED');
    // it left the wait queue: the release does not wake it
    const c = commit(p, 'young', 2);
    expect(ofType(c.e2, 'read')).toEqual([]);
    // a late duplicate prepare is answered NO from memory
    expect(votes(p.step({ type: 'prepare', replyTo: 62, msg: msg('old', [put('k', '2')], 1) }, 3))).toEqual([
      [62, { kind: 'NO', reason: 'transaction already aborted', code: 'CONFLICT' }],
    ]);
    expect(p.activeTxns).toBe(0);
  });

  it('abort while reading: releases locks; the late readDone is ignored', () => {
    const { p } = mk();
    p.step({ type: 'prepare', replyTo: 70, msg: msg('t', [put('k', '1')]) }, 0);
    const e = p.step({ type: 'decision', replyTo: 71, txn: 't', outcome: 'ABORTED' }, 1);
    expect(votes(e).map(([h, v]) => [h, v.kind])).toEqual([[70, 'NO']]);
    expect(acks(e)).toEqual([[71, true]]);
    expect(p.lockedKeys).toBe(0);
    expect(p.step({ type: 'readDone', txn: 't', values: new Map(), finished: null }, 2)).toEqual([]);
    expect(p.activeTxns).toBe(0);
  });

  it('a commit reaching a txn that has not voted is acked and changes nothing', () => {
    const { p } = mk();
    p.step({ type: 'prepare', replyTo: 1, msg: msg('t', [put('k', '1')]) }, 0);
    const e = p.step({ type: 'decision', replyTo: 2, txn: 't', outcome: 'COMMITTED' }, 0);
    expect(e).toEqual([{ type: 'reply', to: 2, reply: { kind: 'ack', txn: 't', known: true } }]);
    expect(p.view('t')).toBe('PREPARING');
  });

  it('abort while the prepare record is persisting: finishes the force, then votes NO and aborts with hadPrepare', () => {
    const { p } = mk();
    const { h, record } = toPersisting(p, msg('t', [put('k', '1')]));
    const d = p.step({ type: 'decision', replyTo: 80, txn: 't', outcome: 'ABORTED' }, 1);
    expect(d).toEqual([]); // nothing until the prepare record lands
    const dup = p.step({ type: 'prepare', replyTo: 81, msg: msg('t', [put('k', '1')]) }, 1);
    expect(dup).toEqual([]);
    const e = p.step({ type: 'persisted', record }, 2);
    expect(ofType(e, 'persist')).toEqual([{ type: 'persist', record: { kind: 'abort', txn: 't', hadPrepare: true, keys: expect.any(Array) }, sync: true }]);
    expect(votes(e)).toEqual([
      [h, { kind: 'NO', reason: 'aborted by the coordinator', code: 'CONFLICT' }],
      [81, { kind: 'NO', reason: 'aborted by the coordinator', code: 'CONFLICT' }],
    ]);
    expect(acks(e)).toEqual([]);
    expect(p.lockedKeys).toBe(1); // still held until the abort record is durable
    const f = p.step({ type: 'persisted', record: { kind: 'abort', txn: 't', hadPrepare: true, keys: expect.any(Array) } }, 3);
    expect(acks(f)).toEqual([[80, true]]);
    expect(p.lockedKeys).toBe(0);
    expect(p.view('t')).toBe('ABORTED');
    expect(p.counters.aborted).toBe(1);
    expect(p.counters.prepared).toBe(0);
  });

  it('a commit while the prepare record is still persisting contradicts the protocol: refused, alarmed, nothing applied', () => {
    const { p } = mk();
    toPersisting(p, msg('t', [put('k', '1')]));
    expect(p.step({ type: 'decision', replyTo: 1, txn: 't', outcome: 'COMMITTED' }, 0)).toEqual([
      { type: 'alarm', txn: 't', msg: expect.stringMatching(/told COMMITTED before its YES vote was durable/) },
      { type: 'reply', to: 1, reply: { kind: 'refused', txn: 't', reason: expect.stringMatching(/told COMMITTED before its YES vote was durable/) } },
    ]);
    expect(p.counters.contradictions).toBe(1);
    expect(p.view('t')).toBe('PREPARING');
  });

  it('abort after YES: forces an abort record, acks after it lands, releases locks', () => {
    const { p } = mk();
    toPrepared(p, msg('t', [put('k', '1')]));
    const e = p.step({ type: 'decision', replyTo: 90, txn: 't', outcome: 'ABORTED' }, 1);
    expect(e).toEqual([{ type: 'persist', record: { kind: 'abort', txn: 't', hadPrepare: true, keys: expect.any(Array) }, sync: true }]);
    // Changed: a decided abort in flight now reads ABORTED (it was PREPARED): peers that ask
    // during termination may follow it, since the coordinator decided it.
    expect(p.view('t')).toBe('ABORTED');
    expect(p.inDoubt()).toEqual([]); // decided, no longer in doubt
    // duplicate abort while the record is in flight
    expect(p.step({ type: 'decision', replyTo: 91, txn: 't', outcome: 'ABORTED' }, 1)).toEqual([]);
    // duplicate prepare while aborting
    expect(votes(p.step({ type: 'prepare', replyTo: 92, msg: msg('t', [put('k', '1')]) }, 1))).toEqual([
      [92, { kind: 'NO', reason: 'transaction is being aborted', code: 'CONFLICT' }],
    ]);
    // a commit now contradicts the decision: refused, not applied
    expect(p.step({ type: 'decision', replyTo: 93, txn: 't', outcome: 'COMMITTED' }, 1)).toEqual([
      { type: 'alarm', txn: 't', msg: expect.stringMatching(/told COMMITTED while aborting/) },
      { type: 'reply', to: 93, reply: { kind: 'refused', txn: 't', reason: expect.stringMatching(/told COMMITTED while aborting/) } },
    ]);
    expect(p.view('t')).toBe('ABORTED');
  });

  it('abort after YES then ack: both waiters acked once the abort record is durable', () => {
    const { p } = mk();
    toPrepared(p, msg('t', [put('k', '1')]));
    p.step({ type: 'decision', replyTo: 90, txn: 't', outcome: 'ABORTED' }, 1);
    p.step({ type: 'decision', replyTo: 91, txn: 't', outcome: 'ABORTED' }, 1);
    const f = p.step({ type: 'persisted', record: { kind: 'abort', txn: 't', hadPrepare: true, keys: expect.any(Array) } }, 2);
    expect(acks(f)).toEqual([
      [90, true],
      [91, true],
    ]);
    expect(p.lockedKeys).toBe(0);
  });

  it('abort before the prepare arrives: acked as unknown, remembered, and the late prepare votes NO without locking', () => {
    const { p } = mk();
    const e = p.step({ type: 'decision', replyTo: 100, txn: 'ghost', outcome: 'ABORTED' }, 0);
    expect(e).toEqual([{ type: 'reply', to: 100, reply: { kind: 'ack', txn: 'ghost', known: false } }]);
    expect(p.activeTxns).toBe(0);
    expect(p.view('ghost')).toBe('ABORTED');
    const v = p.step({ type: 'prepare', replyTo: 101, msg: msg('ghost', [put('k', '1')]) }, 1);
    expect(ofType(v, 'read')).toEqual([]);
    expect(v).toEqual([
      { type: 'reply', to: 101, reply: { kind: 'vote', txn: 'ghost', vote: { kind: 'NO', reason: 'transaction already aborted', code: 'CONFLICT' } } },
    ]);
    expect(p.lockedKeys).toBe(0);
  });

  it('a decision with no reply handle (from an inquiry) replies to nobody', () => {
    const { p } = mk();
    const e = p.step({ type: 'decision', replyTo: null, txn: 'x', outcome: 'ABORTED' }, 0);
    expect(e).toEqual([]);
  });
});

describe('ParticipantCore: commit duplicates', () => {
  it('commit twice while the commit record is in flight: both acked once, one record', () => {
    const { p } = mk();
    toPrepared(p, msg('t', [put('k', '1')]));
    const e1 = p.step({ type: 'decision', replyTo: 1, txn: 't', outcome: 'COMMITTED' }, 0);
    const e2 = p.step({ type: 'decision', replyTo: 2, txn: 't', outcome: 'COMMITTED' }, 0);
    expect(ofType(e1, 'persist')).toHaveLength(1);
    expect(e2).toEqual([]);
    // duplicate prepare while committing answers YES
    expect(votes(p.step({ type: 'prepare', replyTo: 3, msg: msg('t', [put('k', '1')]) }, 0))[0]![1].kind).toBe('YES');
    // abort contradicts: refused
    expect(p.step({ type: 'decision', replyTo: 4, txn: 't', outcome: 'ABORTED' }, 0)).toEqual([
      { type: 'alarm', txn: 't', msg: expect.stringMatching(/told ABORTED while committing/) },
      { type: 'reply', to: 4, reply: { kind: 'refused', txn: 't', reason: expect.stringMatching(/told ABORTED while committing/) } },
    ]);
    const rec = ofType(e1, 'persist')[0]!.record;
    expect(acks(p.step({ type: 'persisted', record: rec }, 1))).toEqual([
      [1, true],
      [2, true],
    ]);
  });

  it('commit after the txn ended: acked known; duplicate prepare answers YES with the results', () => {
    const { p } = mk();
    const { vote } = toPrepared(p, msg('t', [put('k', '1')]));
    commit(p, 't');
    expect(p.step({ type: 'decision', replyTo: 5, txn: 't', outcome: 'COMMITTED' }, 1)).toEqual([
      { type: 'reply', to: 5, reply: { kind: 'ack', txn: 't', known: true } },
    ]);
    expect(votes(p.step({ type: 'prepare', replyTo: 6, msg: msg('t', [put('k', '1')]) }, 1))).toEqual([[6, vote]]);
    expect(p.lockedKeys).toBe(0);
  });

  it('commit told after the txn ended ABORTED (and vice versa) is refused and alarmed, never applied, never a crash', () => {
    const { p } = mk();
    toPrepared(p, msg('a', [put('k', '1')]));
    p.step({ type: 'decision', replyTo: 1, txn: 'a', outcome: 'ABORTED' }, 0);
    p.step({ type: 'persisted', record: { kind: 'abort', txn: 'a', hadPrepare: true, keys: expect.any(Array) } }, 0);
    expect(p.step({ type: 'decision', replyTo: 2, txn: 'a', outcome: 'COMMITTED' }, 0)).toEqual([
      { type: 'alarm', txn: 'a', msg: expect.stringMatching(/txn a told COMMITTED after it ended ABORTED/) },
      { type: 'reply', to: 2, reply: { kind: 'refused', txn: 'a', reason: expect.stringMatching(/txn a told COMMITTED after it ended ABORTED/) } },
    ]);
    toPrepared(p, msg('c', [put('k', '1')]));
    commit(p, 'c');
    expect(p.step({ type: 'decision', replyTo: 3, txn: 'c', outcome: 'ABORTED' }, 0)).toEqual([
      { type: 'alarm', txn: 'c', msg: expect.stringMatching(/txn c told ABORTED after it ended COMMITTED/) },
      { type: 'reply', to: 3, reply: { kind: 'refused', txn: 'c', reason: expect.stringMatching(/txn c told ABORTED after it ended COMMITTED/) } },
    ]);
    expect(p.view('a')).toBe('ABORTED');
    expect(p.view('c')).toBe('COMMITTED');
    expect(p.counters.contradictions).toBe(2);
    // A made-up id: Abort then Commit (the "evil-1") is refused the same way.
    p.step({ type: 'decision', replyTo: 5, txn: 'evil-1', outcome: 'ABORTED' }, 0);
    expect(acks(p.step({ type: 'decision', replyTo: 6, txn: 'evil-1', outcome: 'COMMITTED' }, 0))).toEqual([]);
    // duplicate abort of an ended abort is fine
    expect(acks(p.step({ type: 'decision', replyTo: 4, txn: 'a', outcome: 'ABORTED' }, 0))).toEqual([[4, true]]);
  });
});

describe('ParticipantCore: duplicate prepares', () => {
  it('duplicates while locking/reading/persisting all get the vote once it is known', () => {
    const { p } = mk();
    const m = msg('t', [put('k', '1')]);
    p.step({ type: 'prepare', replyTo: 1, msg: m }, 0);
    expect(p.step({ type: 'prepare', replyTo: 2, msg: m }, 0)).toEqual([]); // reading
    const e = p.step({ type: 'readDone', txn: 't', values: new Map(), finished: null }, 0);
    const rec = ofType(e, 'persist')[0]!.record;
    expect(p.step({ type: 'prepare', replyTo: 3, msg: m }, 0)).toEqual([]); // persisting
    const v = p.step({ type: 'persisted', record: rec }, 0);
    expect(votes(v).map(([h, x]) => [h, x.kind])).toEqual([
      [1, 'YES'],
      [2, 'YES'],
      [3, 'YES'],
    ]);
    // prepared: answered at once
    expect(votes(p.step({ type: 'prepare', replyTo: 4, msg: m }, 0)).map(([h, x]) => [h, x.kind])).toEqual([[4, 'YES']]);
    expect(p.counters.prepared).toBe(1);
  });

  it('duplicate prepare while waiting for locks is answered when the wait ends', () => {
    const { p } = mk();
    toPrepared(p, msg('young', [put('k', '1')], 9));
    p.step({ type: 'prepare', replyTo: 1, msg: msg('old', [put('k', '2')], 1) }, 0);
    expect(p.step({ type: 'prepare', replyTo: 2, msg: msg('old', [put('k', '2')], 1) }, 0)).toEqual([]);
    expect(p.counters.lockWaits).toBe(1);
    const e = p.step({ type: 'timer', timer: { kind: 'lockWait', txn: 'old' } }, 5000);
    expect(votes(e).map(([h, v]) => [h, v.kind])).toEqual([
      [1, 'NO'],
      [2, 'NO'],
    ]);
  });

  it('a duplicate prepare of a txn that ended before memory was lost is answered from the outcome log (readDone.finished)', () => {
    const { p } = mk({ recentOutcomes: 1 });
    toPrepared(p, msg('t', [put('k', '1')]));
    commit(p, 't');
    toPrepared(p, msg('other', [put('z', '1')]));
    commit(p, 'other'); // evicts t from memory
    expect(p.view('t')).toBeNull();
    const m = msg('t', [put('k', '1')]);
    const e1 = p.step({ type: 'prepare', replyTo: 7, msg: m }, 0);
    expect(ofType(e1, 'read')).toHaveLength(1);
    const finished: ParticipantOutcomeRecord = { txn: 't', outcome: 'COMMITTED', results: [{ key: 'k', found: false, value: '1', version: 1 }] };
    const e2 = p.step({ type: 'readDone', txn: 't', values: new Map([['k', { value: '1', version: 1 }]]), finished }, 0);
    expect(e2).toEqual([{ type: 'reply', to: 7, reply: { kind: 'vote', txn: 't', vote: { kind: 'YES', results: finished.results } } }]);
    expect(p.lockedKeys).toBe(0);
    expect(p.activeTxns).toBe(0);
    expect(p.view('t')).toBe('COMMITTED');

    const ab: ParticipantOutcomeRecord = { txn: 'u', outcome: 'ABORTED', results: [] };
    p.step({ type: 'prepare', replyTo: 8, msg: msg('u', [put('k', '1')]) }, 0);
    expect(votes(p.step({ type: 'readDone', txn: 'u', values: new Map(), finished: ab }, 0))).toEqual([
      [8, { kind: 'NO', reason: 'transaction already aborted', code: 'CONFLICT' }],
    ]);
  });

  it('a readDone.finished releases the locks and wakes waiters', () => {
    const { p } = mk();
    p.step({ type: 'prepare', replyTo: 1, msg: msg('dup', [put('k', '1')], 50) }, 0);
    p.step({ type: 'prepare', replyTo: 2, msg: msg('old', [put('k', '2')], 1) }, 0);
    const e = p.step({ type: 'readDone', txn: 'dup', values: new Map(), finished: { txn: 'dup', outcome: 'ABORTED', results: [] } }, 0);
    expect(ofType(e, 'read')).toEqual([{ type: 'read', txn: 'old', keys: ['k'] }]);
  });

  it('duplicate persisted events are invariant violations', () => {
    const { p } = mk();
    const { record } = toPrepared(p, msg('t', [put('k', '1')]));
    expect(() => p.step({ type: 'persisted', record }, 0)).toThrow(/persisted in phase prepared/);
    expect(() => p.step({ type: 'persisted', record: { kind: 'commit', txn: 't', writes: [], results: [] } }, 0)).toThrow(
      /commit of t persisted in phase prepared/,
    );
  });
});

describe('ParticipantCore: inquiry', () => {
  // Changed with cooperative termination: an UNREACHABLE answer, or a second PENDING one, no
  // longer schedules the next inquiry at once; the participant first asks its peers
  // (queryPeer), and only when they are all as uncertain as it is does it schedule the next
  // inquiry (backoff unchanged). A first PENDING only means "still running": plain backoff.
  it('a YES voter inquires when the timer fires; backs off on PENDING/UNDECIDED/UNREACHABLE up to the max (asking its peers after UNDECIDED or UNREACHABLE, never after PENDING); commits on COMMITTED', () => {
    const { p } = mk();
    toPrepared(p, msg('t', [put('k', '1')]));
    const t1 = p.step({ type: 'timer', timer: { kind: 'inquire', txn: 't' } }, 100);
    expect(t1).toEqual([{ type: 'inquire', txn: 't', coordinatorId: 'c1', coordinatorAddr: 'c1:7000' }]);
    expect(p.counters.inquiries).toBe(1);
    /** An undecided inquiry (answered by p2 as uncertain if a termination starts): [asked peers, delay of the next inquiry]. */
    const undecided = (outcome: 'PENDING' | 'UNDECIDED' | 'UNREACHABLE', at: number): [boolean, number] => {
      const r = p.step({ type: 'inquiryResult', txn: 't', outcome }, at);
      const asked = ofType(r, 'queryPeer');
      if (asked.length === 0) {
        expect(r).toEqual([{ type: 'setTimer', timer: { kind: 'inquire', txn: 't' }, at: expect.any(Number) }]);
        return [false, ofType(r, 'setTimer')[0]!.at - at];
      }
      // 2pc asks without abortIfUnvoted: a forgotten READ_ONLY branch cannot tell voted from never seen
      expect(asked).toEqual([{ type: 'queryPeer', txn: 't', to: 'p2', addr: 'p2:1', abortIfUnvoted: false }]);
      expect(ofType(r, 'setTimer')).toEqual([]);
      const a = p.step({ type: 'peerState', txn: 't', from: 'p2', state: 'PREPARED' }, at + 3);
      expect(a.filter((x) => x.type !== 'log')).toEqual([{ type: 'setTimer', timer: { kind: 'inquire', txn: 't' }, at: expect.any(Number) }]);
      return [true, ofType(a, 'setTimer')[0]!.at - (at + 3)];
    };
    // PENDING: the coordinator runs it and will decide: only wait (however often it is said)
    expect(undecided('PENDING', 110)).toEqual([false, 200]);
    expect(undecided('PENDING', 400)).toEqual([false, 400]);
    expect(undecided('PENDING', 900)).toEqual([false, 500]); // capped at 500
    expect(p.counters.terminations).toBe(0);
    // UNDECIDED (no record there) or UNREACHABLE: ask the peers first
    expect(undecided('UNDECIDED', 1500)).toEqual([true, 500]);
    expect(undecided('UNREACHABLE', 2000)).toEqual([true, 500]);
    expect(undecided('PENDING', 2600)).toEqual([false, 500]);
    expect(p.counters.terminations).toBe(2);
    const c = p.step({ type: 'inquiryResult', txn: 't', outcome: 'COMMITTED' }, 3000);
    expect(ofType(c, 'persist').map((x) => x.record.kind)).toEqual(['commit']);
    expect(replies(c)).toEqual([]);
    const done = p.step({ type: 'persisted', record: ofType(c, 'persist')[0]!.record }, 3001);
    expect(replies(done)).toEqual([]);
    expect(p.view('t')).toBe('COMMITTED');
  });

  it('inquiry ABORTED aborts a prepared txn', () => {
    const { p } = mk();
    toPrepared(p, msg('t', [put('k', '1')]));
    const e = p.step({ type: 'inquiryResult', txn: 't', outcome: 'ABORTED' }, 1);
    expect(e).toEqual([{ type: 'persist', record: { kind: 'abort', txn: 't', hadPrepare: true, keys: expect.any(Array) }, sync: true }]);
  });

  it('inquiry results and timers for txns not in doubt are ignored', () => {
    const { p } = mk();
    expect(p.step({ type: 'inquiryResult', txn: 'nope', outcome: 'COMMITTED' }, 0)).toEqual([]);
    expect(p.step({ type: 'timer', timer: { kind: 'inquire', txn: 'nope' } }, 0)).toEqual([]);
    toPrepared(p, msg('t', [put('k', '1')]));
    p.step({ type: 'decision', replyTo: 1, txn: 't', outcome: 'COMMITTED' }, 0); // committing
    expect(p.step({ type: 'inquiryResult', txn: 't', outcome: 'ABORTED' }, 0)).toEqual([]);
    expect(p.step({ type: 'timer', timer: { kind: 'inquire', txn: 't' } }, 0)).toEqual([]);
    // a txn still locking never inquires
    p.step({ type: 'prepare', replyTo: 2, msg: msg('u', [put('q', '1')]) }, 0);
    expect(p.step({ type: 'timer', timer: { kind: 'inquire', txn: 'u' } }, 0)).toEqual([]);
    expect(p.step({ type: 'inquiryResult', txn: 'u', outcome: 'ABORTED' }, 0)).toEqual([]);
    expect(p.view('u')).toBe('PREPARING');
  });
});

describe('ParticipantCore: recover', () => {
  const rec = (txn: string, key: string, ageMs: number): PrepareRecord => ({
    txn,
    coordinatorId: 'c9',
    coordinatorAddr: 'c9:1',
    participants: ['p1', 'p2'],
    participantAddrs: ['p1:1', 'p2:1'],
    age: { ms: ageMs, id: txn },
    locks: [{ key, mode: 'X' }],
    writes: [{ key, value: 'w', version: 4 }],
    results: [{ key, found: true, value: 'w', version: 4 }],
  });

  it('re-takes the locks of prepared txns and inquires at once', () => {
    const { p, effects } = mk({}, [rec('a', 'k1', 5), rec('b', 'k2', 6)]);
    expect(ofType(effects, 'inquire')).toEqual([
      { type: 'inquire', txn: 'a', coordinatorId: 'c9', coordinatorAddr: 'c9:1' },
      { type: 'inquire', txn: 'b', coordinatorId: 'c9', coordinatorAddr: 'c9:1' },
    ]);
    expect(p.inDoubt().sort()).toEqual(['a', 'b']);
    expect(p.lockedKeys).toBe(2);
    expect(p.view('a')).toBe('PREPARED');
    // a younger newcomer dies on the recovered lock, as on any other
    expect(votes(p.step({ type: 'prepare', replyTo: 1, msg: msg('n', [get('k1')], 100) }, 0))[0]![1]).toEqual({
      kind: 'NO',
      reason: 'conflict on key k1: held by an older transaction a',
      code: 'CONFLICT',
    });
    // a duplicate prepare answers YES with the recorded results
    expect(votes(p.step({ type: 'prepare', replyTo: 2, msg: msg('a', [put('k1', 'w')], 5) }, 0))).toEqual([
      [2, { kind: 'YES', results: [{ key: 'k1', found: true, value: 'w', version: 4 }] }],
    ]);
    // commit writes the recovered writes
    const c = p.step({ type: 'decision', replyTo: 3, txn: 'a', outcome: 'COMMITTED' }, 0);
    expect(ofType(c, 'persist')[0]!.record).toEqual({
      kind: 'commit',
      txn: 'a',
      writes: [{ key: 'k1', value: 'w', version: 4 }],
      results: [{ key: 'k1', found: true, value: 'w', version: 4 }],
    });
    // a PENDING answer schedules the next inquiry with backoff
    expect(p.step({ type: 'inquiryResult', txn: 'b', outcome: 'PENDING' }, 10)).toEqual([{ type: 'setTimer', timer: { kind: 'inquire', txn: 'b' }, at: 210 }]);
    // New: an UNREACHABLE coordinator makes it ask its peers first; the next inquiry (with
    // backoff) is scheduled once they turn out to be uncertain (or unreachable) too.
    expect(ofType(p.step({ type: 'inquiryResult', txn: 'b', outcome: 'UNREACHABLE' }, 210), 'queryPeer')).toEqual([
      { type: 'queryPeer', txn: 'b', to: 'p2', addr: 'p2:1', abortIfUnvoted: false },
    ]);
    expect(ofType(p.step({ type: 'peerState', txn: 'b', from: 'p2', state: 'UNREACHABLE' }, 215), 'setTimer')).toEqual([
      { type: 'setTimer', timer: { kind: 'inquire', txn: 'b' }, at: 615 },
    ]);
  });

  it('conflicting recovered prepare records are an invariant violation', () => {
    expect(() => mk({}, [rec('a', 'k', 1), rec('b', 'k', 2)])).toThrow(InvariantViolation);
  });
});

describe('ParticipantCore: the planted isolation bugs do what they say (and only when asked)', () => {
  const writerOf = (p: ParticipantCore, txn: string, key: string, at: number) =>
    p.step({ type: 'prepare', replyTo: nextHandle(), msg: msg(txn, [put(key, 'w')], 0) }, at);

  it('releaseReadLocksAtVote: once the reader voted YES, an older writer takes the key it only read; without the bug it waits', () => {
    for (const bug of [false, true]) {
      const { p } = mk(bug ? { releaseReadLocksAtVote: true } : {});
      toPrepared(p, msg('t1', [get('a'), put('b', 'x')], 5));
      const w = writerOf(p, 'w-old', 'a', 1);
      expect(ofType(w, 'read').length).toBe(bug ? 1 : 0);
      // The write lock stays: a writer of b still waits.
      expect(ofType(writerOf(p, 'w-b', 'b', 2), 'read')).toEqual([]);
    }
  });

  it('readsTakeNoLocks: a read does not wait for a prepared writer and sees the committed state; without the bug it waits', () => {
    for (const bug of [false, true]) {
      const { p } = mk(bug ? { readsTakeNoLocks: true } : {});
      toPrepared(p, msg('w', [put('a', 'new')], 5));
      const r = p.step({ type: 'prepare', replyTo: nextHandle(), msg: msg('r-old', [get('a'), put('c', 'y')], 1) }, 1);
      expect(ofType(r, 'read')).toEqual(bug ? [{ type: 'read', txn: 'r-old', keys: ['a', 'c'] }] : []);
    }
  });
});
