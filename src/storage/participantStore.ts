import { FENCE_PREFIX } from '../protocol/ops.js';
import type { ParticipantOutcomeRecord, ParticipantRecord, PrepareRecord } from '../protocol/records.js';
import { DEFAULT_SHARD_COUNT, shardOf } from '../protocol/shardMap.js';
import { ShardValueCache } from './shardValueCache.js';
import type { StoredValue } from '../protocol/types.js';
import type { BatchOp } from './kvEngine.js';
import type { NodeStore } from './nodeStore.js';
import { RebuildableIdFilter } from './filterRebuild.js';
import type { CollectPlan } from './recordCollector.js';
import { decodeParticipantOutcome, decodePrepare, decodeStoredValue, encodeParticipantOutcome, encodePrepare, encodeStoredValue } from './recordCodec.js';

/** A shard as the 4 hex digits that prefix its rows (fixed width: rows of one shard sort together). */
export function shardHex(shard: number): string {
  return shard.toString(16).padStart(4, '0');
}

/**
 * Key layout of a participant's store. Data rows sit under their virtual shard
 * (`k!<shard>!<key>`), so a move reads and deletes exactly its shards' rows; `x!<shard>!<txn>`
 * indexes the outcome records of the transactions that touched a shard (`x!none!<txn>`: an abort
 * of an id that held no op here), so a move carries them without reading every record.
 */
export const PKEY = {
  prepare: (txn: string) => `p!${txn}`,
  outcome: (txn: string) => `o!${txn}`,
  data: (key: string) => `k!${shardHex(shardOf(key, DEFAULT_SHARD_COUNT))}!${key}`,
  dataPrefix: 'k!',
  dataShardPrefix: (shard: number) => `k!${shardHex(shard)}!`,
  /** The user key of a full data row key. */
  keyOfData: (stored: string) => stored.slice(7),
  preparePrefix: 'p!',
  outcomePrefix: 'o!',
  outcomeIndex: (shard: number, txn: string) => `x!${shardHex(shard)}!${txn}`,
  outcomeIndexPrefix: (shard: number) => `x!${shardHex(shard)}!`,
  unkeyedOutcome: (txn: string) => `x!none!${txn}`,
  unkeyedOutcomePrefix: 'x!none!',
  /** The shard of a stored data row (`k!<shard hex4>!<key>`). */
  shardOfData: (stored: string) => parseInt(stored.slice(2, 6), 16),
  /** An outcome index row's shard (null: the unkeyed index) and transaction. */
  ofOutcomeIndex: (stored: string): { shard: number | null; txn: string } => {
    const s = stored.slice(2, 6);
    return { shard: s === 'none' ? null : parseInt(s, 16), txn: stored.slice(7) };
  },
  outcomeIndexPrefixAll: 'x!',
  /** Fencing high-water marks live under `f!<lock>`, apart from the data (see ops.ts fenceKey). */
  fencePrefix: FENCE_PREFIX,
} as const;

/** The index rows of an outcome record: one per shard of its keys, or the unkeyed one. */
export function outcomeIndexRows(txn: string, keys: readonly string[] | undefined): BatchOp[] {
  const data = (keys ?? []).filter((k) => !k.startsWith(FENCE_PREFIX));
  if (data.length === 0) return [{ type: 'put', key: PKEY.unkeyedOutcome(txn), value: '' }];
  return [...new Set(data.map((k) => shardOf(k, DEFAULT_SHARD_COUNT)))].map((s): BatchOp => ({ type: 'put', key: PKEY.outcomeIndex(s, txn), value: '' }));
}

/** Where a core-level key is stored: a fence key (`f!<lock>`) as is, a data key under `k!`. */
export function storedKey(key: string): string {
  return key.startsWith(FENCE_PREFIX) ? key : PKEY.data(key);
}

/** Keys whose stored value (or absence) is kept in memory for prepares (default). */
export const VALUE_CACHE_KEYS = 200_000;

export type ReadResult = { values: Map<string, StoredValue>; finished: ParticipantOutcomeRecord | null };

/** Bugs that can be planted in this layer (tests prove the simulator finds them). */
export interface StoreFaults {
  /** A read that a commit overtook still puts its old value into the cache. */
  cacheOvertakenReads?: boolean;
  /** A commit batch does not delete the prepare record (participant.commitKeepsPrepare). */
  commitKeepsPrepare?: boolean;
  /** Every 3rd commit batch writes its outcome record as ABORTED, its writes applied (storage.commitOutcomeMislabelled). */
  commitOutcomeMislabelled?: boolean;
  /** A prepare's writes go into the value cache, and an abort leaves them there (storage.preparedWritesCached). */
  preparedWritesCached?: boolean;
}

/**
 * Turns a participant's protocol records into engine batches; reads what recovery needs.
 *
 * Prepares read through two pieces of memory that mirror the log, so that the common
 * prepare (a new transaction on keys read before) needs no engine round trip at all:
 * a bounded cache of data values (filled by reads, updated by every commit once it is
 * written — while a key is X-locked by the committing transaction nobody else reads it)
 * and a filter of the transactions that have an outcome record.
 */
export class ParticipantStore {
  private readonly values: ShardValueCache<StoredValue | null>;
  private readonly outcomes: RebuildableIdFilter;
  /**
   * Keys some engine read is fetching right now, and which of them a commit wrote meanwhile.
   * A read may outlive its transaction's locks (it can be aborted mid-read, and another
   * transaction lock, commit and cache the key); its answer must then not go into the cache.
   */
  private readonly reading = new Map<string, number>();
  private readonly overtaken = new Set<string>();
  /** Commit batches written, under the planted fault commitOutcomeMislabelled. */
  private plantedCommits = 0;
  readonly cacheStats = { readsFromMemory: 0, readsFromLog: 0 };

  private constructor(
    readonly store: NodeStore,
    cacheKeys: number,
    filterCapacity: number | undefined,
    private readonly faults: StoreFaults,
  ) {
    this.values = new ShardValueCache(cacheKeys, (key) => shardOf(key, DEFAULT_SHARD_COUNT));
    this.outcomes = new RebuildableIdFilter(store, PKEY.outcomePrefix, filterCapacity);
  }

  /** Opens the participant's view of its store: the outcome filter is filled from the log first. */
  static async open(store: NodeStore, opts: { cacheKeys?: number; filterCapacity?: number; faults?: StoreFaults } = {}): Promise<ParticipantStore> {
    const s = new ParticipantStore(store, opts.cacheKeys ?? VALUE_CACHE_KEYS, opts.filterCapacity, opts.faults ?? {});
    for (const txn of await store.scanKeys(PKEY.outcomePrefix)) s.outcomes.add(txn);
    return s;
  }

  async recoverPrepared(): Promise<PrepareRecord[]> {
    return (await this.store.scanDecoded(PKEY.preparePrefix, decodePrepare)).map((e) => e.value);
  }

  /**
   * The values a prepare reads and the transaction's outcome record if it has one. Answers at
   * once (before returning) when memory knows everything — no outcome, every value cached;
   * otherwise after one engine read.
   */
  readForPrepare(txn: string, keys: string[], done: (err: Error | null, r: ReadResult) => void): void {
    if (!this.outcomes.mightContain(txn)) {
      const values = new Map<string, StoredValue>();
      let complete = true;
      for (const k of keys) {
        const v = this.values.get(k);
        if (v === undefined) {
          complete = false;
          break;
        }
        if (v) values.set(k, v);
      }
      if (complete) {
        this.cacheStats.readsFromMemory++;
        return done(null, { values, finished: null });
      }
    }
    this.cacheStats.readsFromLog++;
    this.readFromLog(txn, keys, done);
  }

  private readFromLog(txn: string, keys: string[], done: (err: Error | null, r: ReadResult) => void): void {
    for (const k of keys) this.reading.set(k, (this.reading.get(k) ?? 0) + 1);
    // One engine call for the outcome and the values: on the prepare path the binding's
    // per-call cost outweighs the reads themselves.
    const outcomeKey = PKEY.outcome(txn);
    const dataKeys = keys.map(storedKey);
    this.store.engine.getMany([outcomeKey, ...dataKeys], (err, raw) => {
      let result: ReadResult;
      try {
        if (err) throw err;
        const values = new Map<string, StoredValue>();
        keys.forEach((key, i) => {
          const r = raw[i + 1];
          const v = r === undefined ? null : decodeStoredValue(r, this.store.at(dataKeys[i]!));
          if (v) values.set(key, v);
          if (!this.overtaken.has(key) || this.faults.cacheOvertakenReads) this.values.set(key, v);
        });
        const finished = raw[0] === undefined ? null : decodeParticipantOutcome(raw[0], this.store.at(outcomeKey));
        result = { values, finished };
      } catch (e) {
        this.doneReading(keys);
        return done(e instanceof Error ? e : new Error(String(e)), { values: new Map(), finished: null });
      }
      this.doneReading(keys);
      done(null, result);
    });
  }

  private doneReading(keys: string[]): void {
    for (const k of keys) {
      const n = this.reading.get(k)! - 1;
      if (n > 0) {
        this.reading.set(k, n);
      } else {
        this.reading.delete(k);
        this.overtaken.delete(k);
      }
    }
  }

  /** The transaction's outcome record, if it has one (at once when the filter rules it out). */
  outcome(txn: string, done: (err: Error | null, r: ParticipantOutcomeRecord | null) => void): void {
    if (!this.outcomes.mightContain(txn)) return done(null, null);
    this.store.readOne(PKEY.outcome(txn), decodeParticipantOutcome, done);
  }

  /**
   * The commit batch holds the writes and the outcome together: applied atomically or not at all.
   * `lingerMs`: how long the batch may wait to share a sync with the next write (see GroupCommitWriter).
   */
  persist(record: ParticipantRecord, sync: boolean, lingerMs: number, done: (err: Error | null) => void): void {
    // Into the filter before the write: a false "maybe" only costs a read, a missed one a wrong vote.
    if (record.kind === 'commit' || record.kind === 'abort') this.noteOutcome(record.txn);
    const planted = record.kind === 'commit' ? this.plantedCommitBatch(record) : participantBatch(record);
    this.store.append(planted, sync, lingerMs, (err) => {
      if (!err && record.kind === 'prepare' && this.faults.preparedWritesCached) {
        // PLANTED BUG: the staged writes are cached before the decision; nothing removes them on an abort.
        for (const w of record.record.writes) this.values.set(w.key, { value: w.value, version: w.version });
      }
      if (!err && record.kind === 'commit') {
        for (const w of record.writes) {
          this.values.set(w.key, { value: w.value, version: w.version });
          if (this.reading.has(w.key)) this.overtaken.add(w.key);
        }
      }
      done(err);
    });
  }

  /** A commit's batch as the planted store faults write it (participantBatch without one). */
  private plantedCommitBatch(record: Extract<ParticipantRecord, { kind: 'commit' }>): BatchOp[] {
    const batch = participantBatch(record);
    if (this.faults.commitKeepsPrepare) return batch.filter((op) => op.type !== 'del');
    if (!this.faults.commitOutcomeMislabelled || ++this.plantedCommits % 3 !== 0) return batch;
    const outcome = PKEY.outcome(record.txn);
    const aborted: ParticipantOutcomeRecord = { txn: record.txn, outcome: 'ABORTED', results: [] };
    return batch.map((op) => (op.type === 'put' && op.key === outcome ? { ...op, value: encodeParticipantOutcome(aborted) } : op));
  }

  /**
   * Shards moved away or in: their keys' cached values may be stale. Only theirs go: a move
   * forgets a few shards every second, and a cache emptied each time would send every prepare
   * of the node to disk for the whole move; the cache's shard index finds theirs without a walk.
   */
  forgetCachedValues(shards: ReadonlySet<number>): void {
    this.values.forgetShards(shards);
  }

  /** An outcome record written outside `persist` (a shard move brought it): prepares must look it up. */
  noteOutcome(txn: string): void {
    this.outcomes.add(txn);
  }

  /** How many ids the outcome filter holds (collected ones too, until a rebuild). */
  get filterCount(): number {
    return this.outcomes.count;
  }

  /** A new outcome filter from the records left (collected ids drop out of it); `done` once it serves. */
  rebuildFilter(pageSize: number, done: (err: Error | null, ids: number) => void): void {
    this.outcomes.rebuild(pageSize, done);
  }

  /** Retention: an outcome record born before the mark goes, with its shard index rows. */
  collectPlan(): CollectPlan {
    return {
      prefix: PKEY.outcomePrefix,
      read: (key, raw) => {
        const r = decodeParticipantOutcome(raw, this.store.at(key));
        const keys = r.outcome === 'COMMITTED' ? r.results.map((x) => x.key) : r.keys;
        return { bornMs: r.bornMs, rows: [key, ...outcomeIndexRows(r.txn, keys).map((op) => op.key)] };
      },
    };
  }

  async scanData(): Promise<{ key: string; value: StoredValue }[]> {
    return (await this.store.scanDecoded(PKEY.dataPrefix, decodeStoredValue)).map((e) => ({
      key: PKEY.keyOfData(`${PKEY.dataPrefix}${e.key}`),
      value: e.value,
    }));
  }
}

/** A participant record as the engine batch that makes it durable. */
export function participantBatch(record: ParticipantRecord): BatchOp[] {
  switch (record.kind) {
    case 'prepare':
    case 'precommit':
      return [{ type: 'put', key: PKEY.prepare(record.record.txn), value: encodePrepare(record.record) }];
    case 'commit': {
      const outcome: ParticipantOutcomeRecord = {
        txn: record.txn,
        outcome: 'COMMITTED',
        results: record.results,
        ...(record.bornMs !== undefined ? { bornMs: record.bornMs } : {}),
      };
      return [
        ...record.writes.map((w): BatchOp => ({ type: 'put', key: storedKey(w.key), value: encodeStoredValue({ value: w.value, version: w.version }) })),
        { type: 'put', key: PKEY.outcome(record.txn), value: encodeParticipantOutcome(outcome) },
        ...outcomeIndexRows(record.txn, [...record.writes.map((w) => w.key), ...record.results.map((r) => r.key)]),
        { type: 'del', key: PKEY.prepare(record.txn) },
      ];
    }
    case 'abort': {
      const outcome: ParticipantOutcomeRecord = {
        txn: record.txn,
        outcome: 'ABORTED',
        results: [],
        ...(record.keys ? { keys: record.keys } : {}),
        ...(record.bornMs !== undefined ? { bornMs: record.bornMs } : {}),
      };
      return [
        { type: 'put', key: PKEY.outcome(record.txn), value: encodeParticipantOutcome(outcome) },
        ...outcomeIndexRows(record.txn, record.keys),
        { type: 'del', key: PKEY.prepare(record.txn) },
      ];
    }
  }
}
