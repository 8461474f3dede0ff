import type { ClassicLevel } from 'classic-level';

export type BatchOp = { type: 'put'; key: string; value: string } | { type: 'del'; key: string };

interface Pending {
  ops: BatchOp[];
  sync: boolean;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: appends that arrive while a batch is being written wait and then go
 * out together as one LevelDB batch — synced if any of them asked for it. One fsync
 * then covers many records, which is what lets throughput exceed 1/fsync-latency.
 */
export class GroupCommitWriter {
  private queue: Pending[] = [];
  private writing = false;
  private closed = false;
  readonly stats = { batches: 0, records: 0, syncedBatches: 0 };

  constructor(
    private readonly db: ClassicLevel<string, string>,
    private readonly maxBatchOps = 4096,
  ) {}

  append(ops: BatchOp[], sync: boolean): Promise<void> {
    if (this.closed) return Promise.reject(new Error('storage is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ ops, sync, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.writing) await new Promise((r) => setTimeout(r, 1));
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const group: Pending[] = [];
        let size = 0;
        while (this.queue.length > 0 && (group.length === 0 || size + this.queue[0]!.ops.length <= this.maxBatchOps)) {
          const p = this.queue.shift()!;
          group.push(p);
          size += p.ops.length;
        }
        const sync = group.some((p) => p.sync);
        try {
          await this.db.batch(
            group.flatMap((p) => p.ops),
            { sync },
          );
          this.stats.batches++;
          this.stats.records += group.length;
          if (sync) this.stats.syncedBatches++;
          for (const p of group) p.resolve();
        } catch (err) {
          for (const p of group) p.reject(err);
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
