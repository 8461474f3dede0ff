import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkIsolation, type IsolationReport } from '../../src/workload/isolation/checkIsolation.js';
import type { AnomalyKind, IsoTxn, Mop, TxnStatus } from '../../src/workload/isolation/types.js';
import { isolationVerdicts } from '../../src/workload/isolation/verdicts.js';

const r = (key: string, value: string | null, version: number): Mop => ({ f: 'r', key, value, version });
const w = (key: string, value: string, version: number | null): Mop => ({ f: 'w', key, value, version });
/** A transaction; by default committed and concurrent with every other one (no real-time order). */
const txn = (id: string, mops: Mop[], o: { status?: TxnStatus; at?: [number, number | null] } = {}): IsoTxn => ({
  id,
  process: 0,
  status: o.status ?? 'ok',
  invokedAt: o.at?.[0] ?? 0,
  completedAt: o.status === 'ok' || o.status === undefined ? (o.at?.[1] ?? 1000) : null,
  mops,
});

/** The kinds with at least one anomaly. */
const found = (rep: IsolationReport): AnomalyKind[] => (Object.keys(rep.anomalies) as AnomalyKind[]).filter((k) => rep.anomalies[k].length > 0);

describe('isolation checker: each anomaly class is found', () => {
  it('G0: two transactions that overwrote each other on two keys (write cycle)', () => {
    const rep = checkIsolation([txn('T1', [w('x', 'a', 1), w('y', 'b', 2)]), txn('T2', [w('x', 'c', 2), w('y', 'd', 1)])]);
    expect(found(rep)).toEqual(['G0']);
    expect(rep.anomalies.G0[0]!.txns.sort()).toEqual(['T1', 'T2']);
    expect(rep.anomalies.G0[0]!.edges.map((e) => e.type)).toEqual(['ww', 'ww']);
  });

  it('G1a: a committed transaction read a write of an aborted one', () => {
    const rep = checkIsolation([txn('T1', [w('x', 'a', 1)], { status: 'fail' }), txn('T2', [r('x', 'a', 1)])]);
    expect(found(rep)).toEqual(['G1a']);
    expect(rep.anomalies.G1a[0]!.txns).toEqual(['T1', 'T2']);
  });

  it('G1b: a committed transaction read a value its writer overwrote before it committed', () => {
    const rep = checkIsolation([txn('T1', [w('x', 'a', 1), w('x', 'b', 1)]), txn('T2', [r('x', 'a', 1)])]);
    expect(found(rep)).toEqual(['G1b']);
  });

  it('G1c: each transaction read what the other wrote (circular information flow)', () => {
    const rep = checkIsolation([txn('T1', [w('x', 'a', 1), r('y', 'b', 1)]), txn('T2', [w('y', 'b', 1), r('x', 'a', 1)])]);
    expect(found(rep)).toEqual(['G1c']);
    expect(rep.anomalies.G1c[0]!.edges.map((e) => e.type)).toEqual(['wr', 'wr']);
  });

  it('G-single: read skew — T1 read x before T2 wrote it, and y after', () => {
    const rep = checkIsolation([txn('T1', [r('x', null, 0), r('y', 'b', 1)]), txn('T2', [w('x', 'a', 1), w('y', 'b', 1)])]);
    expect(found(rep)).toEqual(['G-single']);
    expect(rep.anomalies['G-single'][0]!.edges.map((e) => e.type).sort()).toEqual(['rw', 'wr']);
    expect(rep.anomalies['G-single'][0]!.detail).toMatch(/-rw\(x: read v0, overwritten by v1\)->/);
  });

  it('G2-item: write skew — each read the initial state of what the other wrote', () => {
    const rep = checkIsolation([txn('T1', [r('x', null, 0), w('y', 'b', 1)]), txn('T2', [r('y', null, 0), w('x', 'a', 1)])]);
    expect(found(rep)).toEqual(['G2-item']);
    expect(rep.anomalies['G2-item'][0]!.edges.map((e) => e.type)).toEqual(['rw', 'rw']);
  });

  it('G2-item over three transactions with a longer cycle', () => {
    const rep = checkIsolation([
      txn('T1', [r('x', null, 0), w('y', 'y1', 1)]),
      txn('T2', [r('y', null, 0), w('z', 'z1', 1)]),
      txn('T3', [r('z', null, 0), w('x', 'x1', 1)]),
    ]);
    expect(found(rep)).toEqual(['G2-item']);
    expect(rep.anomalies['G2-item'][0]!.txns).toHaveLength(3);
  });

  it('realtime: a transaction invoked after another committed read the state before it (stale read)', () => {
    const rep = checkIsolation([txn('T1', [w('x', 'a', 1)], { at: [0, 10] }), txn('T2', [r('x', null, 0)], { at: [20, 30] })]);
    expect(found(rep)).toEqual(['realtime']);
    expect(rep.anomalies.realtime[0]!.name).toBe('G-single-realtime');
  });

  it('inconsistent: a read of a value nobody wrote, two writers of one version, a read that missed its own write', () => {
    const rep = checkIsolation([
      txn('T1', [r('x', 'ghost', 3)]),
      txn('T2', [w('y', 'a', 1)]),
      txn('T3', [w('y', 'b', 1)]),
      txn('T4', [w('z', 'c', 1), r('z', null, 0)]),
      txn('T5', [r('q', 'd', 2)]),
      txn('T6', [w('q', 'd', 1)]),
    ]);
    const details = rep.anomalies.inconsistent.map((a) => a.detail).join('\n');
    expect(details).toMatch(/T1 read x=ghost, which no transaction wrote/);
    expect(details).toMatch(/y version 1 has two writers/);
    expect(details).toMatch(/T4 read z=nil after writing c itself/);
    expect(details).toMatch(/T5 read q=d at version 2, but T6 wrote it as version 1/);
  });
});

describe('isolation checker: what must not be flagged', () => {
  it('reads of a transaction whose outcome is unknown are no G1a (it may have committed)', () => {
    const rep = checkIsolation([txn('T1', [w('x', 'a', null)], { status: 'info' }), txn('T2', [r('x', 'a', 1)])]);
    expect(found(rep)).toEqual([]);
  });

  it('an aborted transaction that read dirty data is no G1a: only committed readers count', () => {
    const rep = checkIsolation([txn('T1', [w('x', 'a', 1)], { status: 'fail' }), txn('T2', [r('x', 'a', 1)], { status: 'fail' })]);
    expect(found(rep)).toEqual([]);
  });

  it('a read-modify-write chain and a read of its own write are serial', () => {
    const rep = checkIsolation([
      txn('T1', [r('x', null, 0), w('x', 'a', 1), r('x', 'a', 1)], { at: [0, 1] }),
      txn('T2', [r('x', 'a', 1), w('x', 'b', 2)], { at: [2, 3] }),
      txn('T3', [r('x', 'b', 2), w('x', 'c', 3)], { at: [4, 5] }),
    ]);
    expect(found(rep)).toEqual([]);
    expect(rep.edges.ww).toBe(2);
    expect(rep.edges.wr).toBe(2);
  });

  it('a version whose writer nobody heard of leaves a gap: edges across it make no false cycle', () => {
    // T2 (unknown, its answer lost) wrote v2; nobody saw it. T4 read v1 before T3 wrote v3.
    const rep = checkIsolation([
      txn('T1', [w('x', 'a', 1)], { at: [0, 1] }),
      txn('T2', [w('x', 'b', null)], { status: 'info', at: [2, null] }),
      txn('T3', [w('x', 'c', 3), w('y', 'y1', 1)], { at: [3, 6] }),
      txn('T4', [r('x', 'a', 1), r('y', null, 0)], { at: [4, 5] }),
    ]);
    expect(found(rep)).toEqual([]);
    expect(rep.anomalies.realtime).toEqual([]);
  });

  it('overlapping transactions are not ordered in real time', () => {
    const rep = checkIsolation([txn('T1', [w('x', 'a', 1)], { at: [0, 10] }), txn('T2', [r('x', null, 0)], { at: [5, 30] })]);
    expect(found(rep)).toEqual([]);
  });

  it('every serial execution passes, whatever overlaps, aborts and unknown outcomes it has', () => {
    const keys = ['a', 'b', 'c', 'd'];
    const opArb = fc.record({ f: fc.constantFrom('r' as const, 'w' as const), key: fc.constantFrom(...keys) });
    const txnArb = fc.record({
      ops: fc.array(opArb, { minLength: 1, maxLength: 5 }),
      status: fc.constantFrom<TxnStatus | 'info-applied'>('ok', 'ok', 'ok', 'fail', 'info', 'info-applied'),
      lasts: fc.integer({ min: 0, max: 6 }),
    });
    fc.assert(
      fc.property(fc.array(txnArb, { minLength: 1, maxLength: 30 }), (specs) => {
        // Run them one after another on a model store; a transaction starts at its place i and
        // ends a little later, so a completion precedes an invocation only in serial order.
        const store = new Map<string, { value: string; version: number }>();
        const txns = specs.map((s, i): IsoTxn => {
          const applied = s.status === 'ok' || s.status === 'info-applied';
          const local = new Map(store);
          const mops = s.ops.map((o, j): Mop => {
            const cur = local.get(o.key);
            if (o.f === 'r') return r(o.key, cur?.value ?? null, cur?.version ?? 0);
            const version = (store.get(o.key)?.version ?? 0) + 1;
            local.set(o.key, { value: `T${i}.${j}`, version });
            return w(o.key, `T${i}.${j}`, version);
          });
          if (applied) for (const [k, v] of local) store.set(k, v);
          const status: TxnStatus = s.status === 'info-applied' ? 'info' : s.status;
          // An unknown outcome: the client never saw the results.
          const seen = status === 'info' ? mops.filter((m) => m.f === 'w').map((m) => ({ ...m, version: null })) : mops;
          return { id: `T${i}`, process: i % 3, status, invokedAt: i, completedAt: status === 'ok' ? i + 0.5 + s.lasts : null, mops: seen };
        });
        const rep = checkIsolation(txns);
        expect(found(rep)).toEqual([]);
      }),
      { seed: 16, numRuns: 300 },
    );
  });
});

describe('isolation verdict rows', () => {
  it('one row per class; a found anomaly fails its row and names the cycle', () => {
    const rows = isolationVerdicts(checkIsolation([txn('T1', [r('x', null, 0), w('y', 'b', 1)]), txn('T2', [r('y', null, 0), w('x', 'a', 1)])]));
    expect(rows).toHaveLength(8);
    expect(rows.filter((x) => !x.ok).map((x) => x.id)).toEqual(['isolation:G2-item']);
    expect(rows.find((x) => x.id === 'isolation:G2-item')!.detail).toMatch(/^1 found, e\.g\. G2-item: T\d -rw\(/);
    expect(rows[0]!.detail).toMatch(/^none in 2 committed, 0 unknown, 0 aborted txns; 2 reads, 2 writes/);
  });
});
