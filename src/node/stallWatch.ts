import { PerformanceObserver, constants } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { watchLoopStalls } from '../runtime/loopStalls.js';
import type { BatchObserver, GroupCommitWriter } from '../storage/groupCommit.js';

/** A stall this long or longer is logged (a 1 s throughput window loses a fifth of itself); DTX_STALL_LOG_MS sets another. */
export const STALL_LOG_MS = Number(process.env['DTX_STALL_LOG_MS'] ?? '') || 200;
/** At most this many stall lines a minute per kind: a node that stalls all the time says so without flooding its log. */
const LOGS_PER_MINUTE = 30;

/**
 * Says in the node's log when it stalled: its event loop ran late (a long synchronous task, a
 * garbage collection) or one log batch took long to write (a compaction holding writes, a slow
 * disk). Every transaction through the node waits for either, so these lines are what a throughput
 * dip is matched against.
 */
export class StallWatch {
  private stopLoop: (() => void) | null = null;
  private readonly budget = { loop: { minute: 0, used: 0 }, batch: { minute: 0, used: 0 }, gc: { minute: 0, used: 0 } };
  private gc: PerformanceObserver | null = null;

  constructor(private readonly log: Logger) {}

  start(writer: GroupCommitWriter): void {
    this.stopLoop = watchLoopStalls(STALL_LOG_MS, (late) => {
      if (this.allowed('loop')) this.log.warn({ stalledMs: Math.round(late) }, 'event loop stalled');
    });
    this.gc = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if (e.duration < STALL_LOG_MS / 2 || !this.allowed('gc')) continue;
        const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
        this.log.warn(
          {
            gcMs: Math.round(e.duration),
            gc: kind === constants.NODE_PERFORMANCE_GC_MAJOR ? 'major' : kind === constants.NODE_PERFORMANCE_GC_MINOR ? 'minor' : String(kind),
          },
          'garbage collection pause',
        );
      }
    });
    this.gc.observe({ entryTypes: ['gc'] });
    const prior = writer.onBatch;
    const watch: BatchObserver = (records, ops, sync, seconds) => {
      prior?.(records, ops, sync, seconds);
      const ms = seconds * 1000;
      if (ms >= STALL_LOG_MS && this.allowed('batch')) this.log.warn({ writeMs: Math.round(ms), records, ops, sync }, 'slow log batch');
    };
    writer.onBatch = watch;
  }

  stop(): void {
    this.stopLoop?.();
    this.stopLoop = null;
    this.gc?.disconnect();
    this.gc = null;
  }

  private allowed(kind: 'loop' | 'batch' | 'gc'): boolean {
    const b = this.budget[kind];
    const minute = Math.floor(Date.now() / 60_000);
    if (b.minute !== minute) {
      b.minute = minute;
      b.used = 0;
    }
    return b.used++ < LOGS_PER_MINUTE;
  }
}
