import { invariant } from '../protocol/invariant.js';
import { prefixRange, type BatchOp } from './kvEngine.js';
import type { NodeStore } from './nodeStore.js';

/** The durable "collected up to" mark of a node (retention.ts), beside its identity. */
export const COLLECTED_MARK_KEY = 'm!collected';

/** What one kind of node collects: the prefix of its records and, per record, the rows that go with it. */
export interface CollectPlan {
  prefix: string;
  /**
   * The record's birth (undefined: unknown, never collected) and the rows to delete with it, its
   * own key first, when it goes.
   */
  read(key: string, raw: string): { bornMs: number | undefined; rows: string[] };
  /** A row whose presence keeps the record (a coordinator's unfinished marker); none: nothing keeps it. */
  keeperOf?: (key: string) => string;
}

export interface SweepResult {
  scanned: number;
  collected: number;
  /** The oldest birth among the records this page kept (Infinity: none). */
  oldestKept: number;
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
      const wrapped = entries.length < limit;
      const result = (collected: number, oldestKept: number): SweepResult => ({ scanned: entries.length, collected, oldestKept, wrapped });
      if (err) return finish(err, result(0, Infinity));
      this.cursor = wrapped ? this.plan.prefix : entries[entries.length - 1]![0];
      const candidates: { bornMs: number; rows: string[] }[] = [];
      let oldestKept = Infinity;
      try {
        for (const [key, raw] of entries) {
          const r = this.plan.read(key, raw);
          if (r.bornMs !== undefined && r.bornMs < mark) candidates.push({ bornMs: r.bornMs, rows: r.rows });
          else if (r.bornMs !== undefined) oldestKept = Math.min(oldestKept, r.bornMs);
        }
      } catch (e) {
        return finish(e instanceof Error ? e : new Error(String(e)), result(0, oldestKept));
      }
      this.dropKept(candidates, (err2, doomed, kept) => {
        for (const k of kept) oldestKept = Math.min(oldestKept, k.bornMs);
        if (err2) return finish(err2, result(0, oldestKept));
        if (doomed.length === 0) return finish(null, result(0, oldestKept));
        const ops: BatchOp[] = [{ type: 'put', key: COLLECTED_MARK_KEY, value: String(mark) }];
        for (const c of doomed) for (const key of c.rows) ops.push({ type: 'del', key });
        beforeDelete(mark);
        this.store.append(ops, false, 0, (err3) => finish(err3, result(doomed.length, oldestKept)));
      });
    });
  }

  /** Candidates whose keeper row exists stay (read in one engine call). */
  private dropKept<C extends { rows: string[] }>(candidates: C[], done: (err: Error | null, doomed: C[], kept: C[]) => void): void {
    const keeperOf = this.plan.keeperOf;
    if (!keeperOf || candidates.length === 0) return done(null, candidates, []);
    this.store.engine.getMany(
      candidates.map((c) => keeperOf(c.rows[0]!)),
      (err, values) => {
        if (err) return done(err, [], candidates);
        done(
          null,
          candidates.filter((_, i) => values[i] === undefined),
          candidates.filter((_, i) => values[i] !== undefined),
        );
      },
    );
  }

  /** Reclaims the prefix's deleted space (LevelDB compactRange): disk shrinks, not only stops growing. */
  compact(): Promise<void> {
    const { gte, lt } = prefixRange(this.plan.prefix);
    return this.store.engine.compactRange(gte, lt);
  }
}
