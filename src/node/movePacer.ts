import type { CommitRate } from './commitRate.js';

export interface PacerOptions {
  /** Pause the copy while commits/s run below this share of their level before the move (0: never). */
  floor: number;
  /** The longest one pause (the move always goes on: a cluster whose load fell for other reasons is not waited on forever). */
  maxPauseMs: number;
  /** Below this level (commits/s before the move) nothing is paced: an idle cluster moves at full speed. */
  minLevelPerSec: number;
  /**
   * The share of the time the copy may work (1: always): after each piece it rests (1 - share) /
   * share of the piece's time (at most maxPauseMs). The cores and disks a copy uses are the
   * transactions' too; this bounds what a move takes from them even when no dip shows yet.
   */
  busyShare: number;
}

export const DEFAULT_PACER: PacerOptions = { floor: 0.75, maxPauseMs: 600, minLevelPerSec: 20, busyShare: 0.4 };

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
 * Makes a shard move give way to the transactions it runs beside, in two ways, before each chunk
 * of a precopy and each step: it rests in proportion to the copying it has done (busyShare), and
 * it waits (bounded) while this coordinator commits less than a share of what it committed before
 * the move began. The copy competes with transactions for the same cores and disks: the first
 * bounds its take, the second turns a deep dip into a slower move. Only where nothing is held or
 * frozen: a pause never keeps a transaction waiting on a moving shard.
 */
export class MovePacer {
  private level = 0;
  /** Time spent waiting so far in this move. */
  pausedMs = 0;
  pauses = 0;
  /** Rest the copy owes for its work so far (busyShare). */
  private owedMs = 0;

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
    this.owedMs = 0;
  }

  /** The copy worked `ms` (a piece copied): it owes rest in proportion, if the load is worth sparing. */
  worked(ms: number): void {
    if (this.level < this.o.minLevelPerSec || this.o.busyShare >= 1 || this.o.busyShare <= 0) return;
    // Bounded: a piece that took very long (a slow disk) does not stop the move for longer than a pause.
    this.owedMs = Math.min(this.owedMs + (ms * (1 - this.o.busyShare)) / this.o.busyShare, this.o.maxPauseMs);
  }

  get levelPerSec(): number {
    return this.level;
  }

  async giveWay(): Promise<void> {
    if (this.owedMs > 0) {
      const rest = this.owedMs;
      this.owedMs = 0;
      const started = this.now();
      await this.sleep(rest);
      this.pausedMs += this.now() - started;
    }
    if (!foregroundStarved(this.rate.perSecond(RECENT_MS), this.level, this.o)) return;
    const started = this.now();
    this.pauses++;
    while (this.now() - started < this.o.maxPauseMs && foregroundStarved(this.rate.perSecond(RECENT_MS), this.level, this.o)) {
      await this.sleep(POLL_MS);
    }
    this.pausedMs += this.now() - started;
  }
}
