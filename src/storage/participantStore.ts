import type { ParticipantOutcomeRecord, ParticipantRecord, PrepareRecord } from '../protocol/records.js';
import { FENCE_PREFIX } from '../protocol/ops.js';
import type { StoredValue } from '../protocol/types.js';
import type { BatchOp } from './groupCommit.js';
import type { NodeStore } from './nodeStore.js';

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

/** Turns a participant's protocol records into LevelDB batches; reads what recovery needs. */
export class ParticipantStore {
  constructor(readonly store: NodeStore) {}

  async recoverPrepared(): Promise<PrepareRecord[]> {
    return (await this.store.scanJson<PrepareRecord>(PKEY.preparePrefix)).map((e) => e.value);
  }

  async readForPrepare(
    txn: string,
    keys: string[],
  ): Promise<{ values: Map<string, StoredValue>; finished: ParticipantOutcomeRecord | null }> {
    // One LevelDB call for the outcome and the values: on the prepare path the binding's
    // per-call cost outweighs the reads themselves.
    const [finished, ...stored] = await this.store.getManyJson<unknown>([PKEY.outcome(txn), ...keys.map(storedKey)]);
    const values = new Map<string, StoredValue>();
    stored.forEach((v, i) => {
      if (v) values.set(keys[i]!, v as StoredValue);
    });
    return { values, finished: (finished as ParticipantOutcomeRecord | null) ?? null };
  }

  outcome(txn: string): Promise<ParticipantOutcomeRecord | null> {
    return this.store.getJson<ParticipantOutcomeRecord>(PKEY.outcome(txn));
  }

  /** The commit batch holds the writes and the outcome together: applied atomically or not at all. */
  persist(record: ParticipantRecord, sync: boolean): Promise<void> {
    return this.store.append(participantBatch(record), sync);
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
