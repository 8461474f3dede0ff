import type { CoordinatorRecord, DecisionRecord } from '../protocol/records.js';
import type { BatchOp } from './kvEngine.js';
import type { NodeStore } from './nodeStore.js';
import { decodeDecision, decodeUnfinished, encodeDecision, encodeUnfinished } from './recordCodec.js';

export const CKEY = {
  decision: (txn: string) => `d!${txn}`,
  decisionPrefix: 'd!',
  /** Present while a COMMIT still has to reach some participant. */
  unfinished: (txn: string) => `u!${txn}`,
  unfinishedPrefix: 'u!',
} as const;

export class CoordinatorStore {
  constructor(readonly store: NodeStore) {}

  async recoverPending(): Promise<DecisionRecord[]> {
    const markers = await this.store.scanDecoded(CKEY.unfinishedPrefix, decodeUnfinished);
    const out: DecisionRecord[] = [];
    for (const { key: txn } of markers) {
      const d = await this.store.getDecoded(CKEY.decision(txn), decodeDecision);
      if (!d) throw new Error(`log of ${this.store.label} corrupt: unfinished marker ${CKEY.unfinished(txn)} without its decision`);
      out.push(d);
    }
    return out;
  }

  lookup(txn: string, done: (err: Error | null, record: DecisionRecord | null) => void): void {
    this.store.readOne(CKEY.decision(txn), decodeDecision, done);
  }

  persist(record: CoordinatorRecord, sync: boolean, lingerMs: number, done: (err: Error | null) => void): void {
    this.store.append(coordinatorBatch(record), sync, lingerMs, done);
  }
}

/** A coordinator record as the engine batch that makes it durable. */
export function coordinatorBatch(record: CoordinatorRecord): BatchOp[] {
  if (record.kind === 'end') return [{ type: 'del', key: CKEY.unfinished(record.txn) }];
  const d = record.record;
  const ops: BatchOp[] = [{ type: 'put', key: CKEY.decision(d.txn), value: encodeDecision(d) }];
  if (d.outcome === 'COMMITTED' && !d.readOnly) ops.push({ type: 'put', key: CKEY.unfinished(d.txn), value: encodeUnfinished() });
  return ops;
}
