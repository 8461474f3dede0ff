import { invariant } from '../protocol/invariant.js';
import { prefixRange, type BatchOp } from './kvEngine.js';
import type { NodeStore } from './nodeStore.js';

/** The durable "collected up to" mark of a node (retention.ts), beside its identity. */
export const COLLECTED_MARK_KEY = 'm!collected';

/** What one kind of node collects: the prefix of its records and, per record, the rows that go with it. */
export interface CollectPlan {
  prefix: string;
  /** The rows to delete with this record (its own key first) when it may go under `mark`; null keeps it. */
  rowsOf(key: string, raw: string, mark: number): string[] | null;
  /** A row whose presence keeps the record (a coordinator's unfinished marker); none: nothing keeps it. */
  keeperOf?: (key: string) => string;
}

export interface SweepResult {
  scanned: number;
  collected: number;
  /** The sweep reached the end of the prefix: the next one starts over. */
  wrapped: boolean;
}

/**
 * Deletes a node's records of transactions born before its mark, one bounded page per sweep,
 * walking the record prefix with a cursor (a LevelDB iterator per page, never one scan of all).
 *
 * The mark rides in the same batch as the deletes, so both land or neither does: a crash that
 * loses the batch brings the records back under the old mark, which is consistent. That is why
 * the batch need not be synced: an unsynced delete only ever undoes itself with its mark. The
 * caller raises the core's mark (`beforeDelete`) before the batch is even queued, so no question
 * can see a record gone under a mark that does not yet say so.
 */
export class RecordCollector {
  private cursor: string;
  private busy = false;
  readonly totals = { scanned: 0, collected: 0, sweeps: 0 };

  constructor(
    private readonly store: NodeStore,
    private readonly plan: CollectPlan,
  ) {
    this.cursor = plan.prefix;
  }

  /** The durable mark (0: nothing collected yet). */
  static async loadMark(store: NodeStore): Promise<number> {
    const raw = await store.engine.get(COLLECTED_MARK_KEY);
    const n = raw === undefined ? 0 : Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`log of ${store.label} corrupt: ${COLLECTED_MARK_KEY} is ${JSON.stringify(raw)}`);
    return n;
  }

  sweep(mark: number, limit: number, beforeDelete: (mark: number) => void, done: (err: Error | null, r: SweepResult) => void): void {
    invariant(!this.busy, 'two sweeps of one collector at once');
    invariant(limit > 0, () => `sweep limit ${limit}`);
    this.busy = true;
    const { lt } = prefixRange(this.plan.prefix);
    const finish = (err: Error | null, r: SweepResult): void => {
      this.busy = false;
      if (!err) {
        this.totals.scanned += r.scanned;
        this.totals.collected += r.collected;
        this.totals.sweeps++;
      }
      done(err, r);
    };
    this.store.engine.scanPage(this.cursor, lt, limit, (err, entries) => {
      if (err) return finish(err, { scanned: 0, collected: 0, wrapped: false });
      const wrapped = entries.length < limit;
      this.cursor = wrapped ? this.plan.prefix : entries[entries.length - 1]![0];
      let candidates: string[][];
      try {
        candidates = entries.flatMap(([key, raw]) => {
          const rows = this.plan.rowsOf(key, raw, mark);
          return rows ? [rows] : [];
        });
      } catch (e) {
        return finish(e instanceof Error ? e : new Error(String(e)), { scanned: entries.length, collected: 0, wrapped });
      }
      this.dropKept(candidates, (err2, doomed) => {
        if (err2) return finish(err2, { scanned: entries.length, collected: 0, wrapped });
        if (doomed.length === 0) return finish(null, { scanned: entries.length, collected: 0, wrapped });
        const ops: BatchOp[] = [{ type: 'put', key: COLLECTED_MARK_KEY, value: String(mark) }];
        for (const rows of doomed) for (const key of rows) ops.push({ type: 'del', key });
        beforeDelete(mark);
        this.store.append(ops, false, 0, (err3) => finish(err3, { scanned: entries.length, collected: doomed.length, wrapped }));
      });
    });
  }

  /** Candidates whose keeper row exists stay (read in one engine call). */
  private dropKept(candidates: string[][], done: (err: Error | null, doomed: string[][]) => void): void {
    const keeperOf = this.plan.keeperOf;
    if (!keeperOf || candidates.length === 0) return done(null, candidates);
    this.store.engine.getMany(
      candidates.map((rows) => keeperOf(rows[0]!)),
      (err, values) => done(err, err ? [] : candidates.filter((_, i) => values[i] === undefined)),
    );
  }

  /** Reclaims the prefix's deleted space (LevelDB compactRange): disk shrinks, not only stops growing. */
  compact(): Promise<void> {
    const { gte, lt } = prefixRange(this.plan.prefix);
    return this.store.engine.compactRange(gte, lt);
  }
}
