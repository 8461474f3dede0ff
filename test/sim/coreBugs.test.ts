/**
 * Core bugs found by the simulator (src/sim), all fixed. Each keeps a test at the level of the
 * core here, and a scripted scenario in test/sim/scenarios/ that reproduces it end to end
 * (2pc-read-only-*, 2pc-aborted-id-stays-aborted, nb-*, 3pc-*).
 *
 * Read-only branches and presumed abort: the coordinator does not force the decision of a
 * transaction in which every participant voted READ_ONLY (at most an unforced record), so
 * after a coordinator crash (or once its memory of the id is gone) the same id can be decided
 * again as ABORTED — by the tombstone an inquiring participant triggers, or by a client's
 * idempotent retry that re-runs the id and meets "read-only transaction already finished
 * here". The first decision's messages may still be in flight. A participant that
 * remembers the read-only branch's first outcome then receives the other one and
 * ParticipantCore.onDecision throws InvariantViolation ("txn … told ABORTED after it ended
 * COMMITTED" or the reverse): the real runtime exits with code 70. For a read-only branch
 * nothing was written, so the two outcomes do not contradict anything durable: the
 * participant should just acknowledge.
 */
import { describe, expect, it } from 'vitest';
import { CoordinatorCore, type CoordinatorConfig, type CoordinatorEffect, type CoordinatorReply } from '../../src/protocol/coordinatorCore.js';
import { ParticipantCore, type ParticipantEffect, type PrepareMessage } from '../../src/protocol/participantCore.js';
import type { PrepareRecord } from '../../src/protocol/records.js';
import { ownerOf } from '../../src/protocol/routing.js';
import type { ProtocolName, TxnOp } from '../../src/protocol/types.js';

const cfg = { inquireAfterMs: 300, inquireMaxBackoffMs: 2000, maxLockWaiters: 100, recentOutcomes: 100, fenceCheck: null };

function readOnlyBranch(): ParticipantCore {
  const p = new ParticipantCore('p1', cfg);
  p.step({ type: 'recover', prepared: [] }, 0);
  const effs: ParticipantEffect[] = p.step(
    {
      type: 'prepare',
      replyTo: 1,
      msg: {
        txn: 't1',
        coordinatorId: 'c1',
        coordinatorAddr: 'sim://c1',
        ops: [{ type: 'get', key: 'a' }],
        participants: ['p1', 'p2'],
        participantAddrs: ['p1', 'p2'],
        protocol: '2pc',
        age: { ms: 0, id: 't1' },
        lockWaitMs: 100,
      },
    },
    1,
  );
  expect(effs.map((e) => e.type)).toEqual(['read']);
  const voted = p.step({ type: 'readDone', txn: 't1', values: new Map([['a', { value: '5', version: 1 }]]), finished: null }, 2);
  expect(voted[0]).toMatchObject({ type: 'reply', reply: { kind: 'vote', vote: { kind: 'READ_ONLY' } } });
  return p;
}

describe('core bug: a read-only branch told both outcomes crashes the participant', () => {
  it('tombstone ABORTED (after the coordinator lost its unforced read-only record), then the late COMMIT', async () => {
    const p = readOnlyBranch();
    p.step({ type: 'inquiryResult', txn: 't1', outcome: 'ABORTED' }, 400);
    expect(() => p.step({ type: 'decision', replyTo: 2, txn: 't1', outcome: 'COMMITTED' }, 500)).not.toThrow();
  });

  it('COMMIT, then an ABORT from a client retry that re-ran the same id', async () => {
    const p = readOnlyBranch();
    p.step({ type: 'decision', replyTo: 2, txn: 't1', outcome: 'COMMITTED' }, 10);
    expect(() => p.step({ type: 'decision', replyTo: 3, txn: 't1', outcome: 'ABORTED' }, 500)).not.toThrow();
  });
});

/**
 * Presumed abort lets an id that was answered ABORTED run again. The coordinator answers a
 * client ABORTED and writes the abort record unforced; a coordinator crash loses it; a
 * delayed duplicate of the same Transact (or any late retry with the id) then finds no record,
 * so CoordinatorCore.onLookupDone starts the transaction afresh — and it can COMMIT. The
 * client was told ABORTED (and may already have retried under a new id: the transfer then
 * applies twice). README promises that a retry with the same id never applies twice; that holds
 * for ids fenced by GetTransaction's forced tombstone, not for a Transact that was answered
 * ABORTED. Found by seed 10048 (3 participants): "client of t57 was told ABORTED, then COMMITTED".
 */

describe('core bug: an id answered ABORTED can commit after a coordinator restart', () => {
  const cfg = {
    participants: ['p1', 'p2'],
    participantAddrs: { p1: 'p1', p2: 'p2' },
    selfAddr: 'sim://c1',
    precommitTimeoutMs: 400,
    maxLockWaitMs: 200,
    resendMinMs: 100,
    resendMaxMs: 2000,
    maxActiveTxns: 100,
    recentOutcomes: 100,
  };
  const msg = {
    txn: 'x1',
    ops: [
      { type: 'add' as const, key: 'acct0', delta: -5n, min: 0n },
      { type: 'add' as const, key: 'acct1', delta: 5n },
    ],
    age: { ms: 0, id: 'x1' },
    timeoutMs: 1000,
    digest: 'd1',
    clientId: true,
    protocol: '2pc' as const,
  };

  it('core level: a client-chosen id is told ABORTED only once the abort is durable, and a retry after a crash stays aborted', async () => {
    const c1 = new CoordinatorCore('c1', cfg);
    c1.step({ type: 'recover', pending: [] }, 0);
    c1.step({ type: 'transact', replyTo: 1, msg }, 1);
    const sends = c1.step({ type: 'lookupDone', txn: 'x1', record: null }, 2).filter((e) => e.type === 'send');
    const first = sends[0] as Extract<CoordinatorEffect, { type: 'send' }>;
    const aborted = c1.step({ type: 'vote', txn: 'x1', from: first.to, vote: { kind: 'NO', reason: 'conflict', code: 'CONFLICT' } }, 3);
    // Forced first, told after: nobody hears ABORTED for an id it may retry before it is durable.
    expect(aborted.filter((e) => e.type === 'reply')).toEqual([]);
    const persist = aborted.find((e) => e.type === 'persist') as Extract<CoordinatorEffect, { type: 'persist' }>;
    expect(persist).toMatchObject({ sync: true, record: { kind: 'decision', record: { outcome: 'ABORTED' } } });
    const told = c1.step({ type: 'persisted', record: persist.record }, 4);
    expect(told).toContainEqual(expect.objectContaining({ type: 'reply', reply: expect.objectContaining({ outcome: 'ABORTED' }) }));

    // Crash after telling; restart; the same Transact again finds the durable abort.
    const c2 = new CoordinatorCore('c1', cfg);
    c2.step({ type: 'recover', pending: [] }, 10);
    c2.step({ type: 'transact', replyTo: 2, msg }, 11);
    const record = persist.record.kind === 'decision' ? persist.record.record : null;
    const again = c2.step({ type: 'lookupDone', txn: 'x1', record }, 12);
    expect(again.filter((e) => e.type === 'send')).toEqual([]);
    expect(again).toContainEqual(expect.objectContaining({ type: 'reply', reply: expect.objectContaining({ outcome: 'ABORTED' }) }));
  });
});

/*
 * Core bugs found by the simulator once it ran 3pc and nb (src/sim; `dtx sim --protocol …`).
 * Each is pinned by a test at the core's level here and, end to end, by a scripted scenario in
 * test/sim/scenarios/ that drives a cluster into exactly its situation (the seeds that found them
 * no longer reach them once the code changed). Fixed and kept as
 * regression tests: C, E, F and the first forms of A and B (28d1cfc); B and G (b35f943).
 * Open: A (a retried id's results), D.
 */

const twoKeys = (() => {
  // Keys owned by p1 and p2 under the real routing, so that a transaction has two branches.
  const owned = new Map<string, string>();
  for (let i = 0; owned.size < 2; i++) {
    const k = `k${i}`;
    const o = ownerOf(k, ['p1', 'p2']);
    if (!owned.has(o)) owned.set(o, k);
  }
  return { p1: owned.get('p1')!, p2: owned.get('p2')! };
})();

const coordinatorCfg = (participants: string[]): CoordinatorConfig => ({
  participants,
  participantAddrs: Object.fromEntries(participants.map((p) => [p, p])),
  selfAddr: 'sim://c1',
  precommitTimeoutMs: 400,
  maxLockWaitMs: 200,
  resendMinMs: 100,
  resendMaxMs: 2000,
  maxActiveTxns: 100,
  recentOutcomes: 100,
});

const outcomeReplies = (effs: CoordinatorEffect[]): Extract<CoordinatorReply, { kind: 'outcome' }>[] =>
  effs.flatMap((e) => (e.type === 'reply' && e.reply.kind === 'outcome' ? [e.reply] : []));

const abortPersisted = (effs: ParticipantEffect[], txn: string): boolean =>
  effs.some((e) => e.type === 'persist' && e.record.kind === 'abort' && e.record.txn === txn);

function prepareMsg(txn: string, ops: TxnOp[], protocol: ProtocolName, participants: string[], ageMs = 0): PrepareMessage {
  return {
    txn,
    coordinatorId: 'c1',
    coordinatorAddr: 'sim://c1',
    ops,
    participants,
    participantAddrs: participants,
    protocol,
    age: { ms: ageMs, id: txn },
    lockWaitMs: 100,
  };
}

const twoBranchOps: TxnOp[] = [
  { type: 'get', key: twoKeys.p1 },
  { type: 'get', key: twoKeys.p2 },
];

/**
 * A. COMMITTED is answered to a Transact without the op results (TransactResponse: "one result
 * per op, in order (only when COMMITTED)"); the client's reads are lost. Found in three places:
 * nb termination filled a silent branch's vote with `results: []` (fixed in 28d1cfc: the state
 * answer carries the branch's results). Still open, in two places that build a record from the
 * participants' answers with `foundRecord(…)`, whose `results` is always `[]`: a retried 3pc/nb id
 * whose participants settled it (CoordinatorCore.concludeProbe), and an id resolved for a
 * GetTransaction (concludeResolution), whose record is cached in `recent` and then answers the
 * client's Transact retry. The participants' state answers carry the results (of a prepared
 * branch since 28d1cfc, from the outcome record since b35f943); when one is missing (a branch
 * unreachable), PENDING is a truthful answer, COMMITTED without results is not.
 */
describe('core bug A: COMMITTED is answered without the op results', () => {
  it('nb: a YES found by termination (its vote reply was lost) brings its results', async () => {
    const c = new CoordinatorCore('c1', coordinatorCfg(['p1', 'p2']));
    c.step({ type: 'recover', pending: [] }, 0);
    c.step(
      {
        type: 'transact',
        replyTo: 1,
        msg: { txn: 'n1', clientId: false, ops: twoBranchOps, age: { ms: 0, id: 'n1' }, timeoutMs: 1000, digest: 'd', protocol: 'nb' },
      },
      1,
    );
    c.step({ type: 'vote', txn: 'n1', from: 'p1', vote: { kind: 'YES', results: [{ key: twoKeys.p1, found: true, value: '5', version: 1 }] } }, 5);
    // p2's vote reply was lost: the prepare call failed; nb asks p2's log, which holds YES.
    c.step({ type: 'vote', txn: 'n1', from: 'p2', vote: { kind: 'NO', reason: 'DEADLINE_EXCEEDED', code: 'UNAVAILABLE_PARTICIPANT' } }, 1000);
    const effs = c.step(
      {
        type: 'txnState',
        txn: 'n1',
        from: 'p2',
        answer: { state: 'PREPARED', protocol: 'nb', participants: ['p1', 'p2'], results: [{ key: twoKeys.p2, found: true, value: '7', version: 1 }] },
      },
      1005,
    );
    const [reply] = outcomeReplies(effs);
    expect(reply?.outcome).toBe('COMMITTED');
    expect(reply!.results.filter((r) => r != null).length, 'one result per op').toBe(twoBranchOps.length);
  });

  it('nb: a retried id that its participants committed (the coordinator restarted) is answered with its results', async () => {
    const c = new CoordinatorCore('c1', coordinatorCfg(['p1', 'p2']));
    c.step({ type: 'recover', pending: [] }, 0);
    c.step(
      {
        type: 'transact',
        replyTo: 1,
        msg: { txn: 'n2', clientId: true, ops: twoBranchOps, age: { ms: 0, id: 'n2' }, timeoutMs: 1000, digest: 'd', protocol: 'nb' },
      },
      1,
    );
    const prepared = c.step({ type: 'lookupDone', txn: 'n2', record: null }, 2);
    // nb runs a retried id at once: its prepares are the probe.
    expect(prepared.filter((e) => e.type === 'send' && e.message.kind === 'prepare').length).toBe(2);
    // Both participants committed n2 and answer the duplicate prepare YES from their outcome records, which hold their results.
    let effs: CoordinatorEffect[] = [];
    for (const [p, key] of [
      ['p1', twoKeys.p1],
      ['p2', twoKeys.p2],
    ] as const) {
      const results = [{ key, found: true, value: '5', version: 1 }];
      effs = c.step({ type: 'vote', txn: 'n2', from: p, vote: { kind: 'YES', results } }, 3);
    }
    const [reply] = outcomeReplies(effs);
    expect(reply?.outcome).toBe('COMMITTED');
    expect(reply!.results.filter((r) => r != null).length, 'one result per op').toBe(twoBranchOps.length);
  });

  it('nb: an id resolved COMMITTED for a GetTransaction, then retried with Transact, is answered with its results', async () => {
    const c = new CoordinatorCore('c1', coordinatorCfg(['p1', 'p2']));
    c.step({ type: 'recover', pending: [] }, 0);
    c.step({ type: 'query', replyTo: 1, txn: 'n3' }, 1);
    c.step({ type: 'lookupDone', txn: 'n3', record: null }, 2);
    // Both logs hold YES: nb committed it. Their answers carry their results.
    let effs: CoordinatorEffect[] = [];
    for (const [p, key] of [
      ['p1', twoKeys.p1],
      ['p2', twoKeys.p2],
    ] as const) {
      const answer = {
        state: 'PREPARED' as const,
        protocol: 'nb' as const,
        participants: ['p1', 'p2'],
        results: [{ key, found: true, value: '5', version: 1 }],
      };
      effs = c.step({ type: 'txnState', txn: 'n3', from: p, answer }, 3);
    }
    expect(outcomeReplies(effs).map((r) => r.outcome)).toEqual(['COMMITTED']);
    // The client retries with Transact. Whatever the coordinator does to answer it (from memory,
    // or after looking it up and asking the participants again, who say COMMITTED with their
    // results), a COMMITTED answer carries one result per op.
    let step = c.step(
      {
        type: 'transact',
        replyTo: 2,
        msg: { txn: 'n3', clientId: true, ops: twoBranchOps, age: { ms: 0, id: 'n3' }, timeoutMs: 1000, digest: 'd', protocol: 'nb' },
      },
      4,
    );
    let reply = outcomeReplies(step)[0];
    for (let round = 0; !reply && round < 5; round++) {
      const next: CoordinatorEffect[] = [];
      for (const e of step) {
        if (e.type === 'lookup') next.push(...c.step({ type: 'lookupDone', txn: 'n3', record: null }, 5 + round));
        if (e.type === 'send' && e.message.kind === 'prepare') {
          const key = e.to === 'p1' ? twoKeys.p1 : twoKeys.p2;
          next.push(
            ...c.step({ type: 'vote', txn: 'n3', from: e.to, vote: { kind: 'YES', results: [{ key, found: true, value: '5', version: 1 }] } }, 5 + round),
          );
        }
        if (e.type === 'send' && e.message.kind === 'query') {
          const key = e.to === 'p1' ? twoKeys.p1 : twoKeys.p2;
          const answer = { state: 'COMMITTED' as const, protocol: null, participants: [], results: [{ key, found: true, value: '5', version: 1 }] };
          next.push(...c.step({ type: 'txnState', txn: 'n3', from: e.to, answer }, 5 + round));
        }
      }
      step = next;
      reply = outcomeReplies(step)[0];
    }
    expect(reply?.outcome).toBe('COMMITTED');
    expect(reply!.results.filter((r) => r != null).length, 'one result per op').toBe(twoBranchOps.length);
  });

  // Found with the retried-id form patched out locally: the GetTransaction-then-Transact form.
});

/**
 * B. A coordinator with no record of an id resolves it from every node's state after asking
 * each to abort if it has not voted (CoordinatorCore.onLookupDone → askStates over
 * config.participants; termination.ts coordinatorResolution). A node that is not one of the
 * transaction's participants has no trace of it, so it durably aborts it and answers ABORTED.
 * Fixed in 28d1cfc when some answer names the participants (only theirs count) or says COMMITTED;
 * then, in b35f943, when every real participant is unreachable: nobody names them, and the
 * non-participants' ABORTED decided (the coordinator forced an ABORTED tombstone and told the
 * client ABORTED, while the participants, which held YES, committed by their own termination).
 */
describe('core bug B: the resolution of an unknown id counts the ABORTED of nodes that are not its participants', () => {
  const resolve = (answers: [string, 'ABORTED' | 'COMMITTED' | 'UNREACHABLE', ProtocolName | null][]): CoordinatorEffect[] => {
    const c = new CoordinatorCore('c1', coordinatorCfg(['p1', 'p2', 'p3']));
    c.step({ type: 'recover', pending: [] }, 0);
    c.step({ type: 'query', replyTo: 1, txn: 'x1' }, 1);
    const asked = c.step({ type: 'lookupDone', txn: 'x1', record: null }, 2);
    expect(asked.filter((e) => e.type === 'send').length).toBe(3);
    let effs: CoordinatorEffect[] = [];
    for (const [from, state, protocol] of answers) {
      effs = c.step({ type: 'txnState', txn: 'x1', from, answer: { state, protocol, participants: [], results: [] } }, 3);
    }
    return effs;
  };
  const abortedTombstone = (effs: CoordinatorEffect[]): boolean =>
    effs.some((e) => e.type === 'persist' && e.record.kind === 'decision' && e.record.record.outcome === 'ABORTED');

  it('p2 and p3 committed x1 (and forgot it); p1 never heard of it and aborted it when asked', async () => {
    // What ParticipantCore answers: p1 from its placeholder, p2/p3 from their outcome logs.
    const effs = resolve([
      ['p2', 'COMMITTED', null],
      ['p3', 'COMMITTED', null],
      ['p1', 'ABORTED', null],
    ]);
    expect(abortedTombstone(effs), 'x1 is committed at p2 and p3').toBe(false);
    expect(outcomeReplies(effs).map((r) => r.outcome)).not.toContain('ABORTED');
  });

  it("x1's only participant p3 holds YES and is unreachable; p1 and p2 never heard of it", async () => {
    const effs = resolve([
      ['p1', 'ABORTED', null],
      ['p2', 'ABORTED', null],
      ['p3', 'UNREACHABLE', null],
    ]);
    expect(abortedTombstone(effs), 'p3 may have committed x1 on its own').toBe(false);
    expect(outcomeReplies(effs).map((r) => r.outcome)).not.toContain('ABORTED');
  });
});

/**
 * C. A participant forced an abort over its durable COMMITTED outcome: a duplicate prepare of a
 * transaction that had ended here and was no longer in memory took the locks and read the outcome
 * log only with the data; before that, a state query with abortIfUnvoted, or under nb any NO
 * (wait-die, lock-wait timeout), forced ABORT over COMMITTED. Fixed in 28d1cfc.
 */
describe('core bug C: an abort is forced over a durable COMMITTED outcome', () => {
  const restarted = (): ParticipantCore => {
    // t1 committed here before a restart: its outcome is only in the log.
    const p = new ParticipantCore('p1', cfg);
    p.step({ type: 'recover', prepared: [] }, 0);
    return p;
  };

  it('a duplicate prepare, then a state query with abortIfUnvoted before the outcome log was read', async () => {
    const p = restarted();
    const first = p.step({ type: 'prepare', replyTo: 1, msg: prepareMsg('t1', [{ type: 'add', key: 'a', delta: 1n }], 'nb', ['p1', 'p2']) }, 1);
    expect(abortPersisted(first, 't1')).toBe(false);
    const effs = p.step({ type: 'stateQuery', replyTo: 2, txn: 't1', abortIfUnvoted: true }, 2);
    expect(abortPersisted(effs, 't1'), 'ABORT forced for t1 before reading its outcome log (which says COMMITTED)').toBe(false);
  });

  it('nb: a duplicate prepare that dies on a lock (wait-die) forces its NO before reading the outcome log', async () => {
    const p = restarted();
    // An older transaction holds key a.
    p.step({ type: 'prepare', replyTo: 1, msg: prepareMsg('t0', [{ type: 'add', key: 'a', delta: 1n }], 'nb', ['p1', 'p2'], 0) }, 1);
    const effs = p.step({ type: 'prepare', replyTo: 2, msg: prepareMsg('t1', [{ type: 'add', key: 'a', delta: 1n }], 'nb', ['p1', 'p2'], 10) }, 2);
    expect(abortPersisted(effs, 't1'), 'ABORT forced for t1 before reading its outcome log (which may say COMMITTED)').toBe(false);
  });
});

/**
 * D. 3pc: ParticipantCore.onPrecommit answers `ok: false` for a transaction it does not hold in
 * memory unless `recent` says COMMITTED, without reading its outcome log. A participant that
 * committed the transaction and then restarted, or evicted it (`recentOutcomes`), refuses a
 * PreCommit, and the sender takes the refusal for "already aborted": the coordinator forces
 * ABORTED (CoordinatorCore.onPrecommitAck), a backup decides ABORTED (onPeerPrecommitted) and
 * tells its peers, which committed. Found (before 28d1cfc) through a coordinator's re-run of a
 * retried id; the probe of retried ids now prevents that path, but a backup's PreCommit racing
 * with the commit (the peer commits and evicts it between the backup's query and its PreCommit)
 * still meets it. Open.
 */
describe('core bug D: 3pc PreCommit refused by a participant that committed the transaction and forgot it', () => {
  it('a PreCommit for a transaction not in memory is not refused before the outcome log is read', async () => {
    const p = new ParticipantCore('p1', cfg);
    p.step({ type: 'recover', prepared: [] }, 0);
    const effs = p.step({ type: 'precommit', replyTo: 5, txn: 't1' }, 1);
    expect(effs).not.toContainEqual(expect.objectContaining({ type: 'reply', reply: expect.objectContaining({ kind: 'precommitAck', ok: false }) }));
  });
});

/**
 * E. 3pc: a restarted coordinator (nothing is forced before a 3pc commit decision) got a client's
 * retry of an id, found no record and ran it again; a participant being down, the Prepare failed
 * → NO(UNAVAILABLE_PARTICIPANT) → ABORTED forced and told, while a backup had committed it
 * everywhere. Fixed in 28d1cfc (a retried 3pc/nb id is probed first).
 */
// E: test/sim/scenarios/3pc-retried-id-backup-committed.scenario reproduces it end to end.

const singleParticipant3pc: PrepareRecord = {
  txn: 't1',
  coordinatorId: 'c1',
  coordinatorAddr: 'sim://c1',
  participants: ['p1'],
  participantAddrs: ['p1'],
  protocol: '3pc',
  age: { ms: 0, id: 't1' },
  locks: [{ key: 'a', mode: 'X' }],
  writes: [{ key: 'a', value: '1', version: 2 }],
  results: [{ key: 'a', found: true, value: '0', version: 1 }],
};

/**
 * F. 3pc, crashes only: a participant in w started termination after two PENDING answers from a
 * coordinator that was up and running the transaction, decided ABORTED (all uncertain), and the
 * coordinator then pre-committed and committed anyway. Fixed in 28d1cfc (PENDING means wait).
 */
describe('core bug F: a 3pc participant aborts alone while the coordinator is up and may still commit', () => {
  it('recovered in w, its coordinator answers PENDING (it is pre-committing and will commit anyway): no abort', async () => {
    const p = new ParticipantCore('p1', cfg);
    p.step({ type: 'recover', prepared: [singleParticipant3pc] }, 0);
    const effs = [
      ...p.step({ type: 'inquiryResult', txn: 't1', outcome: 'PENDING' }, 10),
      ...p.step({ type: 'inquiryResult', txn: 't1', outcome: 'PENDING' }, 400),
    ];
    expect(abortPersisted(effs, 't1'), 'aborted alone although the coordinator is up and undecided').toBe(false);
  });
});

/**
 * G. 3pc, crashes only: a participant that voted YES and crashed comes back in w (recovered) while
 * the coordinator is down. Meanwhile the coordinator, its PreCommit unanswered (the participant
 * was down), committed anyway (Skeen: a failed participant adopts the outcome when it returns)
 * and forced COMMITTED. The recovered participant's inquiry finds the coordinator unreachable;
 * termination gathers the peers (none, or peers as uncertain as itself, e.g. also recovered) and
 * threePhaseTermination decides "all uncertain → ABORTED": its `recovered` guard waits only for
 * unreachable PEERS, not for the unreachable coordinator, which may hold a forced COMMIT. A
 * participant that failed in w must adopt the outcome from the others, the coordinator included
 * (or hear UNDECIDED from it, which means no decision was forced). Fixed in b35f943.
 */
describe('core bug G: a recovered 3pc participant aborts while its coordinator (which may have committed anyway) is down', () => {
  it('recovered in w, coordinator unreachable, no peer to ask: no abort', async () => {
    const p = new ParticipantCore('p1', cfg);
    p.step({ type: 'recover', prepared: [singleParticipant3pc] }, 0);
    const effs = p.step({ type: 'inquiryResult', txn: 't1', outcome: 'UNREACHABLE' }, 10);
    expect(abortPersisted(effs, 't1'), 'aborted although the coordinator may have forced COMMIT while this participant was down').toBe(false);
  });

  it('recovered in w with a peer also recovered in w, coordinator unreachable: no abort', async () => {
    const p = new ParticipantCore('p1', cfg);
    p.step({ type: 'recover', prepared: [{ ...singleParticipant3pc, participants: ['p1', 'p2'], participantAddrs: ['p1', 'p2'] }] }, 0);
    const asked = p.step({ type: 'inquiryResult', txn: 't1', outcome: 'UNREACHABLE' }, 10);
    expect(asked).toContainEqual(expect.objectContaining({ type: 'queryPeer', to: 'p2' }));
    const effs = p.step({ type: 'peerState', txn: 't1', from: 'p2', state: 'PREPARED' }, 20);
    expect(abortPersisted(effs, 't1'), 'aborted although the coordinator may have forced COMMIT while both were down').toBe(false);
  });
});
