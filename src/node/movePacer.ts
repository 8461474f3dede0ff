import type { CommitRate } from './commitRate.js';

export interface PacerOptions {
  /** Pause the copy while commits/s run below this share of their level before the move (0: never). */
  floor: number;
  /** The longest one pause (the move always goes on: a cluster whose load fell for other reasons is not waited on forever). */
  maxPauseMs: number;
  /** Below this level (commits/s before the move) nothing is paced: an idle cluster moves at full speed. */
  minLevelPerSec: number;
}

export const DEFAULT_PACER: PacerOptions = { floor: 0.75, maxPauseMs: 600, minLevelPerSec: 20 };

/** How far back "now" reaches, and how often a pause looks again. */
const RECENT_MS = 500;
const POLL_MS = 50;
/** The level before a move: the median second of this long before it. */
const LEVEL_MS = 10_000;

/** Whether the copy should wait: the recent rate is below `floor` of the level, and the level is worth holding. */
export function foregroundStarved(recentPerSec: number, levelPerSec: number, o: PacerOptions): boolean {
  return o.floor > 0 && levelPerSec >= o.minLevelPerSec && recentPerSec < o.floor * levelPerSec;
}

/**
 * Makes a shard move give way to the transactions it runs beside: before each chunk of a precopy
 * and each step, the copy waits (bounded) while this coordinator commits less than a share of what
 * it committed before the move began. The copy competes with transactions for the same cores and
 * disks; waiting while they are starved turns a deep dip into a slower move. Only where nothing is
 * held or frozen: a pause never keeps a transaction waiting on a moving shard.
 */
export class MovePacer {
  private level = 0;
  /** Time spent waiting so far in this move. */
  pausedMs = 0;
  pauses = 0;

  constructor(
    private readonly rate: CommitRate,
    private readonly o: PacerOptions,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes the level to hold: the median 1 s commit rate of the 10 s before the move. */
  begin(): void {
    this.level = this.rate.medianPerSecond(LEVEL_MS);
    this.pausedMs = 0;
    this.pauses = 0;
  }

  get levelPerSec(): number {
    return this.level;
  }

  async giveWay(): Promise<void> {
    if (!foregroundStarved(this.rate.perSecond(RECENT_MS), this.level, this.o)) return;
    const started = this.now();
    this.pauses++;
    while (this.now() - started < this.o.maxPauseMs && foregroundStarved(this.rate.perSecond(RECENT_MS), this.level, this.o)) {
      await this.sleep(POLL_MS);
    }
    this.pausedMs += this.now() - started;
  }
}
