import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ParticipantRecord } from '../../src/protocol/records.js';
import { GroupCommitWriter } from '../../src/storage/groupCommit.js';
import { NodeStore } from '../../src/storage/nodeStore.js';
import { OutcomeFilter } from '../../src/storage/outcomeFilter.js';
import { ParticipantStore, PKEY } from '../../src/storage/participantStore.js';

// Real LevelDB in temp dirs: the storage layer's batching and read-through memory.
const dirs: string[] = [];
const stores: NodeStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function openStore(dir = mkdtempSync(join(tmpdir(), 'dtx-storage-'))): Promise<{ dir: string; store: NodeStore }> {
  if (!dirs.includes(dir)) dirs.push(dir);
  const store = await NodeStore.open(dir, { id: 'p1', role: 'participant' });
  stores.push(store);
  return { dir, store };
}

describe('GroupCommitWriter', () => {
  it('coalesces appends made while a batch is in flight into one batch, synced if any asked', async () => {
    const { store } = await openStore();
    const w = new GroupCommitWriter(store.db);
    const writes = Array.from({ length: 20 }, (_, i) => w.append([{ type: 'put', key: `a${i}`, value: 'v' }], i === 7));
    await Promise.all(writes);
    // The first goes alone; the other 19 queued behind it and went together.
    expect(w.stats.batches).toBe(2);
    expect(w.stats.records).toBe(20);
    expect(w.stats.syncedBatches).toBe(1);
    expect(await store.db.get('a19')).toBe('v');
  });

  it('a lingering append rides with the next eager one instead of going alone', async () => {
    const { store } = await openStore();
    const w = new GroupCommitWriter(store.db);
    let lingerDone = false;
    const lingering = w.append([{ type: 'put', key: 'commit', value: 'c' }], true, 50).then(() => {
      lingerDone = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(lingerDone).toBe(false);
    expect(w.stats.batches).toBe(0);
    await w.append([{ type: 'put', key: 'prepare', value: 'p' }], true);
    await lingering;
    expect(w.stats).toMatchObject({ batches: 1, records: 2, syncedBatches: 1, lingered: 1 });
    expect(await store.db.get('commit')).toBe('c');
  });

  it('flushLingering lets a lingering append go at once', async () => {
    const { store } = await openStore();
    const w = new GroupCommitWriter(store.db);
    const t0 = performance.now();
    const lingering = w.append([{ type: 'put', key: 'c', value: 'c' }], true, 50);
    w.flushLingering();
    await lingering;
    expect(performance.now() - t0).toBeLessThan(45);
    expect(w.stats.batches).toBe(1);
  });

  it('a lingering append alone is written when its linger runs out', async () => {
    const { store } = await openStore();
    const w = new GroupCommitWriter(store.db);
    const t0 = performance.now();
    await w.append([{ type: 'put', key: 'end', value: 'e' }], false, 15);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(14);
    expect(w.stats.batches).toBe(1);
    expect(await store.db.get('end')).toBe('e');
  });

  it('close writes what still lingers, then refuses appends', async () => {
    const { store } = await openStore();
    const w = new GroupCommitWriter(store.db);
    const lingering = w.append([{ type: 'put', key: 'late', value: 'l' }], true, 50);
    await w.close();
    await lingering;
    expect(await store.db.get('late')).toBe('l');
    await expect(w.append([{ type: 'put', key: 'x', value: 'x' }], false)).rejects.toThrow(/closed/);
  });

  it('refuses a linger beyond its bound', async () => {
    const { store } = await openStore();
    const w = new GroupCommitWriter(store.db);
    expect(() => w.append([], false, 10_000)).toThrow(/linger/);
  });
});

describe('OutcomeFilter', () => {
  it('never forgets an added id, and rarely claims one it never saw, across growth stages', () => {
    const f = new OutcomeFilter(1000);
    const added = Array.from({ length: 10_000 }, (_, i) => `c1-${i}-${(i * 2654435761) >>> 0}`);
    for (const id of added) f.add(id);
    expect(f.count).toBe(10_000);
    for (const id of added) expect(f.mightContain(id)).toBe(true);
    let falsePositives = 0;
    for (let i = 0; i < 10_000; i++) if (f.mightContain(`c2-${i}`)) falsePositives++;
    // ~1% per stage, 4 stages here.
    expect(falsePositives).toBeLessThan(500);
  });
});

describe('ParticipantStore', () => {
  const commit = (txn: string, key: string, value: string, version: number): ParticipantRecord => ({
    kind: 'commit',
    txn,
    writes: [{ key, value, version }],
    results: [],
  });

  it('answers a prepare read from memory once the keys are known, and from the log for a finished txn', async () => {
    const { store } = await openStore();
    const ps = await ParticipantStore.open(store);
    const first = await ps.readForPrepare('t1', ['a', 'b']);
    expect(first.values.size).toBe(0);
    expect(ps.cacheStats).toEqual({ readsFromMemory: 0, readsFromLog: 1 });

    await ps.persist(commit('t1', 'a', '10', 1), true);
    const second = ps.readForPrepare('t2', ['a', 'b']);
    expect(second).not.toBeInstanceOf(Promise);
    expect((second as Awaited<typeof second>).values.get('a')).toEqual({ value: '10', version: 1 });
    expect(ps.cacheStats.readsFromMemory).toBe(1);

    // A duplicate prepare of a finished transaction must see its outcome.
    const dup = await ps.readForPrepare('t1', ['a']);
    expect(dup.finished?.outcome).toBe('COMMITTED');
    expect(await ps.outcome('t1')).toMatchObject({ outcome: 'COMMITTED' });
    expect(ps.outcome('never-seen')).toBeNull();
  });

  it('after a restart, finished transactions are still known (the filter is rebuilt from the log)', async () => {
    const { dir, store } = await openStore();
    const ps = await ParticipantStore.open(store);
    await ps.persist(commit('t1', 'a', '10', 1), true);
    await ps.persist({ kind: 'abort', txn: 't2', hadPrepare: false }, true);
    await store.close();
    stores.splice(stores.indexOf(store), 1);

    const { store: reopened } = await openStore(dir);
    const again = await ParticipantStore.open(reopened);
    expect((await again.readForPrepare('t1', ['a'])).finished?.outcome).toBe('COMMITTED');
    expect((await again.readForPrepare('t2', ['a'])).finished?.outcome).toBe('ABORTED');
    expect(await reopened.getJson(PKEY.data('a'))).toEqual({ value: '10', version: 1 });
    const fresh = await again.readForPrepare('t3', ['a']);
    expect(fresh.values.get('a')).toEqual({ value: '10', version: 1 });
    expect(fresh.finished).toBeNull();
  });

  it('a lingering commit updates memory only once it is written', async () => {
    const { store } = await openStore();
    const ps = await ParticipantStore.open(store);
    await ps.readForPrepare('t0', ['a']);
    const pending = ps.persist(commit('t1', 'a', '5', 1), true, 30);
    const before = ps.readForPrepare('t2', ['a']);
    expect(before).not.toBeInstanceOf(Promise);
    expect((before as Awaited<typeof before>).values.has('a')).toBe(false);
    await pending;
    const after = ps.readForPrepare('t2', ['a']);
    expect((after as Awaited<typeof after>).values.get('a')).toEqual({ value: '5', version: 1 });
  });

  it('a read that finishes after a commit overtook it does not put the old value back', async () => {
    // A prepare aborted mid-read loses its locks; another transaction may lock, commit and
    // cache the key before the first read returns with what was on disk before.
    const { store } = await openStore();
    await store.append([{ type: 'put', key: PKEY.data('a'), value: JSON.stringify({ value: '1', version: 1 }) }], true);
    const ps = await ParticipantStore.open(store);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const getMany = store.getManyJson.bind(store);
    store.getManyJson = async <T,>(keys: string[]) => {
      const got = await getMany<T>(keys);
      await gate;
      return got;
    };
    const slow = ps.readForPrepare('t1', ['a']);
    expect(slow).toBeInstanceOf(Promise);
    await ps.persist(commit('t2', 'a', '2', 2), true);
    release();
    expect((await slow).values.get('a')).toEqual({ value: '1', version: 1 });
    const next = ps.readForPrepare('t3', ['a']);
    expect(next).not.toBeInstanceOf(Promise);
    expect((next as Awaited<typeof next>).values.get('a')).toEqual({ value: '2', version: 2 });
  });
});
