import { describe, expect, it } from 'vitest';
import { coordinatorConfig, keysByOwner, PARTICIPANT_CONFIG, put, recoveredParticipant } from '../support/coreFixtures.js';
import { CoordinatorCore, type CoordinatorEffect, type TransactMessage } from '../../src/protocol/coordinatorCore.js';
import type { ParticipantEffect, PrepareMessage } from '../../src/protocol/participantCore.js';
import type { DecisionRecord } from '../../src/protocol/records.js';
import { formatDuration, graceFor, mayBeCollected, nextCollectMark, outsideWindow, retentionRule } from '../../src/protocol/retention.js';

const MIN = 60_000;
const RULE = retentionRule(MIN);
const NOW = 10 * MIN;
const k = keysByOwner(2);

describe('retention rule (pure)', () => {
  it('refuses new runs only of ids born before the window; unknown birth is never refused', () => {
    expect(outsideWindow(RULE, NOW - MIN - 1, NOW)).toBe(true);
    expect(outsideWindow(RULE, NOW - MIN, NOW)).toBe(false);
    expect(outsideWindow(RULE, undefined, NOW)).toBe(false);
    expect(outsideWindow(null, 1, NOW)).toBe(false);
  });

  it('collects behind the window by a grace, and the mark never goes back', () => {
    expect(graceFor(MIN)).toBe(6000);
    expect(graceFor(1000)).toBe(1000);
    expect(nextCollectMark(RULE, NOW, 0)).toBe(NOW - MIN - 6000);
    expect(nextCollectMark(RULE, NOW, NOW)).toBe(NOW);
  });

  it('a question may be about a collected record when its birth is under the mark, or unknown once anything was collected', () => {
    expect(mayBeCollected(0, undefined)).toBe(false);
    expect(mayBeCollected(100, undefined)).toBe(true);
    expect(mayBeCollected(100, 99)).toBe(true);
    expect(mayBeCollected(100, 100)).toBe(false);
  });

  it('formats durations for the refusal message', () => {
    expect(formatDuration(MIN)).toBe('1m');
    expect(formatDuration(24 * 3600_000)).toBe('24h');
    expect(formatDuration(90_000)).toBe('1m30s');
  });
});

function coordinator(): CoordinatorCore {
  const c = new CoordinatorCore('c1', coordinatorConfig({ retention: RULE }));
  c.step({ type: 'recover', pending: [] }, NOW);
  return c;
}

const tmsg = (txn: string, bornMs: number): TransactMessage => ({
  txn,
  ops: [put(k('p1'), 'v')],
  age: { ms: bornMs, id: txn },
  bornMs,
  timeoutMs: 1000,
  digest: `d-${txn}`,
  clientId: true,
  protocol: '2pc',
});

const rejection = (effs: CoordinatorEffect[]) => effs.flatMap((e) => (e.type === 'reply' && e.reply.kind === 'rejected' ? [e.reply] : []));

describe('CoordinatorCore under retention', () => {
  it('refuses a retried client id born before the window that has no record, instead of running it', () => {
    const c = coordinator();
    expect(c.step({ type: 'transact', replyTo: 1, msg: tmsg('old', NOW - 2 * MIN) }, NOW)).toEqual([{ type: 'lookup', txn: 'old' }]);
    const effs = c.step({ type: 'lookupDone', txn: 'old', record: null }, NOW);
    expect(effs.some((e) => e.type === 'send')).toBe(false);
    expect(rejection(effs)).toEqual([
      expect.objectContaining({ status: 'FAILED_PRECONDITION', message: expect.stringContaining('outside the retention window') as string }),
    ]);
    expect(c.counters.outsideRetention).toBe(1);
    expect(c.activeTxns).toBe(0);
  });

  it('answers an old id from its record when the record is still there', () => {
    const c = coordinator();
    c.step({ type: 'transact', replyTo: 1, msg: tmsg('kept', NOW - 2 * MIN) }, NOW);
    const record: DecisionRecord = {
      txn: 'kept',
      outcome: 'COMMITTED',
      participants: ['p1'],
      results: [{ key: k('p1'), found: false, value: '', version: 0 }],
      reason: '',
      digest: 'd-kept',
      decidedAtMs: 1,
    };
    const effs = c.step({ type: 'lookupDone', txn: 'kept', record }, NOW);
    expect(effs).toContainEqual(expect.objectContaining({ type: 'reply', reply: expect.objectContaining({ outcome: 'COMMITTED' }) as unknown }));
  });

  it('runs an id born inside the window as before, and its records carry the birth', () => {
    const c = coordinator();
    c.step({ type: 'transact', replyTo: 1, msg: tmsg('fresh', NOW - 10) }, NOW);
    const effs = c.step({ type: 'lookupDone', txn: 'fresh', record: null }, NOW);
    const prepare = effs.find((e) => e.type === 'send' && e.message.kind === 'prepare');
    expect(prepare).toBeDefined();
  });

  it('a question without a birth, once anything was collected, is refused (never seen cannot be told from collected)', () => {
    const c = coordinator();
    c.setCollectedUpTo(NOW - MIN);
    c.step({ type: 'query', replyTo: 1, txn: 'unknown-age' }, NOW);
    expect(rejection(c.step({ type: 'lookupDone', txn: 'unknown-age', record: null }, NOW))).toHaveLength(1);
  });

  it('a question about an id born under the mark is settled from the participants: RETIRED and no commit is refused, without a tombstone', () => {
    const c = coordinator();
    c.setCollectedUpTo(NOW - MIN);
    c.step({ type: 'query', replyTo: 2, txn: 'old', bornMs: NOW - 2 * MIN }, NOW);
    const asked = c.step({ type: 'lookupDone', txn: 'old', record: null }, NOW);
    const targets = asked.flatMap((e) => (e.type === 'send' && e.message.kind === 'query' ? [e.to] : []));
    expect(targets.length).toBeGreaterThan(0);
    let last: CoordinatorEffect[] = [];
    for (const [i, p] of targets.entries()) {
      const state = i === 0 ? 'RETIRED' : 'ABORTED';
      last = c.step({ type: 'txnState', txn: 'old', from: p, answer: { state, protocol: null, participants: [], results: [] } }, NOW);
    }
    expect(last.some((e) => e.type === 'persist')).toBe(false);
    expect(rejection(last)).toEqual([expect.objectContaining({ status: 'FAILED_PRECONDITION' })]);
  });

  it('under 2pc a branch in doubt with no record at its owner is aborted even if a peer forgot the id (commits are kept until acknowledged)', () => {
    const c = coordinator();
    c.setCollectedUpTo(NOW - MIN);
    c.step({ type: 'query', replyTo: 3, txn: 'stuck', bornMs: NOW - 2 * MIN }, NOW);
    const asked = c.step({ type: 'lookupDone', txn: 'stuck', record: null }, NOW);
    const targets = asked.flatMap((e) => (e.type === 'send' && e.message.kind === 'query' ? [e.to] : []));
    let last: CoordinatorEffect[] = [];
    for (const [i, p] of targets.entries()) {
      const answer =
        i === 0
          ? { state: 'PREPARED' as const, protocol: '2pc' as const, participants: targets.slice(0, 2), results: [] }
          : { state: 'RETIRED' as const, protocol: null, participants: [], results: [] };
      last = c.step({ type: 'txnState', txn: 'stuck', from: p, answer }, NOW);
    }
    expect(last).toContainEqual({ type: 'send', to: targets[0], message: { kind: 'abort', txn: 'stuck' } });
    expect(last.some((e) => e.type === 'persist')).toBe(false);
  });
});

const pmsg = (txn: string, bornMs: number | undefined, protocol: PrepareMessage['protocol'] = 'nb'): PrepareMessage => ({
  txn,
  coordinatorId: 'c1',
  coordinatorAddr: 'c1:1',
  ops: [put('a', '1')],
  participants: ['p1', 'p2'],
  participantAddrs: ['p1:1', 'p2:1'],
  protocol,
  age: { ms: bornMs ?? NOW, id: txn },
  ...(bornMs !== undefined ? { bornMs } : {}),
  lockWaitMs: 100,
});

const persists = (effs: ParticipantEffect[]) => effs.filter((e) => e.type === 'persist');
const voteOf = (effs: ParticipantEffect[]) => effs.flatMap((e) => (e.type === 'reply' && e.reply.kind === 'vote' ? [e.reply.vote] : []));
const stateOf = (effs: ParticipantEffect[]) => effs.flatMap((e) => (e.type === 'reply' && e.reply.kind === 'state' ? [e.reply.state] : []));

describe('ParticipantCore under retention', () => {
  const mk = () => recoveredParticipant({ ...PARTICIPANT_CONFIG, retention: RULE }, [], 'p1', NOW).p;

  it('a prepare of an id born before the window with no record votes NO and writes nothing (nb forces NO otherwise)', () => {
    const p = mk();
    p.step({ type: 'prepare', replyTo: 1, msg: pmsg('old', NOW - 2 * MIN) }, NOW);
    const effs = p.step({ type: 'readDone', txn: 'old', values: new Map(), finished: null }, NOW);
    expect(persists(effs)).toEqual([]);
    expect(voteOf(effs)).toEqual([
      expect.objectContaining({ kind: 'NO', code: 'PRECONDITION_FAILED', reason: expect.stringContaining('outside the retention window') as string }),
    ]);
    expect(p.lockedKeys).toBe(0);
    expect(p.activeTxns).toBe(0);
  });

  it('a prepare of an old id answers from its record when it has one', () => {
    const p = mk();
    p.step({ type: 'prepare', replyTo: 1, msg: pmsg('old', NOW - 2 * MIN) }, NOW);
    const effs = p.step({ type: 'readDone', txn: 'old', values: new Map(), finished: { txn: 'old', outcome: 'COMMITTED', results: [] } }, NOW);
    expect(voteOf(effs)).toEqual([{ kind: 'YES', results: [] }]);
  });

  it('a fresh prepare votes YES and its prepare record carries the birth', () => {
    const p = mk();
    p.step({ type: 'prepare', replyTo: 1, msg: pmsg('new', NOW - 5) }, NOW);
    const effs = p.step({ type: 'readDone', txn: 'new', values: new Map(), finished: null }, NOW);
    const rec = persists(effs)[0];
    expect(rec?.type === 'persist' && rec.record.kind === 'prepare' ? rec.record.record.bornMs : null).toBe(NOW - 5);
  });

  it('a termination query about an id under the mark answers RETIRED and forces no ABORT', () => {
    const p = mk();
    p.setCollectedUpTo(NOW - MIN);
    const q = p.step({ type: 'stateQuery', replyTo: 7, txn: 'gone', abortIfUnvoted: true, bornMs: NOW - 2 * MIN }, NOW);
    expect(q).toEqual([{ type: 'checkOutcome', txn: 'gone', replyTo: null, bornMs: NOW - 2 * MIN }]);
    const effs = p.step({ type: 'outcomeChecked', txn: 'gone', replyTo: null, finished: null, bornMs: NOW - 2 * MIN }, NOW);
    expect(persists(effs)).toEqual([]);
    expect(stateOf(effs)).toEqual(['RETIRED']);
  });

  it('a termination query about an id above the mark still aborts the unvoted (log-once)', () => {
    const p = mk();
    p.setCollectedUpTo(NOW - MIN);
    p.step({ type: 'stateQuery', replyTo: 7, txn: 'young', abortIfUnvoted: true, bornMs: NOW - 10 }, NOW);
    const effs = p.step({ type: 'outcomeChecked', txn: 'young', replyTo: null, finished: null, bornMs: NOW - 10 }, NOW);
    expect(persists(effs)).toHaveLength(1);
  });
});
