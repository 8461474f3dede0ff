import { nextCollectMark, type RetentionRule } from '../protocol/retention.js';
import type { NodeStore } from '../storage/nodeStore.js';
import { RecordCollector, type CollectPlan } from '../storage/recordCollector.js';
import type { RuntimeClock, RuntimeEnv, RuntimeLog } from './env.js';
import type { PlantedBug } from './plantedBugs.js';

/** The core's side of retention: its mark, and the oldest transaction it still runs. */
export interface RetentionCore {
  readonly retentionMark: number;
  setCollectedUpTo(ms: number): void;
  oldestLiveBirth(): number | null;
}

/** A store's filter of the ids it holds records of, which collection leaves stale until rebuilt. */
export interface RebuildableFilter {
  readonly filterCount: number;
  rebuildFilter(pageSize: number, done: (err: Error | null, ids: number) => void): void;
}

export interface RetentionLoopOptions {
  rule: RetentionRule;
  clock: RuntimeClock;
  collector: RecordCollector;
  core: RetentionCore;
  filter: RebuildableFilter;
  log: RuntimeLog;
  fatal: (err: unknown, what: string) => void;
  /** Records read per page (default 1000): one LevelDB iterator page, one delete batch. */
  pageSize?: number;
  /** Pause between pages of one pass (default 100 ms): the sweep never hogs the node. */
  pageGapMs?: number;
  /** Pause between passes over all records (default: a tenth of the window, 1..10 s). */
  passGapMs?: number;
  /** Deleted records in a pass after which the range is compacted (default 10,000; 0: never). */
  compactAfter?: number;
  bug?: PlantedBug | null;
  /** The cluster's horizon (PeerHorizon.floor): collection stays below it too. Absent: this node's own only. */
  peerFloor?: () => number;
}

/** What a node's store gives its collector: its log, what to collect in it, and its id filter. */
export interface CollectableStore extends RebuildableFilter {
  readonly store: NodeStore;
  collectPlan(): CollectPlan;
}

export type RetentionTuning = Partial<Pick<RetentionLoopOptions, 'pageSize' | 'pageGapMs' | 'passGapMs' | 'compactAfter'>>;

/** A node's collector over its store (null when retention is off): one wiring for coordinators and participants. */
export function retentionLoopFor(o: {
  rule: RetentionRule | null | undefined;
  env: RuntimeEnv;
  store: CollectableStore;
  core: RetentionCore;
  bug?: PlantedBug | null | undefined;
  tuning?: RetentionTuning | undefined;
  peerFloor?: () => number;
}): RetentionLoop | null {
  if (!o.rule) return null;
  return new RetentionLoop({
    rule: o.rule,
    clock: o.env.clock,
    collector: new RecordCollector(o.store.store, o.store.collectPlan()),
    core: o.core,
    filter: o.store,
    log: o.env.log,
    fatal: (err, what) => o.env.fatal(err, what),
    bug: o.bug ?? null,
    ...o.tuning,
    ...(o.peerFloor ? { peerFloor: o.peerFloor } : {}),
  });
}

/** The pause between passes: as tuned, else a tenth of the window, 1..10 s. */
export function passGapFor(rule: RetentionRule, tuning?: { passGapMs?: number }): number {
  return tuning?.passGapMs ?? Math.min(10_000, Math.max(1000, Math.floor(rule.windowMs / 10)));
}

export interface RetentionStats {
  passes: number;
  /** Passes not run: the mark had not reached the oldest record kept. */
  skippedPasses: number;
  scanned: number;
  collected: number;
  filterRebuilds: number;
  compactions: number;
  mark: number;
}

/**
 * A node's garbage collector of finished records: pass after pass over its records in bounded
 * pages, it raises the mark to min(now - window - grace, the oldest live transaction's birth) and
 * deletes what was born below it (RecordCollector), then rebuilds the id filter once most of its
 * ids are gone and compacts the range after a big pass, so that disk and memory stay flat.
 */
export class RetentionLoop {
  private stopped = false;
  private cancel: (() => void) | null = null;
  private pass = { scanned: 0, collected: 0, oldestKept: Infinity, startedAt: 0 };
  /**
   * Until the mark passes this, a pass would (almost surely) find nothing: the oldest record the
   * last full pass kept, and the start of that pass less the window (records written since were
   * accepted inside the window). A stray older one only waits until the mark passes the bound.
   */
  private nothingBelow = -Infinity;
  readonly stats: RetentionStats = { passes: 0, skippedPasses: 0, scanned: 0, collected: 0, filterRebuilds: 0, compactions: 0, mark: 0 };

  constructor(private readonly o: RetentionLoopOptions) {}

  start(): void {
    this.stats.mark = this.o.core.retentionMark;
    this.schedule(this.passGap());
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
    this.cancel = null;
  }

  private passGap(): number {
    return passGapFor(this.o.rule, this.o);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.cancel = this.o.clock.after(ms, () => {
      this.cancel = null;
      this.page();
    });
  }

  private markNow(): number {
    const { core, rule, clock } = this.o;
    const previous = core.retentionMark;
    let mark = nextCollectMark(rule, clock.now(), previous);
    // Never under a transaction still running here: its record is about to be written.
    const oldest = core.oldestLiveBirth();
    if (oldest !== null) mark = Math.max(previous, Math.min(mark, oldest));
    // Nor under a transaction a peer still holds: it may ask this node about it.
    if (this.o.peerFloor) mark = Math.max(previous, Math.min(mark, this.o.peerFloor()));
    return mark;
  }

  private page(): void {
    if (this.stopped) return;
    const mark = this.markNow();
    // A long window on a busy node: most passes would read every record to delete none.
    if (this.pass.scanned === 0 && mark < this.nothingBelow) {
      this.stats.skippedPasses++;
      return this.schedule(this.passGap());
    }
    if (this.pass.scanned === 0) this.pass.startedAt = this.o.clock.now();
    const raise = (m: number): void => {
      this.stats.mark = m;
      if (this.o.bug !== 'retention.forgetLowWater') this.o.core.setCollectedUpTo(m);
    };
    this.o.collector.sweep(mark, this.o.pageSize ?? 1000, raise, (err, r) => {
      if (this.stopped) return;
      if (err) return this.o.fatal(err, 'retention sweep');
      this.pass.scanned += r.scanned;
      this.pass.collected += r.collected;
      this.pass.oldestKept = Math.min(this.pass.oldestKept, r.oldestKept);
      this.stats.scanned += r.scanned;
      this.stats.collected += r.collected;
      if (!r.wrapped) return this.schedule(this.o.pageGapMs ?? 100);
      this.endPass();
    });
  }

  private endPass(): void {
    const { scanned, collected, oldestKept, startedAt } = this.pass;
    this.pass = { scanned: 0, collected: 0, oldestKept: Infinity, startedAt: 0 };
    this.nothingBelow = Math.min(oldestKept, startedAt - this.o.rule.windowMs);
    this.stats.passes++;
    if (collected > 0) this.o.log.info({ scanned, collected, mark: new Date(this.stats.mark).toISOString() }, 'retention: records collected');
    const left = scanned - collected;
    const compactAfter = this.o.compactAfter ?? 10_000;
    if (compactAfter > 0 && collected >= compactAfter) {
      this.stats.compactions++;
      this.o.collector.compact().catch((err: unknown) => this.o.log.warn({ err }, 'retention: compaction failed'));
    }
    // Most of the filter's ids are gone: every prepare of a new id would pay a false "maybe".
    if (this.o.filter.filterCount > 2 * left + 4096) {
      this.stats.filterRebuilds++;
      return this.o.filter.rebuildFilter(this.o.pageSize ?? 1000, (err) => {
        if (err) return this.o.fatal(err, 'retention filter rebuild');
        this.schedule(this.passGap());
      });
    }
    this.schedule(this.passGap());
  }
}
