import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { coordinatorConfig, keysByOwner } from '../support/coreFixtures.js';
import { CoordinatorCore, resultsByIndex, type CoordinatorEffect, type CoordinatorReply, type TransactMessage } from '../../src/protocol/coordinatorCore.js';
import { ownerOfTxn } from '../../src/protocol/ownership.js';
import type { StateAnswer } from '../../src/protocol/coordinatorTxn.js';
import type { PeerState, TxnOp } from '../../src/protocol/types.js';

const COORDS = ['c1', 'c2'];
const k = keysByOwner(1);

/** An id of the client's choosing that `owner` owns among c1, c2. */
function idOwnedBy(owner: string, tag = 'order'): string {
  for (let i = 0; i < 1000; i++) if (ownerOfTxn(`${tag}-${i}`, COORDS) === owner) return `${tag}-${i}`;
  throw new Error('no id found');
}

function mk(self = 'c1') {
  const c = new CoordinatorCore(self, coordinatorConfig({ coordinators: COORDS }));
  c.step({ type: 'recover', pending: [] }, 0);
  return c;
}

function tmsg(txn: string, ops: TxnOp[], forwarded = false): TransactMessage {
  return { txn, ops, age: { ms: 1, id: txn }, timeoutMs: 1000, digest: `d-${txn}`, clientId: true, protocol: '2pc', ...(forwarded ? { forwarded } : {}) };
}

const ofType = <T extends CoordinatorEffect['type']>(effs: CoordinatorEffect[], type: T) =>
  effs.filter((e): e is Extract<CoordinatorEffect, { type: T }> => e.type === type);
const replies = (effs: CoordinatorEffect[]): CoordinatorReply[] => ofType(effs, 'reply').map((r) => r.reply);
const answer = (state: PeerState): StateAnswer => ({ state, protocol: state === 'PREPARED' ? '2pc' : null, participants: ['p1', 'p2', 'p3'], results: [] });

describe('ownerOfTxn', () => {
  it('gives an id a coordinator made to that coordinator, and any other id to one coordinator whatever the list order', () => {
    expect(ownerOfTxn('c2-abc', ['c1', 'c2'])).toBe('c2');
    expect(ownerOfTxn('c1-abc', ['c2', 'c1', 'c10'])).toBe('c1');
    expect(ownerOfTxn('c10-abc', ['c1', 'c10'])).toBe('c10');
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), (id) => {
        expect(ownerOfTxn(id, ['c1', 'c2', 'c3'])).toBe(ownerOfTxn(id, ['c3', 'c1', 'c2']));
      }),
    );
  });

  it('spreads client-chosen ids over the coordinators', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const o = ownerOfTxn(`transfer-${i}`, ['c1', 'c2', 'c3']);
      counts.set(o, (counts.get(o) ?? 0) + 1);
    }
    for (const c of ['c1', 'c2', 'c3']) expect(counts.get(c)).toBeGreaterThan(800);
  });
});

describe('CoordinatorCore with several coordinators', () => {
  it('passes a transaction it does not own to the owner and relays its answer, preparing nothing itself', () => {
    const c = mk('c1');
    const id = idOwnedBy('c2');
    const effs = c.step({ type: 'transact', replyTo: 1, msg: tmsg(id, [{ type: 'put', key: k('p1'), value: 'v' }]) }, 0);
    expect(ofType(effs, 'send')).toEqual([]);
    expect(ofType(effs, 'forward')).toEqual([{ type: 'forward', txn: id, to: 'c2', msg: expect.objectContaining({ txn: id }) }]);
    // a second caller of the same id joins; one forward only
    expect(ofType(c.step({ type: 'transact', replyTo: 2, msg: tmsg(id, [{ type: 'put', key: k('p1'), value: 'v' }]) }, 1), 'forward')).toEqual([]);
    const out = c.step({ type: 'forwarded', txn: id, reply: { kind: 'outcome', txn: id, outcome: 'COMMITTED', reason: '', results: [], participants: [] } }, 2);
    expect(replies(out).map((r) => (r.kind === 'outcome' ? r.outcome : r.status))).toEqual(['COMMITTED', 'COMMITTED']);
    expect(ofType(out, 'persist')).toEqual([]);
    expect(c.activeTxns).toBe(0);
  });

  it('runs an id it owns itself', () => {
    const c = mk('c1');
    const id = idOwnedBy('c1');
    expect(c.step({ type: 'transact', replyTo: 1, msg: tmsg(id, [{ type: 'put', key: k('p1'), value: 'v' }]) }, 0)).toEqual([{ type: 'lookup', txn: id }]);
  });

  it('with the owner unreachable, never presumes abort: 2pc all prepared is PENDING naming the owner, nothing written or sent', () => {
    const c = mk('c2');
    const id = idOwnedBy('c1');
    const q = c.step({ type: 'query', replyTo: 1, txn: id }, 0);
    expect(ofType(q, 'forward')).toHaveLength(1);
    const ask = c.step({ type: 'forwarded', txn: id, reply: null }, 1);
    // A question names no protocol: nothing is aborted (a forgotten 2pc read may have committed).
    expect(ofType(ask, 'send').map((s) => [s.to, s.message])).toEqual(['p1', 'p2', 'p3'].map((p) => [p, { kind: 'query', txn: id, abortIfUnvoted: false }]));
    let out: CoordinatorEffect[] = [];
    for (const p of ['p1', 'p2', 'p3']) out = c.step({ type: 'txnState', txn: id, from: p, answer: answer('PREPARED') }, 2);
    expect(replies(out)).toEqual([expect.objectContaining({ kind: 'outcome', outcome: 'PENDING', owner: 'c1', inProgress: false })]);
    expect(ofType(out, 'persist')).toEqual([]);
    expect(ofType(out, 'send')).toEqual([]);
  });

  it('with the owner unreachable, tells what a participant knows for certain', () => {
    const c = mk('c2');
    const id = idOwnedBy('c1');
    c.step({ type: 'query', replyTo: 1, txn: id }, 0);
    c.step({ type: 'forwarded', txn: id, reply: null }, 1);
    c.step({ type: 'txnState', txn: id, from: 'p1', answer: answer('COMMITTED') }, 2);
    c.step({ type: 'txnState', txn: id, from: 'p2', answer: answer('PREPARED') }, 2);
    const out = c.step({ type: 'txnState', txn: id, from: 'p3', answer: answer('PREPARED') }, 2);
    expect(replies(out)).toEqual([expect.objectContaining({ outcome: 'COMMITTED' })]);
    // the in-doubt branches learn it too; no record is written by a coordinator that does not own the id
    expect(ofType(out, 'send').map((s) => [s.to, s.message.kind])).toEqual([
      ['p2', 'commit'],
      ['p3', 'commit'],
    ]);
    expect(ofType(out, 'persist')).toEqual([]);
  });

  it('puts a committed transaction it never saw back in request order from the indexes its participants keep', () => {
    const c = mk('c2');
    const id = idOwnedBy('c1');
    c.step({ type: 'query', replyTo: 1, txn: id }, 0);
    c.step({ type: 'forwarded', txn: id, reply: null }, 1);
    const res = (key: string, index: number) => ({ key, found: true, value: key, version: 1, index, of: 3 });
    c.step({ type: 'txnState', txn: id, from: 'p1', answer: { ...answer('COMMITTED'), results: [res('b', 1)] } }, 2);
    c.step({ type: 'txnState', txn: id, from: 'p2', answer: { ...answer('PREPARED'), results: [res('a', 0), res('c', 2)] } }, 2);
    const out = c.step({ type: 'txnState', txn: id, from: 'p3', answer: answer('ABORTED') }, 2);
    const [reply] = replies(out);
    expect(reply).toMatchObject({ outcome: 'COMMITTED' });
    expect(reply!.kind === 'outcome' && reply!.results).toEqual(['a', 'b', 'c'].map((key) => ({ key, found: true, value: key, version: 1 })));
  });

  it.each([
    // nb forces every vote: every participant is asked to abort if unvoted, and its ABORT is certain
    ['nb', [{ type: 'put', key: k('p1'), value: 'v' }], ['p1', 'p2', 'p3'], 'ABORTED'],
    // 2pc: a write forces its YES, so the writer's ABORT is certain
    ['2pc', [{ type: 'put', key: k('p1'), value: 'v' }], ['p1'], 'ABORTED'],
    // 2pc, reads only: a released READ_ONLY branch forgets; no trace is no proof, nobody is aborted
    ['2pc', [{ type: 'get', key: k('p1') }], [], 'PENDING'],
  ] as const)('a %s transaction %j whose owner is unreachable, never voted on: asks %j to abort, says %s', (protocol, ops, aborters, outcome) => {
    const c = mk('c2');
    const id = idOwnedBy('c1');
    c.step({ type: 'transact', replyTo: 1, msg: { ...tmsg(id, [...ops]), protocol } }, 0);
    const ask = c.step({ type: 'forwarded', txn: id, reply: null }, 1);
    expect(ofType(ask, 'send').map((s) => s.message.kind === 'query' && s.message.abortIfUnvoted && s.to)).toEqual(
      ['p1', 'p2', 'p3'].map((p) => (aborters as readonly string[]).includes(p) && p),
    );
    let out: CoordinatorEffect[] = [];
    for (const p of ['p1', 'p2', 'p3'])
      out = c.step({ type: 'txnState', txn: id, from: p, answer: answer((aborters as readonly string[]).includes(p) ? 'ABORTED' : 'UNKNOWN') }, 2);
    expect(replies(out)).toEqual([expect.objectContaining({ kind: 'outcome', outcome })]);
    expect(ofType(out, 'persist')).toEqual([]);
  });

  it('refuses a forwarded request for an id it does not own (the coordinators disagree on the list)', () => {
    const c = mk('c1');
    const id = idOwnedBy('c2');
    const out = c.step({ type: 'transact', replyTo: 1, msg: tmsg(id, [{ type: 'put', key: k('p1'), value: 'v' }], true) }, 0);
    expect(replies(out)).toEqual([expect.objectContaining({ kind: 'rejected', status: 'FAILED_PRECONDITION' })]);
    expect(ofType(out, 'alarm')).toHaveLength(1);
    expect(ofType(out, 'forward')).toEqual([]);
  });
});

describe('ownerOfTxn spreads ids that differ only at the end', () => {
  it('a counter at the end of the id does not keep neighbours on one coordinator', () => {
    let same = 0;
    let prev = '';
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const o = ownerOfTxn(`transfer-${i}`, ['c1', 'c2']);
      counts.set(o, (counts.get(o) ?? 0) + 1);
      if (o === prev) same++;
      prev = o;
    }
    expect(counts.get('c1')).toBeGreaterThan(850);
    expect(counts.get('c2')).toBeGreaterThan(850);
    expect(same / 1999).toBeGreaterThan(0.4);
    expect(same / 1999).toBeLessThan(0.6);
  });
});

describe('review findings (issue 13)', () => {
  it("an id made by a coordinator whose id extends another one's is its own (longest prefix)", () => {
    expect(ownerOfTxn('coord-2-abc', ['coord', 'coord-2'])).toBe('coord-2');
    expect(ownerOfTxn('coord-abc', ['coord', 'coord-2'])).toBe('coord');
  });

  it('a request that joins a forwarded question goes to the owner itself once the answer to the question is in', () => {
    const c = mk('c1');
    const id = idOwnedBy('c2');
    expect(ofType(c.step({ type: 'query', replyTo: 1, txn: id }, 0), 'forward')).toEqual([{ type: 'forward', txn: id, to: 'c2', msg: null }]);
    expect(c.step({ type: 'transact', replyTo: 2, msg: tmsg(id, [{ type: 'put', key: k('p1'), value: 'v' }]) }, 1)).toEqual([]);
    const out = c.step(
      {
        type: 'forwarded',
        txn: id,
        reply: { kind: 'outcome', txn: id, outcome: 'PENDING', inProgress: false, reason: 'no record yet', results: [], participants: [] },
      },
      2,
    );
    expect(replies(out).map((r) => r.kind === 'outcome' && r.outcome)).toEqual(['PENDING']);
    expect(ofType(out, 'forward')).toEqual([{ type: 'forward', txn: id, to: 'c2', msg: expect.objectContaining({ txn: id }) }]);
    const done = c.step(
      { type: 'forwarded', txn: id, reply: { kind: 'outcome', txn: id, outcome: 'COMMITTED', reason: '', results: [], participants: [] } },
      3,
    );
    expect(replies(done).map((r) => r.kind === 'outcome' && r.outcome)).toEqual(['COMMITTED']);
    expect(c.activeTxns).toBe(0);
  });

  it('a request naming another protocol than the one its participants hold is not judged by its own rules', () => {
    const c = mk('c2');
    const id = idOwnedBy('c1');
    // The owner ran it as 2pc (a read on p1, released and forgotten; a write prepared on p2); this request says nb.
    c.step(
      {
        type: 'transact',
        replyTo: 1,
        msg: {
          ...tmsg(id, [
            { type: 'get', key: k('p1') },
            { type: 'put', key: k('p2'), value: 'v' },
          ]),
          protocol: 'nb',
        },
      },
      0,
    );
    c.step({ type: 'forwarded', txn: id, reply: null }, 1);
    c.step({ type: 'txnState', txn: id, from: 'p1', answer: answer('ABORTED') }, 2);
    c.step({ type: 'txnState', txn: id, from: 'p3', answer: answer('ABORTED') }, 2);
    const out = c.step({ type: 'txnState', txn: id, from: 'p2', answer: answer('PREPARED') }, 2);
    expect(replies(out)).toEqual([expect.objectContaining({ outcome: 'PENDING', owner: 'c1' })]);
    expect(ofType(out, 'send')).toEqual([]);
  });

  it('results with a branch missing are not passed off as complete (the prepare says how many ops there are)', () => {
    const res = (key: string, index: number) => ({ key, found: true, value: key, version: 1, index, of: 3 });
    const a = (state: PeerState, results: ReturnType<typeof res>[]) => ({ ...answer(state), results });
    expect(resultsByIndex([a('COMMITTED', [res('a', 0), res('b', 1)]), a('UNREACHABLE', [])])).toBeNull();
    expect(resultsByIndex([a('COMMITTED', [res('a', 0), res('b', 1)]), a('COMMITTED', [res('c', 2)])])!.map((r) => r.key)).toEqual(['a', 'b', 'c']);
  });
});
