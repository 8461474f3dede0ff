import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ParticipantRecord } from '../../src/protocol/records.js';
import { GroupCommitWriter, type BatchOp } from '../../src/storage/groupCommit.js';
import { NodeStore, PROCESS_CLOCK } from '../../src/storage/nodeStore.js';
import { OutcomeFilter } from '../../src/storage/outcomeFilter.js';
import { ParticipantStore, PKEY, type ReadResult } from '../../src/storage/participantStore.js';
import { decodeStoredValue, encodeStoredValue } from '../../src/storage/recordCodec.js';

// Real LevelDB in temp dirs: the storage layer's batching and read-through memory.
const dirs: string[] = [];
const stores: NodeStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function openStore(dir = mkdtempSync(join(tmpdir(), 'dtx-storage-'))): Promise<{ dir: string; store: NodeStore }> {
  if (!dirs.includes(dir)) dirs.push(dir);
  const store = await NodeStore.openDir(dir, { id: 'p1', role: 'participant' });
  stores.push(store);
  return { dir, store };
}

/** The callback APIs as promises, for tests. */
const append = (w: GroupCommitWriter, ops: BatchOp[], sync: boolean, linger = 0): Promise<void> =>
  new Promise((resolve, reject) => w.append(ops, sync, linger, (err) => (err ? reject(err) : resolve())));
const persist = (ps: ParticipantStore, r: ParticipantRecord, sync: boolean, linger = 0): Promise<void> =>
  new Promise((resolve, reject) => ps.persist(r, sync, linger, (err) => (err ? reject(err) : resolve())));
/** A prepare read, and whether it answered before returning (from memory). */
function read(ps: ParticipantStore, txn: string, keys: string[]): { atOnce: boolean; result: Promise<ReadResult> } {
  let atOnce = false;
  let returned = false;
  const result = new Promise<ReadResult>((resolve, reject) =>
    ps.readForPrepare(txn, keys, (err, r) => {
      if (!returned) atOnce = true;
      if (err) reject(err);
      else resolve(r);
    }),
  );
  returned = true;
  return { atOnce, result };
}
const outcome = (ps: ParticipantStore, txn: string) => new Promise((resolve, reject) => ps.outcome(txn, (err, r) => (err ? reject(err) : resolve(r))));

describe('GroupCommitWriter', () => {
  const writer = (store: NodeStore) => new GroupCommitWriter(store.engine, PROCESS_CLOCK);

  it('coalesces appends made while a batch is in flight into one batch, synced if any asked', async () => {
    const { store } = await openStore();
    const w = writer(store);
    const writes = Array.from({ length: 20 }, (_, i) => append(w, [{ type: 'put', key: `a${i}`, value: 'v' }], i === 7));
    await Promise.all(writes);
    // The first goes alone; the other 19 queued behind it and went together.
    expect(w.stats.batches).toBe(2);
    expect(w.stats.records).toBe(20);
    expect(w.stats.syncedBatches).toBe(1);
    expect(await store.engine.get('a19')).toBe('v');
  });

  it('a lingering append rides with the next eager one instead of going alone', async () => {
    const { store } = await openStore();
    const w = writer(store);
    let lingerDone = false;
    const lingering = append(w, [{ type: 'put', key: 'commit', value: 'c' }], true, 50).then(() => {
      lingerDone = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(lingerDone).toBe(false);
    expect(w.stats.batches).toBe(0);
    await append(w, [{ type: 'put', key: 'prepare', value: 'p' }], true);
    await lingering;
    expect(w.stats).toMatchObject({ batches: 1, records: 2, syncedBatches: 1, lingered: 1 });
    expect(await store.engine.get('commit')).toBe('c');
  });

  it('flushLingering lets a lingering append go at once', async () => {
    const { store } = await openStore();
    const w = writer(store);
    const t0 = performance.now();
    const lingering = append(w, [{ type: 'put', key: 'c', value: 'c' }], true, 50);
    w.flushLingering();
    await lingering;
    expect(performance.now() - t0).toBeLessThan(45);
    expect(w.stats.batches).toBe(1);
  });

  it('a lingering append alone is written when its linger runs out', async () => {
    const { store } = await openStore();
    const w = writer(store);
    const t0 = performance.now();
    await append(w, [{ type: 'put', key: 'end', value: 'e' }], false, 15);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(14);
    expect(w.stats.batches).toBe(1);
    expect(await store.engine.get('end')).toBe('e');
  });

  it('close writes what still lingers, then refuses appends', async () => {
    const { store } = await openStore();
    const w = writer(store);
    const lingering = append(w, [{ type: 'put', key: 'late', value: 'l' }], true, 50);
    await w.close();
    await lingering;
    expect(await store.engine.get('late')).toBe('l');
    await expect(append(w, [{ type: 'put', key: 'x', value: 'x' }], false)).rejects.toThrow(/closed/);
  });

  it('refuses a linger beyond its bound', async () => {
    const { store } = await openStore();
    const w = writer(store);
    expect(() => w.append([], false, 10_000, () => undefined)).toThrow(/linger/);
  });
});

describe('NodeStore', () => {
  it('refuses a data dir that belongs to another node, naming both', async () => {
    const { dir, store } = await openStore();
    await store.close();
    stores.splice(stores.indexOf(store), 1);
    await expect(NodeStore.openDir(dir, { id: 'p2', role: 'participant' })).rejects.toThrow(/belongs to participant p1, not participant p2/);
  });

  it('a corrupt record is an error naming the node, the key and the problem', async () => {
    const { store } = await openStore();
    await store.engine.put(PKEY.data('a'), '{"value":"1","version":-3}');
    await expect(store.getDecoded(PKEY.data('a'), decodeStoredValue)).rejects.toThrow(/participant p1 at key k!\w+!a: field "version"/);
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
    const first = await read(ps, 't1', ['a', 'b']).result;
    expect(first.values.size).toBe(0);
    expect(ps.cacheStats).toEqual({ readsFromMemory: 0, readsFromLog: 1 });

    await persist(ps, commit('t1', 'a', '10', 1), true);
    const second = read(ps, 't2', ['a', 'b']);
    expect(second.atOnce).toBe(true);
    expect((await second.result).values.get('a')).toEqual({ value: '10', version: 1 });
    expect(ps.cacheStats.readsFromMemory).toBe(1);

    // A duplicate prepare of a finished transaction must see its outcome.
    const dup = await read(ps, 't1', ['a']).result;
    expect(dup.finished?.outcome).toBe('COMMITTED');
    expect(await outcome(ps, 't1')).toMatchObject({ outcome: 'COMMITTED' });
    expect(await outcome(ps, 'never-seen')).toBeNull();
  });

  it('after a restart, finished transactions are still known (the filter is rebuilt from the log)', async () => {
    const { dir, store } = await openStore();
    const ps = await ParticipantStore.open(store);
    await persist(ps, commit('t1', 'a', '10', 1), true);
    await persist(ps, { kind: 'abort', txn: 't2', hadPrepare: false }, true);
    await store.close();
    stores.splice(stores.indexOf(store), 1);

    const { store: reopened } = await openStore(dir);
    const again = await ParticipantStore.open(reopened);
    expect((await read(again, 't1', ['a']).result).finished?.outcome).toBe('COMMITTED');
    expect((await read(again, 't2', ['a']).result).finished?.outcome).toBe('ABORTED');
    expect(await reopened.getDecoded(PKEY.data('a'), decodeStoredValue)).toEqual({ value: '10', version: 1 });
    const fresh = await read(again, 't3', ['a']).result;
    expect(fresh.values.get('a')).toEqual({ value: '10', version: 1 });
    expect(fresh.finished).toBeNull();
  });

  it('a lingering commit updates memory only once it is written', async () => {
    const { store } = await openStore();
    const ps = await ParticipantStore.open(store);
    await read(ps, 't0', ['a']).result;
    const pending = persist(ps, commit('t1', 'a', '5', 1), true, 30);
    const before = read(ps, 't2', ['a']);
    expect(before.atOnce).toBe(true);
    expect((await before.result).values.has('a')).toBe(false);
    await pending;
    const after = read(ps, 't2', ['a']);
    expect((await after.result).values.get('a')).toEqual({ value: '5', version: 1 });
  });

  it('a read that finishes after a commit overtook it does not put the old value back', async () => {
    // A prepare aborted mid-read loses its locks; another transaction may lock, commit and
    // cache the key before the first read returns with what was on disk before.
    const { store } = await openStore();
    await store.engine.put(PKEY.data('a'), encodeStoredValue({ value: '1', version: 1 }));
    const ps = await ParticipantStore.open(store);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const getMany = store.engine.getMany.bind(store.engine);
    store.engine.getMany = (keys, done) => getMany(keys, (err, values) => void gate.then(() => done(err, values)));
    const slow = read(ps, 't1', ['a']);
    expect(slow.atOnce).toBe(false);
    await persist(ps, commit('t2', 'a', '2', 2), true);
    release();
    expect((await slow.result).values.get('a')).toEqual({ value: '1', version: 1 });
    const next = read(ps, 't3', ['a']);
    expect(next.atOnce).toBe(true);
    expect((await next.result).values.get('a')).toEqual({ value: '2', version: 2 });
  });
});
