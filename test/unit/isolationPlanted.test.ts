import { describe, expect, it } from 'vitest';
import { get, prepareMessage as prepare, put, recoveredParticipant } from '../support/coreFixtures.js';
import { firstPutStaged } from '../../src/protocol/plantedIsolation.js';
import type { ParticipantCore } from '../../src/protocol/participantCore.js';
import type { OpResult, TxnOp } from '../../src/protocol/types.js';
import { checkIsolation } from '../../src/workload/isolation/checkIsolation.js';
import type { IsoTxn, Mop } from '../../src/workload/isolation/types.js';

/**
 * The planted bug participant.earlyLockRelease on the participant core, with the interleaving
 * that real processes meet only now and then (README "Isolation, checked from histories"): two
 * transactions whose branches reach two participants in opposite orders. The real core makes the
 * second one wait for the first one's locks; the planted one lets it read and overwrite the first
 * one's staged writes, and the isolation checker names the cycle.
 */
let handle = 1;

/** One branch up to its vote (nothing stored before); null while it waits for a lock. */
function branch(p: ParticipantCore, txn: string, ops: TxnOp[], ageMs: number): OpResult[] | null {
  const e1 = p.step({ type: 'prepare', replyTo: handle++, msg: prepare(txn, ops, ageMs) }, 0);
  if (!e1.some((e) => e.type === 'read')) return null;
  const e2 = p.step({ type: 'readDone', txn, values: new Map(), finished: null }, 0);
  const persist = e2.find((e) => e.type === 'persist');
  const e3 = persist?.type === 'persist' ? p.step({ type: 'persisted', record: persist.record }, 0) : e2;
  const vote = e3.flatMap((e) => (e.type === 'reply' && e.reply.kind === 'vote' ? [e.reply.vote] : []))[0];
  if (!vote || vote.kind === 'NO') throw new Error(`${txn} on ${p.id}: no YES vote`);
  return vote.results;
}

/** A committed transaction of the history, from its ops and its branches' results. */
function txn(id: string, at: number, branches: [TxnOp[], OpResult[]][]): IsoTxn {
  const mops: Mop[] = branches.flatMap(([ops, results]) =>
    ops.map((op, i): Mop => {
      const r = results[i]!;
      if (op.type === 'put') return { f: 'w', key: op.key, value: op.value, version: r.version };
      return { f: 'r', key: op.key, value: r.found ? r.value : null, version: r.version };
    }),
  );
  return { id, process: at, status: 'ok', invokedAt: at, completedAt: at + 10, mops };
}

describe('planted isolation bugs on the participant core', () => {
  // T1 writes x (on p1) and y (on p2), T2 too; T1 reaches p1 first, T2 reaches p2 first.
  const t1x = [put('x', 'T1.0')];
  const t1y = [put('y', 'T1.1')];
  const t2x = [put('x', 'T2.0')];
  const t2y = [put('y', 'T2.1')];

  it('the real core: the second writer of a key waits for the first one, whichever participant', () => {
    const p1 = recoveredParticipant({}, [], 'p1').p;
    const p2 = recoveredParticipant({}, [], 'p2').p;
    expect(branch(p1, 'T1', t1x, 0)).not.toBeNull();
    expect(branch(p2, 'T2', t2y, 1)).not.toBeNull();
    expect(branch(p1, 'T2', t2x, 1)).toBeNull();
    expect(branch(p2, 'T1', t1y, 0)).toBeNull();
  });

  it('earlyLockRelease: each stages over the other on one participant: G0 (a write cycle)', () => {
    const p1 = recoveredParticipant({ earlyLockRelease: true }, [], 'p1').p;
    const p2 = recoveredParticipant({ earlyLockRelease: true }, [], 'p2').p;
    const r1x = branch(p1, 'T1', t1x, 0)!;
    const r2y = branch(p2, 'T2', t2y, 1)!;
    const r2x = branch(p1, 'T2', t2x, 1)!;
    const r1y = branch(p2, 'T1', t1y, 0)!;
    expect([r1x[0]!.version, r2x[0]!.version, r2y[0]!.version, r1y[0]!.version]).toEqual([1, 2, 1, 2]);
    const report = checkIsolation([
      txn('T1', 0, [
        [t1x, r1x],
        [t1y, r1y],
      ]),
      txn('T2', 1, [
        [t2x, r2x],
        [t2y, r2y],
      ]),
    ]);
    expect(report.anomalies.G0.map((a) => [...a.txns].sort())).toEqual([['T1', 'T2']]);
    expect(report.anomalies.inconsistent).toEqual([]);
  });

  it("earlyLockRelease: each reads the other's staged write: G1c (circular information flow)", () => {
    const p1 = recoveredParticipant({ earlyLockRelease: true }, [], 'p1').p;
    const p2 = recoveredParticipant({ earlyLockRelease: true }, [], 'p2').p;
    const t1 = [put('x', 'T1.0')];
    const t2 = [put('y', 'T2.0')];
    const r1x = branch(p1, 'T1', t1, 0)!;
    const r2y = branch(p2, 'T2', t2, 1)!;
    const r2read = branch(p1, 'T2', [get('x')], 1)!;
    const r1read = branch(p2, 'T1', [get('y')], 0)!;
    expect(r2read[0]).toMatchObject({ value: 'T1.0', version: 1 });
    const report = checkIsolation([
      txn('T1', 0, [
        [t1, r1x],
        [[get('y')], r1read],
      ]),
      txn('T2', 1, [
        [t2, r2y],
        [[get('x')], r2read],
      ]),
    ]);
    expect(report.anomalies.G1c).toHaveLength(1);
    expect(report.anomalies.G0).toEqual([]);
  });

  it('firstWriteStaged: a key written twice stages its first value, at the version of the last', () => {
    const ops = [put('x', 'a'), put('y', 'b'), put('x', 'c')];
    expect(
      firstPutStaged(ops, [
        { key: 'x', value: 'c', version: 4 },
        { key: 'y', value: 'b', version: 2 },
      ]),
    ).toEqual([
      { key: 'x', value: 'a', version: 4 },
      { key: 'y', value: 'b', version: 2 },
    ]);
  });
});
