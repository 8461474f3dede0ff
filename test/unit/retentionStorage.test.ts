import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CoordinatorRecord, ParticipantRecord } from '../../src/protocol/records.js';
import { CoordinatorStore } from '../../src/storage/coordinatorStore.js';
import { NodeStore } from '../../src/storage/nodeStore.js';
import { ParticipantStore, PKEY } from '../../src/storage/participantStore.js';
import { COLLECTED_MARK_KEY, RecordCollector, type SweepResult } from '../../src/storage/recordCollector.js';

// Real LevelDB in temp dirs: what a sweep deletes, what it keeps, and the mark it leaves.
const dirs: string[] = [];
const stores: NodeStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function openStore(role: 'participant' | 'coordinator'): Promise<NodeStore> {
  const dir = mkdtempSync(join(tmpdir(), 'dtx-retention-'));
  dirs.push(dir);
  const store = await NodeStore.openDir(dir, { id: role === 'participant' ? 'p1' : 'c1', role });
  stores.push(store);
  return store;
}

const sweep = (c: RecordCollector, mark: number, limit: number, raised: number[] = []): Promise<SweepResult> =>
  new Promise((resolve, reject) =>
    c.sweep(
      mark,
      limit,
      (m) => raised.push(m),
      (err, r) => (err ? reject(err) : resolve(r)),
    ),
  );
const persistP = (ps: ParticipantStore, r: ParticipantRecord): Promise<void> =>
  new Promise((resolve, reject) => ps.persist(r, true, 0, (err) => (err ? reject(err) : resolve())));
const persistC = (cs: CoordinatorStore, r: CoordinatorRecord): Promise<void> =>
  new Promise((resolve, reject) => cs.persist(r, true, 0, (err) => (err ? reject(err) : resolve())));

describe('RecordCollector', () => {
  it('deletes a participant outcome born under the mark with its shard index rows, keeps younger and unborn ones, and leaves the mark durable', async () => {
    const store = await openStore('participant');
    const ps = await ParticipantStore.open(store);
    const commit = (txn: string, bornMs: number | undefined): ParticipantRecord => ({
      kind: 'commit',
      txn,
      writes: [{ key: `k-${txn}`, value: 'v', version: 1 }],
      results: [{ key: `k-${txn}`, found: false, value: '', version: 0 }],
      ...(bornMs !== undefined ? { bornMs } : {}),
    });
    for (let i = 0; i < 5; i++) await persistP(ps, commit(`old${i}`, 100 + i));
    await persistP(ps, commit('young', 10_000));
    await persistP(ps, commit('legacy', undefined));
    await persistP(ps, { kind: 'abort', txn: 'oldAbort', hadPrepare: false, keys: [], bornMs: 50 });

    const c = new RecordCollector(store, ps.collectPlan());
    const raised: number[] = [];
    // Pages of 3: the first sweep does not reach the end; the walk goes on where it stopped.
    const first = await sweep(c, 1000, 3, raised);
    expect(first).toMatchObject({ scanned: 3, wrapped: false });
    let total = first.collected;
    for (let i = 0; i < 5; i++) {
      const r = await sweep(c, 1000, 3, raised);
      total += r.collected;
      if (r.wrapped) break;
    }
    expect(total).toBe(6);
    expect(raised.every((m) => m === 1000)).toBe(true);
    const left = (await store.scanKeys(PKEY.outcomePrefix)).sort();
    expect(left).toEqual(['legacy', 'young']);
    const index = (await store.scanKeys(PKEY.outcomeIndexPrefixAll)).map((k) => k.split('!')[1]);
    expect(index.sort()).toEqual(['legacy', 'young']);
    expect(await RecordCollector.loadMark(store)).toBe(1000);
    expect(await store.engine.get(COLLECTED_MARK_KEY)).toBe('1000');
  });

  it('keeps a coordinator decision whose commit is still being delivered, and rebuilds the filter without the collected ids', async () => {
    const store = await openStore('coordinator');
    const cs = await CoordinatorStore.open(store);
    const decision = (txn: string, bornMs: number): CoordinatorRecord => ({
      kind: 'decision',
      record: { txn, outcome: 'COMMITTED', participants: ['p1'], results: [], reason: '', digest: '', decidedAtMs: bornMs + 5, bornMs },
    });
    await persistC(cs, decision('delivered', 100));
    await persistC(cs, { kind: 'end', txn: 'delivered' });
    await persistC(cs, decision('undelivered', 100));
    await persistC(cs, decision('young', 5000));
    const c = new RecordCollector(store, cs.collectPlan());
    const r = await sweep(c, 1000, 100);
    expect(r).toEqual({ scanned: 3, collected: 1, wrapped: true, oldestKept: 100 });
    expect((await store.scanKeys('d!')).sort()).toEqual(['undelivered', 'young']);
    expect(cs.filterCount).toBe(3);
    const ids = await new Promise<number>((resolve, reject) => cs.rebuildFilter(1, (err, n) => (err ? reject(err) : resolve(n))));
    expect(ids).toBe(2);
    expect(cs.filterCount).toBe(2);
    await c.compact();
  });
});
