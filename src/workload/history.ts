import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

export type OpType = 'invoke' | 'ok' | 'fail' | 'info';

/** One line of a history: an operation's invocation, then its completion (ok / fail / info = unknown). */
export interface HistoryEntry {
  index: number;
  /** Milliseconds since the history began (monotonic clock, µs resolution). */
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
  private readonly start = performance.now();

  constructor(readonly path: string | null) {
    if (path) mkdirSync(dirname(path), { recursive: true });
    this.out = path ? createWriteStream(path) : null;
  }

  add(e: Omit<HistoryEntry, 'index' | 'time'>): HistoryEntry {
    const entry: HistoryEntry = { index: this.entries.length, time: Math.round((performance.now() - this.start) * 1000) / 1000, ...e };
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

/**
 * Latency of every transaction the history saw COMMITTED (invoke → ok, by txn id), in ms:
 * what a client waited for a commit, faults included. Reads and aborted or unknown
 * transactions are left out.
 */
export function commitLatenciesMs(entries: readonly HistoryEntry[]): number[] {
  const invoked = new Map<string, number>();
  const out: number[] = [];
  for (const e of entries) {
    if (!e.txnId || e.process < 0) continue;
    if (e.type === 'invoke') invoked.set(e.txnId, e.time);
    else if (e.type === 'ok' && invoked.has(e.txnId)) out.push(e.time - invoked.get(e.txnId)!);
  }
  return out;
}
