import type { CoordinatorRecord, DecisionRecord } from '../protocol/records.js';
import type { BatchOp } from './groupCommit.js';
import type { NodeStore } from './nodeStore.js';

export const CKEY = {
  decision: (txn: string) => `d!${txn}`,
  /** Present while a COMMIT still has to reach some participant. */
  unfinished: (txn: string) => `u!${txn}`,
  unfinishedPrefix: 'u!',
} as const;

export class CoordinatorStore {
  constructor(readonly store: NodeStore) {}

  async recoverPending(): Promise<DecisionRecord[]> {
    const ids = (await this.store.scanJson<string>(CKEY.unfinishedPrefix)).map((e) => e.key);
    const records = await this.store.getManyJson<DecisionRecord>(ids.map(CKEY.decision));
    return records.map((r, i) => {
      if (!r) throw new Error(`log corrupt: unfinished marker for ${ids[i]} without its decision`);
      return r;
    });
  }

  lookup(txn: string): Promise<DecisionRecord | null> {
    return this.store.getJson<DecisionRecord>(CKEY.decision(txn));
  }

  persist(record: CoordinatorRecord, sync: boolean, lingerMs = 0): Promise<void> {
    return this.store.append(coordinatorBatch(record), sync, lingerMs);
  }
}

/** A coordinator record as the LevelDB batch that makes it durable (the simulator's disk uses it too). */
export function coordinatorBatch(record: CoordinatorRecord): BatchOp[] {
  if (record.kind === 'end') return [{ type: 'del', key: CKEY.unfinished(record.txn) }];
  const d = record.record;
  const ops: BatchOp[] = [{ type: 'put', key: CKEY.decision(d.txn), value: JSON.stringify(d) }];
  if (d.outcome === 'COMMITTED' && !d.readOnly) ops.push({ type: 'put', key: CKEY.unfinished(d.txn), value: '""' });
  return ops;
}
