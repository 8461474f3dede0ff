import type { CoordinatorRecord, DecisionRecord } from '../protocol/records.js';
import type { BatchOp } from './kvEngine.js';
import type { NodeStore } from './nodeStore.js';
import { RebuildableIdFilter } from './filterRebuild.js';
import type { CollectPlan } from './recordCollector.js';
import { decodeDecision, decodeUnfinished, encodeDecision, encodeUnfinished } from './recordCodec.js';

export const CKEY = {
  decision: (txn: string) => `d!${txn}`,
  decisionPrefix: 'd!',
  /** Present while a COMMIT still has to reach some participant. */
  unfinished: (txn: string) => `u!${txn}`,
  unfinishedPrefix: 'u!',
} as const;

/**
 * A coordinator's decision log, with a filter of the ids it holds a decision for: a client-chosen
 * id is looked up before it runs, and "definitely not here" (almost every first attempt) then
 * costs no read of LevelDB (see OutcomeFilter).
 */
export class CoordinatorStore {
  private readonly decided: RebuildableIdFilter;

  private constructor(
    readonly store: NodeStore,
    filterCapacity: number | undefined,
  ) {
    this.decided = new RebuildableIdFilter(store, CKEY.decisionPrefix, filterCapacity);
  }

  /** Opens the decision log; the filter is filled from it first. */
  static async open(store: NodeStore, opts: { filterCapacity?: number } = {}): Promise<CoordinatorStore> {
    const s = new CoordinatorStore(store, opts.filterCapacity);
    for (const txn of await store.scanKeys(CKEY.decisionPrefix)) s.decided.add(txn);
    return s;
  }

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
    if (!this.decided.mightContain(txn)) return done(null, null);
    this.store.readOne(CKEY.decision(txn), decodeDecision, done);
  }

  get filterCount(): number {
    return this.decided.count;
  }

  /** A new decision filter from the records left (collected ids drop out of it); `done` once it serves. */
  rebuildFilter(pageSize: number, done: (err: Error | null, ids: number) => void): void {
    this.decided.rebuild(pageSize, done);
  }

  /**
   * Retention: a decision (or tombstone) born before the mark goes — never one whose commit is
   * still being delivered (its `u!` marker keeps it: a participant in doubt may still ask).
   */
  collectPlan(): CollectPlan {
    return {
      prefix: CKEY.decisionPrefix,
      read: (key, raw) => {
        const d = decodeDecision(raw, this.store.at(key));
        // Older records have no birth: the decision time, later than the birth, stands in.
        return { bornMs: d.bornMs ?? d.decidedAtMs, rows: [key] };
      },
      keeperOf: (key) => CKEY.unfinished(key.slice(CKEY.decisionPrefix.length)),
    };
  }

  persist(record: CoordinatorRecord, sync: boolean, lingerMs: number, done: (err: Error | null) => void): void {
    // Into the filter before the write: a false "maybe" only costs a read, a missed one a wrong answer.
    if (record.kind === 'decision') {
      this.decided.add(record.record.txn);
    }
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
