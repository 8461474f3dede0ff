export type BatchOp = { type: 'put'; key: string; value: string } | { type: 'del'; key: string };

/**
 * What the storage layer needs of a key-value engine. Nodes plug in LevelDB (levelEngine.ts);
 * the simulator plugs in a simulated disk that loses unsynced writes on a crash (sim/simEngine.ts),
 * so that group commit, lingering, the value cache and the outcome filter run under simulation
 * exactly as in a node.
 *
 * The hot path (write, getMany) takes callbacks, not promises: a simulator delivers them from its
 * event queue, in simulated time, which a promise continuation would escape. The cold path
 * (start-up scans, tools) returns promises; a simulated engine answers those at once.
 */
export interface KvEngine {
  /** Applies the ops atomically, in order; with `sync`, durable (fsync'd) before `done`. */
  write(ops: readonly BatchOp[], sync: boolean, done: (err: Error | null) => void): void;
  /** Reads several keys at one point in time (missing keys are undefined). */
  getMany(keys: readonly string[], done: (err: Error | null, values: (string | undefined)[]) => void): void;
  get(key: string): Promise<string | undefined>;
  /** A single forced write outside the log's batches (the node's identity, written once). */
  put(key: string, value: string): Promise<void>;
  /** Every entry under a key prefix, in key order. */
  scan(prefix: string): Promise<[string, string][]>;
  /** Every key under a prefix, in key order; values are not read. */
  scanKeys(prefix: string): Promise<string[]>;
  /**
   * Up to `limit` entries with gt < key < lt, in key order (a bounded page of a background sweep;
   * a callback like the hot path, so that a simulator answers it in simulated time).
   */
  scanPage(gt: string, lt: string, limit: number, done: (err: Error | null, entries: [string, string][]) => void): void;
  /** Lets the engine reclaim the space of deleted keys in [gte, lt) now (LevelDB compactRange); may do nothing. */
  compactRange(gte: string, lt: string): Promise<void>;
  readonly isOpen: boolean;
  close(): Promise<void>;
}

/** Up to the next prefix, not prefix + '\xff': keys may hold any UTF-8 character. */
export function prefixRange(prefix: string): { gte: string; lt: string } {
  return { gte: prefix, lt: prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1) };
}
