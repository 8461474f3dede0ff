import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

export type OpType = 'invoke' | 'ok' | 'fail' | 'info';

/** One line of a history: an operation's invocation, then its completion (ok / fail / info = unknown). */
export interface HistoryEntry {
  index: number;
  time: number;
  process: number;
  type: OpType;
  f: string;
  txnId?: string;
  value?: unknown;
  error?: string;
}

/**
 * Every client operation, as in Jepsen: invoke, then ok (it happened), fail (it did
 * not) or info (unknown: the call broke). Kept in memory for the checkers and written
 * as JSON lines for people.
 */
export class History {
  readonly entries: HistoryEntry[] = [];
  private readonly out: WriteStream | null;
  private readonly start = Date.now();

  constructor(readonly path: string | null) {
    if (path) mkdirSync(dirname(path), { recursive: true });
    this.out = path ? createWriteStream(path) : null;
  }

  add(e: Omit<HistoryEntry, 'index' | 'time'>): HistoryEntry {
    const entry: HistoryEntry = { index: this.entries.length, time: Date.now() - this.start, ...e };
    this.entries.push(entry);
    this.out?.write(`${JSON.stringify(entry, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
    return entry;
  }

  /** Client operations of a type (the nemesis's own entries, process -1, are not counted). */
  count(type: OpType, f?: string): number {
    return this.entries.filter((e) => e.process >= 0 && e.type === type && (!f || e.f === f)).length;
  }

  async close(): Promise<void> {
    const out = this.out;
    if (out) await new Promise<void>((r) => out.end(r));
  }
}
