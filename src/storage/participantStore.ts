import type { ParticipantOutcomeRecord, ParticipantRecord, PrepareRecord } from '../protocol/records.js';
import { FENCE_PREFIX } from '../protocol/ops.js';
import type { StoredValue } from '../protocol/types.js';
import type { BatchOp } from './groupCommit.js';
import type { NodeStore } from './nodeStore.js';
import { OutcomeFilter } from './outcomeFilter.js';
import { BoundedMap } from '../protocol/boundedMap.js';

/** Key layout of a participant's LevelDB. */
export const PKEY = {
  prepare: (txn: string) => `p!${txn}`,
  outcome: (txn: string) => `o!${txn}`,
  data: (key: string) => `k!${key}`,
  dataPrefix: 'k!',
  preparePrefix: 'p!',
  outcomePrefix: 'o!',
  /** Fencing high-water marks live under `f!<lock>`, apart from the data (see ops.ts fenceKey). */
  fencePrefix: FENCE_PREFIX,
} as const;

/** Where a core-level key is stored: a fence key (`f!<lock>`) as is, a data key under `k!`. */
function storedKey(key: string): string {
  return key.startsWith(FENCE_PREFIX) ? key : PKEY.data(key);
}

/** Keys whose stored value (or absence) is kept in memory for prepares. */
export const VALUE_CACHE_KEYS = 200_000;

type ReadResult = { values: Map<string, StoredValue>; finished: ParticipantOutcomeRecord | null };

/**
 * Turns a participant's protocol records into LevelDB batches; reads what recovery needs.
 *
 * Prepares read through two pieces of memory that mirror the log, so that the common
 * prepare (a new transaction on keys read before) needs no LevelDB round trip at all:
 * a bounded cache of data values (filled by reads, updated by every commit once it is
 * written — while a key is X-locked by the committing transaction nobody else reads it)
 * and a filter of the transactions that have an outcome record.
 */
export class ParticipantStore {
  private readonly values = new BoundedMap<string, StoredValue | null>(VALUE_CACHE_KEYS);
  private readonly outcomes = new OutcomeFilter();
  /**
   * Keys some LevelDB read is fetching right now, and which of them a commit wrote meanwhile.
   * A read may outlive its transaction's locks (it can be aborted mid-read, and another
   * transaction lock, commit and cache the key); its answer must then not go into the cache.
   */
  private readonly reading = new Map<string, number>();
  private readonly overtaken = new Set<string>();
  readonly cacheStats = { readsFromMemory: 0, readsFromLog: 0 };

  private constructor(readonly store: NodeStore) {}

  /** Opens the participant's view of its store: the outcome filter is filled from the log first. */
  static async open(store: NodeStore): Promise<ParticipantStore> {
    const s = new ParticipantStore(store);
    for (const txn of await store.scanKeys(PKEY.outcomePrefix)) s.outcomes.add(txn);
    return s;
  }

  async recoverPrepared(): Promise<PrepareRecord[]> {
    return (await this.store.scanJson<PrepareRecord>(PKEY.preparePrefix)).map((e) => e.value);
  }

  /** A synchronous answer when memory knows everything (no outcome, every value cached); else a LevelDB read. */
  readForPrepare(txn: string, keys: string[]): ReadResult | Promise<ReadResult> {
    const mayHaveOutcome = this.outcomes.mightContain(txn);
    if (!mayHaveOutcome) {
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
        return { values, finished: null };
      }
    }
    this.cacheStats.readsFromLog++;
    return this.readFromLog(txn, keys);
  }

  private async readFromLog(txn: string, keys: string[]): Promise<ReadResult> {
    for (const k of keys) this.reading.set(k, (this.reading.get(k) ?? 0) + 1);
    try {
      // One LevelDB call for the outcome and the values: on the prepare path the binding's
      // per-call cost outweighs the reads themselves.
      const [finished, ...stored] = await this.store.getManyJson<unknown>([PKEY.outcome(txn), ...keys.map(storedKey)]);
      const values = new Map<string, StoredValue>();
      stored.forEach((v, i) => {
        const key = keys[i]!;
        if (v) values.set(key, v as StoredValue);
        if (!this.overtaken.has(key)) this.values.set(key, (v as StoredValue | null) ?? null);
      });
      return { values, finished: (finished as ParticipantOutcomeRecord | null) ?? null };
    } finally {
      this.doneReading(keys);
    }
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

  outcome(txn: string): ParticipantOutcomeRecord | null | Promise<ParticipantOutcomeRecord | null> {
    if (!this.outcomes.mightContain(txn)) return null;
    return this.store.getJson<ParticipantOutcomeRecord>(PKEY.outcome(txn));
  }

  /**
   * The commit batch holds the writes and the outcome together: applied atomically or not at all.
   * `lingerMs`: how long the batch may wait to share a sync with the next write (see GroupCommitWriter).
   */
  async persist(record: ParticipantRecord, sync: boolean, lingerMs = 0): Promise<void> {
    // Into the filter before the write: a false "maybe" only costs a read, a missed one a wrong vote.
    if (record.kind === 'commit' || record.kind === 'abort') this.outcomes.add(record.txn);
    await this.store.append(participantBatch(record), sync, lingerMs);
    if (record.kind === 'commit') {
      for (const w of record.writes) {
        this.values.set(w.key, { value: w.value, version: w.version });
        if (this.reading.has(w.key)) this.overtaken.add(w.key);
      }
    }
  }

  async scanData(): Promise<{ key: string; value: StoredValue }[]> {
    return this.store.scanJson<StoredValue>(PKEY.dataPrefix);
  }
}

/** A participant record as the LevelDB batch that makes it durable (the simulator's disk uses it too). */
export function participantBatch(record: ParticipantRecord): BatchOp[] {
  switch (record.kind) {
    case 'prepare':
    case 'precommit':
      return [{ type: 'put', key: PKEY.prepare(record.record.txn), value: JSON.stringify(record.record) }];
    case 'commit': {
      const outcome: ParticipantOutcomeRecord = { txn: record.txn, outcome: 'COMMITTED', results: record.results };
      return [
        ...record.writes.map((w): BatchOp => ({
          type: 'put',
          key: storedKey(w.key),
          value: JSON.stringify({ value: w.value, version: w.version } satisfies StoredValue),
        })),
        { type: 'put', key: PKEY.outcome(record.txn), value: JSON.stringify(outcome) },
        { type: 'del', key: PKEY.prepare(record.txn) },
      ];
    }
    case 'abort': {
      const outcome: ParticipantOutcomeRecord = { txn: record.txn, outcome: 'ABORTED', results: [] };
      return [
        { type: 'put', key: PKEY.outcome(record.txn), value: JSON.stringify(outcome) },
        { type: 'del', key: PKEY.prepare(record.txn) },
      ];
    }
  }
}
